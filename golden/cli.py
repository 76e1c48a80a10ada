"""The ``sparrow`` command: a thin argparse shell whose subcommands live in other modules.

Each module named in :data:`SUBCOMMANDS` exposes ``register(sub)``: it adds its parser to the
argparse subparsers object ``sub`` and calls ``set_defaults(func=handler)``, where
``handler(args) -> int`` returns the exit status and raises :class:`CliError` for a one-line
user error. Modules are imported in list order when ``main`` runs; a module should keep heavy
imports (torch, cocotb) inside its handler so that ``sparrow infer`` stays fast.

Exit status: 0 success, 1 a user error (``sparrow: error: ...`` on stderr, one line, no
traceback) or standard output closed by the reader before it was complete (e.g. ``| head -1``),
2 a command-line usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn, Sequence

PROG = "sparrow"

SUBCOMMANDS: list[str] = [
    "golden.cli_infer",
    "golden.cli_check",
    "golden.cli_energy",
    "training.cli_dataset",
    "training.cli_train",
    "training.cli_eval",
    "tb.cli_sim",
]


class CliError(Exception):
    """A user error reported as one line ``sparrow: error: <message>`` and exit status 1."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _register_missing(sub: argparse._SubParsersAction, module: str, exc: Exception) -> None:
    """Register a subcommand whose module cannot be imported; running it is a clean error."""
    name = module.rsplit(".", 1)[-1].removeprefix("cli_")
    reason = str(exc)

    def handler(_args: argparse.Namespace) -> int:
        raise CliError(f"subcommand '{name}' is unavailable: {reason}")

    p = sub.add_parser(name, help=f"(unavailable: {reason})")
    p.set_defaults(func=handler)


def build_parser(subcommands: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = _Parser(prog=PROG, description="SparrowSNN golden model, training and simulation "
                     "tools.")
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)
    for module in SUBCOMMANDS if subcommands is None else subcommands:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # only the listed module (or its package) missing; a bug inside it still raises
            if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                _register_missing(sub, module, exc)
                continue
            raise
        mod.register(sub)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("sparrowsnn")
    except Exception:  # noqa: BLE001 - metadata absent when run from a plain checkout
        return "unknown"


def non_negative_int(text: str) -> int:
    """argparse ``type`` of seeds and counts: a decimal integer >= 0 (else a usage error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; expected an integer >= 0")
    return value


def fail(message: str) -> NoReturn:
    """Raise a CliError (helper for handlers)."""
    raise CliError(message)


def _detach_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):          # stdout is not a real file (e.g. captured in tests)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sparrow`` console script; returns the exit status."""
    from golden.bundle import BundleError
    from golden.safeio import UserFileError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:              # usage error (2) or --help / --version (0)
        return int(exc.code) if isinstance(exc.code, int) else 2
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()                 # a closed pipe shows here, not at interpreter exit
        return status
    except (CliError, BundleError, UserFileError) as exc:
        msg = " ".join(str(exc).split())   # always exactly one line
        sys.stderr.write(f"{PROG}: error: {msg}\n")
        return 1
    except BrokenPipeError:
        _detach_stdout()
        sys.stderr.write(f"{PROG}: error: standard output was closed before the output was "
                         f"complete (broken pipe)\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: error: interrupted\n")
        return 130


if __name__ == "__main__":
    # run the imported module's main so that handlers raising golden.cli.CliError are caught
    from golden.cli import main as _main
    sys.exit(_main())
