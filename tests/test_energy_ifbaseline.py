"""silicon.ifbaseline_fair: the fair IF network against an independent step-by-step integer
reference (spikes, logits and every event count), its exact limit cases, and the fast IF sweep
on a small subset of real ECG test beats."""

from __future__ import annotations

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.model import conv1d, dense, infer
from golden.timing import _layer_counters, total_cycles
from silicon.ifbaseline_fair import ENCODINGS, if_infer, rate_spikes


def _reference(bundle, x: np.ndarray, t_sim: int, encoding: str, v0: float):
    """Plain int64 IF run, one step at a time, events counted per step with golden.timing."""
    n = x.shape[0]
    L0 = bundle.layers
    v, thr, cnt = [], [], []
    ev = {"wreads": np.zeros(n, np.int64), "macs": np.zeros(n, np.int64),
          "skips": np.zeros(n, np.int64)}
    for L in L0:
        if L.is_ssf:
            th = np.repeat(L.theta * L.T, L.out_len)[None, :]
            thr.append(th)
            v.append(np.broadcast_to(np.floor(th * v0).astype(np.int64), (n, L.out_size)).copy())
        else:
            thr.append(None)
            v.append(np.zeros((n, L.out_size), np.int64))
        cnt.append(np.zeros((n, L.out_size), np.int64))
    xin = x.reshape(n, -1).astype(np.int64)
    for t in range(t_sim):
        s = xin if encoding == "direct" else rate_spikes(xin, t)
        for li, L in enumerate(L0):
            w, m, sk = _layer_counters(L, s)
            ev["wreads"] += w
            ev["macs"] += m
            ev["skips"] += sk
            z = np.zeros(L.out_ch, np.int64)
            if L.kind == "dense":
                acc = dense(s, L.weights, z)
            else:
                acc = conv1d(s.reshape(n, L.in_ch, L.in_len), L.weights, z, L.stride, L.padding)
            scale = 1 if (li == 0 and encoding == "direct") else (255 if li == 0 else
                                                                   L0[li - 1].T)
            v[li] += scale * acc.reshape(n, -1) + np.repeat(L.bias, L.out_len)[None, :]
            if thr[li] is not None:
                fire = (v[li] >= thr[li]).astype(np.int64)
                v[li] -= fire * thr[li]
                cnt[li] += fire
                s = fire
    logits = cnt[-1] if L0[-1].is_ssf else v[-1]
    return logits, cnt, ev


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_if_matches_the_integer_reference(make_bundle, make_inputs, encoding: str) -> None:
    for k in range(6):
        b = load_bundle(make_bundle(max_layers=3, max_ch=6, max_len=16))
        x = make_inputs(b.in_shape, 4)
        t_sim = (3, 7, 16)[k % 3]
        v0 = (0.0, 0.5)[k % 2]
        r = if_infer(b, x, t_sim, encoding, v0, chunk=3)
        logits, cnt, ev = _reference(b, x, t_sim, encoding, v0)
        assert np.array_equal(r.logits, logits)
        for a, c in zip(r.counts, cnt):
            assert np.array_equal(a, c)
        for key in ev:
            assert np.array_equal(r.events[key], ev[key]), key
        assert np.all(r.events["cycles"] == t_sim * total_cycles(b))
        assert np.array_equal(r.events["act_reads"], r.events["wreads"] + r.events["skips"])


def test_reference_checker_can_fail(make_bundle, make_inputs) -> None:
    """The comparison of test_if_matches_the_integer_reference reports a wrong threshold."""
    d = make_bundle(n_layers=2, last_act="ssf", T=7)
    b = load_bundle(d)
    x = make_inputs(b.in_shape, 8)
    r = if_infer(b, x, 15, "rate")
    assert np.array_equal(_reference(b, x, 15, "rate", 0.0)[1][0], r.counts[0])
    b.layers[0].theta = b.layers[0].theta * 2            # the reference now runs a wrong θ
    assert not np.array_equal(_reference(b, x, 15, "rate", 0.0)[1][0], r.counts[0])


def test_rate_code_totals() -> None:
    x = np.arange(256)
    for t_sim in (1, 8, 255, 300):
        tot = sum(rate_spikes(x, t) for t in range(t_sim))
        assert np.array_equal(tot, t_sim * x // 255)
        assert set(np.unique(rate_spikes(x, t_sim - 1))) <= {0, 1}


def test_one_layer_direct_is_exact_ssf(make_bundle, make_inputs) -> None:
    """Constant current and reset by subtraction: after T steps an IF neuron has fired
    clip(floor(acc / θ), 0, T) times, exactly the SSF count."""
    for T in (1, 7, 15):
        b = load_bundle(make_bundle(n_layers=1, last_act="ssf", T=T))
        x = make_inputs(b.in_shape, 6)
        r = if_infer(b, x, T, "direct")
        assert np.array_equal(r.counts[0], infer(b, x).outputs[0].reshape(6, -1))


def test_bad_arguments(make_bundle) -> None:
    b = load_bundle(make_bundle())
    x = np.zeros((1, *b.in_shape), np.uint8)
    with pytest.raises(ValueError, match="encoding must be one of"):
        if_infer(b, x, 4, "bitplane")
    with pytest.raises(ValueError, match="t_sim must be >= 1"):
        if_infer(b, x, 0)


def test_smallest_within() -> None:
    from silicon.if_sweep import smallest_within

    pts = [{"T_sim": t, "accuracy_pct": a} for t, a in ((4, 90.0), (8, 98.4), (16, 98.6),
                                                        (32, 98.9))]
    assert smallest_within(pts, 99.0, 0.5)["T_sim"] == 16
    assert smallest_within(pts, 98.9, 0.5)["T_sim"] == 8
    assert smallest_within(pts, 99.5, 0.5) is None


def test_sweep_on_a_small_subset(tmp_path, monkeypatch) -> None:
    """make if-baseline on 40 real ECG test beats, 20 tune beats, T_sim 2 and 8 (about 20 s):
    the report, its ratio and the plot exist and are consistent."""
    import json

    from silicon.if_sweep import main

    known = {"logic": {"cycle": 5.0, "mac": 2.0, "wread": 1.0, "fire": 20.0},
             "clock": {"cycle": 10.0}, "leakage": {"all_cycle": 0.5},
             "mem_weight": {"wread": 30.0}, "mem_act": {"act_read": 3.0, "act_write": 4.0},
             "mem_bias": {"bias_read": 25.0}, "mem_theta": {"theta_read": 15.0}}

    table = tmp_path / "table.json"
    table.write_text(json.dumps({"format": "sparrow-event-energies", "node_nm": 180,
                                 "clock_mhz": 4.0, "energies_pj": known}))
    out = tmp_path / "if.json"
    assert main(["--families", "ecg", "--grid", "2,8", "--n-test", "40", "--n-tune", "20",
                 "--table", str(table), "--out", str(out), "--tol", "100"]) == 0
    doc = json.loads(out.read_text())
    ecg = doc["families"]["ecg"]
    assert [p["T_sim"] for p in ecg["points"]] == [2, 8]
    assert ecg["n_test"] == 40 and ecg["equal_accuracy"]["T_sim"] == 2      # tol 100 points
    assert ecg["equal_accuracy"]["event_count_ratios"]["cycles"] == pytest.approx(2.0)
    p2, p8 = ecg["points"]
    assert doc["if_energy_ratio"] == p2["ratio"] and p8["ratio"] > p2["ratio"]
    assert p8["energy_nj"] > p2["energy_nj"] > 0 and ecg["ssf"]["energy_nj"] > 0
    assert p2["energy_nj_event_driven"] < p2["energy_nj"] < p2["energy_nj_with_membrane"]
    assert p2["events_mean"]["cycles"] == 2 * ecg["ssf"]["events_mean"]["cycles"]
    assert out.with_suffix(".png").stat().st_size > 10_000
    assert main(["--families", "ecg,nope", "--table", str(table), "--out", str(out)]) == 1
    # repricing from the stored mean counts reproduces the per-input means (linearity) ...
    out2 = tmp_path / "if2.json"
    assert main(["--reprice", str(out), "--table", str(table), "--out", str(out2)]) == 0
    re = json.loads(out2.read_text())["families"]["ecg"]
    for a, b in zip(ecg["points"], re["points"]):
        for k in ("energy_nj", "energy_nj_event_driven", "energy_nj_with_membrane", "ratio"):
            assert b[k] == pytest.approx(a[k], rel=1e-9)
    # ... and a table twice as expensive doubles every energy but no ratio
    doubled = {c: {f: 2 * e for f, e in t.items()} for c, t in known.items()}
    table.write_text(json.dumps({"format": "sparrow-event-energies", "energies_pj": doubled}))
    assert main(["--reprice", str(out), "--table", str(table), "--out", str(out2)]) == 0
    re = json.loads(out2.read_text())
    assert re["families"]["ecg"]["ssf"]["energy_nj"] == pytest.approx(2 * ecg["ssf"]["energy_nj"])
    assert re["if_energy_ratio"] == pytest.approx(doc["if_energy_ratio"])
    assert main(["--reprice", str(table), "--table", str(table), "--out", str(out2)]) == 1
    # without a table: accuracies and event-count ratios only, energies null
    import silicon.if_sweep as sw

    monkeypatch.setattr(sw, "TABLE", tmp_path / "absent.json")
    assert main(["--reprice", str(out), "--out", str(out2)]) == 0
    re = json.loads(out2.read_text())
    eq = re["families"]["ecg"]["equal_accuracy"]
    assert re["if_energy_ratio"] is None and eq["ratio"] is None and eq["T_sim"] == 2
    assert eq["event_count_ratios"]["cycles"] == pytest.approx(2.0)
    lo, hi = re["if_energy_ratio_bounds"]
    assert lo == min(eq["event_count_ratios"].values()) and hi == pytest.approx(2.0)
