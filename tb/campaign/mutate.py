"""``make mutate [MUTANTS=n] [SCHEDULER=…]``: mutation testing of every rtl/ module on Dask.

Mutants come from yosys's built-in ``mutate`` pass (the engine of YosysHQ mcy), Debian yosys
0.23: per module, ``prep`` at the parameters the core uses it with, ``mutate -list N -seed S``
(evenly sampled over cells, ports and bits; modes inv / const0 / const1 / cnot0 / cnot1), then
one mutation applied and the module written back with ``write_verilog`` (its parameter
declarations restored, fixed at those values). Each mutant runs in a private copy of the
source tree whose ``rtl/<file>`` is the mutant netlist (:func:`make_shadow`):

1. the module's own bench, ``pytest tb/<bench>`` on Icarus, default parameter set;
2. for modules inside the core: the top-level smoke regression ``scripts/regress.py smoke
   --sim icarus`` reduced to 1 real example per class and 20 random bundles
   (``SPARROW_REGRESS_PER_CLASS`` / ``SPARROW_REGRESS_RANDOM``);

until the first failure: **killed** (a step failed), **timeout** (a step exceeded its time
limit: counted as killed), or passed. A mutant that passes every step goes through a formal
equivalence check with the original module (yosys ``equiv_make`` / ``equiv_simple`` /
``equiv_induct`` / ``equiv_status -assert``): proven equivalent -> **equivalent** (set aside,
the yosys log kept as evidence), otherwise **survived**. Before any mutant, the *unmutated*
netlist of every module (the same flow, no mutation) must pass its steps: the control that the
flow itself does not kill.

Outputs: ``reports/mutation/summary.json`` (spec §5: ``mutants``, ``killed``, ``survived``,
``equivalent``) and ``summary.md`` (every survivor with its source line and mutation),
``reports/mutation/mutants.json`` (every mutant's result), ``reports/mutation/equiv/*.log``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tb.regress import REPO_ROOT

MUT_DIR = REPO_ROOT / "reports" / "mutation"
WORK_DIR = REPO_ROOT / "sim_build" / "mutation"
DEFAULT_SEED = 1
FULL_MUTANTS = 320              # the full campaign: mutants over all modules
SHADOW_ITEMS = ("rtl", "tb", "golden", "training", "scripts", "models", "pyproject.toml")
BENCH_TIMEOUT = 300             # s per step
EQUIV_TIMEOUT = 300             # s, all-matched-signals proof
EQUIV_PORTS_TIMEOUT = 60       # s, ports-only proof
SMOKE_ENV = {"SPARROW_REGRESS_PER_CLASS": "1", "SPARROW_REGRESS_RANDOM": "20"}
CORE_FILES = ("sparrow_top.v", "apb_regs.v", "ctrl.v", "stream_in.v", "mac_array.v",
              "ssf_fire.v", "argmax.v", "sram_sp.v", "sram_sp_2048x64.v", "sram_sp_4096x8.v",
              "sram_sp_128x256.v", "sram_sp_128x128.v")


@dataclass(frozen=True)
class Context:
    """How one module is mutated and judged."""

    module: str
    files: tuple[str, ...]                  # rtl/ files yosys reads
    chparam: tuple[tuple[str, int], ...] = ()   # parameters the core uses it with
    blank: tuple[str, ...] = ()             # rtl/ files emptied in the shadow tree
    bench: str | None = None                # tb/<bench>
    smoke: bool = True                      # the top-level smoke regression applies
    smoke_first: bool = False               # judge by the smoke before the (long) bench
    timeout: int = BENCH_TIMEOUT            # s per step
    weight: int = 1                         # share of the full campaign

    @property
    def target(self) -> str:
        """The rtl/ file the mutant netlist replaces."""
        return f"{self.module}.v"


def _wrapper(name: str) -> Context:
    return Context(name, ("sram_sp.v", f"{name}.v"), bench=name, weight=1)


CONTEXTS: dict[str, Context] = {c.module: c for c in [
    Context("apb_regs", ("apb_regs.v",), bench="apb_regs", weight=6),
    Context("argmax", ("argmax.v",), chparam=(("ACC_W", 36), ("IDX_W", 4)), bench="argmax",
            weight=2),
    Context("ctrl", ("ctrl.v",), bench="ctrl", weight=10),
    Context("mac_array", ("mac_array.v",), bench="mac_array", weight=2),
    Context("sparrow_top", CORE_FILES,
            blank=tuple(f for f in CORE_FILES if f != "sparrow_top.v"), bench="sparrow_top",
            smoke_first=True, timeout=1500, weight=5),
    Context("sram_sp", ("sram_sp.v",), bench="sram_sp", smoke=False, weight=2),
    _wrapper("sram_sp_128x128"), _wrapper("sram_sp_128x256"), _wrapper("sram_sp_2048x64"),
    _wrapper("sram_sp_4096x8"),
    Context("ssf_fire", ("ssf_fire.v",), bench="ssf_fire", weight=4),
    Context("stream_in", ("stream_in.v",), bench="stream_in", weight=2),
]}


class MutationError(RuntimeError):
    """A mutation-flow step failed (one-line message)."""


# ---------------------------------------------------------------------------------------------
# yosys


def _yosys(script: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a yosys script in ``cwd``. The default bound is generous: writing sparrow_top's mutant
    netlist takes seconds on a quiet machine but exceeded 120 s on a 2-core machine loaded 7–8,
    which turned two mutants into errors; a real hang still ends."""
    ys = cwd / "run.ys"
    ys.write_text(script)
    return subprocess.run(["yosys", "-q", "-l", str(cwd / "yosys.log"), str(ys)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _elaborate(ctx: Context, rtl: Path) -> str:
    files = " ".join(str(rtl / f) for f in ctx.files)
    chp = "".join(f" -chparam {k} {v}" for k, v in ctx.chparam)
    return f"read_verilog -defer {files}\nhierarchy -top {ctx.module}{chp}\nprep\n"


def list_mutations(ctx: Context, n: int, seed: int, rtl: Path = REPO_ROOT / "rtl") -> list[str]:
    """``n`` mutations of ``ctx.module`` (yosys ``mutate -list``), one command line each."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        res = _yosys(_elaborate(ctx, rtl) +
                     f"mutate -list {n} -seed {seed} -module {ctx.module} -o mutations.ys\n", t)
        if res.returncode != 0:
            raise MutationError(f"yosys mutate -list on {ctx.module} failed: "
                                f"{(res.stderr or res.stdout).strip().splitlines()[-1:]}")
        lines = [ln.strip() for ln in (t / "mutations.ys").read_text().splitlines()
                 if ln.startswith("mutate ")]
    return lines


def _params(ctx: Context, src: Path) -> list[tuple[str, str]]:
    """(name, value) of the module header's parameters, values overridden by ``chparam``."""
    text = src.read_text()
    m = re.search(rf"module\s+{ctx.module}\s*#\s*\((.*?)\)\s*\(", text, re.S)
    if not m:
        return []
    over = dict(ctx.chparam)
    out = []
    for pm in re.finditer(r"parameter\s+(?:integer\s+)?(\w+)\s*=\s*([^,/\n]+)", m.group(1)):
        name, val = pm.group(1), pm.group(2).strip()
        out.append((name, str(over.get(name, val))))
    return out


def write_mutant(ctx: Context, mutation: str | None, rtl: Path, out: Path) -> None:
    """The mutant netlist of ``ctx.module`` (``mutation`` None: the unmutated control) with
    the module's parameter declarations restored, written to ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        # every flip-flop starts at 0 instead of X: a netlist propagates X through muxes
        # more pessimistically than the RTL's if/case (which reads X as false), and the benches
        # sample some outputs before the first reset
        script = _elaborate(ctx, rtl) + (mutation + "\n" if mutation else "") + \
            "setundef -zero -init\nwrite_verilog -noattr netlist.v\n"
        res = _yosys(script, t)
        if res.returncode != 0:
            raise MutationError(f"yosys could not write the mutant of {ctx.module}: "
                                f"{(res.stderr or res.stdout).strip()[-300:]}")
        text = (t / "netlist.v").read_text()
    params = _params(ctx, rtl / ctx.target)
    lparams = re.findall(r"^    localparam\s+integer\s+(\w+)\s*=\s*([^;]+);",
                         (rtl / ctx.target).read_text(), re.M)
    if params or lparams:
        decl = "".join(f"  parameter integer {k} = {v};\n" for k, v in params)
        decl += "".join(f"  localparam integer {k} = {v.strip()};\n" for k, v in lparams)
        text, n = re.subn(rf"(^module {ctx.module}\(.*?\);\n)", lambda m: m.group(1) + decl,
                          text, count=1, flags=re.S | re.M)
        if n != 1:
            raise MutationError(f"mutant of {ctx.module}: module header not found")
    # every flip-flop samples after the time step's active events (#0): benches start the
    # clock high at time 0 while they drive rst_n, and a netlist's flip-flop, unlike the RTL's,
    # reads reset through a combinational net that has not settled yet at that first edge (a
    # simulation race at time 0 only: cocotb applies later writes after the edge's sampling)
    text = re.sub(r"always @\(posedge (\w+)\)", r"always @(posedge \1) #0", text)
    # the parameter defaults name the generated header's macros (`SPARROW_LANES, ...): the
    # netlist includes what the original includes before its module header
    src_text = (rtl / ctx.target).read_text()
    head = src_text[:src_text.find(f"module {ctx.module}")]
    incs = "".join(ln + "\n" for ln in re.findall(r'^\s*`include\s+"[^"]+"', head, re.M))
    out.write_text(f"// mutant of rtl/{ctx.target}: {mutation or 'none (control)'}\n" + incs
                   + text)


def _equiv_script(ctx: Context, mutation: str, rtl: Path, ports_only: bool) -> str:
    # the mutant first: yosys numbers cells per session, so the mutation's cell names match
    # only in a first elaboration (as in list_mutations)
    hide = "rename -hide w:* x:* %d\n" if ports_only else ""
    return (_elaborate(ctx, rtl) + mutation + "\nflatten\nmemory -nomap\n" + hide
            + "rename " + ctx.module + " gate\ndesign -stash gate\n" + _elaborate(ctx, rtl)
            + "flatten\nmemory -nomap\nrename " + ctx.module + " gold\ndesign -stash gold\n"
            "design -copy-from gold -as gold gold\ndesign -copy-from gate -as gate gate\n"
            "equiv_make gold gate equiv\nhierarchy -top equiv\nequiv_simple -seq 5\n"
            "equiv_induct -seq 5\nequiv_status -assert\n")


def _miter_script(ctx: Context, mutation: str, rtl: Path) -> str:
    """yosys: the original (gold) and the mutant (gate) flattened into one miter whose output
    ``trigger`` is 1 when any output differs, every flip-flop of both starting at 0 (the state
    the mutant netlists start from in the benches) and undefined constants read as 0 in both;
    written as AIGER (memories become flip-flops)."""
    return (_elaborate(ctx, rtl) + mutation + "\nflatten\nrename " + ctx.module + " gate\n"
            "design -stash gate\n" + _elaborate(ctx, rtl) + "flatten\nrename " + ctx.module
            + " gold\ndesign -stash gold\ndesign -copy-from gold -as gold gold\n"
            "design -copy-from gate -as gate gate\nmiter -equiv -flatten gold gate miter\n"
            "hierarchy -top miter\nmemory\nsetundef -zero -init\nsetundef -zero\n"
            "techmap\nopt -fast\ndffunmap\naigmap\nopt_clean\n"
            "write_aiger -zinit miter.aig\n")


def pdr_check(ctx: Context, mutation: str, rtl: Path, timeout: int) -> tuple[str, str]:
    """Sequential equivalence of the original and the mutant module from the all-zero state:
    the miter (:func:`_miter_script`) through ABC (``yosys-abc``): ``scorr`` (signal
    correspondence by induction: merges the registers and nets it proves equal or constant,
    which finds invariants such as a counter's low bits staying 0) then ``pdr`` (property-
    directed reachability) on what is left. Returns ('proven' | 'cex' | 'unknown', the
    log): 'proven' = no input sequence from the all-zero state makes any output differ;
    'cex' = ABC found one (the mutant is not equivalent)."""
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        try:
            res = _yosys(_miter_script(ctx, mutation, rtl), t, timeout)
        except subprocess.TimeoutExpired:
            return "unknown", f"miter not built within {timeout} s\n"
        if res.returncode != 0 or not (t / "miter.aig").is_file():
            return "unknown", f"miter failed: {(res.stderr or res.stdout).strip()[-300:]}\n"
        left = max(5, int(timeout - (time.time() - t0)))
        cmd = ["yosys-abc", "-c", f"read_aiger miter.aig; strash; scorr; print_stats; "
                                  f"pdr -T {left}"]
        try:
            ab = subprocess.run(cmd, cwd=t, capture_output=True, text=True, timeout=left + 10)
        except subprocess.TimeoutExpired:
            return "unknown", f"$ {' '.join(cmd)}\ntimed out after {left + 10} s\n"
    out = f"$ {' '.join(cmd)}\n{ab.stdout}{ab.stderr}"
    if ab.returncode == 0 and "Property proved" in ab.stdout:
        return "proven", out
    if ab.returncode == 0 and re.search(r"was asserted in frame \d+", ab.stdout):
        return "cex", out
    return "unknown", out


def equivalence(ctx: Context, mutation: str, rtl: Path, log: Path,
                timeout: int = EQUIV_TIMEOUT) -> tuple[bool, str]:
    """(proven equivalent, one-line evidence) of the original against the mutant module.

    1. :func:`pdr_check` (ABC scorr + pdr on the miter from the all-zero state, bounded by
       ``timeout``): proven -> equivalent; a counterexample -> not equivalent, done.
    2. Otherwise yosys equiv_make / equiv_simple -seq 5 / equiv_induct -seq 5 /
       equiv_status -assert, first with every same-named signal matched (bounded by
       ``timeout``), then on the ports only (the mutant's internal names hidden, so a
       difference that never reaches a port does not block the proof; bounded by
       EQUIV_PORTS_TIMEOUT).

    Not proven = not equivalent. The log of every attempt is written to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    status, text = pdr_check(ctx, mutation, rtl, timeout)
    parts = [f"== ABC scorr + pdr from the all-zero state: {status}\n{text}\n"]
    if status == "proven":
        log.write_text("".join(parts))
        return True, ("ABC scorr + pdr: proven, no input sequence from the all-zero state "
                      "makes an output differ")
    if status == "cex":
        log.write_text("".join(parts))
        frame = re.search(r"asserted in frame (\d+)", text)
        return False, (f"not equivalent: ABC pdr found outputs differing in frame "
                       f"{frame.group(1) if frame else '?'} from the all-zero state")
    for ports_only, limit in ((False, timeout), (True, min(timeout, EQUIV_PORTS_TIMEOUT))):
        script = _equiv_script(ctx, mutation, rtl, ports_only)
        how = "ports only" if ports_only else "all matched signals"
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            try:
                res = _yosys(script, t, limit)
            except subprocess.TimeoutExpired:
                parts.append(f"== {how}: timed out after {limit} s\n")
                continue
            text = (t / "yosys.log").read_text(errors="replace") \
                if (t / "yosys.log").exists() else ""
        parts.append(f"== {how}\n{script}\n----\n{text}{res.stderr}\n")
        if res.returncode == 0:
            log.write_text("".join(parts))
            return True, f"yosys equiv_status -assert: every $equiv cell proven ({how})"
    log.write_text("".join(parts))
    return False, "not proven (" + "; ".join(p.splitlines()[0].removeprefix("== ")
                                             for p in parts) + ")"


# ---------------------------------------------------------------------------------------------
# one mutant (a Dask task)


def make_shadow(dest: Path) -> Path:
    """A private copy of the sources (rtl, tb, golden, training, scripts, models) at ``dest``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "sim_build", "*.fst", "results.xml")
    for item in SHADOW_ITEMS:
        src = REPO_ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=ignore)
        elif src.is_file():
            shutil.copy(src, dest / item)
    return dest


def _junit_failures(path: Path) -> tuple[int, int]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 0
    cases = list(root.iter("testcase"))
    bad = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
    return len(cases), bad


def _step(cmd: list[str], cwd: Path, env: dict[str, str], log: Path, timeout: int,
          junit: Path | None = None) -> tuple[str, float, str]:
    """Run one judging step: ('pass' | 'fail' | 'timeout', seconds, one-line reason)."""
    t0 = time.time()
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)   # the simulator dies with it
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return "timeout", time.time() - t0, f"exceeded {timeout} s"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    dt = time.time() - t0
    if rc != 0:
        return "fail", dt, f"exit status {rc}"
    if junit is not None:
        n, bad = _junit_failures(junit)
        if n == 0:
            return "fail", dt, "no test results"
        if bad:
            return "fail", dt, f"{bad} of {n} tests failed"
    return "pass", dt, ""


def run_mutant(spec: dict[str, Any]) -> dict[str, Any]:
    """Judge one mutant (``spec``: id, module, mutation (None = control), timeout, equiv).
    Runs on a Dask worker; returns the verdict as data."""
    from tb.campaign.jobs import _worker_id
    from training.paths import cache_root, data_root

    ctx = CONTEXTS[spec["module"]]
    mid, mutation = spec["id"], spec.get("mutation")
    work = WORK_DIR / f"{mid}-{os.getpid()}"
    t0 = time.time()
    out: dict[str, Any] = {"id": mid, "module": ctx.module, "mutation": mutation,
                           "src": _src_of(mutation), "steps": [], "worker": _worker_id()}
    try:
        shadow = make_shadow(work)
        rtl = shadow / "rtl"
        write_mutant(ctx, mutation, REPO_ROOT / "rtl", rtl / ctx.target)
        out["setup_seconds"] = round(time.time() - t0, 1)     # shadow copy + yosys netlist
        for f in ctx.blank:
            (rtl / f).write_text(f"// {f}: part of the mutant netlist rtl/{ctx.target}\n")
        env = {**os.environ, "PYTHONPATH": str(shadow), "SPARROW_DATA": str(data_root()),
               "SPARROW_CACHE": str(cache_root()), "COCOTB_RANDOM_SEED": str(spec.get("seed", 1))}
        for var in ("SPARROW_COVERAGE", "SCHEDULER", "CLUSTER"):    # the steps run locally
            env.pop(var, None)
        log = work.with_suffix(".log")
        log.unlink(missing_ok=True)
        out["log"] = str(log)                                 # kept after the run
        py = sys.executable
        steps = []
        if ctx.bench:
            bench_dir = shadow / "tb" / ctx.bench
            k = "icarus and not narrow and not odd and not tiny"
            steps.append(("bench", [py, "-m", "pytest", str(bench_dir), "-q", "-x", "-k", k,
                                    "-p", "no:cacheprovider", "--junitxml",
                                    str(work / "bench.xml")], work / "bench.xml"))
        if ctx.smoke:
            steps.append(("top smoke", [py, str(shadow / "scripts" / "regress.py"), "smoke",
                                        "--sim", "icarus", "--no-waves", "--jobs", "1"], None))
        if ctx.smoke_first:
            steps.reverse()
        verdict = "survived"
        for name, cmd, junit in steps:
            status, dt, why = _step(cmd, shadow, {**env, **SMOKE_ENV}, log,
                                    int((spec.get("step_timeouts") or {}).get(
                                        name, spec.get("timeout", ctx.timeout))), junit)
            out["steps"].append({"step": name, "status": status, "seconds": round(dt, 1),
                                 "why": why})
            if status == "fail":
                verdict = "killed"
                break
            if status == "timeout":
                verdict = "timeout"
                break
        if verdict == "survived" and mutation and spec.get("equiv", True):
            elog = MUT_DIR / "equiv" / f"{mid}.log"
            te = time.time()
            eq, evidence = equivalence(ctx, mutation, REPO_ROOT / "rtl", elog,
                                       int(spec.get("equiv_timeout", EQUIV_TIMEOUT)))
            out["equivalence"] = {"proven": eq, "evidence": evidence,
                                  "log": str(elog.relative_to(REPO_ROOT)),
                                  "seconds": round(time.time() - te, 1)}
            if eq:
                verdict = "equivalent"
        out["verdict"] = verdict if mutation else ("control_ok" if verdict == "survived"
                                                   else "control_failed")
        if out["verdict"] in ("survived", "control_failed"):
            out["log_tail"] = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    except (MutationError, OSError, subprocess.SubprocessError) as exc:
        out["verdict"] = "error"
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["seconds"] = round(time.time() - t0, 1)
    out["ok"] = out["verdict"] not in ("error", "control_failed")
    return out


def _src_of(mutation: str | None) -> str:
    """The first ``-src file:line.col-...`` of a mutation, as rtl/<file>:<line>."""
    if not mutation:
        return ""
    m = re.search(r"-src (\S+?):(\d+)\.", mutation)
    return f"rtl/{Path(m.group(1)).name}:{m.group(2)}" if m else ""


# ---------------------------------------------------------------------------------------------
# campaign


def plan(total: int, seed: int, modules: list[str] | None = None) -> list[dict[str, Any]]:
    """Mutant specs: ``total`` mutants shared over the modules by weight (at least 1 each),
    from one ``mutate -list`` per module; interleaved so any prefix covers every module."""
    mods = [CONTEXTS[m] for m in (modules or list(CONTEXTS))]
    wsum = sum(c.weight for c in mods)
    exact = {c.module: total * c.weight / wsum for c in mods}
    per = {m: max(1, int(v)) for m, v in exact.items()}
    for m in sorted(exact, key=lambda m: exact[m] - int(exact[m]), reverse=True):
        if sum(per.values()) >= total:
            break
        per[m] += 1                                  # largest remainders: exactly ``total``
    lists = {c.module: list_mutations(c, per[c.module], seed) for c in mods}
    specs = []
    k = 0
    while any(lists.values()):
        for c in mods:
            if lists[c.module]:
                mut = lists[c.module].pop(0)
                specs.append({"id": f"m{k:04d}-{c.module}", "module": c.module,
                              "mutation": mut, "seed": seed})
                k += 1
    return specs


def wilson(k: int, n: int, z: float = 1.96) -> list[float] | None:
    """95 % Wilson score interval [low, high] of a proportion k / n (None for n = 0): the
    kill rate of a sample, as an estimate of the full campaign's."""
    if n <= 0:
        return None
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / den
    return [round(max(0.0, mid - half), 4), round(min(1.0, mid + half), 4)]


def time_breakdown(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the mutants' time went: seconds summed per phase (setup = shadow copy + yosys
    netlist; each judging step; the equivalence proof) with how many mutants reached it, and
    the mean seconds of a mutant per verdict."""
    phases: dict[str, dict[str, float]] = {}

    def add(name: str, sec: float) -> None:
        d = phases.setdefault(name, {"mutants": 0, "seconds": 0.0})
        d["mutants"] += 1
        d["seconds"] = round(d["seconds"] + sec, 1)

    for r in results:
        if "setup_seconds" in r:
            add("setup", r["setup_seconds"])
        for st in r.get("steps", []):
            add(st["step"], st["seconds"])
        if (r.get("equivalence") or {}).get("seconds") is not None:
            add("equivalence", r["equivalence"]["seconds"])
    per_verdict: dict[str, dict[str, float]] = {}
    for r in results:
        d = per_verdict.setdefault(r.get("verdict", "?"), {"mutants": 0, "seconds": 0.0})
        d["mutants"] += 1
        d["seconds"] = round(d["seconds"] + r.get("seconds", 0), 1)
    for d in per_verdict.values():
        d["mean_seconds"] = round(d["seconds"] / d["mutants"], 1)
    return {"phases": phases, "per_verdict": per_verdict}


def summarize(results: list[dict[str, Any]], controls: list[dict[str, Any]],
              meta: dict[str, Any]) -> dict[str, Any]:
    """summary.json contents (spec §5 keys first)."""
    count = {v: sum(1 for r in results if r["verdict"] == v)
             for v in ("killed", "timeout", "survived", "equivalent", "error")}
    judged = len(results) - count["equivalent"] - count["error"]
    killed_all = count["killed"] + count["timeout"]
    per_module: dict[str, dict[str, int]] = {}
    for r in results:
        d = per_module.setdefault(r["module"], {"mutants": 0, "killed": 0, "survived": 0,
                                                "equivalent": 0, "timeout": 0, "error": 0})
        d["mutants"] += 1
        d[r["verdict"]] += 1
    return {"mutants": len(results), "killed": killed_all, "survived": count["survived"],
            "equivalent": count["equivalent"], "timeout": count["timeout"],
            "errors": count["error"],
            "kill_rate": round(killed_all / judged, 4) if judged else None,
            "kill_rate_ci95": wilson(killed_all, judged),
            "target_kill_rate": 0.95, "per_module": per_module,
            "time_breakdown": time_breakdown(results),
            "controls": {c["module"]: c["verdict"] for c in controls},
            "survivors": [{"id": r["id"], "module": r["module"], "src": r["src"],
                           "mutation": r["mutation"],
                           "equivalence": (r.get("equivalence") or {}).get("evidence")}
                          for r in results if r["verdict"] == "survived"],
            "killed_after_campaign": [{"id": r["id"], "src": r["src"],
                                       "by": r["rejudged"]["failed_test"],
                                       "commit": r["rejudged"]["commit"]}
                                      for r in results if (r.get("rejudged") or {}).get(
                                          "verdict") in ("killed", "timeout")],
            **meta}


def write_reports(summary: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """summary.json, summary.md and mutants.json under reports/mutation/."""
    MUT_DIR.mkdir(parents=True, exist_ok=True)
    (MUT_DIR / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (MUT_DIR / "mutants.json").write_text(json.dumps(results, indent=1) + "\n")
    kr = summary["kill_rate"]
    lines = ["# Mutation testing", "",
             f"`{summary['command']}`: {summary['mutants']} mutants, **{summary['killed']} killed"
             f"** ({summary['timeout']} by timeout), **{summary['survived']} survived**, "
             f"{summary['equivalent']} equivalent (set aside), {summary['errors']} flow errors; "
             f"kill rate of the non-equivalent mutants **"
             f"{'-' if kr is None else f'{100 * kr:.1f} %'}** (target 95 %); "
             f"{summary['seconds']:.0f} s on {summary['workers']} workers.", "",
             *([f"95 % interval of the kill rate (Wilson): "
                f"{100 * ci[0]:.1f} to {100 * ci[1]:.1f} %.", ""]
               if (ci := summary.get("kill_rate_ci95")) else []),
             *([f"**Stopped early**: {summary['mutants']} of the {summary['planned']} planned "
                f"mutants judged (the interleaved plan's prefix: a sample of every module); "
                f"mean {summary.get('mean_seconds_per_mutant', 0)} s per mutant, full "
                f"campaign projected at {summary.get('projected_full_campaign_seconds')} s "
                f"on {summary['workers']} workers.", ""]
               if summary.get("stopped_early") else []),
             "Controls (unmutated netlists through the same flow): "
             + ", ".join(f"{m} {v}" for m, v in summary["controls"].items()), "",
             "| module | mutants | killed | timeout | survived | equivalent | errors |",
             "|---|---|---|---|---|---|---|"]
    for m, d in sorted(summary["per_module"].items()):
        lines.append(f"| {m} | {d['mutants']} | {d['killed']} | {d['timeout']} | "
                     f"{d['survived']} | {d['equivalent']} | {d['error']} |")
    tb_ = summary.get("time_breakdown") or {}
    if tb_.get("phases"):
        lines += ["", "Where the time went (seconds summed over the mutants that reached the "
                  "phase): " + ", ".join(f"{k} {v['seconds']:.0f} s ({v['mutants']})"
                                         for k, v in tb_["phases"].items())
                  + "; per verdict, mean s: " + ", ".join(
                      f"{k} {v['mean_seconds']}" for k, v in tb_["per_verdict"].items())]
    lines += ["", "## Survivors", ""]
    if summary["survivors"]:
        for s in summary["survivors"]:
            lines.append(f"* `{s['id']}` {s['src']}: `{s['mutation']}` (equivalence: "
                         f"{s['equivalence']})")
    else:
        lines.append("None.")
    late = summary.get("killed_after_campaign") or []
    if late:
        lines += ["", "## Survivors of the campaign killed by tests added after it", "",
                  "Re-judged with `make mutate MUTATE_ARGS=--rejudge` (the same mutant netlist, "
                  "today's benches):", ""]
        lines += [f"* `{k['id']}` {k['src']}: killed by `{k['by']}` (commit {k['commit']})"
                  for k in late]
    eq = [r for r in results if r["verdict"] == "equivalent"]
    if eq:
        lines += ["", "## Equivalent mutants (set aside)", ""]
        lines += [f"* `{r['id']}` {r['src']}: `{r['mutation']}`: "
                  f"{(r.get('equivalence') or {}).get('evidence', '?')} "
                  f"(`{(r.get('equivalence') or {}).get('log', '-')}`)" for r in eq]
    errs = [r for r in results if r["verdict"] == "error"]
    if errs:
        lines += ["", "## Flow errors", ""]
        lines += [f"* `{r['id']}`: {r.get('error', '?')}" for r in errs]
    (MUT_DIR / "summary.md").write_text("\n".join(lines) + "\n")


TIMEOUT_FACTOR = 3      # a mutant's step may take this many times its control's step
                        # (10 let a hanging top-level mutant hold a worker for over 10 min;
                        # the controls run in the same campaign, so load scales both)
TIMEOUT_FLOOR = 60      # s, never less


def step_timeouts(controls: list[dict[str, Any]], module: str) -> dict[str, int]:
    """Per judging step, the time limit of a mutant of ``module``: TIMEOUT_FACTOR times what
    the unmutated control took in that step, at least TIMEOUT_FLOOR s, at most the module's
    limit. A mutant that makes its bench hang is then a timeout (counted as killed) in about
    a minute instead of the module's fixed limit."""
    ctx = CONTEXTS[module]
    ctl = next((c for c in controls if c.get("module") == module), None)
    out = {}
    for st in (ctl or {}).get("steps", []):
        out[st["step"]] = int(min(ctx.timeout, max(TIMEOUT_FLOOR,
                                                   TIMEOUT_FACTOR * st["seconds"])))
    return out


def run_mutation(total: int, seed: int, *, jobs: int | None = None, scheduler: str | None = None,
                 modules: list[str] | None = None, progress: bool = True,
                 client: Any = None, equiv_timeout: int = EQUIV_TIMEOUT,
                 max_minutes: float | None = None, equiv: bool = True) -> dict[str, Any]:
    """The campaign: controls first, then the mutants (a survivor's equivalence proof bounded
    by ``equiv_timeout`` s); returns the summary. The mutants go in chunks of 4 per worker, in
    the plan's interleaved order, and the reports are rewritten after each chunk; with
    ``max_minutes`` no chunk starts after that many minutes: the judged prefix is the sample
    (``stopped_early``, ``planned``)."""
    from tb.campaign.runner import campaign_client, run_campaign

    t0 = time.time()
    specs = [{**s, "equiv_timeout": equiv_timeout, "equiv": equiv}
             for s in plan(total, seed, modules)]
    mods = sorted({s["module"] for s in specs})
    controls = [{"id": f"control-{m}", "module": m, "mutation": None, "seed": seed}
                for m in mods]
    extra = ([f"--equiv-timeout {equiv_timeout}"] if equiv_timeout != EQUIV_TIMEOUT else []) \
        + ([] if equiv else ["--no-equiv"]) \
        + ([f"--max-minutes {max_minutes:g}"] if max_minutes is not None else [])
    command = f"make mutate MUTANTS={total} SEED={seed}" + \
        (f" MUTATE_ARGS='{' '.join(extra)}'" if extra else "")

    def report(ctl: list[dict], res: list[dict], stopped: bool) -> dict[str, Any]:
        for r in res:
            r.setdefault("verdict", "error")
            r.setdefault("src", _src_of(r.get("mutation")))
            r.setdefault("module", r["name"].split("-", 1)[-1] if "name" in r else "?")
            r.setdefault("id", r.get("name"))
            if r["verdict"] == "error" and "error" not in r:
                r["error"] = r.get("log_tail", "")[-300:]
        workers = sorted({r.get("worker") for r in res + ctl if r.get("worker")})
        meta = {"command": command, "seed": seed, "equiv_timeout": equiv_timeout,
                "planned": len(specs), "stopped_early": stopped,
                "seconds": round(time.time() - t0, 1), "workers": len(workers),
                "worker_addresses": workers,
                "excluded_modules": [c["module"] for c in ctl
                                     if c.get("verdict") != "control_ok"],
                "control_seconds": round(sum(c.get("seconds", 0) for c in ctl), 1),
                "mutant_cpu_seconds": round(sum(r.get("seconds", 0) for r in res), 1),
                "projected_full_campaign_seconds": None}
        if res:
            mean = meta["mutant_cpu_seconds"] / len(res)
            meta["mean_seconds_per_mutant"] = round(mean, 1)
            meta["projected_full_campaign_seconds"] = round(
                (FULL_MUTANTS * mean + meta["control_seconds"]) / max(1, meta["workers"]), 0)
        summary = summarize(res, ctl, meta)
        summary["ok"] = bool(res) and not meta["excluded_modules"] and \
            summary["kill_rate"] is not None and summary["kill_rate"] >= 0.95
        write_reports(summary, res)
        return summary

    def go(cl: Any, where: str) -> dict[str, Any]:
        if progress:
            print(f"mutate: {len(specs)} mutants of {len(mods)} modules (seed {seed}) on "
                  f"{where}", flush=True)
        shutil.rmtree(MUT_DIR, ignore_errors=True)
        ctl = run_campaign(cl, [{**c, "name": c["id"]} for c in controls], desc="controls",
                           progress=progress, fn=run_mutant)
        bad = [c["module"] for c in ctl if c.get("verdict") != "control_ok"]
        keep = [{**s, "step_timeouts": step_timeouts(ctl, s["module"])}
                for s in specs if s["module"] not in bad]
        n_workers = max(1, len(cl.scheduler_info().get("workers", {})))
        chunk = 4 * n_workers
        res: list[dict] = []
        summary = report(ctl, res, False)
        for k in range(0, len(keep), chunk):
            if max_minutes is not None and time.time() - t0 > 60 * max_minutes:
                return report(ctl, res, True)
            res += run_campaign(cl, [{**s, "name": s["id"]} for s in keep[k:k + chunk]],
                                desc=f"mutants {k + 1}-{min(k + chunk, len(keep))} of "
                                f"{len(keep)}", progress=progress, fn=run_mutant)
            summary = report(ctl, res, False)
        return summary

    if client is not None:
        return go(client, "the given client")
    with campaign_client(jobs, scheduler) as (cl, where):
        return go(cl, where)


def recheck(timeout: int = EQUIV_TIMEOUT) -> dict[str, Any]:
    """Re-run the equivalence check of the survivors of the last campaign
    (reports/mutation/mutants.json) and rewrite its reports; returns the new summary."""
    old = json.loads((MUT_DIR / "summary.json").read_text())
    res = json.loads((MUT_DIR / "mutants.json").read_text())
    t0 = time.time()
    for r in res:
        if r["verdict"] != "survived":
            continue
        elog = MUT_DIR / "equiv" / f"{r['id']}.log"
        eq, evidence = equivalence(CONTEXTS[r["module"]], relocate(r["mutation"]),
                                   REPO_ROOT / "rtl", elog, timeout)
        r["equivalence"] = {"proven": eq, "evidence": evidence,
                            "log": str(elog.relative_to(REPO_ROOT))}
        if eq:
            r["verdict"] = "equivalent"
    return _rewrite(old, res, recheck_seconds=round(time.time() - t0, 1))


# keys summarize() computes; every other key of a campaign's summary.json is its metadata
_COMPUTED = ("mutants", "killed", "survived", "equivalent", "timeout", "errors", "kill_rate",
             "kill_rate_ci95", "target_kill_rate", "per_module", "time_breakdown", "controls",
             "survivors", "killed_after_campaign", "ok")


def _rewrite(old: dict[str, Any], res: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Summarise re-judged verdicts ``res`` of the campaign whose summary was ``old`` (its
    metadata kept, ``extra`` added) and rewrite the reports."""
    meta = {k: v for k, v in old.items() if k not in _COMPUTED} | extra
    meta.setdefault("excluded_modules", [])
    controls = [{"module": m, "verdict": v} for m, v in old.get("controls", {}).items()]
    summary = summarize(res, controls, meta)
    summary["ok"] = not meta["excluded_modules"] and summary["kill_rate"] is not None and \
        summary["kill_rate"] >= 0.95
    write_reports(summary, res)
    return summary


def relocate(mutation: str, root: Path | None = None) -> str:
    """A campaign's mutation command with the checkout it ran in replaced by ``root`` (default
    this one): yosys names cells after their source path (``$gt$/old/rtl/ctrl.v:199$59``),
    so a command recorded in another checkout names no cell here."""
    root = root or REPO_ROOT
    return re.sub(r"(?<![\w.])/[^\s$:]*?/rtl/", f"{root}/rtl/", mutation)


def _failed_test(log: Path, reason: str) -> str:
    """The first cocotb test reported failed in a judging log, else the step's ``reason``
    (a time-out, a failing smoke script)."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    m = re.search(r"(\S+) failed\n", text)
    return m.group(1) if m else reason


def rejudge(jobs: int = 2) -> dict[str, Any]:
    """Judge the last campaign's survivors again against TODAY's benches (after tests were added
    to kill them): each becomes killed (or timeout) with the failing test and the commit
    recorded under ``rejudged``, or stays a survivor; the reports are rewritten. Equivalence is
    not re-run (see --recheck)."""
    old = json.loads((MUT_DIR / "summary.json").read_text())
    res = json.loads((MUT_DIR / "mutants.json").read_text())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=False).stdout.strip() or "?"
    t0 = time.time()

    def one(r: dict[str, Any]) -> None:
        out = run_mutant({"id": f"{r['id']}-rejudge", "module": r["module"],
                          "mutation": relocate(r["mutation"]),
                          "seed": old.get("seed") or DEFAULT_SEED,
                          "equiv": False})
        failed = next((st for st in out["steps"] if st["status"] != "pass"), None)
        r["rejudged"] = {"verdict": out["verdict"], "commit": commit,
                         "steps": out["steps"],
                         "failed_test": (_failed_test(Path(out["log"]),
                                                      f"{failed['step']}: {failed['why']}")
                                         if failed else None)}
        if out["verdict"] in ("killed", "timeout"):
            r["verdict"] = out["verdict"]

    todo = [r for r in res if r["verdict"] == "survived" and r.get("mutation")]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:   # each one runs subprocesses
        list(pool.map(one, todo))
    return _rewrite(old, res, rejudge_seconds=round(time.time() - t0, 1),
                    rejudge_commit=commit)


def combine(dirs: list[Path], out: Path = MUT_DIR) -> dict[str, Any]:
    """One report of several campaigns' directories (e.g. a sample, then a module whose control
    failed in it, rerun): mutants concatenated, a later control overrides an earlier one."""
    res: list[dict[str, Any]] = []
    controls: dict[str, str] = {}
    olds = []
    for d in dirs:
        olds.append(json.loads((Path(d) / "summary.json").read_text()))
        res += json.loads((Path(d) / "mutants.json").read_text())
        controls.update(olds[-1].get("controls", {}))
    excluded = sorted(m for m, v in controls.items() if v != "control_ok")
    cpu = sum(o.get("mutant_cpu_seconds") or 0 for o in olds)
    workers = max(o.get("workers") or 1 for o in olds)
    meta = {"command": " + ".join(o["command"] for o in olds), "seed": olds[0].get("seed"),
            "seconds": round(sum(o.get("seconds") or 0 for o in olds)
                             + sum(o.get("recheck_seconds") or 0 for o in olds), 1),
            "workers": workers, "excluded_modules": excluded, "mutant_cpu_seconds": cpu,
            "projected_full_campaign_seconds": round(FULL_MUTANTS * cpu / max(1, len(res))
                                                     / workers) if res else None,
            "combined_from": [str(d) for d in dirs]}
    summary = summarize(res, [{"module": m, "verdict": v} for m, v in controls.items()], meta)
    summary["ok"] = not excluded and summary["kill_rate"] is not None and \
        summary["kill_rate"] >= 0.95
    global MUT_DIR
    saved, MUT_DIR = MUT_DIR, out
    try:
        write_reports(summary, res)
    finally:
        MUT_DIR = saved
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make mutate``."""
    ap = argparse.ArgumentParser(prog="tb.campaign.mutate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=None,
                    help=f"mutants to run (default: the full campaign, {FULL_MUTANTS})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--modules", nargs="+", choices=sorted(CONTEXTS), default=None)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--equiv-timeout", type=int, default=EQUIV_TIMEOUT,
                    help=f"s, bound of a survivor's equivalence proof (default {EQUIV_TIMEOUT}; "
                    f"the ports-only proof gets at most {EQUIV_PORTS_TIMEOUT})")
    ap.add_argument("--no-equiv", action="store_true",
                    help="no equivalence proof of the survivors during the campaign (run "
                    "--recheck afterwards)")
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="start no new chunk of mutants after this many minutes (the judged "
                    "prefix of the interleaved plan is reported as the sample)")
    ap.add_argument("--recheck", action="store_true", help="only re-run the equivalence check "
                    "of the last campaign's survivors and rewrite its reports")
    ap.add_argument("--rejudge", action="store_true", help="only judge the last campaign's "
                    "survivors again against today's benches (after tests were added to kill "
                    "them) and rewrite its reports")
    ap.add_argument("--combine", nargs="+", type=Path, default=None, metavar="DIR",
                    help="only write one report (reports/mutation/) of these campaign folders")
    args = ap.parse_args(argv)
    total = args.sample or FULL_MUTANTS
    if args.combine:
        s = combine(args.combine)
        print(f"mutate --combine: {s['mutants']} mutants, {s['killed']} killed, {s['survived']} "
              f"survived, {s['equivalent']} equivalent")
        return 0 if s["ok"] else 1
    if args.rejudge:
        if not (MUT_DIR / "mutants.json").is_file():
            print("mutate: --rejudge needs a previous campaign (reports/mutation/mutants.json)",
                  file=sys.stderr)
            return 2
        s = rejudge(args.jobs or 2)
        kr = "-" if s["kill_rate"] is None else f"{100 * s['kill_rate']:.1f} %"
        print(f"mutate --rejudge: {len(s['killed_after_campaign'])} survivors killed by today's "
              f"tests, {s['survived']} still survive; kill rate {kr}")
        return 0 if s["ok"] else 1
    if args.recheck:
        if not (MUT_DIR / "mutants.json").is_file():
            print("mutate: --recheck needs a previous campaign (reports/mutation/mutants.json)",
                  file=sys.stderr)
            return 2
        s = recheck(args.equiv_timeout)
        kr = "-" if s["kill_rate"] is None else f"{100 * s['kill_rate']:.1f} %"
        print(f"mutate --recheck: {s['survived']} survived, {s['equivalent']} equivalent; kill "
              f"rate {kr}")
        return 0 if s["ok"] else 1
    if total < 1:
        print("mutate: MUTANTS must be >= 1", file=sys.stderr)
        return 2
    if args.equiv_timeout < 1:
        print("mutate: --equiv-timeout must be >= 1", file=sys.stderr)
        return 2
    s = run_mutation(total, args.seed, jobs=args.jobs, scheduler=args.scheduler,
                     modules=args.modules, equiv_timeout=args.equiv_timeout,
                     max_minutes=args.max_minutes, equiv=not args.no_equiv)
    kr = s["kill_rate"]
    print(f"mutate: {s['mutants']} mutants: {s['killed']} killed ({s['timeout']} timeouts), "
          f"{s['survived']} survived, {s['equivalent']} equivalent, {s['errors']} errors; kill "
          f"rate {'-' if kr is None else f'{100 * kr:.1f} %'} (target 95 %), {s['seconds']:.0f} s"
          + (f"; modules whose control failed: {s['excluded_modules']}"
             if s["excluded_modules"] else ""))
    print(f"summary: {MUT_DIR.relative_to(REPO_ROOT)}/summary.json, summary.md")
    return 0 if s["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
