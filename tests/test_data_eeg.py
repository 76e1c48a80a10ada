"""Bonn EEG pipeline: window extraction vs a direct read, labels, file-disjoint splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training import DataError, eeg


@pytest.fixture(scope="module")
def bonn() -> Path:
    from training.fetch import dataset_dir, present
    if not present("bonn"):
        pytest.skip("Bonn EEG not available (no bonn/SHA256SUMS under the data root)")
    return dataset_dir("bonn")           # present but corrupt: an error, not a skip


@pytest.fixture(scope="module")
def windows(bonn: Path) -> eeg.Windows:
    from training.datasets import _load_pool
    p = _load_pool("eeg", progress=False, use_cache=True)
    return eeg.Windows(p["inputs"], p["labels"], p["source"], p["sample"], p["annotation"])


def _direct(path: Path, start: int) -> list[int]:
    vals = [int(line) for line in path.read_text().split()]
    assert len(vals) == 4097
    out = []
    for j in range(eeg.WINDOW // eeg.FACTOR):
        s = sum(vals[start + eeg.FACTOR * j: start + eeg.FACTOR * (j + 1)])
        q = s // eeg.DIVISOR                     # Python floor division (towards -inf)
        out.append(min(255, max(0, q + eeg.OFFSET)))
    return out


def test_windows_match_direct_read(bonn: Path, windows: eeg.Windows) -> None:
    for rel in ("E_S/S001.txt", "A_Z/Z042.txt", "D_F/F100.txt", "C_N/N007.TXT"):
        rows = np.flatnonzero(windows.file == rel)
        assert len(rows) == 15
        assert windows.start[rows].tolist() == list(range(0, 3585, 256))
        for i in rows[[0, 7, 14]]:
            assert windows.inputs[i, 0].tolist() == _direct(bonn / rel, int(windows.start[i]))


def test_labels_and_counts(windows: eeg.Windows) -> None:
    assert windows.inputs.shape == (7500, 1, 256) and windows.inputs.dtype == np.uint8
    assert np.array_equal(windows.labels, (windows.set_ == "E").astype(np.int64))
    assert {s: int((windows.set_ == s).sum()) for s in "ABCDE"} == dict.fromkeys("ABCDE", 1500)
    assert all(f.startswith(eeg.SETS[s] + "/") for f, s in zip(windows.file, windows.set_))


def test_inter_split_is_file_disjoint(windows: eeg.Windows) -> None:
    tr = eeg.split_mask(windows, "inter", "train")
    te = eeg.split_mask(windows, "inter", "test")
    assert not (tr & te).any() and (tr | te).all()
    assert not set(windows.file[tr]) & set(windows.file[te])
    for s in "ABCDE":                                   # 20 of the 100 files of every set
        assert len(set(windows.file[te & (windows.set_ == s)])) == 20
    assert np.array_equal(te, eeg.split_mask(windows, "inter", "test"))


def test_intra_split_mixes_files(windows: eeg.Windows) -> None:
    tr = eeg.split_mask(windows, "intra", "train")
    te = eeg.split_mask(windows, "intra", "test")
    assert not (tr & te).any() and (tr | te).all()
    assert int(te.sum()) == 1500
    assert len(set(windows.file[tr]) & set(windows.file[te])) > 100


def test_bad_split_names(windows: eeg.Windows) -> None:
    with pytest.raises(ValueError, match="split"):
        eeg.split_mask(windows, "cross", "train")
    with pytest.raises(ValueError, match="part"):
        eeg.split_mask(windows, "inter", "val")
    with pytest.raises(DataError, match="unknown split"):
        from training.datasets import build
        build("eeg", "cross", "train")
