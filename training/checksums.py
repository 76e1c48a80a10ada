"""SHA-256 verification of a data folder against its SHA256SUMS, with a cached verdict.

The verdict is cached under the cache directory keyed by the folder path and the size and
mtime of every listed file, so an unchanged folder is hashed once, not at every run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from training import DataError
from training.paths import cache_root

SUMS_NAME = "SHA256SUMS"


def parse_sums(text: str) -> dict[str, str]:
    """Parse `sha256sum` output lines ("<hex>  <name>" or "<hex> *<name>") into {name: hex}."""
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{SUMS_NAME} line {n} is malformed: {line!r}")
        name = parts[1].strip().lstrip("*")
        sums[name] = parts[0].lower()
    if not sums:
        raise DataError(f"{SUMS_NAME} lists no files")
    return sums


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of one file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _signature(folder: Path, names: list[str]) -> list[list]:
    sig = []
    for name in names:
        st = (folder / name).stat()
        sig.append([name, st.st_size, st.st_mtime_ns])
    return sig


def _cache_file(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cache_root() / "checksums" / f"{folder.name}-{key}.json"


def verify_folder(folder: Path, use_cache: bool = True) -> int:
    """Check every file listed in folder/SHA256SUMS; return the number of files checked.

    Raises DataError naming the folder and the first missing or mismatching file.
    """
    folder = Path(folder)
    sums_path = folder / SUMS_NAME
    if not sums_path.is_file():
        raise DataError(f"{folder}: no {SUMS_NAME} file; cannot verify the data")
    sums = parse_sums(sums_path.read_text())
    names = sorted(sums)
    for name in names:
        if not (folder / name).is_file():
            raise DataError(f"{folder / name}: file listed in {SUMS_NAME} is missing")
    sig = _signature(folder, names) + [[SUMS_NAME, *_signature(folder, [SUMS_NAME])[0][1:]]]
    cache = _cache_file(folder)
    if use_cache and cache.is_file():
        try:
            if json.loads(cache.read_text()).get("signature") == sig:
                return len(names)
        except (OSError, ValueError):
            pass
    for name in names:
        got = sha256_file(folder / name)
        if got != sums[name]:
            raise DataError(
                f"{folder / name}: SHA-256 mismatch (expected {sums[name]}, got {got})")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"folder": str(folder.resolve()), "signature": sig}))
        tmp.replace(cache)
    except OSError:
        pass
    return len(names)
