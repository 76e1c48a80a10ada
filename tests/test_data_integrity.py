"""Data integrity: the dataset cache is keyed by the content of the data folder in use, and a
record that is truncated or non-numeric is a one-line data error even when its checksum was
updated to match (so SHA256SUMS passes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from golden import cli
from training import DataError, datasets, eeg
from training.checksums import SUMS_NAME, sha256_file
from training.fetch import present
from training.paths import data_root

REAL_MITDB = data_root() / "mitdb"


def _write_sums(folder: Path) -> None:
    """Regenerate folder/SHA256SUMS from the files now in it (what a careless edit does)."""
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                   if p.is_file() and p.name != SUMS_NAME)
    (folder / SUMS_NAME).write_text("".join(f"{sha256_file(folder / n)}  {n}\n" for n in names))


def _bonn(root: Path, seed: int, per_set: int = 2) -> Path:
    """A small synthetic Bonn folder (per_set segments of 4097 integers in each set A-E)."""
    rng = np.random.default_rng(seed)
    folder = root / "bonn"
    for letter, sub in eeg.SETS.items():
        (folder / sub).mkdir(parents=True)
        for i in range(per_set):
            v = rng.integers(-900, 900, eeg.SEGMENT_LEN)
            (folder / sub / f"{letter}{i:03d}.txt").write_text("\n".join(map(str, v)) + "\n")
    _write_sums(folder)
    return folder


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache; the test points SPARROW_DATA where it needs."""
    monkeypatch.setenv("SPARROW_CACHE", str(tmp_path / "cache"))
    return tmp_path


def _use(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv("SPARROW_DATA", str(root))


def test_cache_key_follows_the_data(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, a2 = _bonn(env / "a", 1), _bonn(env / "b", 2), _bonn(env / "a2", 1)
    key = lambda folder: datasets.pool_key(eeg.PREPROCESS, folder)    # noqa: E731
    assert key(a) != key(b)                       # different data, different key
    assert key(a) == key(a2)                      # an identical copy may share the cache
    _use(monkeypatch, env / "a")
    xa = datasets.build("eeg", "intra", "test").inputs
    _use(monkeypatch, env / "b")                  # switching SPARROW_DATA: no stale examples
    xb = datasets.build("eeg", "intra", "test").inputs
    assert not np.array_equal(xa, xb)
    assert np.array_equal(xb, datasets.build("eeg", "intra", "test", use_cache=False).inputs)
    assert len(list((env / "cache" / "datasets").glob("eeg-pool-*.npz"))) == 2


def test_changed_files_rebuild_the_cache(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _bonn(env, 3)
    _use(monkeypatch, env)
    before = datasets.build("eeg", "intra", "test")
    seg = folder / "E_S" / "E000.txt"
    seg.write_text("\n".join(["2000"] * eeg.SEGMENT_LEN) + "\n")   # new content, new checksum
    _write_sums(folder)
    after = datasets.build("eeg", "intra", "test")
    fresh = datasets.build("eeg", "intra", "test", use_cache=False)
    assert np.array_equal(after.inputs, fresh.inputs)
    assert not np.array_equal(before.inputs, after.inputs)
    # a changed file whose checksum was NOT updated is refused, never served from the cache
    seg.write_text("\n".join(["-2000"] * eeg.SEGMENT_LEN) + "\n")
    with pytest.raises(DataError, match=r"E000\.txt: SHA-256 mismatch"):
        datasets.build("eeg", "intra", "test")


def _build_fails(env: Path, capsys: pytest.CaptureFixture, name: str, where: str,
                 part: str) -> None:
    """build() raises DataError and `sparrow dataset` prints one line naming the file."""
    with pytest.raises(DataError, match=part):
        datasets.build(name, "inter", "test")
    rc = cli.main(["dataset", name, "--split", "inter", "--part", "test", "--quiet",
                   "--out", str(env / "out")])
    err = capsys.readouterr().err.splitlines()
    assert rc == 1 and len(err) == 1 and where in err[0] and part in err[0], err
    assert not (env / "out" / "inputs.npy").exists()


@pytest.mark.parametrize("damage, part", [
    (lambda p: p.write_text(p.read_text().replace("\n", "\nabc\n", 1)), "not a Bonn segment"),
    (lambda p: p.write_text("\n".join(p.read_text().split()[:4000]) + "\n"),
     "expected 4097 samples, found 4000"),
    (lambda p: p.write_text(p.read_text().replace("\n", ".5\n", 1)), "not a Bonn segment"),
])
def test_eeg_record_damaged_with_matching_checksum(env: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys, damage, part: str) -> None:
    folder = _bonn(env, 4)
    damage(folder / "C_N" / "C001.txt")
    _write_sums(folder)
    _use(monkeypatch, env)
    _build_fails(env, capsys, "eeg", "C_N/C001.txt", part)


def _mitdb_copy(root: Path) -> Path:
    """A MIT-BIH folder of symlinks to the real records (no data copied)."""
    folder = root / "mitdb"
    folder.mkdir(parents=True)
    for p in REAL_MITDB.iterdir():
        if p.name != SUMS_NAME:
            (folder / p.name).symlink_to(p)
    return folder


def _replace(link: Path, data: bytes) -> None:
    link.unlink()
    link.write_bytes(data)


@pytest.mark.skipif(not present("mitdb"), reason="no MIT-BIH copy")
@pytest.mark.parametrize("damage, part", [
    (lambda d: _replace(d / "100.dat", (REAL_MITDB / "100.dat").read_bytes()[:99_999]),
     "cannot read MIT-BIH record 100"),
    (lambda d: _replace(d / "100.hea", (REAL_MITDB / "100.hea").read_bytes().replace(
        b"650000", b"65x000", 1)), "outside the signal's 65 samples"),
    (lambda d: _replace(d / "100.atr", (REAL_MITDB / "100.atr").read_bytes()[:-20_001]),
     "100.atr: no end-of-annotations marker"),
])
def test_ecg_record_damaged_with_matching_checksum(env: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys, damage, part: str) -> None:
    folder = _mitdb_copy(env)
    damage(folder)
    _write_sums(folder)
    _use(monkeypatch, env)
    _build_fails(env, capsys, "ecg", "mitdb/100", part)


@pytest.mark.skipif(not present("mitdb"), reason="no MIT-BIH copy")
def test_ecg_annotations_past_a_shortened_signal(env: Path) -> None:
    """A header and signal shortened consistently (wfdb reads it) but annotations beyond the
    end: a data error, not windows of clamped edge samples."""
    from training import ecg

    folder = _mitdb_copy(env)
    hea = (REAL_MITDB / "100.hea").read_text().replace("650000", "300000", 1)
    _replace(folder / "100.hea", hea.encode())
    _replace(folder / "100.dat", (REAL_MITDB / "100.dat").read_bytes()[:300_000 * 3])
    with pytest.raises(DataError, match="outside the signal's 300000 samples"):
        ecg.record_beats(folder, 100)


def test_present_is_not_verified(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' skip condition: a folder with a SHA256SUMS is present even when a file is
    damaged, so a corrupt copy fails the data tests instead of skipping them."""
    from training.fetch import dataset_dir

    folder = _bonn(env, 5)
    _use(monkeypatch, env)
    assert present("bonn") and not present("mitdb")
    (folder / "A_Z" / "A000.txt").write_text("1\n")
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        dataset_dir("bonn")
