"""The energy arithmetic of silicon/energy.py on a hand-made model (fast, no tools needed):
activity-weighted logic power, the clock-gating model, memories, leakage and 22 nm scaling."""

from __future__ import annotations

import numpy as np
import pytest

from silicon import energy, memory
from silicon.energy import Model, scale_to_22nm, window_energy
from silicon.netlist import MODULES


def _model() -> Model:
    """Two flops (one gated by enable 0, one free-running) and one gate of ctrl."""
    levels = ["en:e0"] + [f"{k}:{i}" for i in memory.INSTANCES for k in ("rd", "wr")]
    return Model(names=["u_ctrl.f0", "u_ctrl.f1", "u_ctrl.g"],
                 modules=np.array([MODULES.index("ctrl")] * 3),
                 is_flop=np.array([True, True, False]), hold=np.array([False, False, False]),
                 dyn0=np.array([1e-6, 1e-6, 0.0]), slope=np.array([2e-6, 2e-6, 4e-6]),
                 leak_w=1e-6, macro_leak_w=0.0, group_of=np.array([0, -1, -1]), n_groups=1,
                 levels=levels, clock_mhz=4.0)


def test_window_energy_terms() -> None:
    """Hand-computed figures for 1000 cycles, enable high 100 cycles, 5 weight reads."""
    m = _model()
    lv = np.zeros(len(m.levels), dtype=np.int64)
    lv[0] = 100
    lv[m.levels.index("rd:u_wmem")] = 5
    e = window_energy(m, 1000, np.array([10, 20, 500]), lv)
    t = 1000 / 4e6
    # logic: sum of r_i * slope_i * t
    exp_logic = (0.01 * 2e-6 + 0.02 * 2e-6 + 0.5 * 4e-6) * t * 1e12
    assert e["logic"] == pytest.approx(exp_logic)
    assert e["modules"]["ctrl"] == pytest.approx(exp_logic)
    # clock pins: gated flop on 100 cycles, free flop on 1000 (0.25 pJ per clocked cycle)
    assert e["clock_pins"] == pytest.approx(0.25 * 100 + 0.25 * 1000)
    assert e["clock_icg"] == pytest.approx(0.25 * 1000)
    assert e["mem_weight"] == pytest.approx(5 * memory.macros()["u_wmem"].e_read_pj)
    assert e["leakage"] == pytest.approx(1e-6 * t * 1e12)
    assert e["total"] == pytest.approx(e["logic"] + e["clock"] + e["leakage"]
                                       + e["mem_weight"])
    # gating helps: with the enable always high the gated total is higher
    lv[0] = 1000
    assert window_energy(m, 1000, np.array([10, 20, 500]), lv)["clock"] > e["clock"]


def test_scaling_to_22nm() -> None:
    """Stillmaker & Baas factors: 22 nm is ~300x below 180 nm; the band brackets the centre."""
    c, lo, hi = scale_to_22nm(1000.0)
    assert lo <= c <= hi
    assert 1000.0 / 400 < c < 1000.0 / 200
    assert energy.sb_energy("180", 1.8) == pytest.approx(24.64 * 3.24 - 17.98 * 1.8)
