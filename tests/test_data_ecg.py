"""MIT-BIH pipeline: AAMI mapping, window extraction vs a direct wfdb read, splits, CLI."""

from __future__ import annotations

import argparse
import collections
import csv
import json
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from training import ecg

# Beat table of the data README (PhysioNet's published counts over all 48 records).
README_COUNTS = {"N": 75052, "L": 8075, "R": 7259, "V": 7130, "/": 7028, "A": 2546, "f": 982,
                 "F": 803, "j": 229, "a": 150, "E": 106, "J": 83, "Q": 33, "e": 16, "S": 2}


@pytest.fixture(scope="module")
def mitdb() -> Path:
    from training.fetch import dataset_dir, present
    if not present("mitdb"):
        pytest.skip("MIT-BIH not available (no mitdb/SHA256SUMS under the data root)")
    return dataset_dir("mitdb")          # present but corrupt: an error, not a skip


@pytest.fixture(scope="module")
def pool(mitdb: Path) -> dict:
    from training.datasets import _load_pool
    return _load_pool("ecg", progress=False, use_cache=True)


def test_aami_mapping_is_the_standard_one() -> None:
    expected = {"N": 0, "L": 0, "R": 0, "e": 0, "j": 0, "A": 1, "a": 1, "J": 1, "S": 1,
                "V": 2, "E": 2, "F": 3, "/": 4, "f": 4, "Q": 4}
    assert ecg.SYMBOL_TO_CLASS == expected
    assert ecg.CLASSES == ["N", "S", "V", "F", "Q"]
    for non_beat in "+~|x!\"[]^`'@psTtu?*=D":
        assert non_beat not in ecg.SYMBOL_TO_CLASS


def test_record_100_beats_and_skipped_annotations(mitdb: Path) -> None:
    import wfdb

    samples, symbols = ecg.read_beats(mitdb, 100)
    assert len(samples) == 2273
    assert collections.Counter(symbols.tolist()) == {"N": 2239, "A": 33, "V": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ann = wfdb.rdann(str(mitdb / "100"), "atr")
    skipped = [s for s in ann.symbol if s not in ecg.SYMBOL_TO_CLASS]
    assert skipped == ["+"]                          # the rhythm annotation at sample 18
    assert 18 not in samples.tolist()


def _reference_window(mitdb: Path, r: int, n_samples: int) -> list[int]:
    """Direct wfdb read of the raw window + Python-level decimation and exact scaling."""
    import wfdb

    lo, hi = r - ecg.PRE, r - ecg.PRE + ecg.LENGTH          # [lo, hi)
    a, b = max(lo, 0), min(hi, n_samples)
    rec = wfdb.rdrecord(str(mitdb / "100"), sampfrom=a, sampto=b, channels=[0], physical=False)
    assert rec.sig_name == ["MLII"]
    raw = [int(v) for v in rec.d_signal[:, 0]]
    raw = [raw[0]] * (a - lo) + raw + [raw[-1]] * (hi - b)   # edge replication
    means = [Fraction(sum(raw[3 * j:3 * j + 3]), 3) for j in range(187)]
    mn, mx = min(means), max(means)
    if mx == mn:
        return [0] * 187
    return [int(255 * (m - mn) / (mx - mn) + Fraction(1, 2)) for m in means]  # half up


def test_windows_match_direct_wfdb_read(mitdb: Path) -> None:
    beats = ecg.record_beats(mitdb, 100)
    n = 650000
    picks = [0, 1, 2, 500, 1136, 2271, 2272]
    picks += [int(i) for i in np.flatnonzero(beats.symbol == "A")[:3]]
    picks += [int(np.flatnonzero(beats.symbol == "V")[0])]
    for i in picks:
        want = _reference_window(mitdb, int(beats.sample[i]), n)
        assert beats.inputs[i, 0].tolist() == want, f"beat {i} at sample {beats.sample[i]}"
    # the first beat's window starts before the record: edge replication was exercised
    assert beats.sample[0] < ecg.PRE
    assert beats.inputs.dtype == np.uint8 and beats.inputs.shape == (2273, 1, 187)
    # R peak sits in the centre block on typical beats
    assert np.median(np.abs(beats.inputs[:, 0].argmax(axis=1) - 93)) <= 1


def test_scale_uint8_exact(rng: np.random.Generator) -> None:
    s = rng.integers(-3000, 3000, size=(200, 187))
    s[0] = 7                                      # constant row
    x = ecg.scale_uint8(s)
    assert x.dtype == np.uint8 and (x[0] == 0).all()
    for row, got in zip(s[1:20], x[1:20]):
        lo, hi = int(row.min()), int(row.max())
        want = [int(Fraction(255 * (int(v) - lo), hi - lo) + Fraction(1, 2)) for v in row]
        assert got.tolist() == want
    assert (x[1:].min(axis=1) == 0).all() and (x[1:].max(axis=1) == 255).all()


def test_all_beats_match_published_table(pool: dict) -> None:
    counts = collections.Counter(pool["annotation"].tolist())
    assert counts == README_COUNTS
    assert len(pool["labels"]) == 109494
    mapped = np.array([ecg.SYMBOL_TO_CLASS[s] for s in pool["annotation"]])
    assert np.array_equal(mapped, pool["labels"])


def test_intra_split_stratified_and_disjoint(pool: dict) -> None:
    beats = ecg.Beats(pool["inputs"], pool["labels"], pool["record"], pool["sample"],
                      pool["annotation"])
    tr = ecg.split_mask(beats, "intra", "train")
    te = ecg.split_mask(beats, "intra", "test")
    assert not (tr & te).any() and (tr | te).all()
    for c in range(5):
        n_c = int((beats.labels == c).sum())
        assert int((te & (beats.labels == c)).sum()) == round(0.2 * n_c)
    # fixed seed: same split again; another seed: another split
    assert np.array_equal(te, ecg.split_mask(beats, "intra", "test"))
    assert not np.array_equal(te, ecg.split_mask(beats, "intra", "test", seed=1))
    assert set(np.unique(beats.record[te])) == set(ecg.RECORDS)


def test_inter_split_records(pool: dict) -> None:
    from training.datasets import build

    tr = build("ecg", "inter", "train")
    te = build("ecg", "inter", "test")
    rtr = {int(s) for s in np.unique(tr.meta["source"])}
    rte = {int(s) for s in np.unique(te.meta["source"])}
    assert rtr == set(ecg.DS1) and rte == set(ecg.DS2) and not rtr & rte
    assert not (rtr | rte) & set(ecg.PACED)
    # de Chazal et al. 2004, Table I: DS1 and DS2 beats per AAMI class
    assert tr.counts() == {"N": 45866, "S": 944, "V": 3788, "F": 415, "Q": 8}
    assert te.counts() == {"N": 44259, "S": 1837, "V": 3221, "F": 388, "Q": 7}


def test_dataset_cli_writes_directory(tmp_path: Path, mitdb: Path, pool: dict,
                                      capsys: pytest.CaptureFixture) -> None:
    from training import cli_dataset

    out = tmp_path / "ecg-test"
    args = argparse.Namespace(name="ecg", split="intra", part="test", out=out, seed=None,
                              no_cache=False, dimension="valence", source=None, quiet=True)
    assert cli_dataset.run(args) == 0
    assert "21899 examples" in capsys.readouterr().out
    x = np.load(out / "inputs.npy")
    y = np.load(out / "labels.npy")
    assert x.dtype == np.uint8 and x.shape == (21899, 1, 187)
    assert y.dtype == np.int64 and y.shape == (21899,)
    with open(out / "meta.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 21899 and list(rows[0]) == ["source", "sample", "annotation"]
    assert [ecg.SYMBOL_TO_CLASS[r["annotation"]] for r in rows] == y.tolist()
    info = json.loads((out / "dataset.json").read_text())
    assert info["classes"] == ecg.CLASSES and info["preprocess"] == ecg.PREPROCESS
    # spot check: a row of inputs.npy is the window of the beat named in meta.csv
    r = rows[1234]
    sig, _ = ecg.read_lead(mitdb, int(r["source"]))
    assert np.array_equal(x[1234], ecg.windows(sig, np.array([int(r["sample"])]))[0])
