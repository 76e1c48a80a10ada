"""Fuzz campaign (tb/campaign/fuzz.py) and the datapath-corner bins (tb/funcov.py): steered
bundles reach their corners, the bin classifiers hit and miss exactly, a small campaign passes
with every bin hit, and an injected fault makes it fail with a mismatch report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.model import infer
from tb.campaign.fuzz import STEER_KINDS, fuzz_bundles, fuzz_jobs, steered_bundle
from tb.funcov import DATAPATH_BINS, datapath_fire_labels, datapath_trace_labels

ACC_MAX, ACC_MIN = (1 << 31) - 1, -(1 << 31)


def _extremes(bd: dict) -> tuple[Any, np.ndarray]:
    b = load_bundle(bd)
    x = np.stack([np.zeros(b.in_shape, np.uint8), np.full(b.in_shape, 255, np.uint8)])
    return b, x


@pytest.mark.parametrize("kind", STEER_KINDS)
def test_steered_bundles_reach_their_corner(kind: str) -> None:
    rng = np.random.default_rng(11)
    for k in range(4):
        bd = steered_bundle(rng, kind, f"s{k}")
        b, x = _extremes(bd)
        res = infer(b, x)
        if kind == "acc_bound":
            assert res.logits[1, 0] == ACC_MAX and res.logits[0, 1] == ACC_MIN
        elif kind == "ssf_bound":
            assert int(np.asarray(b.layers[0].theta)[0]) == 65535
            assert int(res.outputs[0][1].reshape(-1)[0]) == b.layers[0].T   # saturated count
        elif kind == "zero_hidden":
            assert not np.asarray(res.outputs[0]).any()           # layer 1's input is all 0
        else:
            last = np.asarray(res.outputs[-1]).reshape(2, -1)
            assert all(int((row == row.max()).sum()) >= 2 for row in last)


def test_fuzz_plan_is_deterministic_and_legal() -> None:
    a, b = fuzz_bundles(12, 3), fuzz_bundles(12, 3)
    assert [x[1] for x in a] == [x[1] for x in b]
    assert sum(how.startswith("steered") for _, _, how in a) == 2
    jobs = fuzz_jobs(a, 3, inputs=4)
    for j in jobs:
        load_bundle(j.bundle)
        assert len(j.x) == 4 and not j.x[0].any() and (j.x[1] == 255).all()


def test_datapath_fire_labels_hit_and_miss() -> None:
    near = int(0.995 * ACC_MAX)
    assert datapath_fire_labels([near], [0], 7, False) == {"acc_near_max"}
    assert datapath_fire_labels([int(0.98 * ACC_MAX)], [0], 7, False) == set()    # 2 % away
    assert datapath_fire_labels([-int(0.995 * 2**31)], [0], 7, False) == {"acc_near_min"}
    assert datapath_fire_labels([-5], [3], 7, True) == {"negative_sum_clamped"}
    assert datapath_fire_labels([21], [3], 7, True) == {"count_saturated_at_T"}
    assert datapath_fire_labels([20], [3], 7, True) == set()                         # 6 < 7
    assert datapath_fire_labels([0], [1], 1, True) == {"theta=1", "T=1"}
    assert datapath_fire_labels([0], [65535], 255, True) == {"theta=65535", "T=255"}
    assert datapath_fire_labels([-5, 99], [0, 0], 1, True) == set()     # lanes without a channel
    assert datapath_fire_labels([-5], [3], 7, False) == set()           # a logit is not clamped


def test_datapath_trace_labels_hit_and_miss() -> None:
    bd = steered_bundle(np.random.default_rng(2), "zero_hidden", "z")
    b = load_bundle(bd)
    x = np.full(b.in_shape, 9, np.uint8)
    ev0 = np.array([[0, 0, 0, 0], [1, 0, 1, 0], [5, len(b.layers) - 1, 0, 3],
                    [6, len(b.layers) - 1, 1, 2]])
    assert datapath_trace_labels(b, x, ev0) == {"all_zero_layer_input"}
    ev1 = ev0.copy()
    ev1[1, 3] = 4                                     # layer 0 wrote a non-zero count
    ev1[3, 3] = 3                                     # two maxima: a tie
    assert datapath_trace_labels(b, x, ev1) == {"argmax_tie"}
    assert datapath_trace_labels(b, np.zeros_like(x), ev1) == {"argmax_tie",
                                                               "all_zero_layer_input"}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from tb.campaign.runner import campaign_client

    with campaign_client(2) as (cl, _where):
        yield cl


@pytest.mark.sim
def test_small_fuzz_campaign_hits_every_datapath_bin(client: Any) -> None:
    from tb.campaign.fuzz import FUZZ_DIR, run_fuzz
    from tb.funcov import merge

    s = run_fuzz(10, 4, per_task=5, progress=False, client=client)
    assert s["ok"], (s["failed_job_names"], s["datapath_unhit"])
    on_disk = json.loads((FUZZ_DIR / "summary.json").read_text())
    for key in ("bundles", "inputs", "mismatches", "workers"):          # spec §5
        assert key in on_disk
    assert on_disk["bundles"] >= 10 and on_disk["inputs"] == 4 * on_disk["bundles"]
    assert on_disk["mismatches"] == 0 and on_disk["workers"] >= 1
    assert all(v > 0 for v in s["datapath_bins"].values()) and \
        set(s["datapath_bins"]) == set(DATAPATH_BINS)
    merged = merge(sorted((FUZZ_DIR / "funcov").glob("*.xml")))      # what make coverage reads
    dp = {b.label: b.hits for b in merged.values() if b.point == "sparrow.datapath.corner"}
    assert dp == s["datapath_bins"]


@pytest.mark.sim
def test_fuzz_with_a_fault_fails_with_a_report(client: Any) -> None:
    from tb.campaign.fuzz import run_fuzz

    s = run_fuzz(3, 4, per_task=3, fault="weight_bit", progress=False, client=client)
    assert not s["ok"] and s["mismatches"] >= 1 and s["reports"]
    rep = json.loads(Path(s["reports"][0]).read_text())
    assert rep["fault"]["kind"] == "weight_bit"
    assert rep["first_divergence"]["layer"] == rep["fault"]["layer"]
    assert rep["reproduce"]["run"] == "make fuzz N=3 SEED=4 FAULT=weight_bit"
    assert "scripts/regress.py replay" in rep["reproduce"]["input"]
    assert Path(rep["case"]).is_file()
    assert rep.get("waves") and Path(rep["waves"]["fst"]).is_file()
