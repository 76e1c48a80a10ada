"""golden.randbundle: legal, deterministic, constraint-respecting, covering the corner cases."""

from __future__ import annotations

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.model import infer
from golden.randbundle import ecg_default_bundle, random_bundle, random_inputs
from golden.timing import taps_per_position, total_cycles


def test_deterministic() -> None:
    assert random_bundle(np.random.default_rng(7)) == random_bundle(np.random.default_rng(7))
    assert random_bundle(7) == random_bundle(7)
    assert random_bundle(7) != random_bundle(8)


def test_constraints_respected(rng: np.random.Generator) -> None:
    for _ in range(10):
        d = random_bundle(rng, n_layers=3, in_channels=2, in_length=20, first_kind="dense",
                          last_act="ssf", T=5, n_classes=4, max_cycles=3000)
        b = load_bundle(d)
        assert len(b.layers) == 3 and b.in_shape == (2, 20) and b.n_classes == 4
        assert b.layers[0].kind == "dense" and b.layers[-1].act == "ssf"
        assert all(L.T == 5 for L in b.layers)
        assert total_cycles(b) <= 3000
    with pytest.raises(TypeError):
        random_bundle(rng, colour="red")


def test_corner_cases_are_covered(rng: np.random.Generator) -> None:
    seen: set[str] = set()
    for _ in range(250):
        b = load_bundle(random_bundle(rng))
        for L in b.layers:
            seen.add(f"T{L.T}")
            if L.kind == "conv1d":
                if L.kernel == L.in_len and L.padding == 0:
                    seen.add("kernel=length")
                if L.stride > L.kernel:
                    seen.add("stride>kernel")
                if L.padding:
                    seen.add("padding")
                if (taps_per_position(L) == 0).any():
                    seen.add("empty position")
                if L.index > 0 and b.layers[L.index - 1].kind == "dense":
                    seen.add("dense->conv")
            if L.theta is not None:
                seen.update(f"theta{v}" for v in (1, 65535) if (L.theta == v).any())
            if L.groups > 1:
                seen.add("multi-group")
            if L.out_ch % 8:
                seen.add("partial group")
            if int(L.acc_hi.max()) == b.limits.acc_max or int(L.acc_lo.min()) == b.limits.acc_min:
                seen.add("acc at bound")
        if b.layers[0].kind == "dense":
            seen.add("dense first")
        if b.layers[-1].is_ssf:
            seen.add("ssf last")
    want = {"T1", "T255", "kernel=length", "stride>kernel", "padding", "empty position",
            "dense->conv", "theta1", "theta65535", "multi-group", "partial group",
            "acc at bound", "dense first", "ssf last"}
    assert want <= seen, want - seen


def test_activity_is_not_degenerate(rng: np.random.Generator) -> None:
    """Calibrated bias/theta: most ssf layers produce both zero and non-zero counts."""
    mixed = total = 0
    for _ in range(40):
        b = load_bundle(random_bundle(rng, corner=0.0))
        x = random_inputs(rng, b.in_shape, 16)
        for L, out in zip(b.layers, infer(b, x).outputs):
            if L.is_ssf and out.size > 8:
                total += 1
                mixed += int(out.min() == 0 and out.max() > 0)
    assert total > 20 and mixed / total > 0.7


def test_ecg_default_shape() -> None:
    b = load_bundle(ecg_default_bundle(1))
    shapes = [(L.kind, L.in_ch, L.in_len, L.out_ch, L.out_len) for L in b.layers]
    assert shapes == [("conv1d", 1, 187, 8, 94), ("conv1d", 8, 94, 16, 47),
                      ("conv1d", 16, 47, 16, 24), ("conv1d", 16, 24, 16, 12),
                      ("dense", 192, 1, 32, 1), ("dense", 32, 1, 5, 1)]
    assert b.n_weights == 56 + 640 + 1280 + 1280 + 6144 + 160
    assert b.classes == ["N", "S", "V", "F", "Q"]
