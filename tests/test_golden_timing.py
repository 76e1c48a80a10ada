"""golden.timing: the docs §7 schedule against hand-computed schedules and a cycle walker."""

from __future__ import annotations

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.model import infer
from golden.timing import (block_taps, blocks, counters_batch, layer_cycles, total_cycles,
                           trace)


def conv(cin: int, cout: int, k: int, s: int, p: int, act: dict, w: int = 1) -> dict:
    return {"kind": "conv1d", "in_channels": cin, "out_channels": cout, "kernel": k,
            "stride": s, "padding": p, "weights": [[[w] * k] * cin] * cout, "bias": [0] * cout,
            "activation": act}


def dense(f: int, o: int, act: dict, w: int = 1) -> dict:
    return {"kind": "dense", "in_features": f, "out_features": o, "weights": [[w] * f] * o,
            "bias": [0] * o, "activation": act}


def bundle(c0: int, l0: int, layers: list[dict], n_out: int) -> dict:
    return {"format": "sparrow-bundle", "version": 1, "name": "t",
            "classes": [str(i) for i in range(n_out)],
            "input": {"channels": c0, "length": l0}, "layers": layers}


NONE = {"type": "none"}


def ssf_act(n: int, T: int = 7, theta: int = 1) -> dict:
    return {"type": "ssf", "T": T, "theta": [theta] * n}


def test_worked_example_of_section_7() -> None:
    b = bundle(1, 5, [conv(1, 2, 3, 2, 1, NONE)], 6)
    tr = trace(b, np.arange(1, 6, dtype=np.uint8)[None])
    assert tr.cycles == 26 == total_cycles(b)
    assert tr.events[:, :3].tolist() == [[7, 0, 0], [8, 0, 3], [16, 0, 1], [17, 0, 4],
                                         [24, 0, 2], [25, 0, 5]]
    # x = 1..5, all weights 1: position t sums x[2t-1..2t+1] inside 0..4
    assert tr.events[:, 3].tolist() == [3, 3, 9, 9, 9, 9]
    assert tr.counters == {"wreads": 7, "macs": 14, "skips": 0}


def test_dense_layer() -> None:
    # C = 1 + (4 + 5) + 3 = 13; writes at 1 + 4 + 5 + m
    b = bundle(1, 5, [dense(5, 3, NONE)], 3)
    tr = trace(b, np.array([[0, 2, 0, 0, 1]], dtype=np.uint8))
    assert tr.cycles == 13
    assert tr.events[:, :3].tolist() == [[10, 0, 0], [11, 0, 1], [12, 0, 2]]
    assert tr.counters == {"wreads": 2, "macs": 6, "skips": 3}


def test_multi_group_layer() -> None:
    # Cin 2, Lin 3, Cout 10 (G = 2, a = 8, 2), K 2, S 1, P 0 -> Lout 2, n(t) = 4
    # blocks: (g0,t0) 1..16 writes 9..16; (g0,t1) 17..32 writes 25..32;
    #         (g1,t0) 33..42 writes 41,42; (g1,t1) 43..52 writes 51,52; C = 53
    lay = conv(2, 10, 2, 1, 0, ssf_act(10))
    b = bundle(2, 3, [lay, dense(20, 1, NONE)], 1)
    L0 = load_bundle(b).layers[0]
    assert layer_cycles(L0) == 53
    tr = trace(b, np.array([[1, 0, 2], [0, 0, 3]], dtype=np.uint8))
    ev = tr.events[tr.events[:, 1] == 0]
    want_c = list(range(9, 17)) + list(range(25, 33)) + [41, 42, 51, 52]
    want_i = [2 * o for o in range(8)] + [2 * o + 1 for o in range(8)] + [16, 18, 17, 19]
    assert ev[:, 0].tolist() == want_c and ev[:, 2].tolist() == want_i
    assert blocks(L0)[:, 2].tolist() == [1, 17, 33, 43]
    # nonzero taps: t0 reads x[0][0..1], x[1][0..1] = 1,0,0,0 -> 1; t1: 0,2,0,3 -> 2, per group;
    # layer 0 outputs are 1 (t0) and 5 (t1) on all 10 channels: 20 non-zero dense inputs
    assert tr.counters == {"wreads": 2 * 3 + 20, "macs": 10 * 3 + 20, "skips": 2 * 5 + 0}


def test_two_layer_chain() -> None:
    # layer 0 = the worked example with ssf (C = 26); dense 6 -> 2: B1 = 26,
    # C1 = 1 + (4 + 6) + 2 = 13, writes at 26 + 1 + 4 + 6 + m = 37, 38; total 39
    b = bundle(1, 5, [conv(1, 2, 3, 2, 1, ssf_act(2, T=15, theta=2)), dense(6, 2, NONE, -1)], 2)
    tr = trace(b, np.array([[4, 0, 6, 0, 0]], dtype=np.uint8))
    assert tr.cycles == 39
    assert tr.events[:, :3].tolist() == [[7, 0, 0], [8, 0, 3], [16, 0, 1], [17, 0, 4],
                                         [24, 0, 2], [25, 0, 5], [37, 1, 0], [38, 1, 1]]
    # counts: t0 = floor((x0+x1)/2) = 2, t1 = floor((x1+x2+x3)/2) = 3, t2 = floor((x3+x4)/2) = 0
    assert tr.events[:6, 3].tolist() == [2, 2, 3, 3, 0, 0]
    assert tr.events[6:, 3].tolist() == [-10, -10]         # -(2+3+0) x 2 channels
    # layer 0 taps: t0 {x0,x1}: 1 non-zero of 2, t1 {x1,x2,x3}: 1 of 3, t2 {x3,x4}: 0 of 2;
    # dense input [2,3,0,2,3,0]: 4 non-zero of 6
    assert tr.counters == {"wreads": 2 + 4, "macs": 2 * 2 + 2 * 4, "skips": 5 + 2}


def test_output_entirely_in_padding() -> None:
    # K 1, P 2, S 1, Lin 2 -> Lout 6; positions 0,1,4,5 have no real tap (n = 0)
    b = bundle(1, 2, [conv(1, 1, 1, 1, 2, NONE, w=3)], 6)
    tr = trace(b, np.array([[5, 7]], dtype=np.uint8))
    blk = [4 + n + 1 for n in (0, 0, 1, 1, 0, 0)]
    writes = np.cumsum(blk) + 1 - 1     # block t ends at 1 + sum(blk[:t+1]) - 1
    assert tr.events[:, 0].tolist() == writes.tolist()
    assert tr.events[:, 3].tolist() == [0, 0, 15, 21, 0, 0]
    assert tr.cycles == 1 + sum(blk)


# --- an independent cycle-by-cycle walker of §7 ------------------------------------------------

def walk(bd: dict, x1: np.ndarray, drain: int = 2,
         skip_padding: bool = True) -> tuple[list[tuple[int, int, int, int]], int, dict]:
    """Step a cycle counter through SETUP / INIT / TAP / DRAIN / FIRE / WRITE with loops.

    ``drain`` and ``skip_padding`` exist to inject schedule bugs (the checker must see them)."""
    b = load_bundle(bd)
    outs = infer(b, x1[None]).outputs
    cyc = 0
    ev = []
    cnt = {"wreads": 0, "macs": 0, "skips": 0}
    xin = x1.reshape(-1).astype(int).tolist()
    for li, L in enumerate(b.layers):
        cyc += 1                                            # SETUP
        for g in range((L.out_ch + 7) // 8):
            a = min(8, L.out_ch - 8 * g)
            for t in range(L.out_len):
                cyc += 1                                    # INIT
                for i in range(L.in_ch):
                    for k in range(L.kernel):
                        pos = t * L.stride + k - L.padding
                        if L.kind == "dense":
                            pos = 0
                        if not 0 <= pos < L.in_len:
                            if not skip_padding:
                                cyc += 1
                            continue
                        cyc += 1                            # TAP
                        v = xin[i * L.in_len + pos]
                        if v:
                            cnt["wreads"] += 1
                            cnt["macs"] += a
                        else:
                            cnt["skips"] += 1
                cyc += drain + 1                            # DRAIN, FIRE
                flat = outs[li].reshape(-1)
                for m in range(a):
                    o = 8 * g + m
                    idx = o * L.out_len + t
                    ev.append((cyc, li, idx, int(flat[idx])))
                    cyc += 1                                # WRITE
        xin = outs[li].reshape(-1).tolist()
    return ev, cyc, cnt


def test_trace_matches_cycle_walker(make_bundle, make_inputs) -> None:
    for _ in range(25):
        d = make_bundle(max_len=32, max_ch=12, max_cycles=4000)
        b = load_bundle(d)
        x = make_inputs(b.in_shape, 3)
        batch = counters_batch(b, x)
        for n in range(3):
            ev, cycles, cnt = walk(d, x[n])
            tr = trace(b, x[n])
            assert [tuple(r) for r in tr.events.tolist()] == ev
            assert tr.cycles == cycles == total_cycles(b)
            assert tr.counters == cnt
            assert {k: int(v[n]) for k, v in batch.items()} == cnt


def test_walker_comparison_catches_schedule_bugs() -> None:
    """The comparison above fails on a one-cycle drain error or on visiting padding taps."""
    d = bundle(1, 5, [conv(1, 2, 3, 2, 1, NONE)], 6)
    x = np.arange(1, 6, dtype=np.uint8)[None]
    events = [tuple(r) for r in trace(d, x).events.tolist()]
    assert walk(d, x)[0] == events
    assert walk(d, x, drain=3)[0] != events
    assert walk(d, x, skip_padding=False)[0] != events


def test_schedule_is_data_independent(make_bundle, make_inputs) -> None:
    b = load_bundle(make_bundle())
    x = make_inputs(b.in_shape, 2)
    t0, t1 = trace(b, x[0]), trace(b, x[1])
    assert np.array_equal(t0.events[:, :3], t1.events[:, :3])
    assert t0.cycles == t1.cycles
    z = trace(b, np.zeros(b.in_shape, np.uint8))
    assert z.counters["wreads"] == 0 and z.counters["macs"] == 0
    assert np.array_equal(z.events[:, :3], t0.events[:, :3])


def test_block_taps_order_and_addresses() -> None:
    b = load_bundle(bundle(2, 5, [conv(2, 9, 3, 2, 1, ssf_act(9)), dense(27, 2, NONE)], 2))
    L0, L1 = b.layers
    # group 1, t = 0: k = 0 is padding; order i = 0..1 then k ascending
    got = block_taps(L0, 1, 0).tolist()
    w = lambda g, i, k: (g * 2 + i) * 3 + k          # noqa: E731  (w_base 0)
    assert got == [[0, w(1, 0, 1), 1], [1, w(1, 0, 2), 2], [5, w(1, 1, 1), 1],
                   [6, w(1, 1, 2), 2]]
    assert L1.w_base == 2 * 2 * 3
    assert block_taps(L1, 0, 0)[:3].tolist() == [[0, 12, 0], [1, 13, 0], [2, 14, 0]]


@pytest.mark.parametrize("shape_cycles", [(1, 187, 13881)])
def test_ecg_default_shape_cycles(ecg_bundle: dict, shape_cycles) -> None:
    # The default ECG shape (computed by hand from §7 in docs/golden.md) fits the 20,600 budget.
    assert total_cycles(ecg_bundle) == shape_cycles[2] <= 20600
