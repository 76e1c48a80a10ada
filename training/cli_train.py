"""`sparrow train [CONFIG ...]`: train the default bundles from their fixed seeds.

Each configuration (ecg-intra, ecg-inter, eeg-inter; all three by default) is trained, exported,
run through the golden model on its test part (which must reproduce PyTorch's deployed
predictions and logits bit for bit), and documented: <bundle>.metrics.json, <bundle>.confusion.png
and the folder's MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from golden.cli import non_negative_int
from training._cli import CliError

CONFIG_NAMES = ["ecg-intra", "ecg-inter", "eeg-inter"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `train` subcommand."""
    p = sub.add_parser("train", help="train, export and document the default bundles",
                       description=__doc__)
    p.add_argument("configs", nargs="*", metavar="CONFIG",
                   help=f"any of {', '.join(CONFIG_NAMES)} (default: all)")
    p.add_argument("--out", type=Path, default=None,
                   help="bundle path (one CONFIG only; default models/<data>/model*.json)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: the configuration's own, the count its "
                        "committed bundle was trained with; the result depends on it)")
    p.add_argument("--seed", type=non_negative_int, default=None,
                   help="override the training seed")
    p.add_argument("--epochs-float", type=non_negative_int, default=None)
    p.add_argument("--epochs-qat", type=non_negative_int, default=None)
    p.add_argument("--no-card", action="store_true",
                   help="do not write metrics, plots or the model card")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def train_one(name: str, args: argparse.Namespace) -> dict:
    """Train one configuration; return its golden metrics."""
    from training import DataError
    from training.card import golden_check, write_card, write_metrics
    from training.metrics import classification_report, plot_confusion
    from training.paths import REPO_ROOT
    from training.train import CONFIGS, DEFAULT_OUTPUTS, build_part, save_report, train

    cfg = CONFIGS[name]
    if args.threads is not None:
        cfg = cfg.with_(threads=args.threads)
    overrides = {k: v for k, v in (("seed", args.seed), ("epochs_float", args.epochs_float),
                                   ("epochs_qat", args.epochs_qat)) if v is not None}
    cfg = cfg.with_(**overrides)
    out = args.out or REPO_ROOT / DEFAULT_OUTPUTS[name]
    try:
        report = train(cfg, out, progress=not args.quiet)
        test = build_part(cfg, "test")
    except DataError as exc:
        raise CliError(str(exc)) from None
    net = report["net"]
    t_cls, t_logits = net.deployed(test.inputs)
    g_cls, _ = golden_check(out, test.inputs, t_cls, t_logits)
    rep = classification_report(test.labels, g_cls, len(test.classes), test.classes)
    if args.out is None:
        save_report(report, REPO_ROOT / "reports" / "train" / f"{name}.json")
    if not args.no_card:
        stem = out.with_suffix("")
        cmd = f"sparrow train {name}" + "".join(f" --{k.replace('_', '-')} {v}"
                                               for k, v in overrides.items())
        write_metrics(Path(f"{stem}.metrics.json"), name, report, report["bundle"], out, rep,
                      cmd)
        plot_confusion(rep, Path(f"{stem}.confusion.png"),
                       title=f"{report['bundle']['name']} (golden model, test part)")
        if args.out is None:
            write_card(out.parent, cfg.dataset)
    print(f"{name}: test accuracy {100 * rep['accuracy']:.2f}% (macro F1 "
          f"{100 * rep['macro_f1']:.2f}%) on {rep['n']} examples; {net.n_weights()} weights; "
          f"{out} ({out.stat().st_size} bytes); golden == PyTorch deployed on all "
          f"{len(test)} test examples; {report['train_seconds']} s", flush=True)
    return rep


def run(args: argparse.Namespace) -> int:
    """Handler of `sparrow train`."""
    names = args.configs or CONFIG_NAMES
    unknown = [n for n in names if n not in CONFIG_NAMES]
    if unknown:
        raise CliError(f"unknown configuration {unknown[0]!r}; choose from "
                       f"{', '.join(CONFIG_NAMES)}")
    if args.out is not None and len(names) != 1:
        raise CliError("--out needs exactly one CONFIG")
    if args.threads is not None and args.threads < 1:
        raise CliError("--threads must be at least 1")
    t0 = time.time()
    for name in names:
        train_one(name, args)
    print(f"total {time.time() - t0:.0f} s")
    return 0
