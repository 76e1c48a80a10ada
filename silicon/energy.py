"""Energy per inference from the gate-level activity (make energy; docs/energy.md §5-§7).

Per inference window (first accepted input byte .. rising irq; N cycles at f = 4 MHz):

* logic: every standard cell i at its measured output toggle rate r_i = toggles_i / N, with
  OpenSTA's linear power P_i(r) = P_i(0) + r (P_i(1) - P_i(0)) (internal + switching; a = 1 is one
  transition per clock period), E = N / f * P_i(r_i), minus the clock-pin part P_i(0) of flops;
* clock (gated, as a real implementation would have it): every flop whose D is the hold
  multiplexer of an enable (silicon/cells_map.v) sits behind one clock-gating cell (ICG) per
  enable net; its clock-pin energy P_i(0) / f is charged only on the cycles its enable is high
  (counted in the GLS), the hold MUX2X1/INVX1 pair it no longer needs is dropped, each ICG costs
  one flop clock pin per cycle (latch + AND, ``ICG_CLOCK_PINS``); other flops are clocked every
  cycle. The clock tree switches the clock-pin and wire capacitance of its sinks (trunk: ICGs,
  ungated flops, macros every cycle; each gated leaf net on its enabled cycles) times
  ``K_TREE`` for the buffers: C V^2 per cycle. The ungated figure (every flop clocked every
  cycle, as synthesised) is reported beside it;
* leakage: all cells (liberty) and macros (silicon/memory.py) over the N cycles;
* memories: the access counts of each macro measured in the GLS x the model's energies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from silicon import memory
from silicon.flow import BUILD, REPORTS, FlowError
from silicon.netlist import MODULES
from silicon.sta import load_power

VDD = memory.VDD
C_CLK_PIN_PF = 0.0279235    # DFFPOSX1 CLK pin capacitance (osu018_stdcells.lib)
C_MACRO_CLK_PF = 0.010      # macro clock pin (silicon/memory.py liberty)
C_WIRE_SINK_PF = 0.004      # clock wire per sink: 20 um x 0.2 fF/um (assumed placement density)
K_TREE = 1.25               # clock buffer tree overhead on the switched capacitance (assumed)
ICG_CLOCK_PINS = 1.0        # an ICG (latch + AND) costs about one flop's clock pin per cycle

# Stillmaker & Baas, "Scaling equations for the accurate prediction of CMOS device performance
# from 180 nm to 7 nm", Integration 58 (2017) 74-81: energy fits e(V) = a V^2 + b V + c per node
# (coefficients as tabulated in the paper; 20 nm is its node closest to 22 nm).
SB_ENERGY = {"180": (24.64, -17.98, 0.0), "HP20": (0.373, -0.1582, 0.04104),
             "LP20": (0.2632, -0.14, 0.06841)}
SCALE_TARGET = ("HP20", 0.8)            # 22 nm figure: 20 nm HP fit at 0.8 V
SCALE_BAND = [("HP20", 0.9), ("HP20", 0.7), ("LP20", 0.8), ("LP20", 0.9)]


def sb_energy(node: str, vdd: float) -> float:
    """Stillmaker & Baas energy factor of ``node`` at ``vdd``."""
    a, b, c = SB_ENERGY[node]
    return a * vdd * vdd + b * vdd + c


def scale_to_22nm(e_180: float) -> tuple[float, float, float]:
    """(central, low, high) energy at 22 nm for an energy at 180 nm / 1.8 V."""
    ref = sb_energy("180", 1.8)
    vals = [e_180 * sb_energy(n, v) / ref for n, v in SCALE_BAND]
    return e_180 * sb_energy(*SCALE_TARGET) / ref, min(vals), max(vals)


@dataclass
class Model:
    """Everything per cell the energy of a window needs (vectors over the counted cells)."""

    names: list[str]
    modules: np.ndarray       # module index per cell
    is_flop: np.ndarray
    hold: np.ndarray          # hold mux/inv replaced by clock gating
    dyn0: np.ndarray          # W at activity 0 (internal + switching): flop clock pins
    slope: np.ndarray         # W per unit activity
    leak_w: float             # all standard cells
    macro_leak_w: float
    group_of: np.ndarray      # enable-level index of each gated flop, -1 otherwise
    n_groups: int
    levels: list[str]
    clock_mhz: float


def build_model(meta_path: Path | None = None) -> Model:
    """Combine the GLS metadata with the OpenSTA per-instance tables."""
    from silicon.netlist import hold_cells, parse

    meta_path = meta_path or BUILD / "gls" / "main" / "meta.json"
    if not meta_path.is_file():
        raise FlowError(f"{meta_path} missing (run make gls)")
    meta = json.loads(meta_path.read_text())
    tab = load_power()
    idx = {n: i for i, n in enumerate(tab["names"])}
    missing = [n for n in meta["cells"] if n not in idx]
    if missing:
        raise FlowError(f"{len(missing)} GLS cells have no OpenSTA power row (first "
                        f"{missing[0]}); rerun make synth sta gls")
    rows = np.array([idx[n] for n in meta["cells"]])
    p0, p1 = tab["p0"][rows], tab["p1"][rows]
    dyn0 = p0[:, 0] + p0[:, 1]
    slope = (p1[:, 0] + p1[:, 1]) - dyn0
    cells = parse(Path(meta["netlist"]))
    holds = hold_cells(cells)
    hold = np.array([n in holds for n in meta["cells"]])
    en_levels = [k for k in meta["levels"] if k.startswith("en:")]
    lvl_index = {k[3:]: i for i, k in enumerate(en_levels)}
    group_of = np.full(len(meta["cells"]), -1)
    cell_index = {n: i for i, n in enumerate(meta["cells"])}
    for net, flops in meta["groups"].items():
        for f in flops:
            group_of[cell_index[f]] = lvl_index[net]
    macro_leak = sum(m.leak_uw for m in memory.macros().values()) * 1e-6
    return Model(meta["cells"], np.array([MODULES.index(m) for m in meta["modules"]]),
                 np.array([t == "DFFPOSX1" for t in meta["types"]]), hold, dyn0, slope,
                 float(tab["p0"][:, 2].sum() - sum(tab["p0"][idx[n], 2] for n in memory.INSTANCES
                                                   if n in idx)),
                 macro_leak, group_of, len(en_levels), meta["levels"], tab["clock_mhz"])


def window_energy(m: Model, cycles: int, toggles: np.ndarray, levels: np.ndarray) -> dict:
    """Energy terms (pJ) of one inference window."""
    f = m.clock_mhz * 1e6
    t = cycles / f
    r = toggles.astype(np.float64) / max(cycles, 1)
    data = (r * m.slope) * t * 1e12                       # pJ, per cell, data activity
    data[m.hold] = 0.0                                    # replaced by the ICGs
    out: dict[str, float] = {}
    for k, mod in enumerate(MODULES):
        out[mod] = float(data[m.modules == k].sum())
    logic = float(data.sum())
    # clock pins: ungated (every cycle) and gated (enabled cycles)
    en = levels[: m.n_groups].astype(np.float64)
    pin_cycle = m.dyn0 / f * 1e12                         # pJ per clocked cycle
    flop = m.is_flop
    ungated_pins = float(pin_cycle[flop].sum() * cycles)
    gated = flop & (m.group_of >= 0)
    free = flop & (m.group_of < 0)
    gated_pins = float((pin_cycle[gated] * en[m.group_of[gated]]).sum()
                       + pin_cycle[free].sum() * cycles)
    icg = float(m.n_groups * ICG_CLOCK_PINS * pin_cycle[flop].mean() * cycles)
    # clock tree: trunk every cycle, gated leaves on their enabled cycles
    c_sink = C_CLK_PIN_PF + C_WIRE_SINK_PF
    n_macro = len(memory.INSTANCES)
    trunk_pf = (int(free.sum()) + m.n_groups) * c_sink + n_macro * (C_MACRO_CLK_PF
                                                                    + C_WIRE_SINK_PF)
    leaves_pf = np.bincount(m.group_of[gated], minlength=m.n_groups) * c_sink
    cv2 = VDD * VDD                                       # pF * V^2 = pJ
    tree = K_TREE * cv2 * (trunk_pf * cycles + float((leaves_pf * en).sum()))
    tree_ungated = K_TREE * cv2 * cycles * (int(flop.sum()) * c_sink
                                            + n_macro * (C_MACRO_CLK_PF + C_WIRE_SINK_PF))
    clock = gated_pins + icg + tree
    leak = (m.leak_w + m.macro_leak_w) * t * 1e12
    mem = {"mem_weight": 0.0, "mem_act": 0.0, "mem_bias": 0.0, "mem_theta": 0.0}
    acc = {}
    macros = memory.macros()
    for k, name in enumerate(m.levels):
        if name.startswith(("rd:", "wr:")):
            inst = name[3:]
            n = float(levels[k])
            acc[name] = int(levels[k])
            mac = macros[inst]
            mem[mac.role] += n * (mac.e_read_pj if name.startswith("rd:") else mac.e_write_pj)
    total = logic + clock + leak + sum(mem.values())
    ungated_total = total - clock + ungated_pins + tree_ungated + float(
        ((np.zeros_like(data) + (r * m.slope) * t * 1e12)[m.hold]).sum())
    return {"cycles": int(cycles), "logic": logic, "clock": clock, "clock_pins": gated_pins,
            "clock_icg": icg, "clock_tree": tree, "leakage": leak, **mem,
            "modules": out, "total": total, "total_ungated": ungated_total,
            "clock_ungated": ungated_pins + tree_ungated, "accesses": acc}
