"""`make coverage` (CLI: scripts/coverage.py): Verilator code coverage and functional coverage
of the SparrowSNN RTL; the library the coverage tests import.

Steps (docs/coverage.md):

1. run every module's bench on Verilator with ``SPARROW_COVERAGE=1`` (``tb.launch.run_bench``
   builds with the launcher's coverage flags in a separate ``-coverage`` build directory and
   writes ``reports/coverage/dat/<module>-<tag>.dat``; the benches that sample ``tb.funcov``
   export ``reports/coverage/func/<module>-verilator-<tag>.xml``), and, when
   ``scripts/regress.py`` exists, its smoke level on Verilator, in parallel;
2. merge the code coverage with ``verilator_coverage --write merged.dat`` and
   ``--write-info merged.info``, keep the ``rtl/`` files (``rtl.info``) and render them with
   ``genhtml`` into ``reports/coverage/html/``;
3. count the points per category (line, branch, toggle, expr) of ``rtl/`` files from the merged
   data, minus the documented exclusions of ``tb/coverage_exclusions.yaml``; check the targets
   (line and branch >= 95 %, toggle >= 90 %);
4. merge the functional coverage (own merge by point and bin label; cocotb-coverage's
   ``merge_coverage`` writes ``merged_funcov.xml``) and require every bin hit or excluded;
5. write ``reports/coverage/summary.json``, print a table, exit 1 when anything is missed.

``--skip-run`` recomputes the report from the files of a previous run.
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
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tb.launch import COVERAGE_DAT_DIR as DAT_DIR
from tb.launch import COVERAGE_ENV, TOPS
from tb.launch import FUNCOV_DIR as FUNC_DIR
from tb.funcov import EXCLUSIONS_FILE
from tb.paths import COVERAGE_DIR as COV_DIR
from tb.paths import REPO_ROOT, SIM_BUILD_DIR, TB_DIR

# the regression bench (tb/top) exports its functional coverage here (docs/regression.md)
FUNC_DIRS = (FUNC_DIR, COV_DIR / "funcov")
# the fuzz campaign's exports (make fuzz, docs/campaigns.md): read, never wiped by a coverage run,
# so the datapath-corner bins it samples from the RTL appear in the report
FUZZ_FUNC_DIR = REPO_ROOT / "reports" / "fuzz" / "funcov"
HTML_DIR = COV_DIR / "html"
EXCLUSIONS = EXCLUSIONS_FILE       # tb/coverage_exclusions.yaml
TARGETS = {"line": 95.0, "branch": 95.0, "toggle": 90.0}
CATEGORIES = ("line", "branch", "toggle", "expr")
# benches run by the regression, not as module benches
NOT_MODULE_BENCHES = {"top"}
# hierarchies of the integrated core: the sparrow_top bench and the regression harness
TOP_PREFIXES = ("sparrow_top", "top_harness")


# ---------------------------------------------------------------------------------------------
# Verilator coverage data


@dataclass(frozen=True)
class Point:
    """One Verilator coverage point (the key fields of a coverage.dat line)."""

    category: str   # line, branch, toggle, expr, user, ... (page prefix v_<category>)
    file: str       # source path as recorded
    line: int
    column: str
    comment: str    # toggle: sig[bit]:0->1; branch: if/else/...; expr: the term
    hier: str       # instance hierarchy (generate loops collapsed to [*])

    @property
    def signal(self) -> str:
        """Toggle point: the signal name (without bit and direction)."""
        return re.sub(r"(\[\d+\])*:(0->1|1->0)$", "", self.comment)

    @property
    def bit(self) -> int | None:
        """Toggle point: the (last) bit index, None for a 1-bit signal."""
        m = re.search(r"\[(\d+)\]:(?:0->1|1->0)$", self.comment)
        return int(m.group(1)) if m else None

    @property
    def direction(self) -> str | None:
        """Toggle point: ``0->1`` or ``1->0``."""
        m = re.search(r":(0->1|1->0)$", self.comment)
        return m.group(1) if m else None


def parse_dat(path: Path | str) -> dict[Point, int]:
    """Points and hit counts of a Verilator ``coverage.dat`` (``SystemC::Coverage-3``); points
    that appear more than once are added up."""
    out: dict[Point, int] = defaultdict(int)
    for raw in Path(path).read_text(errors="replace").splitlines():
        if not raw.startswith("C '"):
            continue
        key, count = raw[3:].rsplit("' ", 1)
        fields: dict[str, str] = {}
        for item in key.split("\x01")[1:]:
            name, _, value = item.partition("\x02")
            fields[name] = value
        page = fields.get("page", "")
        category = page.split("/", 1)[0].removeprefix("v_") or fields.get("t", "?")
        pt = Point(category, fields.get("f", ""), int(fields.get("l", "0") or 0),
                   fields.get("n", ""), fields.get("o", ""), fields.get("h", ""))
        out[pt] += int(count)
    return dict(out)


def rel_path(path: str) -> str:
    """A recorded source path relative to the repository root (as given if outside it)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return path


def in_rtl(path: str) -> bool:
    """True for a source file under rtl/."""
    return rel_path(path).startswith("rtl/")


def _bit_ranges(spec: Any) -> list[tuple[int, int]]:
    """``"22-31"``, ``5`` or a list of those -> [(lo, hi), ...]."""
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for it in items:
        text = str(it)
        lo, _, hi = text.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


@dataclass
class CodeRule:
    """One code-coverage exclusion (see tb/coverage_exclusions.yaml for the fields)."""

    entry: Mapping[str, Any]
    used: int = 0

    def matches(self, pt: Point) -> bool:
        """True when the point is excluded by this rule."""
        e = self.entry
        if e.get("kind") != pt.category or e.get("file") != rel_path(pt.file):
            return False
        if "line" in e and int(e["line"]) != pt.line:
            return False
        if "hier" in e and not re.fullmatch(str(e["hier"]), pt.hier):
            return False
        if "match" in e and not re.fullmatch(str(e["match"]), pt.comment):
            return False
        if "signal" in e and not re.fullmatch(str(e["signal"]), pt.signal):
            return False
        if "dir" in e and pt.direction != e["dir"]:
            return False
        if "bits" in e:
            b = pt.bit
            if b is None or not any(lo <= b <= hi for lo, hi in _bit_ranges(e["bits"])):
                return False
        return True


@dataclass
class CodeSummary:
    """Per-category coverage of rtl/ after exclusions."""

    view: str
    hit: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    excluded: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    per_file: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    unhit: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)

    def percent(self, category: str) -> float | None:
        """Hit / (total - excluded) in %, None when the category has no point."""
        t = self.total.get(category, 0)
        return round(100.0 * self.hit.get(category, 0) / t, 2) if t else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        cats = sorted(set(self.total) | set(self.excluded))
        return {
            "view": self.view,
            "categories": {c: {"hit": self.hit.get(c, 0), "total": self.total.get(c, 0),
                               "excluded": self.excluded.get(c, 0),
                               "percent": self.percent(c), "target": TARGETS.get(c)}
                           for c in cats},
            "per_file": self.per_file,
        }


def view_key(pt: Point, view: str) -> tuple:
    """Identity of a point in a view: ``instance`` (as Verilator counts: per hierarchy),
    ``design_unit`` (instances and benches of a module merged), ``top`` (as instance, only the
    hierarchies under the top level)."""
    base = (pt.category, rel_path(pt.file), pt.line, pt.column, pt.comment)
    return base if view == "design_unit" else base + (pt.hier,)


def summarize(points: Mapping[Point, int], rules: Sequence[CodeRule],
              view: str = "instance",
              top_prefix: str | tuple[str, ...] = TOP_PREFIXES) -> CodeSummary:
    """Coverage of the rtl/ points per category in one view, with exclusions applied.

    An excluded point counts in neither hit nor total. A rule that excludes a point that was
    hit is a problem (its reason claims the point cannot be reached); so is a rule that matches
    no point at all (stale after an RTL change). Only the instance view records problems.
    """
    agg: dict[tuple, tuple[Point, int]] = {}
    for pt, n in points.items():
        if not in_rtl(pt.file):
            continue
        if view == "top" and not pt.hier.startswith(top_prefix):
            continue
        k = view_key(pt, view)
        old = agg.get(k)
        agg[k] = (pt, n + (old[1] if old else 0))
    summ = CodeSummary(view)
    # a design-unit point merges all instances: only instance-independent rules apply to it
    active = [r for r in rules if view != "design_unit" or "hier" not in r.entry]
    for r in rules:
        r.used = 0
    for pt, n in agg.values():
        cat = pt.category
        rule = next((r for r in active if r.matches(pt)), None)
        fname = rel_path(pt.file)
        if rule is not None:
            rule.used += 1
            summ.excluded[cat] += 1
            if n > 0 and view == "instance":
                summ.problems.append(f"{fname}:{pt.line} {cat} {pt.comment!r} ({pt.hier}) is "
                                     f"excluded ({rule.entry.get('reason')}) but was hit {n} "
                                     f"times")
            continue
        summ.total[cat] += 1
        pf = summ.per_file.setdefault(fname, {}).setdefault(cat, [0, 0])
        pf[1] += 1
        if n > 0:
            summ.hit[cat] += 1
            pf[0] += 1
        else:
            summ.unhit[cat].append(f"{fname}:{pt.line} {pt.comment} [{pt.hier}]")
    if view == "instance":
        summ.problems += [f"exclusion matches no point: {dict(r.entry)}" for r in rules
                          if r.used == 0]
    return summ


def filter_info(src: Path, dst: Path, keep: Any = in_rtl) -> int:
    """Copy the lcov records of ``src`` whose ``SF:`` path satisfies ``keep``; returns the
    number of files kept. ``verilator_coverage`` names its BRDA branches by the point's text
    (``clk:0->1``), which lcov 1.x cannot parse: they are renumbered 0, 1, ... per source line,
    so genhtml shows one marker per coverage point (branch, toggle or expression term)."""
    out: list[str] = []
    record: list[str] = []
    kept = 0
    take = False
    per_line: dict[str, int] = defaultdict(int)
    for line in src.read_text().splitlines():
        if line.startswith("BRDA:"):       # the point text may hold commas: first/last field
            ln, taken = line[5:].split(",", 1)[0], line.rsplit(",", 1)[1]
            record.append(f"BRDA:{ln},0,{per_line[ln]},{taken}")
            per_line[ln] += 1
            continue
        if line.startswith("SF:"):
            take = keep(line[3:])
            record = [line]
            per_line = defaultdict(int)
        elif line == "end_of_record":
            record.append(line)
            if take:
                out += record
                kept += 1
            record, take = [], False
        elif line.startswith("TN:") and not record:
            out.append(line)
        else:
            record.append(line)
    dst.write_text("\n".join(out) + "\n")
    return kept


# ---------------------------------------------------------------------------------------------
# running the benches


def venv_env() -> dict[str, str]:
    """Environment for the children: the venv first on PATH, the repo root importable."""
    env = dict(os.environ)
    vbin = str(Path(sys.executable).parent)
    env["PATH"] = vbin + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + env["PYTHONPATH"]
                                          if env.get("PYTHONPATH") else "")
    env[COVERAGE_ENV] = "1"
    return env


def module_benches(only: Sequence[str] | None = None) -> list[str]:
    """The module benches of the launcher (every top level but the regression harness)."""
    names = sorted(m for m in TOPS if m not in NOT_MODULE_BENCHES)
    if only:
        missing = set(only) - set(names)
        if missing:
            raise SystemExit(f"coverage: no bench for {sorted(missing)}; have {names}")
        names = [n for n in names if n in only]
    return names


def regress_command() -> list[str] | None:
    """The top-level regression at smoke level on Verilator, when scripts/regress.py exists
    (override with SPARROW_COVERAGE_REGRESS, a shell-style command line)."""
    override = os.environ.get("SPARROW_COVERAGE_REGRESS")
    if override is not None:
        return override.split() if override.strip() else None
    script = REPO_ROOT / "scripts" / "regress.py"
    if not script.exists():
        return None
    return [sys.executable, str(script), "smoke", "--sim", "verilator", "--no-waves"]


def run_all(benches: Sequence[str], jobs: int, with_regress: bool) -> dict[str, Any]:
    """Run the benches (pytest, Verilator only) and the regression; returns timings/status."""
    env = venv_env()
    info: dict[str, Any] = {"benches": list(benches)}
    regress = regress_command() if with_regress else None
    procs: list[tuple[str, subprocess.Popen, float]] = []
    logs = COV_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    n_bench = max(1, jobs - (1 if regress else 0))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "sim",
           "-k", "verilator", "--junitxml", str(COV_DIR / "junit-benches.xml")]
    cmd += ["-n", str(n_bench)] if n_bench > 1 else []
    cmd += [str(TB_DIR / b) for b in benches]
    t0 = time.monotonic()
    procs.append(("benches", subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=env, stdout=(logs / "benches.log").open("w"),
        stderr=subprocess.STDOUT), t0))
    if regress:
        procs.append(("regression", subprocess.Popen(
            regress, cwd=REPO_ROOT, env=env, stdout=(logs / "regression.log").open("w"),
            stderr=subprocess.STDOUT), time.monotonic()))
    info["commands"] = {"benches": " ".join(cmd[1:]),
                        "regression": " ".join(regress) if regress else None}
    status = {}
    while len(status) < len(procs):
        for name, proc, start in procs:
            rc = proc.poll()
            if rc is None or name in status:
                continue
            status[name] = {"returncode": rc, "seconds": round(time.monotonic() - start, 1),
                            "log": str((logs / f"{name}.log").relative_to(REPO_ROOT))}
            print(f"coverage: {name}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in "
                  f"{status[name]['seconds']} s (log {status[name]['log']})", flush=True)
        time.sleep(0.5)
    info["runs"] = status
    return info


def collect_dats(since: float | None) -> list[Path]:
    """The coverage data of this run: reports/coverage/dat/*.dat, plus any coverage*.dat left in
    a build directory under sim_build/ written after ``since`` (a simulation run without the
    +verilator+coverage+file+ plusarg); with ``since`` None only the former."""
    dats = sorted(DAT_DIR.glob("*.dat"))
    extra = [] if since is None else [
        p for p in SIM_BUILD_DIR.glob("**/coverage*.dat")
        if p.stat().st_mtime >= since]
    return dats + sorted(extra)


def verilator_coverage(args: Sequence[str]) -> None:
    """Run verilator_coverage (from the venv) and fail loudly."""
    exe = shutil.which("verilator_coverage", path=venv_env()["PATH"])
    if exe is None:
        raise SystemExit("coverage: verilator_coverage not found (make setup)")
    subprocess.run([exe, *args], check=True, cwd=REPO_ROOT, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------
# report


def load_rules(path: Path = EXCLUSIONS) -> tuple[list[CodeRule], list[dict]]:
    """(code rules, functional exclusions) of the exclusion file."""
    from tb.funcov import load_exclusions  # noqa: PLC0415

    data = load_exclusions(path)
    for e in data.get("code") or []:
        if e.get("kind") not in CATEGORIES or "file" not in e:
            raise SystemExit(f"coverage: {path}: code exclusion needs kind in {CATEGORIES} and "
                             f"file: {e!r}")
    return [CodeRule(e) for e in data.get("code") or []], list(data.get("functional") or [])


def code_targets_met(summ: CodeSummary) -> list[str]:
    """Messages for every category under its target (empty: all met)."""
    out = []
    for cat, target in TARGETS.items():
        pct = summ.percent(cat)
        if pct is None or pct < target:
            out.append(f"{cat} coverage {pct}% < {target}%")
    return out


def print_table(summary: dict[str, Any]) -> None:
    """The short table printed at the end of `make coverage`."""
    code = summary["code"]["instance"]["categories"]
    views = summary["code"]
    print()
    print(f"{'rtl/ code coverage (Verilator)':34} {'hit/total':>14} {'%':>7} {'target':>7}"
          f" {'design-unit %':>14} {'top-only %':>11}")
    for cat in CATEGORIES:
        c = code.get(cat)
        if not c:
            continue
        du = views["design_unit"]["categories"].get(cat, {}).get("percent")
        top = views["top"]["categories"].get(cat, {}).get("percent")
        tgt = f">={c['target']:.0f}" if c["target"] else "-"
        exc = f" ({c['excluded']} excl.)" if c["excluded"] else ""
        print(f"  {cat + exc:32} {c['hit']:>6}/{c['total']:<7} {c['percent']:>7} {tgt:>7}"
              f" {du if du is not None else '-':>14} {top if top is not None else '-':>11}")
    f = summary["functional"]
    print(f"  {'functional bins':32} {f['hit']:>6}/{f['bins'] - f['excluded']:<7} "
          f"{f['percent']:>7} {'100':>7}   ({f['excluded']} excluded, {len(f['unhit'])} unhit)")
    verdict = "PASS" if summary["ok"] else "FAIL"
    print(f"coverage: {verdict}" + ("" if summary["ok"] else ": " + "; ".join(
        summary["failures"][:12])))


def build_report(dats: Sequence[Path], funcs: Sequence[Path], run_info: Mapping[str, Any],
                 html: bool = True, out_dir: Path = COV_DIR,
                 exclusions: Path = EXCLUSIONS) -> dict[str, Any]:
    """Merge, summarise and check; returns the summary dict (also written to
    ``<out_dir>/summary.json``)."""
    from cocotb_coverage.coverage import merge_coverage  # noqa: PLC0415

    from tb import funcov  # noqa: PLC0415

    t0 = time.monotonic()
    rules, func_excl = load_rules(exclusions)
    failures: list[str] = []
    for name, st in (run_info.get("runs") or {}).items():
        if st["returncode"] != 0:
            failures.append(f"{name} run failed (exit {st['returncode']}, see {st['log']})")
    out_dir.mkdir(parents=True, exist_ok=True)
    merged_dat = out_dir / "merged.dat"
    merged_info = out_dir / "merged.info"
    rtl_info = out_dir / "rtl.info"
    html_dir = out_dir / "html"
    if not dats:
        raise SystemExit("coverage: no coverage data found (run without --skip-run)")
    verilator_coverage(["--write", str(merged_dat), *map(str, dats)])
    verilator_coverage(["--write-info", str(merged_info), str(merged_dat)])
    n_files = filter_info(merged_info, rtl_info)
    if html and shutil.which("genhtml"):
        shutil.rmtree(html_dir, ignore_errors=True)
        subprocess.run(["genhtml", "--quiet", "--rc", "genhtml_branch_coverage=1", "--legend",
                        "-t",
                        "SparrowSNN rtl/", "-o", str(html_dir), str(rtl_info)],
                       check=True, cwd=REPO_ROOT)
    points = parse_dat(merged_dat)
    views = {v: summarize(points, rules, v) for v in ("instance", "design_unit", "top")}
    inst = views["instance"]
    failures += code_targets_met(inst)
    failures += inst.problems

    func_report = None
    if funcs:
        merge_coverage(lambda _msg: None, str(out_dir / "merged_funcov.xml"), *map(str, funcs))
        merged = funcov.merge(funcs)
        func_report = funcov.check(merged, func_excl)
        (out_dir / "merged_funcov.json").write_text(json.dumps(
            {k: {"hits": b.hits, "at_least": b.at_least} for k, b in sorted(merged.items())},
            indent=1))
        failures += [f"functional bin not hit: {k}" for k in func_report.unhit]
        failures += [f"functional exclusion: {p}" for p in func_report.problems]
    else:
        failures.append("no functional-coverage export found (reports/coverage/func/)")

    summary = {
        "command": "make coverage  (scripts/coverage.py)",
        "dat_files": [rel_path(str(p)) for p in dats],
        "funcov_files": [rel_path(str(p)) for p in funcs],
        "rtl_files_in_info": n_files,
        "code": {v: s.as_dict() for v, s in views.items()},
        "code_unhit": {c: inst.unhit[c] for c in CATEGORIES if inst.unhit.get(c)},
        "functional": func_report.as_dict() if func_report else {
            "bins": 0, "hit": 0, "excluded": 0, "percent": 0.0, "unhit": [], "problems": []},
        "runs": run_info,
        "report_seconds": round(time.monotonic() - t0, 1),
        "failures": failures,
        "ok": not failures,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--skip-run", action="store_true",
                    help="only merge and report the files of a previous run")
    ap.add_argument("--only", nargs="+", metavar="MODULE", help="run only these benches")
    ap.add_argument("--no-regress", action="store_true", help="skip scripts/regress.py")
    ap.add_argument("--no-html", action="store_true", help="skip genhtml")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")),
                    help="parallel simulations (default 2)")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    run_info: dict[str, Any] = {}
    since = None
    if not args.skip_run:
        for d in (DAT_DIR, *FUNC_DIRS):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True, exist_ok=True)
        since = time.time()
        run_info = run_all(module_benches(args.only), args.jobs, not args.no_regress)
    dats = collect_dats(since)
    funcs = [f for d in (*FUNC_DIRS, FUZZ_FUNC_DIR) for pat in ("*.xml", "*.yml")
             for f in sorted(d.glob(pat))]
    summary = build_report(dats, funcs, run_info, html=not args.no_html)
    summary["total_seconds"] = round(time.monotonic() - t0, 1)
    (COV_DIR / "summary.json").write_text(json.dumps(summary, indent=1))
    print_table(summary)
    print(f"coverage: {len(dats)} coverage files, {len(funcs)} functional exports, "
          f"{summary['total_seconds']} s; html: {rel_path(str(HTML_DIR))}/index.html, "
          f"summary: {rel_path(str(COV_DIR / 'summary.json'))}")
    return 0 if summary["ok"] else 1

