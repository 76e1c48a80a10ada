"""`sparrow dataset ecg|eeg|deap --split intra|inter --part train|test --out DIR`."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from golden.cli import non_negative_int
from training._cli import CliError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `dataset` subcommand."""
    p = sub.add_parser("dataset", help="build a dataset directory from the real data",
                       description="Build one part of one protocol of a data set from the raw "
                       "records (verified against SHA256SUMS, cached under .cache/) and write "
                       "inputs.npy (N, C, L) uint8, labels.npy (N,) int64, meta.csv and "
                       "dataset.json to DIR.")
    p.add_argument("name", choices=["ecg", "eeg", "deap"],
                   help="ecg = MIT-BIH AAMI 5 classes; eeg = Bonn E vs A-D; deap = DEAP "
                        "valence/arousal (your own licensed copy)")
    p.add_argument("--split", required=True, choices=["intra", "inter"], help="protocol")
    p.add_argument("--part", required=True, choices=["train", "test"])
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--seed", type=non_negative_int, default=None,
                   help="split seed (default: the protocol's)")
    p.add_argument("--no-cache", action="store_true", help="rebuild from the raw records")
    p.add_argument("--dimension", default="valence",
                   choices=["valence", "arousal", "dominance", "liking"], help="deap only")
    p.add_argument("--source", type=Path, default=None,
                   help="deap only: folder of sXX.dat files (default $SPARROW_DATA/deap)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of `sparrow dataset`."""
    from training import DataError, datasets

    t0 = time.time()
    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"output '{args.out}' exists and is not a directory")
    base = args.out.absolute()
    while not base.exists():             # the folder that will hold the new ones
        base = base.parent
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise CliError(f"cannot write '{args.out}': '{base}' is not a writable directory")
    try:
        ds = datasets.build(args.name, args.split, args.part, seed=args.seed,
                            progress=not args.quiet, use_cache=not args.no_cache,
                            dimension=args.dimension, source=args.source)
        datasets.write(ds, args.out)
    except DataError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write '{args.out}': {exc.strerror or exc}") from None
    counts = ", ".join(f"{k} {v}" for k, v in ds.counts().items())
    print(f"{args.name} {args.split}/{args.part}: {len(ds)} examples of shape "
          f"{tuple(ds.inputs.shape[1:])} ({counts}) -> {args.out} [{time.time() - t0:.1f} s]")
    return 0
