"""Analytical model of the five SRAM macros at 0.18 um (1.8 V, typical, 25 C).

The RTL's SRAM wrappers (rtl/sram_sp_<D>x<W>.v) stay black boxes in the netlist: this module
gives each macro a per-access read and write energy, a leakage power, an area and an access
time, from a first-order 6T-SRAM model of the kind CACTI uses (Wilton & Jouppi, "CACTI: an
enhanced cache access and cycle time model", IEEE JSSC 31(5), 1996; Rabaey, Chandrakasan &
Nikolic, "Digital Integrated Circuits", 2nd ed., 2003, ch. 12):

* organisation: ``rows x cols`` with a column mux ``m`` (cols = W * m), m chosen so the array is
  closest to square;
* read: every column of the selected row discharges its bitline by ``DV_READ`` and the
  precharge restores it (C_bl * VDD * dV per column), the wordline swings fully, the decoder
  drives ``log2(rows)`` stages, W sense amplifiers and output latches fire;
* write: the W written columns swing fully (C_bl * VDD^2), the other columns of the row see a
  read-like swing; the same wordline and decoder energy;
* leakage: per-cell leakage current times VDD, plus ``PERIPH_LEAK`` for the periphery;
* area: cells x ``A_CELL`` / ``ARRAY_EFF``.

Every constant is listed in ``CONSTANTS`` with its source; docs/energy.md repeats them. The model
is a stated estimate (+-50 % is a fair band for such first-order figures), not a foundry
datasheet: the report states that uncertainty next to the memory terms.
"""

from __future__ import annotations

import os

import math
from dataclasses import asdict, dataclass

VDD = 1.8            # V, OSU018 liberty nominal voltage (typical corner)

# constant: (value, unit, source)
CONSTANTS: dict[str, tuple[float, str, str]] = {
    "A_CELL": (5.6, "um^2", "6T cell of a 180 nm logic process: 5.59 um^2 (Yang et al., 'A high "
               "performance 180 nm generation logic technology', IEDM 1998)"),
    "CELL_H": (1.6, "um", "cell height along the bitline, A_CELL at a 1:2.2 aspect ratio "
               "(assumed)"),
    "CELL_W": (3.5, "um", "cell width along the wordline, A_CELL / CELL_H"),
    "C_DRAIN": (0.8, "fF", "access-transistor drain on the bitline: 0.4 um x 2 fF/um (Weste & "
                "Harris, 'CMOS VLSI Design', 4th ed., 180 nm parameters)"),
    "C_GATE": (0.8, "fF", "two access-transistor gates per cell on the wordline: 2 x 0.2 um x "
               "2 fF/um (Weste & Harris, 180 nm)"),
    "C_WIRE": (0.2, "fF/um", "minimum-pitch metal wire capacitance at 180 nm (Weste & Harris; "
               "Rabaey ch. 4)"),
    "DV_READ": (0.18, "V", "read bitline swing, 10 % of VDD, limited by a self-timed sense "
                "enable (Rabaey ch. 12)"),
    "E_SENSE": (0.15, "pJ", "sense amplifier + output latch + driver per read bit (~45 fF "
                "switched at 1.8 V; assumed)"),
    "E_DEC_STAGE": (0.25, "pJ", "one row-decoder stage incl. its wiring (~80 fF at 1.8 V; "
                    "assumed)"),
    "E_CTRL": (1.0, "pJ", "clock buffer, address/data input latches and self-timing per access "
               "(~300 fF at 1.8 V; assumed)"),
    "I_CELL_LEAK": (10.0, "pA", "6T cell leakage at 25 C in a 180 nm process (order of magnitude "
                    "from Rabaey ch. 12 / ITRS 2001 low-standby-power figures; assumed)"),
    "PERIPH_LEAK": (0.25, "x", "periphery leakage as a fraction of the array leakage (assumed)"),
    "ARRAY_EFF": (0.65, "x", "array efficiency (cell area / macro area) of a small compiled "
                  "macro (CACTI's typical range 0.5-0.8)"),
    "T_ACCESS": (3.0, "ns", "clock-to-data access time of a 180 nm compiled SRAM of these sizes "
                 "(typical datasheet range 2-4 ns; used as the STA macro model)"),
    "T_SETUP": (0.4, "ns", "input setup time to the macro clock (STA macro model, assumed)"),
}


def c(name: str) -> float:
    """The value of a model constant."""
    return CONSTANTS[name][0]


@dataclass(frozen=True)
class Macro:
    """One SRAM macro of the design and its modelled figures."""

    name: str            # wrapper module (rtl/sram_sp_<D>x<W>.v)
    role: str            # energy term name: mem_weight, mem_act, mem_bias, mem_theta
    depth: int
    width: int
    rows: int
    cols: int
    mux: int
    e_read_pj: float
    e_write_pj: float
    leak_uw: float
    area_um2: float

    def as_dict(self) -> dict:
        """JSON-ready view."""
        return asdict(self)


def model(name: str, role: str, depth: int, width: int, vdd: float = VDD) -> Macro:
    """Read/write energy, leakage and area of a ``depth`` x ``width`` single-port macro."""
    if depth < 2 or width < 1:
        raise ValueError(f"bad SRAM geometry {depth}x{width}")
    best = None
    for mux in (1, 2, 4, 8, 16, 32):
        rows, cols = depth // mux, width * mux
        if rows < 8:
            break
        score = abs(math.log2(rows / cols))
        if best is None or score < best[0]:
            best = (score, mux, rows, cols)
    assert best is not None
    _, mux, rows, cols = best
    c_bl = rows * (c("C_DRAIN") + c("CELL_H") * c("C_WIRE"))          # fF per bitline
    c_wl = cols * (c("C_GATE") + c("CELL_W") * c("C_WIRE"))           # fF per wordline
    fj = 1e-3                                                          # fF*V^2 -> pJ
    e_wl = c_wl * vdd * vdd * fj
    e_dec = math.ceil(math.log2(rows)) * c("E_DEC_STAGE") * (vdd / VDD) ** 2
    e_ctrl = c("E_CTRL") * (vdd / VDD) ** 2
    e_bl_read = cols * c_bl * vdd * c("DV_READ") * fj
    e_read = e_bl_read + e_wl + e_dec + e_ctrl + width * c("E_SENSE") * (vdd / VDD) ** 2
    e_write = (width * c_bl * vdd * vdd + (cols - width) * c_bl * vdd * c("DV_READ")) * fj \
        + e_wl + e_dec + e_ctrl
    bits = depth * width
    leak_uw = bits * c("I_CELL_LEAK") * 1e-12 * vdd * (1 + c("PERIPH_LEAK")) * 1e6
    area = bits * c("A_CELL") / c("ARRAY_EFF")
    return Macro(name, role, depth, width, rows, cols, mux, round(e_read, 3), round(e_write, 3),
                 round(leak_uw, 4), round(area, 1))


# instance path in the netlist -> (wrapper, role, depth, width)
INSTANCES: dict[str, tuple[str, str, int, int]] = {
    "u_wmem": ("sram_sp_2048x64", "mem_weight", 2048, 64),
    "g_act[0].u_act": ("sram_sp_4096x8", "mem_act", 4096, 8),
    "g_act[1].u_act": ("sram_sp_4096x8", "mem_act", 4096, 8),
    "u_bmem": ("sram_sp_128x256", "mem_bias", 128, 256),
    "u_tmem": ("sram_sp_128x128", "mem_theta", 128, 128),
}


def macros(vdd: float = VDD) -> dict[str, Macro]:
    """Every macro instance of sparrow_top with its modelled figures."""
    return {inst: model(name, role, d, w, vdd) for inst, (name, role, d, w) in INSTANCES.items()}


def macro_liberty(path: str) -> None:
    """A timing-only liberty of the four wrapper geometries for OpenSTA (clock-to-rdata
    T_ACCESS, T_SETUP on every input, pin capacitance 10 fF) and their modelled area."""
    geoms = {}
    for name, _, d, w in INSTANCES.values():
        geoms[name] = (d, w)
    lines = ["library (sparrow_sram) {", "  delay_model : table_lookup;",
             '  time_unit : "1ns";', '  voltage_unit : "1V";', '  current_unit : "1uA";',
             '  leakage_power_unit : "1nW";', "  capacitive_load_unit (1,pf);",
             "  nom_voltage : 1.8; nom_temperature : 25; nom_process : 1;",
             "  input_threshold_pct_rise : 50; input_threshold_pct_fall : 50;",
             "  output_threshold_pct_rise : 50; output_threshold_pct_fall : 50;",
             "  slew_lower_threshold_pct_rise : 20; slew_upper_threshold_pct_rise : 80;",
             "  slew_lower_threshold_pct_fall : 20; slew_upper_threshold_pct_fall : 80;"]
    for name, (d, w) in sorted(geoms.items()):
        m = model(name, "", d, w)
        aw = int(math.log2(d))
        masks = {"sram_sp_2048x64": 8, "sram_sp_4096x8": 1, "sram_sp_128x256": 8,
                 "sram_sp_128x128": 8}[name]
        lines.append(f"  cell ({name}) {{")
        lines.append(f"    area : {m.area_um2};")
        lines.append(f"    cell_leakage_power : {m.leak_uw * 1000:.3f};")
        lines.append("    pin (clk) { direction : input; capacitance : 0.01; clock : true; }")
        for pin, bits in (("ce", 1), ("we", 1), ("wmask", masks), ("addr", aw), ("wdata", w)):
            if bits == 1 and pin in ("ce", "we"):
                lines.append(f"    pin ({pin}) {{ direction : input; capacitance : 0.01; "
                             f"{_setup()} }}")
            else:
                lines.append(f"    bus ({pin}) {{ bus_type : b{bits}; direction : input; "
                             f"capacitance : 0.01; {_setup()} }}")
        lines.append(f"    bus (rdata) {{ bus_type : b{w}; direction : output; "
                     f"timing () {{ related_pin : \"clk\"; timing_type : rising_edge; "
                     f"cell_rise(scalar) {{ values (\"{c('T_ACCESS')}\"); }} "
                     f"cell_fall(scalar) {{ values (\"{c('T_ACCESS')}\"); }} "
                     f"rise_transition(scalar) {{ values (\"0.2\"); }} "
                     f"fall_transition(scalar) {{ values (\"0.2\"); }} }} }}")
        lines.append("  }")
    types = sorted({w for _, _, _, w in INSTANCES.values()} | {1, 8, 11, 12, 7})
    head = lines[:12]
    bus_types = [f"  type (b{b}) {{ base_type : array; data_type : bit; bit_width : {b}; "
                 f"bit_from : {b - 1}; bit_to : 0; downto : true; }}" for b in types]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("\n".join(head + bus_types + lines[12:] + ["}"]) + "\n")


def _setup() -> str:
    return (f"timing () {{ related_pin : \"clk\"; timing_type : setup_rising; "
            f"rise_constraint(scalar) {{ values (\"{c('T_SETUP')}\"); }} "
            f"fall_constraint(scalar) {{ values (\"{c('T_SETUP')}\"); }} }}")
