"""``sparrow check --model M.json``: validate a bundle and print its summary."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand."""
    p = sub.add_parser("check", help="validate a bundle and print shapes, weights and cycles",
                       description="Validate a bundle against the spec and the build limits; "
                       "print its layers, memory use and the cycles of one inference.")
    p.add_argument("--model", required=True, type=Path, metavar="M.json", help="bundle file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``sparrow check``."""
    from golden.bundle import summary_lines
    from golden.cli_infer import load_model
    from golden.timing import layer_cycles, total_cycles

    bundle = load_model(args.model)
    for line in summary_lines(bundle):
        print(line)
    per_layer = ", ".join(f"{L.index}: {layer_cycles(L)}" for L in bundle.layers)
    print(f"  cycles per inference {total_cycles(bundle)} ({per_layer})")
    print(f"OK: '{args.model}' is a valid bundle for the default build")
    return 0
