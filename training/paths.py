"""Where the repository, the shared data and the local cache live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """Root of the real data: $SPARROW_DATA, else ../shared/data relative to the repo root.

    A relative SPARROW_DATA is resolved against the repo root, not the current directory.
    """
    env = os.environ.get("SPARROW_DATA")
    root = Path(env) if env else Path("..") / "shared" / "data"
    if not root.is_absolute():
        root = REPO_ROOT / root
    return root.resolve()


def cache_root() -> Path:
    """Git-ignored cache (datasets, checksum verdicts): $SPARROW_CACHE or <repo>/.cache."""
    env = os.environ.get("SPARROW_CACHE")
    root = Path(env) if env else REPO_ROOT / ".cache"
    if not root.is_absolute():
        root = REPO_ROOT / root
    return root
