"""`sparrow eval --model M.json --dataset DIR`: golden-model accuracy, Se, +P, F1, confusion PNG."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training._cli import CliError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `eval` subcommand."""
    p = sub.add_parser("eval", help="evaluate a bundle on a dataset directory",
                       description="Run the golden model of M.json on DIR/inputs.npy and compare "
                       "with DIR/labels.npy: accuracy, per-class sensitivity (Se), positive "
                       "predictivity (+P) and F1, and a confusion-matrix PNG.")
    p.add_argument("--model", required=True, type=Path, metavar="M.json")
    p.add_argument("--dataset", required=True, type=Path, metavar="DIR")
    p.add_argument("--png", type=Path, default=None,
                   help="confusion-matrix image (default DIR/confusion-<model>.png)")
    p.add_argument("--json", type=Path, default=None, help="also write the metrics as JSON")
    p.set_defaults(func=run)


def evaluate(model: Path, dataset: Path) -> dict:
    """Metrics dict of the golden model of `model` on dataset directory `dataset`."""
    from golden.cli_infer import load_model
    from golden.model import infer
    from training import DataError, datasets
    from training.metrics import classification_report

    bundle = load_model(model)
    try:
        x, y, info = datasets.read(dataset)
    except DataError as exc:
        raise CliError(str(exc)) from None
    if len(x) == 0:
        raise CliError(f"dataset '{dataset}' holds no example (N = 0)")
    if x.shape[1:] != (bundle.in_channels, bundle.in_length):
        raise CliError(f"dataset '{dataset}' has inputs of shape {x.shape[1:]}, bundle "
                       f"'{bundle.name}' expects ({bundle.in_channels}, {bundle.in_length})")
    n = len(bundle.classes)
    if len(y) and (y.min() < 0 or y.max() >= n):
        raise CliError(f"dataset '{dataset}' has labels outside 0..{n - 1} ({n} classes in "
                       f"bundle '{bundle.name}')")
    if info.get("classes") and info["classes"] != list(bundle.classes):
        raise CliError(f"dataset classes {info['classes']} differ from bundle classes "
                       f"{list(bundle.classes)}")
    res = infer(bundle, x, keep_outputs=False)
    rep = classification_report(y, res.classes, n, list(bundle.classes))
    rep["model"] = str(model)
    rep["dataset"] = str(dataset)
    rep["bundle_bytes"] = Path(model).stat().st_size
    return rep


def run(args: argparse.Namespace) -> int:
    """Handler of `sparrow eval`."""
    from golden.safeio import UserFileError, check_writable, write_atomic
    from training.metrics import format_report, plot_confusion

    png = args.png or args.dataset / f"confusion-{args.model.stem}.png"
    rep = evaluate(args.model, args.dataset)
    try:
        png.parent.mkdir(parents=True, exist_ok=True)       # the PNG's folder may be new
        for out in (png, args.json):
            if out is not None:
                check_writable(out)
        plot_confusion(rep, png, title=f"{args.model.name} on {args.dataset.name}")
        if args.json:
            text = json.dumps(rep, indent=1) + "\n"
            write_atomic(args.json, lambda fh: fh.write(text.encode()))
    except UserFileError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write '{png}': {exc.strerror or exc}") from None
    print(format_report(rep))
    print(f"confusion matrix: {png}")
    return 0 if np.isfinite(rep["accuracy"]) else 1
