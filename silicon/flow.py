"""Shared paths, tool checks and step runner of the silicon flow (make synth / sta / gls /
energy). Every step writes its log under build/silicon/ and, when it fails, raises FlowError
with one line naming the log; the CLI (python -m silicon) turns that into a non-zero exit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "silicon"
REPORTS = REPO / "reports" / "energy"
LIB_DIR = REPO / "build" / "tech" / "usr" / "share" / "qflow" / "tech" / "osu018"
LIBERTY = LIB_DIR / "osu018_stdcells.lib"
TOOLS = {"yosys": "yosys (Debian package yosys)",
         "yosys-abc": "yosys-abc (Debian package yosys)", "sta": "OpenSTA (Debian package opensta)"}


class FlowError(RuntimeError):
    """A flow step failed or its inputs are missing (one-line message)."""


def check_tool(name: str) -> None:
    """Fail with one line naming the package when ``name`` is not on PATH."""
    if shutil.which(name) is None:
        raise FlowError(f"{name} not found: install {TOOLS.get(name, name)} (make setup)")


def check_library() -> None:
    """Fail with one line when the OSU018 library has not been unpacked."""
    if not LIBERTY.is_file():
        raise FlowError(f"{rel(LIBERTY)} missing: the Debian package "
                        f"qflow-tech-osu018 is not unpacked (run make setup)")


def run_step(name: str, cmd: list[str], log: Path, cwd: Path = REPO) -> None:
    """Run ``cmd`` with its output in ``log``; FlowError naming the log on a non-zero exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        rc = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        raise FlowError(f"{name} failed (exit {rc}); log {rel(log)}")


def rel(path: Path) -> str:
    """``path`` relative to the repository when inside it (for messages)."""
    path = Path(path)
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
