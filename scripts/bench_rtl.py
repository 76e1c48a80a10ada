#!/usr/bin/env python3
"""RTL benchmark (``make bench``, after the golden bench): cycles and verification throughput.

(a) The default ECG network (models/ecg/model.json, or the random-weight stand-in until it is
    committed) on real MIT-BIH test beats through the RTL (Verilator): compute cycles per
    inference (CNT_CYCLES), the ideal (non-zero MACs / 8 lanes, from the golden counters), their
    ratio, the 20,600-cycle budget check, and the weight-read check (each weight word read at
    most once per output position: CNT_WREADS <= taps walked, CNT_WREADS + CNT_SKIPS = taps).
(b) Inputs verified per second (load, simulate, compare event by event with the golden model)
    under Icarus and under Verilator, and the projected time to verify the whole ``intra`` ECG
    test part on 1 core and on 2 cores (2 shards). Target: <= 15 min on 2 cores with Verilator.

Writes reports/bench/rtl.json and prints a table.

    .venv/bin/python scripts/bench_rtl.py [--verilator-per-class 100] [--icarus-per-class 4]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.paths import REPO_ROOT  # noqa: E402
from golden.bundle import load_bundle  # noqa: E402
from golden.ifbaseline import compare as if_compare  # noqa: E402
from golden.timing import taps_per_position  # noqa: E402
from tb.regress import ECG_CYCLE_BUDGET, REPORTS, build, make_plan, run_sim  # noqa: E402

TARGET_MIN_2CORES = 15.0


def run_bench_level(sim: str, per_class: int, seed: int) -> dict:
    """Run the ``bench`` level (ECG default bundle on real beats) on ``sim``; its statistics."""
    t0 = time.time()
    build(sim)
    t_build = time.time() - t0
    run = run_sim(sim, f"bench-{sim}", "test_regress",
                  {"SPARROW_REGRESS_LEVEL": "bench", "SPARROW_REGRESS_SEED": str(seed),
                   "SPARROW_REGRESS_PER_CLASS": str(per_class), "SPARROW_REGRESS_SIM": sim},
                  seed=seed)
    if not run.ok or not run.stats:
        raise SystemExit(f"bench_rtl: the {sim} run failed ({run.error}); log {run.log}")
    job = run.stats["job_stats"][0]
    return {"simulator": sim, "inputs": job["inputs"], "job_seconds": job["seconds"],
            "job_cpu_seconds": job["cpu_seconds"], "sim_wall_seconds": round(run.seconds, 2),
            "build_seconds": round(t_build, 2),
            "inputs_per_second": job["inputs"] / job["seconds"],
            "inputs_per_cpu_second": job["inputs"] / max(job["cpu_seconds"], 1e-9),
            "startup_seconds": round(run.seconds - job["seconds"], 2), "job": job}


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verilator-per-class", type=int, default=100)
    ap.add_argument("--icarus-per-class", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    from training.datasets import build as build_ds

    n_intra = len(build_ds("ecg", "intra", "test"))
    ver = run_bench_level("verilator", args.verilator_per_class, args.seed)
    ica = run_bench_level("icarus", args.icarus_per_class, args.seed)

    # (a) cycles, ideal, weight reads, on the Verilator run's beats
    job = make_plan("bench", args.seed, per_class=args.verilator_per_class)[0]
    bundle = load_bundle(job.bundle)
    st = ver["job"]
    n = st["inputs"]
    cycles = st["cycles"]
    assert len(cycles) == 1, f"CNT_CYCLES differs between inputs: {cycles}"
    cycles = cycles[0]
    taps = sum(L.groups * int(taps_per_position(L).sum()) for L in bundle.layers)
    ideal = st["golden_macs"] / n / 8
    wreads, skips = st["wreads"] / n, st["skips"] / n
    base = if_compare(bundle, job.x)
    a = {
        "bundle": bundle.name, "origin": job.origin, "beats": n,
        "cycles_per_inference": cycles, "golden_cycles": st["golden_cycles"],
        "budget": ECG_CYCLE_BUDGET, "within_budget": cycles <= ECG_CYCLE_BUDGET,
        "ideal_cycles_nonzero_macs_over_8": round(ideal, 1),
        "ratio_cycles_to_ideal": round(cycles / ideal, 3),
        "taps_per_inference": taps, "wreads_per_inference": round(wreads, 1),
        "skips_per_inference": round(skips, 1), "macs_per_inference": round(st["macs"] / n, 1),
        "wreads_le_taps": st["wreads"] <= taps * n,
        "wreads_plus_skips_eq_taps": st["wreads"] + st["skips"] == taps * n,
        "if_baseline_wreads_per_inference": round(base["if"]["wreads"] / n, 1),
        "if_clock_driven_wreads_per_inference": round(base["if"]["wreads_clock_driven"] / n, 1),
        "read_saving_vs_if_event_driven": round(base["read_saving_event_driven"], 2),
        "if_class_agreement_with_ssf": round(base["class_agreement"], 3),
        "rtl_accuracy": st["accuracy_rtl"], "agree_with_golden": st["agree"] == n,
    }
    # (b) throughput and projection
    proj = {}
    for r in (ver, ica):
        t1 = n_intra / r["inputs_per_second"]
        proj[r["simulator"]] = {"one_core_min": round((t1 + r["startup_seconds"]) / 60, 1),
                                "two_cores_min": round((t1 / 2 + r["startup_seconds"]) / 60, 1)}
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or
        platform.machine(), "python": platform.python_version(),
        "command": " ".join([".venv/bin/python scripts/bench_rtl.py", *(argv or sys.argv[1:])]),
        "cycles": a, "throughput": {"verilator": {k: v for k, v in ver.items() if k != "job"},
                                    "icarus": {k: v for k, v in ica.items() if k != "job"}},
        "intra_ecg_test_inputs": n_intra, "projection": proj,
        "target_two_cores_min": TARGET_MIN_2CORES,
        "meets_target": proj["verilator"]["two_cores_min"] <= TARGET_MIN_2CORES,
    }
    out = REPORTS / "bench" / "rtl.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")

    ok = a["within_budget"] and a["wreads_le_taps"] and a["wreads_plus_skips_eq_taps"] and \
        a["agree_with_golden"]
    print(f"RTL benchmark: {a['bundle']} ({a['origin']}), {n} real MIT-BIH test beats")
    print(f"  cycles / inference      {cycles:>10,}   (golden timing model {a['golden_cycles']:,};"
          f" budget {ECG_CYCLE_BUDGET:,}: {'OK' if a['within_budget'] else 'OVER'})")
    print(f"  ideal (nz MACs / 8)     {ideal:>10,.0f}   ratio {a['ratio_cycles_to_ideal']:.2f}")
    print(f"  taps walked             {taps:>10,}   weight reads {wreads:,.0f}, skips "
          f"{skips:,.0f} ("
          + ("each weight read at most once per output position" if ok else "CHECK FAILED")
          + ")")
    print(f"  IF baseline weight reads {a['if_baseline_wreads_per_inference']:>9,.0f}   "
          f"(clock-driven {a['if_clock_driven_wreads_per_inference']:,.0f}); SSF saves "
          f"{a['read_saving_vs_if_event_driven']:.2f}x against a T = {base['T_sim']} IF run whose "
          f"class equals SSF's on {100 * a['if_class_agreement_with_ssf']:.1f} % of the beats")
    print("  verification throughput (load + simulate + compare every event):")
    for r in (ver, ica):
        p = proj[r["simulator"]]
        print(f"    {r['simulator']:9s} {r['inputs_per_second']:8.2f} inputs/s "
              f"({r['inputs']} beats in {r['job_seconds']:.1f} s, CPU "
              f"{r['job_cpu_seconds']:.1f} s; startup {r['startup_seconds']:.1f} s) -> intra "
              f"ECG test part ({n_intra:,}): "
              f"{p['one_core_min']:.1f} min on 1 core, {p['two_cores_min']:.1f} min on 2 cores")
    print(f"  target: intra part on Verilator <= {TARGET_MIN_2CORES:.0f} min on 2 cores: "
          f"{'MET' if result['meets_target'] else 'MISSED'}")
    print(f"  -> {out.relative_to(REPO_ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
