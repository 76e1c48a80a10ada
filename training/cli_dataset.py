"""`sparrow dataset ecg|eeg|deap --split intra|inter|patient --part train|test|tune [--record R]
[--model M.json] --out DIR`."""

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
    p.add_argument("--split", required=True, choices=["intra", "inter", "patient"],
                   help="protocol (patient: ecg only, one DS2 record, needs --record)")
    p.add_argument("--part", required=True, choices=["train", "test", "tune"],
                   help="tune: patient split only (first 5 minutes of the record)")
    p.add_argument("--record", type=int, default=None,
                   help="ecg --split patient: the DS2 record (test = all but its first 5 min)")
    p.add_argument("--model", type=Path, default=None, metavar="M.json",
                   help="ecg: write the inputs in this bundle's own input format "
                        "(channels, length, preprocess, e.g. the rhythm channel)")
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
    for name in ("model", "record"):        # callers that build the Namespace themselves
        if not hasattr(args, name):
            setattr(args, name, None)
    ecg_only = args.model is not None or args.split == "patient" or args.part == "tune" \
        or args.record is not None
    try:
        if ecg_only:
            ds = _build_ecg(args)
        else:
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


def _build_ecg(args: argparse.Namespace) -> "object":
    """--model / --split patient / --record: the ECG dataset in the requested input format."""
    from training import rhythm

    if args.name != "ecg":
        raise CliError("--model, --record, --split patient and --part tune are ECG only")
    if args.split == "patient":
        if args.record is None:
            raise CliError("--split patient needs --record R (a DS2 record)")
        if args.part not in ("tune", "test"):
            raise CliError("--split patient has parts tune and test")
    elif args.part == "tune":
        raise CliError("--part tune exists only with --split patient")
    if args.seed is not None:
        raise CliError("--seed is not supported with --model or --split patient")
    if args.model is None:
        return rhythm.build(args.split, args.part, args.record, rhythm=False,
                            use_cache=not args.no_cache, progress=not args.quiet)
    from golden.cli_infer import load_model

    inp = load_model(args.model).raw["input"]   # the whole bundle validated, read safely
    return rhythm.for_bundle(inp, args.split, args.part, args.record,
                             use_cache=not args.no_cache, progress=not args.quiet)
