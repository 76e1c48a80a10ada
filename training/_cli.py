"""Shared helpers of the training subcommands."""

from __future__ import annotations

try:
    from golden.cli import CliError
except ImportError:  # pragma: no cover - golden.cli is part of the project
    class CliError(Exception):  # type: ignore[no-redef]
        """One-line user error."""

__all__ = ["CliError"]
