"""silicon.events.switching (vectorised bit toggles of the datapath) against an independent
cycle-by-cycle reference written here from the RTL's documented pipeline (rtl/ctrl.v tap
pipeline, rtl/mac_array.v, rtl/ssf_fire.v), on random legal bundles run back to back; the
comparison is shown to detect a model that forgets the previous inference's state."""

from __future__ import annotations

import time

import numpy as np
import pytest

from golden.bundle import Bundle, load_bundle
from golden.model import infer
from golden.timing import block_taps, blocks
from silicon.events import ACTIVITY, activity, boundary_toggles, switching

M33, M34, M32, M16 = (1 << 33) - 1, (1 << 34) - 1, (1 << 32) - 1, (1 << 16) - 1
LANES = 8


def _hd(a: int, b: int, mask: int) -> int:
    return bin((a ^ b) & mask).count("1")


def _signed8(v: int) -> int:
    return v - 256 if v >= 128 else v


def _divider(acc: int, theta: int) -> list[int]:
    """The divider's internal values (per stage: difference, quotient bit, remainder out) of
    rtl/ssf_fire.v for the 34-bit pattern ``acc`` (0 when isolated), as a flat list."""
    a = acc & M34
    rem = (a >> 8) & M16
    vals = []
    for s in range(8):
        shift = (rem << 1) | ((a >> (7 - s)) & 1)
        ge = int(shift >= theta)
        sub = (shift - theta) & M16
        vals += [sub, ge]
        rem = sub if ge else shift & M16
        if s < 7:
            vals.append(rem)
    return vals


def _div_hd(u: list[int], v: list[int]) -> int:
    return sum(_hd(p, q, M34) for p, q in zip(u, v))


class Ref:
    """Registers of the datapath, cycle by cycle, over a stream of inferences."""

    def __init__(self) -> None:
        self.x = 0                          # p2_x_q
        self.w = [0] * LANES                # weight read data (signed lane bytes)
        self.s = [0] * LANES                # sum_q
        self.y = [0] * LANES                # y_q
        self.out = 0                        # y_sel_d: the output written
        self.th: list[int] | None = None    # θ / bias read data (unknown after reset)
        self.b: list[int] | None = None
        self.comb = self._comb()
        self.t = {k: 0 for k in ACTIVITY}

    def _comb(self) -> list[tuple[int, int, list[int]]]:
        """(adder out, carries, partial-product bits) of every lane."""
        out = []
        for m in range(LANES):
            p = self.x * self.w[m]
            a = self.s[m] + p
            pp = [(self.x >> i) & (self.w[m] & 0xFF) >> j & 1 for i in range(8) for j in range(8)]
            out.append((a & M33, ((a ^ self.s[m] ^ p) & M33), pp))
        return out

    def clock(self, x: int | None = None, w: list[int] | None = None,
              s: list[int] | None = None) -> None:
        """One clock edge: new register values, toggles of registers and combinational nets."""
        if x is not None:
            self.t["x_toggles"] += _hd(self.x, x, 0xFF)
            self.x = x
        if w is not None:
            self.t["w_toggles"] += sum(_hd(a, b, 0xFF) for a, b in zip(self.w, w))
            self.w = list(w)
        if s is not None:
            self.t["sum_toggles"] += sum(_hd(a, b, M33) for a, b in zip(self.s, s))
            self.s = list(s)
        new = self._comb()
        for (a0, c0, p0), (a1, c1, p1) in zip(self.comb, new):
            self.t["add_toggles"] += _hd(a0, a1, M33)
            self.t["carry_toggles"] += _hd(c0, c1, M33)
            self.t["pp_toggles"] += sum(u != v for u, v in zip(p0, p1))
        self.comb = new

    def inference(self, bundle: Bundle, x1: np.ndarray) -> dict[str, int]:
        """Run one inference; return the toggles of its window."""
        self.t = {k: 0 for k in ACTIVITY}
        outs = infer(bundle, x1[None]).outputs
        xin = x1.reshape(-1).astype(int)
        for li, layer in enumerate(bundle.layers):
            w3 = np.zeros((layer.groups * LANES,) + layer.weights3.shape[1:], np.int64)
            w3[:layer.out_ch] = layer.weights3
            bias = [0] * (layer.groups * LANES)
            theta = [1] * (layer.groups * LANES)
            bias[:layer.out_ch] = [int(v) for v in layer.bias]
            theta[:layer.out_ch] = [int(v) for v in layer.theta_or_ones]
            for g, t, _, _, _ in blocks(layer):
                th, bb = theta[8 * g:8 * g + 8], bias[8 * g:8 * g + 8]
                if self.th is not None:                       # read data at INIT + 1
                    self.t["theta_toggles"] += sum(_hd(a, c, M16) for a, c in zip(self.th, th))
                    self.t["bias_toggles"] += sum(_hd(a, c, M32) for a, c in zip(self.b, bb))
                self.th, self.b = th, bb
                self.clock(s=[0] * LANES)                     # INIT clears the sums
                pending = None                                # sum_q of the previous MAC
                for i_in, _, k in block_taps(layer, int(g), int(t)):
                    xv = int(xin[i_in])
                    ch = i_in if layer.kind == "dense" else i_in // layer.in_len
                    word = [int(w3[8 * g + m, ch, k]) for m in range(LANES)]
                    # the MAC cycle of this tap: its x (and, non-zero, its weight word) with
                    # the sums the previous tap left
                    self.clock(x=xv, w=word if xv else None, s=pending)
                    pending = [sm + xv * wm for sm, wm in zip(self.s, self.w)] if xv else None
                self.clock(s=pending)                         # DRAIN: the last sums
                for m in range(LANES):                        # FIRE: isolation opens
                    acc = self.s[m] + bb[m]
                    self.t["acc_toggles"] += 2 * _hd(acc, 0, M34)
                    self.t["div_toggles"] += 2 * _div_hd(_divider(acc, th[m]),
                                                         _divider(0, th[m]))
                    y = (min(max(acc // th[m], 0), layer.T) if layer.is_ssf else acc & M32)
                    self.t["y_toggles"] += _hd(self.y[m], y, M32)
                    self.y[m] = y
                for m in range(min(LANES, layer.out_ch - LANES * int(g))):  # WRITE cycles
                    self.t["out_toggles"] += _hd(self.out, self.y[m], M32)
                    self.out = self.y[m]
            xin = outs[li].reshape(-1).astype(int)
        return self.t


def _reference(bundle: Bundle, x: np.ndarray) -> dict[str, np.ndarray]:
    """The stream x[0..N-1] twice from reset: toggles of the second pass's windows (the steady
    state of the batch repeated, which switching models)."""
    ref = Ref()
    for xi in x:
        ref.inference(bundle, xi)
    rows = [ref.inference(bundle, xi) for xi in x]
    return {k: np.array([r[k] for r in rows]) for k in ACTIVITY}


def test_switching_equals_the_cycle_reference(make_bundle, make_inputs) -> None:
    """Every toggle count of every input of 6 small random bundles (about 5 s)."""
    for _ in range(6):
        b = load_bundle(make_bundle(max_layers=3, max_ch=6, max_len=12, max_cycles=600))
        x = make_inputs(b.in_shape, 3)
        got, want = switching(b, x), _reference(b, x)
        for k in ACTIVITY:
            assert np.array_equal(got[k], want[k]), (k, got[k], want[k])


def test_comparison_detects_a_forgotten_predecessor(make_bundle, make_inputs) -> None:
    """Counting each window from the reset state instead of the previous inference's state
    differs from the reference (so the test above can fail)."""
    b = load_bundle(make_bundle(max_layers=2, max_ch=6, max_len=12, max_cycles=600))
    x = make_inputs(b.in_shape, 3)
    x[:, 0, 0] = 200                                          # a non-zero first tap
    inner, edges = activity(b, x)
    bnd = boundary_toggles(None, edges)
    wrong = {k: inner[k] + bnd[k] for k in ACTIVITY}
    want = _reference(b, x)
    assert any(not np.array_equal(wrong[k], want[k]) for k in ACTIVITY)


def test_switching_is_chunk_independent_and_fast() -> None:
    """The chunked evaluation gives the same counts; ECG beats cost milliseconds each."""
    from pathlib import Path

    b = load_bundle(Path(__file__).resolve().parents[1] / "models/ecg/model.json")
    x = np.random.default_rng(7).integers(0, 256, (16, *b.in_shape)).astype(np.uint8)
    t0 = time.perf_counter()
    a = switching(b, x, chunk=16)
    dt = (time.perf_counter() - t0) / len(x)
    c = switching(b, x, chunk=5)
    for k in ACTIVITY:
        assert np.array_equal(a[k], c[k]), k
    assert dt < 0.5, f"{1000 * dt:.0f} ms per ECG input"


@pytest.mark.parametrize("shape", [(1, 0, 0), (0, 0, 0), (2, 0)])
def test_switching_rejects_bad_inputs(make_bundle, shape: tuple[int, ...]) -> None:
    """Wrong length, an empty batch, a missing axis: one-line ValueError."""
    b = load_bundle(make_bundle(max_layers=1))
    c0, l0 = b.in_shape
    full = tuple(d + e for d, e in zip((0, c0, l0), shape)) if len(shape) == 3 else (2, c0)
    if shape == (1, 0, 0):
        full = (1, c0, l0 + 1)
    with pytest.raises(ValueError, match="switching: inputs must have shape") as ei:
        switching(b, np.zeros(full, np.uint8))
    assert "\n" not in str(ei.value)


def test_flop_check_compares_with_gate_level_counts(make_bundle, make_inputs,
                                                    tmp_path) -> None:
    """silicon.energyfit.flop_check on a GLS run directory laid out as silicon.gls writes it:
    counts equal to the modelled accumulator toggles pass, one altered count fails."""
    import json

    from silicon.energyfit import flop_check, main

    bd = make_bundle(max_layers=2, max_ch=6, max_len=12, max_cycles=600)
    b = load_bundle(bd)
    (tmp_path / "b.json").write_text(json.dumps(bd))
    x = make_inputs(b.in_shape, 3)
    np.save(tmp_path / "x.npy", x)
    run = tmp_path / "main" / "runs" / "r"
    (run / "jobs").mkdir(parents=True)
    (tmp_path / "main" / "meta.json").write_text(json.dumps(
        {"modules": ["mac_array", "mac_array", "ctrl"],
         "types": ["DFFPOSX1", "NAND2X1", "DFFPOSX1"]}))
    (run / "plan.json").write_text(json.dumps([{"name": "j", "bundle": str(tmp_path / "b.json"),
                                                "inputs": str(tmp_path / "x.npy"),
                                                "indices": [0, 1, 2]}]))
    # the stream after reset: the first inference starts from the reset state
    inner, edges = activity(b, x)
    prev = {k: v[np.maximum(np.arange(3) - 1, 0)] for k, v in edges.items()}
    bnd, bnd0 = boundary_toggles(prev, edges), boundary_toggles(None, edges)
    want = inner["sum_toggles"] + np.where(np.arange(3) == 0, bnd0["sum_toggles"],
                                           bnd["sum_toggles"])
    counts = np.zeros((3, 5), np.uint32)
    counts[:, 0], counts[:, 1], counts[:, 2] = want, 7, 9
    np.savez(run / "jobs" / "j.npz", window=np.ones(3), counts=counts)
    fc = flop_check(run)
    assert fc["equal"] == 3 and fc["flops"] == 1 and fc["gls_toggles"] == int(want.sum())
    assert main(["--flop-check", str(run)]) == 0
    counts[1, 0] += 1
    np.savez(run / "jobs" / "j.npz", window=np.ones(3), counts=counts)
    assert flop_check(run)["equal"] == 2 and main(["--flop-check", str(run)]) == 1
