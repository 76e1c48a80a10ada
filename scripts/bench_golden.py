#!/usr/bin/env python3
"""Golden-model throughput against a PyTorch evaluation of the same integer network.

Builds the default ECG network shape (1x187 -> conv 1->8 k7 s2 p3 -> conv 8->16 k5 s2 p2 ->
conv 16->16 k5 s2 p2 -> conv 16->16 k5 s2 p2 -> dense 192->32 -> dense 32->5 none, T = 7) with
seeded random legal weights, runs a batch of random uint8 inputs through golden.model.infer and
through torch (float64 and int64 conv1d/linear, 2 threads), asserts identical logits, prints a
table and writes reports/bench/golden.json.

    .venv/bin/python scripts/bench_golden.py [--n 10000] [--repeat 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.paths import REPO_ROOT  # noqa: E402
from golden.bundle import Bundle, load_bundle  # noqa: E402
from golden.ifbaseline import compare  # noqa: E402
from golden.model import infer  # noqa: E402
from golden.randbundle import ecg_default_bundle, random_inputs  # noqa: E402
from golden.timing import total_cycles  # noqa: E402


def torch_eval(bundle: Bundle, x: np.ndarray, dtype: str) -> np.ndarray:
    """The integer network in torch (float64 is exact here: every |value| < 2^53)."""
    import torch
    import torch.nn.functional as F

    td = {"float64": torch.float64, "int64": torch.int64}[dtype]
    a = torch.from_numpy(x).to(td)
    with torch.no_grad():
        for L in bundle.layers:
            w = torch.from_numpy(L.weights).to(td)
            b = torch.from_numpy(L.bias).to(td)
            if L.kind == "conv1d":
                acc = F.conv1d(a, w, b, stride=L.stride, padding=L.padding)
                th = torch.from_numpy(L.theta_or_ones).to(td)[None, :, None]
            else:
                acc = F.linear(a.reshape(a.shape[0], -1), w, b)
                th = torch.from_numpy(L.theta_or_ones).to(td)[None, :]
            if L.is_ssf:
                a = torch.clamp(torch.div(acc, th, rounding_mode="floor"), 0, L.T)
            else:
                a = acc
    return a.reshape(a.shape[0], -1).to(torch.int64).numpy()


def best_time(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (after one warm-up) and the last result."""
    out = fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="batch size (default 10000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs, best kept (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--if-inputs", type=int, default=200,
                    help="inputs for the IF-baseline access comparison (default 200)")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "bench" / "golden.json")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(args.seed)
    bundle = load_bundle(ecg_default_bundle(rng))
    x = random_inputs(rng, bundle.in_shape, args.n)

    rows = []
    t, res = best_time(lambda: infer(bundle, x), args.repeat)
    ref = res.logits
    rows.append(("golden infer (numpy)", t))
    t, _ = best_time(lambda: infer(bundle, x, keep_outputs=False), args.repeat)
    rows.append(("golden infer, keep_outputs=False", t))
    for dt in ("float64", "int64"):
        t, lg = best_time(lambda dt=dt: torch_eval(bundle, x, dt), args.repeat)
        if not np.array_equal(lg, ref):
            bad = int(np.flatnonzero((lg != ref).any(axis=1))[0])
            print(f"MISMATCH torch {dt} vs golden at input {bad}: {lg[bad]} != {ref[bad]}",
                  file=sys.stderr)
            return 1
        rows.append((f"torch {dt} ({args.threads} threads)", t))

    print(f"default ECG network shape, {bundle.n_weights} weights, {total_cycles(bundle)} "
          f"cycles/inference, N = {args.n}, best of {args.repeat}")
    print(f"{'engine':40s} {'seconds':>9s} {'inputs/s':>11s}")
    for name, t in rows:
        print(f"{name:40s} {t:9.4f} {args.n / t:11.0f}")
    golden_ips = args.n / rows[0][1]
    torch_best = max(args.n / t for name, t in rows if name.startswith("torch"))
    print(f"golden / best torch = {golden_ips / torch_best:.2f}x; logits identical")

    cmp = compare(bundle, x[:args.if_inputs])
    print(f"weight-word reads on {cmp['n']} inputs: SSF {cmp['ssf']['wreads']}, IF event-driven "
          f"{cmp['if']['wreads']} ({cmp['read_saving_event_driven']:.2f}x), IF clock-driven "
          f"{cmp['if']['wreads_clock_driven']} ({cmp['read_saving_clock_driven']:.2f}x); "
          f"IF/SSF class agreement {cmp['class_agreement']:.3f}")
    cmp.pop("per_layer")

    report = {
        "command": "python scripts/bench_golden.py " + " ".join(argv if argv is not None
                                                               else sys.argv[1:]),
        "n": args.n, "repeat": args.repeat, "seed": args.seed, "torch_threads": args.threads,
        "network": "ecg default shape, random legal weights",
        "weights": bundle.n_weights, "cycles_per_inference": total_cycles(bundle),
        "results": [{"engine": name, "seconds": t, "inputs_per_s": args.n / t}
                    for name, t in rows],
        "golden_over_best_torch": golden_ips / torch_best,
        "meets_target": golden_ips >= torch_best,
        "logits_identical": True,
        "if_baseline": cmp,
        "python": platform.python_version(), "numpy": np.__version__,
        "torch": torch.__version__, "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
