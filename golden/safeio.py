"""Reading user files without surprises and writing outputs all-or-nothing.

Every reader here turns a malformed file into :class:`UserFileError` with a one-line message
and never allocates much more memory than the file holds: a ``.npy`` header is checked against
the file's size before the array is read, and JSON nested deeper than Python's recursion limit
or holding an integer too long to convert is a format error, not a crash. :func:`write_atomic`
writes to a temporary file beside the target and renames it into place, so an output appears
only when complete.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

import numpy as np


class UserFileError(ValueError):
    """A user file that cannot be read, or an output that cannot be written (one line)."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def read_text(path: Path, what: str, limit: int) -> str:
    """UTF-8 text of ``path`` (``what`` names it in messages), refused when longer than
    ``limit`` bytes, so a huge or endless file (``/dev/zero``) cannot exhaust memory."""
    try:
        with open(path, "rb") as fh:
            blob = fh.read(limit + 1)
    except OSError as exc:
        raise UserFileError(f"cannot read {what}: {exc.strerror or _one_line(exc)}") from None
    if len(blob) > limit:
        raise UserFileError(f"{what} is larger than {limit >> 20} MiB; refusing to read it")
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserFileError(f"cannot read {what}: not UTF-8 text ({_one_line(exc)})") from None


def parse_json(text: str, what: str) -> Any:
    """Parse JSON ``text`` of ``what`` (a name for messages); UserFileError when malformed."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserFileError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} "
                              f"column {exc.colno}") from None
    except RecursionError:
        raise UserFileError(f"{what} is not usable JSON: nested too deeply") from None
    except ValueError as exc:              # e.g. an integer literal of more than 4300 digits
        raise UserFileError(f"{what} is not usable JSON: {_one_line(exc)}") from None


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def read_npy(path: Path, what: str) -> np.ndarray:
    """Load a plain (non-object) ``.npy`` array from ``path``; ``what`` names it in messages.

    The header's shape and dtype must account for exactly the bytes in the file, so a header
    declaring a huge array over a few bytes of data is rejected before anything is allocated.
    """
    path = Path(path)
    if not path.exists():
        raise UserFileError(f"{what} file '{path}' does not exist")
    if path.is_dir():
        raise UserFileError(f"{what} '{path}' is a directory, expected a .npy file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
            if head != b"\x93NUMPY":
                kind = " (got an .npz archive)" if head[:2] == b"PK" else ""
                raise UserFileError(f"cannot read {what} '{path}': not a .npy array file{kind}")
            fh.seek(0)
            version = np.lib.format.read_magic(fh)
            if version not in _HEADER_READERS:
                raise UserFileError(f"{what} '{path}' is a .npy file of unsupported version "
                                    f"{version[0]}.{version[1]}")
            shape, _, dtype = _HEADER_READERS[version](fh)
            offset = fh.tell()
        size = path.stat().st_size
    except UserFileError:
        raise
    except (OSError, ValueError, EOFError, SyntaxError) as exc:
        raise UserFileError(f"cannot read {what} '{path}' as .npy: {_one_line(exc)}") from None
    if dtype.hasobject:
        raise UserFileError(f"cannot read {what} '{path}' as .npy: it holds Python objects "
                            "(pickled data), expected a numeric array")
    need = math.prod(shape) * dtype.itemsize
    if need != size - offset:
        raise UserFileError(f"{what} '{path}' is truncated or malformed: its header declares "
                            f"shape {tuple(shape)} of {dtype} ({need} bytes) but the file "
                            f"holds {size - offset} bytes of data")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UserFileError(f"cannot read {what} '{path}' as .npy: {_one_line(exc)}") from None
    return arr


def check_writable(out: Path) -> None:
    """UserFileError when ``out`` cannot be created (a directory, a missing or read-only
    parent directory)."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise UserFileError(f"output '{out}' is a directory")
    if not parent.is_dir():
        raise UserFileError(f"cannot write '{out}': directory '{parent}' does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserFileError(f"cannot write '{out}': directory '{parent}' is not writable")


def write_atomic(out: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(fh)`` on a temporary file beside ``out``, then rename it to ``out``.

    On any failure the temporary file is removed and ``out`` is left as it was; an OSError
    becomes UserFileError naming ``out``.
    """
    out = Path(out)
    check_writable(out)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise UserFileError(f"cannot write '{out}': {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, out)
    except OSError as exc:
        raise UserFileError(f"cannot write '{out}': {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
