"""``make fuzz N=… [SEED=…] [SCHEDULER=…]``: random legal bundles through the RTL on Dask.

N bundles from ``golden.randbundle`` (corner weight 0.6: T = 1 / 255, θ = 1 / 65535, kernel =
length, stride > kernel, padding >= kernel, accumulator at the 32-bit bound), every fifth one
*steered* at a datapath corner random draws rarely reach (:func:`steered_bundle`: an
accumulator at +2^31 - 1 or -2^31, a hidden layer whose input is all zeros, a tie in the final
argmax). Each bundle runs an all-zero input, an all-255 input and random inputs; every trace
event, counter, class and logit is compared with the golden model (``test_campaign``), with
the datapath monitor on. Mismatches keep the regression's report (input, first divergence,
reproduce command, waves). When a datapath bin is still unhit after the N bundles, another
round of steered bundles runs (at most :data:`STEER_ROUNDS`); the campaign fails if any stays
unhit.

Outputs: ``reports/fuzz/summary.json`` (spec §5: ``bundles``, ``inputs``, ``mismatches``,
``workers``) and ``summary.md``, ``reports/fuzz/results.xml`` (JUnit), the functional-coverage
exports in ``reports/fuzz/funcov/``. Exit status 0 only when everything passed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from golden.bundle import acc_bounds, load_bundle
from golden.limits import DEFAULT_LIMITS
from golden.randbundle import build_bundle, random_bundle, random_inputs
from tb.campaign.jobs import job_to_dict
from tb.regress import REPO_ROOT, Job, safe_name

FUZZ_DIR = REPO_ROOT / "reports" / "fuzz"
DEFAULT_SEED = 1
PER_TASK = 10               # bundles per simulation (amortises the simulator start)
STEER_EVERY = 5             # every fifth bundle is steered at a datapath corner
STEER_ROUNDS = 2
STEER_KINDS = ("acc_bound", "ssf_bound", "zero_hidden", "tie")


def _set_layer(bd: dict, li: int, w: np.ndarray, bias: np.ndarray) -> None:
    bd["layers"][li]["weights"] = w.tolist()
    bd["layers"][li]["bias"] = [int(b) for b in bias]


def steered_bundle(rng: np.random.Generator, kind: str, name: str) -> dict:
    """A legal bundle built to reach one datapath corner on the fuzz inputs (all-zero and
    all-255 are always among them):

    * ``acc_bound``: one dense logit layer; output 0 has non-negative weights and the bias that
      puts the all-255 input exactly at +2^31 - 1, output 1 the bias -2^31 (the all-zero input);
    * ``ssf_bound``: the same accumulator bound in an ssf layer with θ = 65535 (count
      saturating at T), then a logit layer;
    * ``zero_hidden``: a first layer whose biases keep every count at 0 (the next layer's whole
      input is zero), random layers after it;
    * ``tie``: the last layer's outputs 0 and 1 share weights and a large bias (equal maxima: a
      tie in the final argmax).
    """
    lim = DEFAULT_LIMITS
    c0, l0 = int(rng.integers(1, 4)), int(rng.integers(2, 12))
    if kind in ("acc_bound", "ssf_bound"):
        o = int(rng.integers(2, 6))
        specs: list[dict[str, Any]] = [{"kind": "dense", "out": o, "act": "none"}]
        if kind == "ssf_bound":
            specs = [{"kind": "dense", "out": o, "T": int(rng.choice([1, 7, 255]))},
                     {"kind": "dense", "out": int(rng.integers(2, 5)), "act": "none"}]
        bd = build_bundle(rng, c0, l0, specs, name=name)
        w = np.asarray(bd["layers"][0]["weights"], np.int64)
        bias = np.asarray(bd["layers"][0]["bias"], np.int64)
        w[0] = np.abs(w[0]).clip(0, 127)
        w[1] = np.abs(w[1]).clip(0, 127)
        bias[0] = lim.acc_max - int(w[0].sum()) * 255
        bias[1] = lim.acc_min
        _set_layer(bd, 0, w, bias)
        if kind == "ssf_bound":
            th = bd["layers"][0]["activation"]["theta"]
            th[0] = 65535
    elif kind == "zero_hidden":
        n = int(rng.integers(2, 4))
        specs = [{"kind": "conv1d", "out": int(rng.integers(2, 9)), "kernel": 3, "stride": 1,
                  "padding": 1, "T": 7}]
        specs += [{"kind": "dense", "out": int(rng.integers(2, 6)), "T": 3}] * (n - 2)
        specs += [{"kind": "dense", "out": int(rng.integers(2, 5)), "act": "none"}]
        bd = build_bundle(rng, c0, l0, specs, name=name)
        b = load_bundle(bd)
        lo, hi = acc_bounds(b.layers[0])
        bias = np.asarray(bd["layers"][0]["bias"], np.int64)
        bias = bias - (hi + 1)                        # acc <= -1 for every input: count 0
        _set_layer(bd, 0, np.asarray(bd["layers"][0]["weights"]), bias)
    elif kind == "tie":
        bd = random_bundle(rng, max_layers=3, max_ch=8, max_len=16, max_words=256,
                           max_cycles=2000, n_classes=int(rng.integers(2, 9)), name=name)
        last = bd["layers"][-1]
        w = np.asarray(last["weights"], np.int64)
        bias = np.asarray(last["bias"], np.int64)
        if last["kind"] == "conv1d" or len(w) < 2:
            return steered_bundle(rng, "acc_bound", name)
        w[1] = w[0]
        bias[0] = bias[1] = 1_000_000                 # the tied pair is the maximum
        _set_layer(bd, len(bd["layers"]) - 1, w, bias)
        act = last["activation"]
        if act.get("type") == "ssf":
            act["theta"][1] = act["theta"][0]
    else:
        raise ValueError(f"steered_bundle: unknown kind {kind!r}")
    load_bundle(bd)                                   # legal, or raise
    return bd


def fuzz_bundles(n: int, seed: int, steer: tuple[str, ...] = STEER_KINDS,
                 prefix: str = "fz") -> list[tuple[str, dict, str]]:
    """(name, bundle, how) of N fuzz bundles: random with corners, every STEER_EVERY-th steered."""
    rng = np.random.default_rng([seed, 12])
    out = []
    k = 0
    for i in range(n):
        name = f"{prefix}{i:04d}"
        if steer and i % STEER_EVERY == STEER_EVERY - 1:
            kind = steer[k % len(steer)]
            k += 1
            out.append((name, steered_bundle(rng, kind, name), f"steered: {kind}"))
        else:
            out.append((name, random_bundle(rng, max_layers=4, max_ch=10, max_len=28,
                                            max_words=256, max_cycles=2000, corner=0.6,
                                            name=name), "random (corner 0.6)"))
    return out


def fuzz_jobs(bundles: list[tuple[str, dict, str]], seed: int, inputs: int = 4) -> list[Job]:
    """One job per bundle: all-zero, all-255 and ``inputs - 2`` random inputs, varied valid
    patterns and load paths."""
    rng = np.random.default_rng([seed, 13])
    modes = ["full", "random", "bursty", "stalls"]
    jobs = []
    for j, (name, bd, how) in enumerate(bundles):
        b = load_bundle(bd)
        shape = (b.in_channels, b.in_length)
        xs = np.concatenate([np.zeros((1, *shape), np.uint8), np.full((1, *shape), 255, np.uint8),
                             random_inputs(rng, shape, max(0, inputs - 2))])
        kinds = ["all-zero", "all-255"] + ["random_inputs"] * (len(xs) - 2)
        refs = [{"generator": "tb.campaign.fuzz", "fuzz_seed": seed, "bundle": name,
                 "how": how, "input": i, "kind": kinds[i]} for i in range(len(xs))]
        jobs.append(Job(name=name, bundle=bd, origin=f"fuzz seed {seed}, {name} ({how})", x=xs,
                        refs=refs, kind="random", vmode=modes[j % 4],
                        vprob=int(rng.integers(64, 250)), seed=int(rng.integers(1, 2**31)),
                        load="backdoor" if j % 5 == 2 else "front"))
    return jobs


def make_specs(jobs: list[Job], seed: int, n: int, sim: str, tag: str,
               per_task: int = PER_TASK, fault: str | None = None) -> list[dict[str, Any]]:
    """Campaign specs: ``per_task`` jobs per simulation, datapath monitor and funcov on."""
    cfg = {"level": "fuzz", "seed": seed, "fault": fault,
           "reproduce": f"make fuzz N={n} SEED={seed}" + (f" FAULT={fault}" if fault else "")}
    specs = []
    for k, lo in enumerate(range(0, len(jobs), per_task)):
        specs.append({"name": safe_name(f"fuzz-s{seed}-{tag}{k:03d}"), "sim": sim,
                      "test": "test_campaign", "seed": seed, "cfg": cfg, "funcov": True,
                      "env": {"SPARROW_DATAPATH_COVER": "1"},
                      "jobs": [job_to_dict(j) for j in jobs[lo:lo + per_task]]})
    return specs


def datapath_hits(results: list[dict[str, Any]]) -> dict[str, int]:
    """Hits per datapath bin over the runs' statistics (every bin listed)."""
    from tb.funcov import DATAPATH_BINS

    hits = dict.fromkeys(DATAPATH_BINS, 0)
    for r in results:
        for lab, c in (((r.get("stats") or {}).get("datapath") or {}).get("labels") or {}).items():
            hits[lab] = hits.get(lab, 0) + c
    return hits


def trace_hits(results: list[dict[str, Any]]) -> dict[str, int]:
    """Hits of the datapath bins read from the merged functional-coverage exports."""
    from tb import funcov

    paths = [REPO_ROOT / rel for r in results for rel in (r.get("files") or {})
             if rel.endswith(".xml") and "/funcov/" in rel]
    if not paths:
        return {}
    merged = funcov.merge(paths)
    return {b.label: b.hits for b in merged.values() if b.point == "sparrow.datapath.corner"}


def write_summary(summary: dict[str, Any], results: list[dict[str, Any]]) -> Path:
    """reports/fuzz/summary.json and summary.md."""
    FUZZ_DIR.mkdir(parents=True, exist_ok=True)
    (FUZZ_DIR / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    lines = ["# Fuzz campaign", "",
             f"`{summary['command']}`: {summary['bundles']} bundles, {summary['inputs']} inputs, "
             f"**{summary['mismatches']} mismatching**, {summary['failed_jobs']} failed jobs, "
             f"{summary['workers']} workers, {summary['seconds']:.0f} s. "
             f"Result: **{'PASS' if summary['ok'] else 'FAIL'}**.", "",
             "## Datapath corners (sampled from the RTL)", "", "| bin | hits |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary["datapath_bins"].items()]
    lines += ["", "## Mismatch reports", ""]
    lines += [f"* [{Path(p).name}]({Path(p).with_suffix('.md')})" for p in summary["reports"]] \
        or ["None."]
    bad = [r for r in results if not r["ok"] and not r["mismatches"]]
    if bad:
        lines += ["", "## Failed jobs", ""]
        for r in bad:
            lines += [f"### {r['name']}: {r['error']}", "", "```", r["log_tail"][-3000:], "```"]
    (FUZZ_DIR / "summary.md").write_text("\n".join(lines) + "\n")
    return FUZZ_DIR / "summary.json"


def run_fuzz(n: int, seed: int, *, sim: str = "verilator", jobs: int | None = None,
             scheduler: str | None = None, per_task: int = PER_TASK, inputs: int = 4,
             fault: str | None = None, progress: bool = True, client: Any = None
             ) -> dict[str, Any]:
    """The whole fuzz campaign (see the module docstring); returns the summary dict."""
    from tb.campaign.runner import campaign_client, merge_campaign_junit, run_campaign
    from tb.campaign.runner import workers_used

    if n < 1:
        raise SystemExit("fuzz: N must be >= 1")
    t0 = time.time()
    bundles = fuzz_bundles(n, seed)
    jl = fuzz_jobs(bundles, seed, inputs)
    if fault:
        from tb.faults import choose_fault

        f = choose_fault(fault, jl[0].bundle, jl[0].x, np.random.default_rng([seed, 2]))
        jl[0].fault = f.to_dict()
    specs = make_specs(jl, seed, n, sim, "", per_task, fault)

    def campaign(cl: Any, where: str) -> dict[str, Any]:
        shutil.rmtree(FUZZ_DIR, ignore_errors=True)   # connected: the old report goes now
        if progress:
            print(f"fuzz: {n} bundles, seed {seed}, {len(specs)} jobs on {where}", flush=True)
        results = run_campaign(cl, specs, desc="fuzz", progress=progress)
        hits = datapath_hits(results)
        rounds = 0
        while any(v == 0 for v in hits.values()) and rounds < STEER_ROUNDS:
            rounds += 1
            rng = np.random.default_rng([seed, 14, rounds])
            extra = [(f"st{rounds}-{kind}{r}", steered_bundle(rng, kind, f"st{rounds}-{kind}{r}"),
                      f"steered: {kind}") for kind in STEER_KINDS for r in range(2)]
            specs2 = make_specs(fuzz_jobs(extra, seed + rounds, inputs), seed, n, sim,
                                f"steer{rounds}-", per_task)
            if progress:
                print(f"fuzz: unhit {[k for k, v in hits.items() if not v]}: steering round "
                      f"{rounds} ({len(extra)} bundles)", flush=True)
            results += run_campaign(cl, specs2, desc=f"steer {rounds}", progress=progress)
            hits = datapath_hits(results)
        return {"results": results, "hits": hits, "rounds": rounds}

    if client is not None:
        out = campaign(client, "the given client")
    else:
        with campaign_client(jobs, scheduler) as (cl, where):
            out = campaign(cl, where)
    results = out["results"]
    from tb.regress import attach_waves

    for rp in [p for r in results for p in ((r.get("stats") or {}).get("reports") or [])][:2]:
        try:
            attach_waves(Path(rp), sim)
        except Exception as exc:  # noqa: BLE001 - a failed replay must not hide the report
            print(f"waves for {Path(rp).name} failed: {exc}", file=sys.stderr)
    fdir = FUZZ_DIR / "funcov"
    fdir.mkdir(parents=True, exist_ok=True)
    for r in results:
        for rel in r.get("files") or {}:
            if "/campaign/funcov/" in rel:
                shutil.copy(REPO_ROOT / rel, fdir / Path(rel).name)
    junit = merge_campaign_junit(results, FUZZ_DIR)
    n_bundles = sum(len((r.get("stats") or {}).get("job_stats") or []) for r in results)
    n_inputs = sum(r["inputs"] for r in results)
    mism = sum(r["mismatches"] for r in results)
    reports = [p for r in results for p in ((r.get("stats") or {}).get("reports") or [])]
    failed = [r["name"] for r in results if not r["ok"]]
    unhit = [k for k, v in out["hits"].items() if v == 0]
    workers = workers_used(results)
    summary = {"bundles": n_bundles, "inputs": n_inputs, "mismatches": mism,
               "workers": len(workers), "worker_addresses": workers,
               "command": f"make fuzz N={n} SEED={seed}" + (f" FAULT={fault}" if fault else ""),
               "n": n, "seed": seed, "simulator": sim, "jobs": len(results),
               "failed_jobs": len(failed), "failed_job_names": failed,
               "datapath_bins": out["hits"], "datapath_unhit": unhit,
               "steering_rounds": out["rounds"], "reports": reports, "junit": str(junit),
               "seconds": round(time.time() - t0, 1),
               "sim_seconds": round(sum(r["sim_seconds"] for r in results), 1)}
    summary["ok"] = bool(not failed and mism == 0 and not unhit and n_inputs > 0)
    write_summary(summary, results)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make fuzz``."""
    import os

    ap = argparse.ArgumentParser(prog="tb.campaign.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=int(os.environ.get("N") or 100), help="bundles")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED") or DEFAULT_SEED))
    ap.add_argument("--sim", default="verilator", choices=["verilator", "icarus"])
    ap.add_argument("--jobs", type=int, default=None, help="LocalCluster workers (env JOBS)")
    ap.add_argument("--scheduler", default=None, help="tcp://host:port (env SCHEDULER)")
    ap.add_argument("--per-task", type=int, default=PER_TASK, help="bundles per simulation")
    ap.add_argument("--inputs", type=int, default=4, help="inputs per bundle (>= 2)")
    ap.add_argument("--fault", default=None, help="inject a fault into the first bundle (the "
                    "campaign must then FAIL): weight_bit, threshold or stuck_valid")
    args = ap.parse_args(argv)
    if args.inputs < 2 or args.per_task < 1:
        print("fuzz: --inputs must be >= 2 and --per-task >= 1", file=sys.stderr)
        return 2
    s = run_fuzz(args.n, args.seed, sim=args.sim, jobs=args.jobs, scheduler=args.scheduler,
                 per_task=args.per_task, inputs=args.inputs, fault=args.fault)
    print(f"fuzz: {'PASS' if s['ok'] else 'FAIL'}: {s['bundles']} bundles, {s['inputs']} inputs, "
          f"{s['mismatches']} mismatching, {s['failed_jobs']} failed jobs, {s['workers']} "
          f"workers, {s['seconds']:.0f} s; datapath bins "
          + ", ".join(f"{k} {v}" for k, v in s["datapath_bins"].items()))
    for p in s["reports"][:5]:
        print(f"  mismatch report: {Path(p).with_suffix('.md')}")
    print(f"summary: {FUZZ_DIR.relative_to(REPO_ROOT)}/summary.json, summary.md")
    return 0 if s["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
