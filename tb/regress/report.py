"""What a regression writes: mismatch reports (JSON + Markdown + a replay case), the wave
window of a divergence (GTKWave save file), the merged JUnit file and the one-page summary.
"""

from __future__ import annotations

import json
import math
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from golden.bundle import Bundle
from tb.paths import JUNIT_DIR, MISMATCH_DIR, REPORTS_DIR, REPO_ROOT
from tb.regress.compare import Failure, Golden, RtlBatch, timeout_cycles
from tb.regress.plan import Job

if TYPE_CHECKING:
    from tb.regress.launch import LevelResult

CLK_PERIOD_NS = 10
WAVE_WINDOW = 40              # cycles either side of the divergence in the wave window


def safe_name(text: str) -> str:
    """File-name-safe version of a run or job name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def repro_commands(cfg: dict[str, Any], case_path: Path | None) -> dict[str, str]:
    """Commands that reproduce a run (the whole level) and one input (the replay)."""
    level, sim, seed = cfg["level"], cfg["sim"], cfg["seed"]
    target = {"smoke": "regress", "full": "regress-full"}.get(level)
    extra = f" FAULT={cfg['fault']}" if cfg.get("fault") else ""
    if target:
        run = f"make {target} SIM={sim} SEED={seed}{extra}"
    else:
        run = (f".venv/bin/python scripts/regress.py {level} --sim {sim} --seed {seed}"
               + (f" --fault {cfg['fault']}" if cfg.get("fault") else ""))
    out = {"run": run}
    if case_path is not None:
        rel = case_path.relative_to(REPO_ROOT) if case_path.is_relative_to(REPO_ROOT) \
            else case_path
        out["input"] = f".venv/bin/python scripts/regress.py replay {rel} --sim {sim}"
        out["input_waves"] = out["input"] + " --waves"
    return out


def write_report(name: str, cfg: dict[str, Any], job: Job, bundle: Bundle, gold: Golden,
                 rtl: RtlBatch, failures: list[Failure], out_dir: Path = MISMATCH_DIR) -> Path:
    """Write the mismatch report of a job (first failing input in detail) and its replay case;
    returns the JSON path. The Markdown twin is rendered by :func:`render_report`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    f = failures[0]
    n = f.n
    bundle_path = out_dir / f"{name}.bundle.json"
    input_path = out_dir / f"{name}.input.npy"
    case_path = out_dir / f"{name}.case.json"
    bundle_path.write_text(json.dumps(job.bundle, separators=(",", ":")) + "\n")
    np.save(input_path, job.x[n:n + 1])
    case = {"name": name, "bundle": str(bundle_path), "input": str(input_path),
            "vmode": job.vmode, "vprob": job.vprob, "lfsr": int(rtl.lfsr[n]),
            "load": job.load, "fault": job.fault, "timeout": timeout_cycles(bundle),
            "ref": job.refs[n], "first": f.event}
    case_path.write_text(json.dumps(case, indent=1) + "\n")
    first = dict(f.event) if f.event else None
    report = {
        "test": name, "run": cfg.get("run"), "level": cfg["level"], "simulator": cfg["sim"],
        "seed": cfg["seed"], "shard": cfg.get("shard", "0/1"),
        "job": job.name, "bundle": {"name": bundle.name, "origin": job.origin,
                                    "file": str(bundle_path)},
        "input": {"number_in_job": n, **job.refs[n]},
        "valid_pattern": {"mode": job.vmode, "p": job.vprob, "lfsr_at_start": int(rtl.lfsr[n]),
                          "job_seed": job.seed},
        "load": job.load, "fault": job.fault,
        "first_divergence": first, "events_around": f.around, "checks": f.checks,
        "failing_inputs": len(failures), "inputs": len(rtl),
        "other_failures": [{"input": g.n, "ref": job.refs[g.n], "first": g.checks[0]}
                           for g in failures[1:20]],
        "expected_counters": {"cycles": gold.cycles, "wreads": int(gold.wreads[n]),
                              "macs": int(gold.macs[n]), "skips": int(gold.skips[n])},
        "reproduce": repro_commands(cfg, case_path),
        "case": str(case_path), "waves": None,
    }
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    render_report(path)
    return path


def _fmt_ref(ref: dict[str, Any]) -> str:
    if "dataset" in ref:
        return (f"{ref['dataset']} {ref['split']}/{ref['part']} example {ref['index']}: "
                f"record/file {ref['source']}, sample {ref['sample']}, annotation "
                f"{ref['annotation']} (class {ref['label']})")
    return ", ".join(f"{k} {v}" for k, v in ref.items())


def render_report(path: Path) -> Path:
    """(Re)write the Markdown twin of a mismatch report JSON; returns its path."""
    r = json.loads(Path(path).read_text())
    lines = [f"# Mismatch: {r['test']}", "",
             f"* run: `{r.get('run')}` (level {r['level']}, {r['simulator']}, seed {r['seed']}, "
             f"shard {r['shard']})",
             f"* job: {r['job']}; bundle `{r['bundle']['name']}` from {r['bundle']['origin']}",
             f"* input: {_fmt_ref(r['input'])} (input {r['input']['number_in_job']} of the job)",
             f"* valid pattern: {r['valid_pattern']['mode']} (p = {r['valid_pattern']['p']}/256, "
             f"LFSR {r['valid_pattern']['lfsr_at_start']}); load: {r['load']}",
             f"* failing inputs in this job: {r['failing_inputs']} of {r['inputs']}"]
    if r.get("fault"):
        f = r["fault"]
        lines.append(f"* injected fault: **{f['kind']}**: {f['description']} (expected to show "
                     f"at layer {f['layer']}, neuron {f['neuron']})")
    lines += ["", "## First divergence", ""]
    d = r.get("first_divergence")
    if d:
        lines.append(f"Compute cycle **{d['cycle']}**, layer **{d['layer']}**, neuron (output "
                     f"channel) **{d['neuron']}**, position {d['position']} (trace index "
                     f"{d['index']}), event {d['i']}:")
        lines.append("")
        lines.append(f"* expected: {d['expected']}")
        lines.append(f"* actual:   {d['actual']}")
        around = r.get("events_around") or {}
        if around.get("expected") is not None:
            lines += ["", "| event | expected (cycle, layer, index, value) | actual |",
                      "|---|---|---|"]
            lo = around["first"][0]
            exp, act = around["expected"], around["actual"]
            for j in range(max(len(exp), len(act))):
                e = exp[j] if j < len(exp) else "-"
                a = act[j] if j < len(act) else "-"
                mark = " **<-**" if lo + j == d["i"] else ""
                lines.append(f"| {lo + j} | {e} | {a}{mark} |")
    else:
        lines.append("The trace matched; other checks failed (below).")
    lines += ["", "## Failed checks", ""] + [f"* {c}" for c in r["checks"]]
    if r.get("other_failures"):
        lines += ["", "## Other failing inputs (first 20)", ""]
        lines += [f"* input {o['input']}: {_fmt_ref(o['ref'])}: {o['first']}"
                  for o in r["other_failures"]]
    lines += ["", "## Reproduce", ""]
    lines += [f"* {k}: `{v}`" for k, v in r["reproduce"].items()]
    lines += ["", "## Waves", ""]
    w = r.get("waves")
    if w:
        lines.append(f"* FST: `{w['fst']}` ({w['simulator']}, replay of this input alone; "
                     f"replay reproduced the divergence: {w['reproduced']})")
        lines.append(f"* window: compute cycles {w['cycles'][0]}..{w['cycles'][1]} = simulation "
                     f"time {w['time_ns'][0]}..{w['time_ns'][1]} ns (compute cycle 0 = absolute "
                     f"cycle {w['origin_cycle']}, clock {CLK_PERIOD_NS} ns)")
        if w.get("gtkw"):
            lines.append(f"* GTKWave save file (opens at the window): `{w['gtkw']}`")
    else:
        lines.append("No waves were recorded for this report (the replay runs for the first "
                     "reports of a run; use the input_waves command above).")
    md = Path(path).with_suffix(".md")
    md.write_text("\n".join(lines) + "\n")
    return md


def wave_window(first_cycle: int, origin_abs: int,
                width: int = WAVE_WINDOW) -> tuple[list[int], list[int]]:
    """(compute-cycle range, simulation-time range in ns) of the window around a divergence.

    Compute cycle c is absolute cycle origin + c, which ends at the rising edge at
    CLK/2 + CLK·(origin + c) ns; the window shows whole cycles.
    """
    c0, c1 = first_cycle - width, first_cycle + width
    t0 = CLK_PERIOD_NS // 2 + CLK_PERIOD_NS * (origin_abs + c0 - 1)
    t1 = CLK_PERIOD_NS // 2 + CLK_PERIOD_NS * (origin_abs + c1)
    return [c0, c1], [max(0, t0), t1]


def write_gtkw(path: Path, fst: Path, t0_ns: int, t1_ns: int) -> Path:
    """A GTKWave save file that opens ``fst`` on the window with the trace port and stream."""
    sigs = ["top_harness.clk", "top_harness.in_valid", "top_harness.in_ready",
            "top_harness.trace_valid", "top_harness.trace_layer[2:0]",
            "top_harness.trace_index[11:0]", "top_harness.trace_value[31:0]",
            "top_harness.irq", "top_harness.u_top.u_ctrl.state_q"]
    lines = [f'[dumpfile] "{fst}"', f"[timestart] {t0_ns * 1000}",
             f"*{math.log2(max(1, (t1_ns - t0_ns) * 1000) / 1000):.6f} {t0_ns * 1000} "
             f"{t1_ns * 1000}", "@28"] + sigs[:4] + ["@22"] + sigs[4:]
    path.write_text("\n".join(lines) + "\n")
    return path



def merge_junit(out: Path = REPORTS_DIR / "results.xml", src: Path = JUNIT_DIR) -> Path:
    """Merge every JUnit file under ``src`` into one ``<testsuites>`` document."""
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in sorted(src.glob("*.xml")):
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            continue
        r = tree.getroot()
        suites = [r] if r.tag == "testsuite" else list(r.iter("testsuite"))
        for s in suites:
            s.set("file", path.name)
            cases = list(s.iter("testcase"))
            s.set("tests", str(len(cases)))
            fails = sum(1 for c in cases if c.find("failure") is not None)
            errs = sum(1 for c in cases if c.find("error") is not None)
            skips = sum(1 for c in cases if c.find("skipped") is not None)
            s.set("failures", str(fails))
            s.set("errors", str(errs))
            s.set("skipped", str(skips))
            totals["tests"] += len(cases)
            totals["failures"] += fails
            totals["errors"] += errs
            totals["skipped"] += skips
            root.append(s)
    for k, v in totals.items():
        root.set(k, str(v))
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out


def write_summary(results: list[LevelResult], out: Path = REPORTS_DIR / "summary.md",
                  junit: Path | None = None) -> Path:
    """One-page Markdown summary of regression levels (and the merged JUnit totals)."""
    lines = ["# SparrowSNN verification summary", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by `scripts/regress.py`.", "",
             "## Top-level RTL regression", "",
             "| level | simulator | result | inputs | bundles | mismatching inputs | wall (s) | "
             "simulator CPU (s) |", "|---|---|---|---|---|---|---|---|"]
    job_rows = []
    for res in results:
        n_in = n_b = n_bad = 0
        cpu = 0.0
        for r in res.runs:
            st = r.stats or {}
            cpu += st.get("cpu_seconds", 0.0)
            n_in += st.get("inputs", 0)
            n_b += st.get("jobs", 0)
            n_bad += st.get("failing_inputs", 0)
            for j in st.get("job_stats", []):
                if j.get("kind") == "real":
                    job_rows.append((res.sim, j))
        lines.append(f"| {res.level} | {res.sim} | {'PASS' if res.ok else 'FAIL'} | {n_in} | "
                     f"{n_b} | {n_bad} | {res.seconds:.0f} | {cpu:.0f} |")
    if job_rows:
        lines += ["", "## Real data through the RTL", "",
                  "| simulator | job | bundle | inputs | RTL accuracy | golden accuracy | "
                  "RTL = golden (class) | cycles / inference |",
                  "|---|---|---|---|---|---|---|---|"]
        for sim, j in job_rows:
            acc = "-" if j.get("accuracy_rtl") is None else f"{100 * j['accuracy_rtl']:.2f} %"
            gacc = "-" if j.get("accuracy_golden") is None else \
                f"{100 * j['accuracy_golden']:.2f} %"
            lines.append(f"| {sim} | {j['name']} | {j['bundle']} | {j['inputs']} | {acc} | "
                         f"{gacc} | {j['agree']}/{j['inputs']} | "
                         f"{', '.join(f'{c:,}' for c in j['cycles'])} |")
    reports = [p for res in results for p in res.reports]
    lines += ["", "## Mismatch reports", ""]
    if reports:
        for p in reports:
            rr = json.loads(p.read_text())
            d = rr.get("first_divergence")
            where = (f"layer {d['layer']}, neuron {d['neuron']}, cycle {d['cycle']}" if d
                     else rr["checks"][0])
            lines.append(f"* [{p.name}]({p.relative_to(REPORTS_DIR).with_suffix('.md')}): {where}")
    else:
        lines.append("None.")
    if junit is not None and junit.is_file():
        r = ET.parse(junit).getroot()
        lines += ["", "## All JUnit results (`reports/results.xml`)", "",
                  f"{r.get('tests')} test cases, {r.get('failures')} failures, "
                  f"{r.get('errors')} errors, {r.get('skipped')} skipped, from "
                  f"{len(list(r.iter('testsuite')))} suites (every file of reports/junit/)."]
    out.write_text("\n".join(lines) + "\n")
    return out

