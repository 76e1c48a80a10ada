"""Regression plans (tb/regress.make_plan): sizes per level, real-data sampling per class,
required corners, determinism and sharding."""

from __future__ import annotations

import numpy as np
import pytest

from golden.bundle import load_bundle
from tb.regress import corner_report, make_plan, per_class_sample, random_jobs


def _data_available() -> bool:
    """Both real data sets are present (a corrupt copy then fails the tests, never skips)."""
    from training.fetch import present

    return present("mitdb") and present("bonn")


needs_data = pytest.mark.skipif(not _data_available(), reason="real data not available")


def test_per_class_sample() -> None:
    labels = np.array([0] * 100 + [1] * 7 + [2] * 60)
    idx = per_class_sample(labels, 50, np.random.default_rng(0))
    counts = np.bincount(labels[idx])
    assert counts.tolist() == [50, 7, 50]
    assert np.all(np.diff(idx) > 0)


def test_random_jobs_corners_and_determinism() -> None:
    jobs = random_jobs(200, seed=5)
    assert len(jobs) >= 210
    hits = corner_report(jobs)
    missing = [k for k, v in hits.items() if v == 0]
    assert not missing, missing
    for j in jobs:
        load_bundle(j.bundle)                       # every bundle legal
        assert not j.x[0].any()                     # input 0 is all-zero
    again = random_jobs(200, seed=5)
    assert all(a.bundle == b.bundle and np.array_equal(a.x, b.x) for a, b in zip(jobs, again))
    other = random_jobs(200, seed=6)
    assert any(a.bundle != b.bundle for a, b in zip(jobs[10:], other[10:]))
    assert {j.vmode for j in jobs} == {"full", "random", "bursty", "stalls"}
    assert {j.load for j in jobs} == {"front", "backdoor"}


@needs_data
def test_smoke_plan() -> None:
    """Both default bundles on >= 50 real test examples per class (all of a smaller class),
    plus >= 200 random bundles."""
    plan = make_plan("smoke", 3)
    real = [j for j in plan if j.kind == "real"]
    assert [j.name for j in real] == ["ecg-default", "eeg-default"]
    for j in real:
        counts = np.bincount(j.labels, minlength=len(j.classes))
        assert all(c >= 50 for c in counts), counts
        assert j.x.dtype == np.uint8 and len(j.refs) == len(j.x)
        assert {"source", "sample", "annotation", "index"} <= set(j.refs[0])
    assert sum(j.kind == "random" for j in plan) >= 200


@needs_data
def test_shards_partition_the_full_plan() -> None:
    full = make_plan("full", 1)
    parts = [make_plan("full", 1, shard=k, nshards=2) for k in range(2)]
    names = sorted(j.name for p in parts for j in p)
    assert names == sorted(j.name for j in full)
    assert abs(sum(len(j.x) for j in parts[0]) - sum(len(j.x) for j in parts[1])) <= 2000
    n = {k: sum(len(j.x) for j in full if j.name.startswith(k)) for k in
         ("ecg-intra", "ecg-inter", "eeg-intra", "eeg-inter")}
    from training.datasets import build

    assert n["ecg-intra"] == len(build("ecg", "intra", "test"))
    assert n["ecg-inter"] == len(build("ecg", "inter", "test"))
    assert n["eeg-inter"] == len(build("eeg", "inter", "test"))


@needs_data
def test_full_plan_runs_each_bundle_on_its_own_protocol() -> None:
    """Each committed bundle sees only the test part of the protocol it was trained for: the
    intra ECG bundle never scores inter-patient beats (it was trained on beats of those
    records), and a protocol without a committed bundle (EEG intra) is not run at all."""
    from tb.regress import committed_bundles

    ecg = committed_bundles("ecg")
    assert ecg[0][1] == "models/ecg/model.json"  # the default first
    splits = {origin: split for _, origin, split in ecg + committed_bundles("eeg")}
    full = make_plan("full", 1)
    for j in full:
        split = j.name.split("-")[1]
        assert splits[j.origin] == split, (j.name, j.origin)
        assert j.bundle["training"]["split"] == split
    trained = {(o.split("/")[1], s) for o, s in splits.items()}
    assert {tuple(j.name.split("-")[:2]) for j in full} == trained


@needs_data
def test_fault_goes_to_the_first_job() -> None:
    plan = make_plan("quick", 9, fault="threshold", per_class=1, n_random=1)
    assert plan[0].fault is not None and plan[0].fault["kind"] == "threshold"
    assert all(j.fault is None for j in plan[1:])


def test_unknown_level() -> None:
    with pytest.raises(ValueError):
        make_plan("nightly")
