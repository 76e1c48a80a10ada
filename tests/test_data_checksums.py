"""SHA256SUMS verification: cached verdict, failures name the file, real folders verify."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from training import DataError, checksums


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARROW_CACHE", str(tmp_path / "cache"))


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    files = {"a.dat": b"\x00\x01" * 1000, "sub/b.txt": b"12\n-3\n", "c.hea": b"header\n"}
    lines = []
    for name, blob in files.items():
        (d / name).write_bytes(blob)
        lines.append(f"{hashlib.sha256(blob).hexdigest()}  {name}")
    (d / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return d


def test_good_folder_verifies(tmp_path: Path) -> None:
    assert checksums.verify_folder(_folder(tmp_path)) == 3


def test_mismatch_names_the_file(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "sub/b.txt").write_bytes(b"12\n-4\n")           # same size, different content
    with pytest.raises(DataError) as err:
        checksums.verify_folder(d)
    msg = str(err.value)
    assert "sub/b.txt" in msg and "mismatch" in msg and "\n" not in msg


def test_missing_file_and_missing_list(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "c.hea").unlink()
    with pytest.raises(DataError, match=r"c\.hea.*missing"):
        checksums.verify_folder(d)
    (d / "SHA256SUMS").unlink()
    with pytest.raises(DataError, match="no SHA256SUMS"):
        checksums.verify_folder(d)


def test_malformed_list(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "SHA256SUMS").write_text("deadbeef  a.dat\n")
    with pytest.raises(DataError, match="line 1 is malformed"):
        checksums.verify_folder(d)


def test_verdict_is_cached_until_a_file_changes(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    d = _folder(tmp_path)
    calls: list[str] = []
    real = checksums.sha256_file

    def counting(path: Path, chunk: int = 1 << 20) -> str:
        calls.append(Path(path).name)
        return real(path, chunk)

    monkeypatch.setattr(checksums, "sha256_file", counting)
    checksums.verify_folder(d)
    assert len(calls) == 3
    checksums.verify_folder(d)
    assert len(calls) == 3                                # cached: nothing re-hashed
    # corrupt a file but keep its size; a new mtime invalidates the cached verdict
    p = d / "a.dat"
    st = p.stat()
    p.write_bytes(b"\x00\x02" * 1000)
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with pytest.raises(DataError, match="a.dat"):
        checksums.verify_folder(d)
    assert len(calls) > 3


@pytest.mark.parametrize("name", ["mitdb", "bonn"])
def test_real_data_verifies(name: str) -> None:
    from training.paths import data_root

    folder = data_root() / name
    if not (folder / "SHA256SUMS").is_file():
        pytest.skip(f"{folder} absent")
    n = checksums.verify_folder(folder, use_cache=False)
    assert n == {"mitdb": 144, "bonn": 500}[name]
    # the lists kept in the repository (used after a download) agree with the shared copies
    from training.fetch import CHECKSUMS_DIR
    assert (checksums.parse_sums((CHECKSUMS_DIR / f"{name}.SHA256SUMS").read_text())
            == checksums.parse_sums((folder / "SHA256SUMS").read_text()))
