"""Reading the flat yosys netlist (build/silicon/netlist.v) and instrumenting it for the
gate-level simulation: a toggle counter on every cell output and cycle counters on the enable
nets and the SRAM macro accesses, per inference window (docs/energy.md §4).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from silicon.memory import INSTANCES

OUTPUT_PINS = ("Y", "Q", "YC", "YS")
COUNT_PLANES = 20
"""Bits of each toggle counter (a window of up to 2^20 - 1 cycles)."""
MODULES = ("mac_array", "ssf_fire", "ctrl", "apb_regs", "stream_in", "argmax", "top")
PREFIX_MODULE = {"u_mac": "mac_array", "u_ctrl": "ctrl", "u_apb_regs": "apb_regs",
                 "u_stream_in": "stream_in", "u_argmax": "argmax"}

_CELL = re.compile(r"^  (\w+) (\\\S+|\w+) +\($")
_PIN = re.compile(r"^    \.(\w+)\((.*)\),?$")


@dataclass
class Cell:
    """One cell instance of the netlist."""

    type: str
    name: str
    pins: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> str:
        """RTL module the cell was synthesised from (its instance-path prefix)."""
        return module_of(self.name)

    @property
    def out(self) -> str | None:
        """Output pin name (None for macros)."""
        for p in OUTPUT_PINS:
            if p in self.pins:
                return p
        return None


def module_of(name: str) -> str:
    """``u_ctrl.c12`` -> ctrl, ``g_fire[3].u_fire.c7`` -> ssf_fire, ``c5`` -> top."""
    name = name.lstrip("\\")
    if name.startswith("g_fire["):
        return "ssf_fire"
    head = name.split(".", 1)[0]
    return PREFIX_MODULE.get(head, "top") if "." in name else "top"


def parse(path: Path) -> list[Cell]:
    """Every cell instance of the (single, flat) module in ``path``."""
    cells: list[Cell] = []
    cur: Cell | None = None
    with open(path) as fh:
        for line in fh:
            if cur is None:
                m = _CELL.match(line.rstrip("\n"))
                if m and m.group(1) != "module":
                    cur = Cell(m.group(1), m.group(2).lstrip("\\"))
                continue
            if line.startswith("  );"):
                cells.append(cur)
                cur = None
                continue
            m = _PIN.match(line.rstrip("\n"))
            if m:
                cur.pins[m.group(1)] = m.group(2)
    if not cells:
        raise ValueError(f"{path}: no cell instances found (not a yosys netlist?)")
    return cells


def hold_pairs(cells: list[Cell]) -> list[tuple[Cell, Cell, Cell]]:
    """(flop, inverter, multiplexer) of every flop whose D is the hold multiplexer of
    silicon/cells_map.v (DFFPOSX1.D <- INVX1 <- MUX2X1(A=D, B=Q, S=enable))."""
    by_out = {c.pins[c.out]: c for c in cells if c.out}
    out = []
    for c in cells:
        if c.type != "DFFPOSX1":
            continue
        inv = by_out.get(c.pins["D"])
        if inv is None or inv.type != "INVX1":
            continue
        mux = by_out.get(inv.pins["A"])
        if mux is not None and mux.type == "MUX2X1" and mux.pins.get("B") == c.pins["Q"]:
            out.append((c, inv, mux))
    return out


def gated_groups(cells: list[Cell]) -> dict[str, list[str]]:
    """Enable net -> the flops it holds (see :func:`hold_pairs`)."""
    groups: dict[str, list[str]] = {}
    for flop, _inv, mux in hold_pairs(cells):
        groups.setdefault(mux.pins["S"], []).append(flop.name)
    return groups


def hold_cells(cells: list[Cell]) -> set[str]:
    """Names of the hold MUX2X1/INVX1 pairs that clock gating replaces."""
    return {name for _f, inv, mux in hold_pairs(cells) for name in (inv.name, mux.name)}


def instrument(netlist: Path, out: Path, meta_out: Path, toggles: bool = True) -> dict:
    """Write a copy of ``netlist`` whose sparrow_top counts, per inference window (the cycles
    after the first accepted input byte up to the rising edge of irq), the toggles of every cell
    output (value differs from the previous clock edge's) and
    the cycles each enable net / macro access strobe is high, and appends one line per window
    to gls_toggles.txt: the window's cycles, the level counts (decimal), then the
    :data:`COUNT_PLANES` bit planes of the toggle counts in hex (:func:`decode_window` turns a
    line back into counts). ``toggles=False`` leaves the toggle counters out (no planes: the
    window line holds the cycles and levels only), for a functional smoke on Icarus, whose
    event-driven kernel pays for every bit of the wide counter vectors. Returns (and writes)
    the metadata."""
    cells = parse(netlist)
    counted = [c for c in cells if c.out]
    groups = gated_groups(cells)
    en_nets = sorted(groups)
    macros = {c.name: c for c in cells if c.type.startswith("sram_sp_")}
    missing = set(INSTANCES) - set(macros)
    if missing:
        raise ValueError(f"{netlist}: SRAM macro instance(s) missing: {sorted(missing)}")
    levels: list[tuple[str, str]] = [(f"en:{n}", n) for n in en_nets]
    for inst in INSTANCES:
        ce, we = macros[inst].pins["ce"], macros[inst].pins["we"]
        levels.append((f"rd:{inst}", f"({ce}) & ~({we})"))
        levels.append((f"wr:{inst}", f"({ce}) & ({we})"))
    n, m = len(counted), len(levels)
    k_planes = COUNT_PLANES if toggles else 0
    planes = [f"tg_b{k}" for k in range(k_planes)]
    # The toggle counters are bit-sliced: plane k holds bit k of every cell's count, so one
    # clock edge costs K wide XOR/AND operations on an n-bit vector instead of n processes
    # (which made the simulators crawl). A toggle is a value that differs from the previous
    # clock edge's; the closing edge's own toggles are not counted (as before).
    lines = ["  // ---- gate-level toggle / activity counters (silicon/netlist.py; GLS only) ----",
             f"  wire [{m - 1}:0] tg_lvl;",
             f"  reg [31:0] tg_lcnt [0:{m - 1}];", "  reg [31:0] tg_cyc;",
             "  reg tg_win, tg_irq_q;", "  integer tg_fd, tg_i;"]
    lines += [f"  assign tg_lvl[{k}] = {expr};" for k, (_, expr) in enumerate(levels)]
    add: list[str] = []
    if toggles:
        # two-state planes: a toggle from or to X/Z (an unwritten memory word, a net before
        # reset) is not counted, as an ``if`` on an X comparison would not count it
        lines += [f"  wire [{n - 1}:0] tg_now;", f"  reg [{n - 1}:0] tg_p;",
                  f"  bit [{n - 1}:0] tg_c, tg_t, {', '.join(planes)};"]
        lines += [f"  assign tg_now[{i}] = {c.pins[c.out]};" for i, c in enumerate(counted)]
        add = ["      tg_c = tg_now ^ tg_p;"]
        add += [f"      tg_t = {b} & tg_c; {b} = {b} ^ tg_c; tg_c = tg_t;" for b in planes]
    clear = " ".join(f"{b} = {n}'d0;" for b in planes)
    lines += [
        "  initial begin",
        '    tg_fd = $fopen("gls_toggles.txt", "w");',
        "    tg_win = 1'b0; tg_irq_q = 1'b0; tg_cyc = 32'd0;",
        f"    {clear}",
        "  end",
        "  /* verilator lint_off BLKSEQ */",
        "  always @(posedge clk) begin",
        "    tg_irq_q <= irq;",
        "    if (tg_win) begin",
        "      tg_cyc = tg_cyc + 32'd1;",
        f"      for (tg_i = 0; tg_i < {m}; tg_i = tg_i + 1)",
        "        if (tg_lvl[tg_i]) tg_lcnt[tg_i] = tg_lcnt[tg_i] + 32'd1;",
        "      if (irq && !tg_irq_q) begin",
        "        tg_win = 1'b0;",
        '        $fwrite(tg_fd, "%0d", tg_cyc);',
        f"        for (tg_i = 0; tg_i < {m}; tg_i = tg_i + 1) $fwrite(tg_fd, \" %0d\", tg_lcnt[tg_i]);",
        *[f'        $fwrite(tg_fd, " %h", {b});' for b in planes],
        '        $fwrite(tg_fd, "\\n");',
        "        $fflush(tg_fd);",
        *(["      end else begin", *add] if add else []),
        "      end",
        "    end else if (in_valid && in_ready) begin",
        "      tg_win = 1'b1;",
        "      tg_cyc = 32'd1;                      // the cycle of the first byte counts",
        f"      {clear}",
        f"      for (tg_i = 0; tg_i < {m}; tg_i = tg_i + 1) tg_lcnt[tg_i] = {{31'd0, tg_lvl[tg_i]}};",
        "    end",
        *(["    tg_p <= tg_now;"] if toggles else []),
        "  end",
        "  /* verilator lint_on BLKSEQ */",
    ]
    text = Path(netlist).read_text()
    pos = text.rfind("endmodule")
    if pos < 0:
        raise ValueError(f"{netlist}: no endmodule")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text[:pos] + "\n".join(lines) + "\n" + text[pos:])
    meta = {"netlist": str(netlist), "planes": k_planes, "cells": [c.name for c in counted],
            "types": [c.type for c in counted], "modules": [c.module for c in counted],
            "levels": [k for k, _ in levels],
            "groups": {net: groups[net] for net in en_nets}}
    meta_out.write_text(json.dumps(meta))
    return meta


def decode_window(line: str, n_cells: int, n_levels: int, planes: int = COUNT_PLANES
                  ) -> np.ndarray:
    """One gls_toggles.txt line -> [cycles, toggles of each counted cell..., levels...]
    (toggles all 0 when the netlist was instrumented without toggle counters, planes = 0)."""
    tok = line.split()
    if len(tok) != 1 + n_levels + planes:
        raise ValueError(f"gls_toggles line has {len(tok)} fields, expected "
                         f"{1 + n_levels + planes}")
    counts = np.zeros(n_cells, dtype=np.int64)
    nbytes = (n_cells + 7) // 8
    for k, h in enumerate(tok[1 + n_levels:]):
        if any(ch in h for ch in "xXzZ"):
            raise ValueError(f"toggle plane {k} holds X/Z")
        raw = bytes.fromhex(h.zfill(2 * nbytes)[-2 * nbytes:])
        bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))[::-1][:n_cells]
        counts += bits.astype(np.int64) << k
    head = np.array([int(tok[0])], dtype=np.int64)
    lv = np.array([int(v) for v in tok[1:1 + n_levels]], dtype=np.int64)
    return np.concatenate([head, counts, lv])
