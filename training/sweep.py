"""Sweep of T (levels per layer) and of network size for the ECG intra model, on validation.

Every point is a short training run (6 + 2 epochs on a stratified half of the train part, to
keep the sweep within minutes on two shared cores) from the same seed; the figure of merit is
deployed-mode accuracy on the validation split held out of the train part
(the test part is never looked at here). `python -m training.sweep` writes
models/ecg/sweep.json, models/ecg/sweep-T.png and models/ecg/sweep-weights.png.

T rule: the smallest T whose validation accuracy is within 0.1 percentage point of the best.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

from training.paths import REPO_ROOT
from training.train import CONFIGS, ECG_ARCH, TrainConfig, train

HIDDEN_T = [1, 2, 3, 7, 15]
FIRST_T = [3, 7, 15, 255]
# (conv channels c1, c2, dense width) -> weight counts around the ~10k budget
SIZES = [(4, 8, 16), (8, 12, 24), (8, 16, 32), (12, 24, 32)]
TRAIN_FRACTION = 0.5
FIRST_T_START = 15     # first-layer T while the hidden T is swept
TOLERANCE = 0.001


def arch(first_t: int, hidden_t: int, c1: int = 8, c2: int = 16, dense: int = 32) -> list[dict]:
    """The ECG architecture with the given T values and widths."""
    a = copy.deepcopy(ECG_ARCH)
    a[0].update(out=c1, T=first_t)
    for layer in a[1:4]:
        layer.update(out=c2, T=hidden_t)
    a[4].update(out=dense, T=hidden_t)
    return a


def _point(cfg: TrainConfig, progress: bool) -> dict:
    rep = train(cfg, out=None, progress=progress, evaluate_test=False)
    return {"val_accuracy": rep["val"]["qat_best"]
            if rep["val"]["qat_best"] >= rep["val"]["folded_before_qat"]
            else rep["val"]["folded_before_qat"],
            "val_float": rep["val"]["float_best"], "weights": rep["n_weights"],
            "seconds": rep["train_seconds"]}


def choose(points: list[dict], key: str) -> int:
    """Smallest `key` value within TOLERANCE of the best validation accuracy."""
    best = max(p["val_accuracy"] for p in points)
    return min(p[key] for p in points if p["val_accuracy"] >= best - TOLERANCE)


def run_sweep(epochs_float: int = 6, epochs_qat: int = 2, threads: int = 1,
              progress: bool = True) -> dict:
    """Run the three sweeps (each point reuses an identical earlier run); return results."""
    base = CONFIGS["ecg-intra"].with_(epochs_float=epochs_float, epochs_qat=epochs_qat,
                                      threads=threads, train_fraction=TRAIN_FRACTION)
    first_default = FIRST_T_START
    res: dict = {"epochs_float": epochs_float, "epochs_qat": epochs_qat, "threads": threads,
                 "train_fraction": TRAIN_FRACTION, "tolerance": TOLERANCE,
                 "hidden_T": [], "first_T": [], "sizes": []}
    memo: dict[str, dict] = {}

    def point(a: list[dict]) -> dict:
        key = json.dumps(a, sort_keys=True)
        if key not in memo:
            memo[key] = _point(base.with_(arch=a), progress)
        return memo[key]

    t0 = time.time()
    for t in HIDDEN_T:
        p = point(arch(first_default, t))
        res["hidden_T"].append(dict(p, T=t))
        print(f"hidden T={t}: val {100 * p['val_accuracy']:.2f}%", flush=True)
    hidden = choose(res["hidden_T"], "T")
    for t in FIRST_T:
        p = point(arch(t, hidden))
        res["first_T"].append(dict(p, T=t))
        print(f"first-layer T={t}: val {100 * p['val_accuracy']:.2f}%", flush=True)
    first = choose(res["first_T"], "T")
    for c1, c2, d in SIZES:
        p = point(arch(first, hidden, c1, c2, d))
        res["sizes"].append(dict(p, channels=[c1, c2], dense=d))
        print(f"size {c1}/{c2}/{d}: {p['weights']} weights, val "
              f"{100 * p['val_accuracy']:.2f}%", flush=True)
    res["chosen"] = {"first_T": first, "hidden_T": hidden}
    res["seconds"] = round(time.time() - t0, 1)
    return res


def plot(res: dict, out_dir: Path) -> None:
    """sweep-T.png (accuracy vs T) and sweep-weights.png (accuracy vs weight count)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=110)
    for key, label in (("hidden_T", "hidden layers (first layer T = 15)"),
                       ("first_T", f"first layer (hidden T = {res['chosen']['hidden_T']})")):
        xs = [p["T"] for p in res[key]]
        ys = [100 * p["val_accuracy"] for p in res[key]]
        ax.plot(xs, ys, "o-", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("T (levels of the SSF counts)")
    ax.set_ylabel("validation accuracy %")
    ax.set_title("ECG intra: accuracy vs T", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "sweep-T.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=110)
    xs = [p["weights"] for p in res["sizes"]]
    ys = [100 * p["val_accuracy"] for p in res["sizes"]]
    ax.plot(xs, ys, "o-")
    for p, x, y in zip(res["sizes"], xs, ys):
        ax.annotate(f"{p['channels'][0]}/{p['channels'][1]}/{p['dense']}", (x, y),
                    textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("int8 weights")
    ax.set_ylabel("validation accuracy %")
    ax.set_title(f"ECG intra: accuracy vs size (T = {res['chosen']['first_T']}/"
                 f"{res['chosen']['hidden_T']})", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_dir / "sweep-weights.png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Command line: python -m training.sweep [--threads N] [--epochs-float N] [--out DIR]."""
    ap = argparse.ArgumentParser(prog="python -m training.sweep", description=__doc__)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: the committed sweep.json was made with 1)")
    ap.add_argument("--epochs-float", type=int, default=6)
    ap.add_argument("--epochs-qat", type=int, default=2)
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "ecg")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    res = run_sweep(args.epochs_float, args.epochs_qat, args.threads, not args.quiet)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sweep.json").write_text(json.dumps(res, indent=1) + "\n")
    plot(res, args.out)
    print(f"chosen: first-layer T = {res['chosen']['first_T']}, hidden T = "
          f"{res['chosen']['hidden_T']} ({res['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
