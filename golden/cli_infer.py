"""``sparrow infer --model M.json --inputs X.npy --out Y.npz``: run the golden model (spec §4).

Y.npz holds ``classes`` (N,) int64, ``logits`` (N, n_classes) int64, ``cycles`` (N,) int64
(the golden timing model's compute cycles, docs §7) and the data-dependent counters
``wreads``, ``macs``, ``skips`` (N,) int64. The file appears only when complete.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from golden import safeio
from golden.bundle import Bundle, BundleError, load_bundle
from golden.cli import CliError
from golden.safeio import UserFileError, read_npy


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``infer`` subcommand."""
    p = sub.add_parser("infer", help="run the golden model on a batch of inputs",
                       description="Run the bit-exact golden model of a bundle on X.npy "
                       "(uint8, (N, C0, L0)) and write classes, logits, cycles and counters "
                       "to Y.npz.")
    add_io_arguments(p)
    p.set_defaults(func=run)


def add_io_arguments(p: argparse.ArgumentParser) -> None:
    """The spec §4 arguments shared by ``sparrow infer`` and ``sparrow sim``."""
    p.add_argument("--model", required=True, type=Path, metavar="M.json", help="bundle file")
    p.add_argument("--inputs", required=True, type=Path, metavar="X.npy",
                   help="uint8 array (N, C0, L0)")
    p.add_argument("--out", required=True, type=Path, metavar="Y.npz", help="output file")


def load_model(path: Path) -> Bundle:
    """Load and validate a bundle; errors become CliError naming the file."""
    try:
        return load_bundle(path)
    except BundleError as exc:
        msg = str(exc)
        if msg.startswith(("bundle: '", "bundle: file", "bundle: cannot read")):
            raise CliError(msg.removeprefix("bundle: ")) from None
        raise CliError(f"invalid bundle '{path}': {msg}") from None


def load_inputs(path: Path, bundle: Bundle) -> np.ndarray:
    """Load X.npy and check dtype and shape against the bundle; N = 0 is an error."""
    try:
        x = read_npy(path, "inputs")
    except UserFileError as exc:
        raise CliError(str(exc)) from None
    if x.dtype != np.uint8:
        raise CliError(f"inputs '{path}' have dtype {x.dtype}, expected uint8")
    if x.ndim != 3:
        raise CliError(f"inputs '{path}' have {x.ndim} dimensions (shape {x.shape}), expected "
                       f"3: (N, {bundle.in_channels}, {bundle.in_length})")
    if x.shape[1:] != bundle.in_shape:
        raise CliError(f"inputs '{path}' have shape {x.shape}, expected (N, "
                       f"{bundle.in_channels}, {bundle.in_length}) for bundle '{bundle.name}'")
    if x.shape[0] == 0:
        raise CliError(f"inputs '{path}' hold no example (N = 0)")
    return x


def check_writable(out: Path) -> None:
    """Fail early when ``out`` cannot be created."""
    try:
        safeio.check_writable(out)
    except UserFileError as exc:
        raise CliError(str(exc)) from None


def write_npz_atomic(out: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz to a temporary file beside ``out`` and rename it into place."""
    try:
        safeio.write_atomic(out, lambda fh: np.savez(fh, **arrays))
    except UserFileError as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Handler of ``sparrow infer``."""
    from golden.model import infer
    from golden.timing import counters_batch, total_cycles

    bundle = load_model(args.model)
    x = load_inputs(args.inputs, bundle)
    check_writable(args.out)
    res = infer(bundle, x)
    n = x.shape[0]
    cnt = counters_batch(bundle, x, res.outputs)
    arrays = {"classes": res.classes.astype(np.int64), "logits": res.logits.astype(np.int64),
              "cycles": np.full(n, total_cycles(bundle), dtype=np.int64),
              **{k: v.astype(np.int64) for k, v in cnt.items()}}
    write_npz_atomic(args.out, arrays)
    print(f"sparrow infer: {n} inputs -> {args.out} ({len(bundle.classes)} classes, "
          f"{total_cycles(bundle)} cycles per inference)")
    return 0
