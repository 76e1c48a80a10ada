"""golden.ifbaseline: the reference IF run and its access counts."""

from __future__ import annotations

import numpy as np

from golden.bundle import load_bundle
from golden.ifbaseline import compare, if_run
from golden.model import infer


def nonneg(d: dict) -> dict:
    """Same shapes, weights |w| (<= 127), zero bias: IF currents never decrease V."""
    for L in d["layers"]:
        L["weights"] = np.minimum(np.abs(np.asarray(L["weights"])), 127).tolist()
        L["bias"] = [0] * len(L["bias"])
    return d


def test_if_equals_ssf_for_monotone_networks(make_bundle, make_inputs) -> None:
    for _ in range(10):
        d = nonneg(make_bundle(last_act="ssf", max_layers=4))
        b = load_bundle(d)
        x = make_inputs(b.in_shape, 6)
        outs, _ = if_run(b, x)
        ssf = infer(b, x).outputs
        for o, s in zip(outs, ssf):
            assert np.array_equal(o.reshape(s.shape), s)
        assert compare(b, x)["class_agreement"] == 1.0


def test_counts_sanity(make_bundle, make_inputs) -> None:
    for _ in range(10):
        b = load_bundle(make_bundle(n_layers=3))
        x = make_inputs(b.in_shape, 5)
        r = compare(b, x)
        assert r["if_same_activity"]["wreads"] >= r["ssf"]["wreads"]
        assert r["if_same_activity"]["accs"] >= r["ssf"]["macs"]
        assert r["if"]["wreads_clock_driven"] >= r["if"]["wreads"]
        assert r["if"]["wreads_clock_driven"] >= r["ssf"]["wreads"]
        first = r["per_layer"][0]
        assert first["if"]["wreads"] == first["ssf"]["wreads"]
        assert first["if"]["accs"] == first["ssf"]["macs"]
        assert r["read_saving_same_activity"] >= 1.0


def test_T1_spike_trains_read_like_ssf(make_bundle, make_inputs) -> None:
    b = load_bundle(make_bundle(T=1, n_layers=3))
    x = make_inputs(b.in_shape, 4)
    r = compare(b, x)
    assert r["T_sim"] == 1
    assert r["if_same_activity"]["wreads"] == r["ssf"]["wreads"]


def test_if_reads_match_brute_force(make_bundle, make_inputs) -> None:
    for _ in range(5):
        b = load_bundle(make_bundle(n_layers=2, max_len=16, max_ch=6))
        x = make_inputs(b.in_shape, 2)
        outs, t_sim = if_run(b, x)
        r = compare(b, x)
        L = b.layers[1]
        reads = 0
        for n in range(x.shape[0]):
            c = outs[0][n].reshape(-1)
            for tau in range(t_sim):
                for _g in range(L.groups):
                    for t in range(L.out_len):
                        for i in range(L.in_ch):
                            for k in range(L.kernel):
                                pos = 0 if L.kind == "dense" else t * L.stride + k - L.padding
                                if 0 <= pos < L.in_len and c[i * L.in_len + pos] > tau:
                                    reads += 1
        assert r["per_layer"][1]["if"]["wreads"] == reads
