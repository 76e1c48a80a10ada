#!/usr/bin/env python3
"""Top-level RTL regression driver (``make regress``, ``make regress-full``); docs/regression.md.

    .venv/bin/python scripts/regress.py smoke [--sim icarus|verilator|both] [--seed N]
                                              [--fault weight_bit|threshold|stuck_valid]
    .venv/bin/python scripts/regress.py full [--shards 2]          # Verilator
    .venv/bin/python scripts/regress.py full --scheduler local|tcp://host:port  # on Dask
    .venv/bin/python scripts/regress.py quick|bench|demo ...
    .venv/bin/python scripts/regress.py replay reports/mismatch/<name>.case.json --sim S [--waves]

A level runs the cocotb bench tb/top/test_top.py (HDL harness tb/top/top_harness.v) on each
simulator (both in parallel with --jobs 2), reruns the first mismatching inputs with waves,
merges every JUnit file of reports/junit/ into reports/results.xml and writes
reports/summary.md. Exit status 0 only when every simulation passed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.paths import REPO_ROOT  # noqa: E402
from tb.faults import KINDS  # noqa: E402
from tb.regress import (  # noqa: E402
    DEFAULT_SEED,
    LEVELS,
    SIMULATORS,
    LevelResult,
    merge_junit,
    replay,
    run_level,
    write_summary,
)


def _sims(arg: str, level: str) -> list[str]:
    if arg in ("", "both"):
        return ["verilator"] if level in ("full", "bench", "demo") else list(SIMULATORS)
    if arg not in SIMULATORS:
        raise SystemExit(f"regress: unknown simulator {arg!r}; choose icarus, verilator or both")
    return [arg]


def _accuracy_lines(res: LevelResult) -> list[str]:
    """Per dataset part: accuracy measured on the RTL and agreement with the golden model."""
    parts: dict[str, dict[str, int]] = {}
    for run in res.runs:
        for j in (run.stats or {}).get("job_stats", []):
            if j.get("kind") != "real":
                continue
            key = f"{j['name'].split('[')[0]} ({j['bundle']})"
            p = parts.setdefault(key, {"n": 0, "correct": 0, "gold": 0, "agree": 0,
                                       "failing": 0})
            p["n"] += j["inputs"]
            p["correct"] += j.get("correct_rtl") or 0
            p["gold"] += j.get("correct_golden") or 0
            p["agree"] += j["agree"]
            p["failing"] += j["failing"]
    lines = []
    for key, p in sorted(parts.items()):
        acc = 100.0 * p["correct"] / p["n"] if p["n"] else 0.0
        gacc = 100.0 * p["gold"] / p["n"] if p["n"] else 0.0
        same = f"golden model {gacc:.2f} %, equal on every example" if (
            p["agree"] == p["n"] and p["failing"] == 0 and p["gold"] == p["correct"]) else \
            f"DIFFERS from the golden model ({gacc:.2f} %) on {p['n'] - p['agree']} classes / " \
            f"{p['failing']} inputs"
        lines.append(f"  {key}: {p['n']} examples, RTL accuracy {acc:.2f} % ({p['correct']}/"
                     f"{p['n']}), {same}")
    return lines


def run_levels(level: str, sims: list[str], seed: int, fault: str | None, shards: int,
               jobs: int, waves: bool) -> list[LevelResult]:
    """Run ``level`` on every simulator of ``sims`` (``jobs`` at a time)."""
    results: list[LevelResult] = []
    lock = threading.Lock()

    def one(sim: str) -> None:
        res = run_level(level, sim, seed=seed, fault=fault, shards=shards, waves=waves,
                        progress=True)
        with lock:
            results.append(res)

    pending = list(sims)
    while pending:
        batch, pending = pending[:max(1, jobs)], pending[max(1, jobs):]
        threads = [threading.Thread(target=one, args=(s,)) for s in batch]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    results.sort(key=lambda r: r.sim)
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    ap = argparse.ArgumentParser(prog="regress.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("level", choices=[*LEVELS, "replay"])
    ap.add_argument("case", nargs="?", help="replay: the <name>.case.json of a mismatch report")
    ap.add_argument("--sim", default="both", help="icarus, verilator or both (default: both; "
                    "full/bench/demo: verilator)")
    ap.add_argument("--seed", type=int, default=None, help=f"plan seed (default {DEFAULT_SEED})")
    ap.add_argument("--fault", choices=KINDS, default=None, help="inject a fault (must FAIL)")
    ap.add_argument("--shards", type=int, default=None,
                    help="parallel simulations per simulator (default: 2 for full, else 1)")
    ap.add_argument("--jobs", type=int, default=2, help="simulators run at the same time")
    ap.add_argument("--no-waves", action="store_true", help="no waves replay of mismatches")
    ap.add_argument("--waves", action="store_true", help="replay: record an FST")
    ap.add_argument("--scheduler", default=os.environ.get("SCHEDULER") or (
        "cluster" if os.environ.get("CLUSTER") else None),
                    help="run the level on the Dask campaign runner (docs/campaigns.md): "
                    "'local' (LocalCluster of --jobs workers), tcp://host:port, or 'cluster' "
                    "(env CLUSTER); default: env SCHEDULER / CLUSTER, else threads")
    args = ap.parse_args(argv)

    if args.level == "replay":
        if not args.case:
            ap.error("replay needs the case file")
        sim = args.sim if args.sim in SIMULATORS else "verilator"
        res = replay(Path(args.case), sim, waves=args.waves)
        print(json.dumps({k: v for k, v in res.items() if k != "window"}, indent=1))
        if res.get("window"):
            w = res["window"]
            print(f"window: compute cycles {w['cycles'][0]}..{w['cycles'][1]}, "
                  f"{w['time_ns'][0]}..{w['time_ns'][1]} ns")
        return 1 if res["mismatch"] else 0

    seed = DEFAULT_SEED if args.seed is None else args.seed
    shards = args.shards or (2 if args.level == "full" else 1)
    sims = _sims(args.sim, args.level)
    t0 = time.time()
    print(f"regress {args.level}: simulators {', '.join(sims)}, seed {seed}, shards {shards}"
          + (f", FAULT {args.fault}" if args.fault else ""), flush=True)
    if args.scheduler and not args.fault:
        from tb.campaign.runner import campaign_client, regress_level

        with campaign_client(args.jobs, None if args.scheduler in ("local", "cluster")
                             else args.scheduler) as (client, where):
            print(f"campaign runner: {where}", flush=True)
            results = [regress_level(args.level, s, seed, client, waves=not args.no_waves)
                       for s in sims]
    else:
        results = run_levels(args.level, sims, seed, args.fault, shards, args.jobs,
                             not args.no_waves)
    junit = merge_junit()
    summary = write_summary(results, junit=junit)
    ok = True
    print("")
    for res in results:
        n = sum((r.stats or {}).get("inputs", 0) for r in res.runs)
        bad = sum((r.stats or {}).get("failing_inputs", 0) for r in res.runs)
        sim_s = ", ".join(f"{r.name} {r.seconds:.0f} s" for r in res.runs)
        print(f"{res.level} on {res.sim}: {'PASS' if res.ok else 'FAIL'}, {n} inputs, {bad} "
              f"mismatching, {res.seconds:.0f} s ({sim_s})")
        for line in _accuracy_lines(res):
            print(line)
        if res.message:
            print("  " + res.message.replace("\n", "\n  "))
        ok &= res.ok
    if args.fault:
        for res in results:
            for rp in res.reports[:1]:
                r = json.loads(rp.read_text())
                f, d = r.get("fault") or {}, r.get("first_divergence") or {}
                print(f"FAULT {args.fault} ({res.sim}): injected at layer {f.get('layer')}, neuron "
                      f"{f.get('neuron')}; report names layer {d.get('layer')}, neuron "
                      f"{d.get('neuron')} ({rp.with_suffix('.md').relative_to(REPO_ROOT)})")
    print(f"results: {junit.relative_to(REPO_ROOT)}, summary: {summary.relative_to(REPO_ROOT)}, "
          f"total {time.time() - t0:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
