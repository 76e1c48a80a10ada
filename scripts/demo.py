#!/usr/bin/env python3
"""``make demo``: the committed ECG model on real MIT-BIH test beats, through the RTL.

50 beats per AAMI class from the model's test part (a few hundred in all) are loaded, streamed
and classified by the RTL core under Verilator (tb/top harness); every inference is checked
event by event against the golden model. Prints: beats, RTL accuracy, agreement with the golden
model, cycles per inference, and the core's counters (weight reads, MACs, skipped taps) next to
the T-timestep integrate-and-fire baseline that SSF replaces.

    .venv/bin/python scripts/demo.py [--per-class 50] [--sim verilator]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.paths import REPO_ROOT  # noqa: E402
from golden.bundle import load_bundle  # noqa: E402
from golden.ifbaseline import compare as if_compare  # noqa: E402
from tb.regress import ECG_CYCLE_BUDGET, MODELS, build, make_plan, run_sim  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Entry point; 0 when the RTL agrees with the golden model on every beat."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-class", type=int, default=50)
    ap.add_argument("--sim", choices=("icarus", "verilator"), default="verilator")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.time()
    if not MODELS["ecg"].is_file():
        print(f"note: {MODELS['ecg'].relative_to(REPO_ROOT)} is not committed yet; the demo uses a "
              "stand-in with random legal weights on the default ECG shape (accuracy is then "
              "meaningless, the RTL/golden agreement is not)")
    print(f"building the {args.sim} model of the core (cached after the first time) ...",
          flush=True)
    build(args.sim)
    job = make_plan("demo", args.seed, per_class=args.per_class)[0]
    bundle = load_bundle(job.bundle)
    print(f"running {len(job.x)} MIT-BIH test beats ({job.refs[0]['split']} protocol) of "
          f"'{bundle.name}' through the RTL ...", flush=True)
    run = run_sim(args.sim, f"demo-{args.sim}", "test_regress",
                  {"SPARROW_REGRESS_LEVEL": "demo", "SPARROW_REGRESS_SEED": str(args.seed),
                   "SPARROW_REGRESS_PER_CLASS": str(args.per_class),
                   "SPARROW_REGRESS_SIM": args.sim}, seed=args.seed)
    if not run.stats:
        print(f"demo: the simulation failed ({run.error}); log {run.log}")
        return 1
    st = run.stats["job_stats"][0]
    n = st["inputs"]
    base = if_compare(bundle, job.x)
    per_class = np.bincount(job.labels, minlength=len(job.classes or []))
    rows = [
        ("model", f"{bundle.name} ({job.origin})"),
        ("beats (real MIT-BIH test part)", f"{n}  (" + ", ".join(
            f"{c} {k}" for c, k in zip(job.classes or [], per_class)) + ")"),
        ("RTL accuracy", "-" if st["accuracy_rtl"] is None else
         f"{100 * st['accuracy_rtl']:.2f} %  ({st['correct_rtl']}/{n})"),
        ("golden-model accuracy", "-" if st["accuracy_golden"] is None else
         f"{100 * st['accuracy_golden']:.2f} %"),
        ("RTL class = golden class", f"{st['agree']}/{n}"),
        ("RTL = golden on every trace event", "yes" if st["failing"] == 0 else
         f"NO: {st['failing']} beats differ (see reports/mismatch/)"),
        ("cycles per inference (CNT_CYCLES)", f"{st['cycles'][0]:,}  (budget "
         f"{ECG_CYCLE_BUDGET:,}; 4 MHz clock: {st['cycles'][0] / 4e3:.2f} ms)"),
        ("weight-word reads / inference", f"{st['wreads'] / n:,.0f}   vs IF baseline "
         f"{base['if']['wreads'] / n:,.0f} event-driven, "
         f"{base['if']['wreads_clock_driven'] / n:,.0f} clock-driven (T = {base['T_sim']})"),
        ("lane MACs / inference", f"{st['macs'] / n:,.0f}   vs IF baseline "
         f"{base['if']['accs'] / n:,.0f} accumulates"),
        ("skipped zero taps / inference", f"{st['skips'] / n:,.0f}  "
         f"({100 * st['skips'] / (st['skips'] + st['wreads']):.1f} % of the taps)"),
        ("IF class = SSF class", f"{100 * base['class_agreement']:.1f} % of the beats"),
        ("wall time", f"{time.time() - t0:.1f} s (simulation {run.seconds:.1f} s)"),
    ]
    width = max(len(k) for k, _ in rows)
    print("")
    for k, v in rows:
        print(f"  {k:<{width}}  {v}")
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
