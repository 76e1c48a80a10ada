"""Register-correspondence cut of an equiv_make module into a combinational miter (docs/energy.md
§2; python -m silicon equiv).

Input: the ``equiv`` module that silicon/equiv.ys writes (``write_json``) after ``equiv_make gold
gate``, ``dffunmap`` and ``techmap``: single-bit gates, ``$_DFF_P_`` flops of both sides and one
``$equiv`` cell (A = gold bit, B = gate bit, Y = the net the consumers read) per signal bit that
has the same name on both sides. Gate-side cells carry the suffix ``_gate`` (equiv_make).

The cut (the classic register-correspondence argument):

* a matched register is a ``$equiv`` whose A is a gold flop output and B a gate flop output.
  The flops so paired (transitively) share ONE free state input, and the obligation moves to
  the next state: gold D == gate D for every such pair;
* every other ``$equiv`` is an obligation A == B, and its Y is the gold bit A (the gold side is
  then exactly the RTL; the gate side reads gold values only where an obligation says they are
  equal). Only an obligation whose gate bit is a constant or undriven (a name the synthesis left
  dangling) and whose Y no gate cell and no port reads is dropped: the gate side does not
  depend on it;
* a flop without a partner becomes a free input of its side, an undefined constant or an
  undriven net a free input: "for every value", so either can only make the proof fail.

What is left is combinational: inputs = ports (incl. macro read data) and register states;
output ``trigger`` = OR of one XOR per obligation. If ABC proves ``trigger`` constant 0, the
netlist equals the RTL cycle by cycle from any initial state in which paired registers agree and
constant registers hold their constant (after a reset), by induction over cycles, and within a
cycle in topological order of the obligations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

FLOP = "$_DFF_P_"
COMB = {"$_AND_", "$_OR_", "$_XOR_", "$_NOT_", "$_MUX_", "$_NAND_", "$_NOR_", "$_XNOR_",
        "$_ANDNOT_", "$_ORNOT_", "$_BUF_", "$_AOI3_", "$_OAI3_", "$_AOI4_", "$_OAI4_"}
_GATE_INST = re.compile(r"^\$flatten\\(.+?)\.\$.*_gate$")


class CutError(ValueError):
    """The equiv module holds something the cut does not model (one-line message)."""


@dataclass
class Cut:
    """The combinational miter and what it covers."""
    miter: dict                                   # yosys JSON of module ``miter``
    obligations: list[str]                        # obligation i (dual-output pair i) -> signal
    registers: int = 0                            # state inputs (classes of paired flops)
    merged: int = 0                               # flops paired beyond one gold + one gate
    constant: int = 0                             # gold registers the netlist holds constant
    unmatched_gold: list[str] = field(default_factory=list)
    unmatched_gate: list[str] = field(default_factory=list)
    free_undef: int = 0                           # undefined constants / undriven nets in cones
    dropped: list[str] = field(default_factory=list)   # dangling names (gate constant, unread)
    trivial: int = 0                              # $equiv cells with A == B after the cut
    gate_cells: int = 0                           # netlist cell instances in the equiv module
    gate_cells_covered: int = 0                   # ... in the fan-in of some obligation
    covered: set = field(default_factory=set)     # those instances
    undef_mux: int = 0                            # RTL x mux inputs resolved to the other input
    undef_zero: int = 0                           # other RTL x bits resolved to 0
    cofactor: list = field(default_factory=list)  # miter inputs (port, bit) to cofactor on
    cut_inputs: int = 0                           # arithmetic cut points that are inputs
    exhaustive: bool = False                      # proven by enumerating every input value

    def summary(self) -> dict:
        """The figures for reports/energy/equiv.json."""
        return {"obligations": len(self.obligations), "registers_paired": self.registers,
                "registers_merged": self.merged, "registers_constant": self.constant,
                "unmatched_gold_flops": self.unmatched_gold,
                "unmatched_gate_flops": self.unmatched_gate, "free_undef_bits": self.free_undef,
                "dropped_dangling": len(self.dropped), "trivial": self.trivial,
                "netlist_cells": self.gate_cells, "netlist_cells_covered": self.gate_cells_covered,
                "undef_resolved_mux": self.undef_mux, "undef_resolved_zero": self.undef_zero}


def net_of(label: str) -> str:
    """The net an obligation's label names, without its bit index (``u_ctrl.d_cin``)."""
    return re.sub(r"\[\d+\]$", "", label.split(" ")[0])


def gate_instance(cell_name: str) -> str | None:
    """The netlist instance a flattened gate-side primitive came from (``u_mac.c12``)."""
    m = _GATE_INST.match(cell_name)
    return m.group(1) if m else None


def _names(mod: dict) -> dict[int, str]:
    """Bit -> a readable net name (public names first, then the shortest)."""
    out: dict[int, tuple] = {}
    for name, net in mod["netnames"].items():
        bits = net["bits"]
        for i, b in enumerate(bits):
            if isinstance(b, int):
                label = name if len(bits) == 1 else f"{name}[{i}]"
                key = (name.startswith("$"), len(label), label)
                if b not in out or key < out[b]:
                    out[b] = key
    return {b: k[2] for b, k in out.items()}


def _gate(a, b, typ: str, y: int) -> dict:
    return {"hide_name": 1, "type": typ, "parameters": {}, "attributes": {},
            "port_directions": {"A": "input", "B": "input", "Y": "output"},
            "connections": {"A": [a], "B": [b], "Y": [y]}}


def cut(design: dict, top: str = "equiv", dual: bool = False,
        select: Callable[[str], bool] | None = None, undef: str = "resolve") -> Cut:
    """The combinational miter of module ``top`` of a yosys JSON design; ``dual`` writes one
    output pair (gold, gate) per obligation instead of the single ``trigger`` (diagnosis);
    ``select`` keeps only the obligations whose signal name it accepts; ``undef`` is the
    treatment of the RTL's undefined constants (``_resolve_undef``: "resolve", or "free")."""
    return _builder(design, top, dual, undef)(select)


def _resolve_undef(c: dict, conns: dict, undef_bits: dict, resolved: dict) -> dict:
    """Resolve the RTL's don't-cares (``x``: out-of-range part selects, the x-filled rows of
    yosys's $shiftx/$shift maps) in one gold cell the way the synthesis does (yosys
    ``opt_expr -mux_undef`` then ``setundef -zero``): a ``$_MUX_`` data input that is
    undefined takes the other data input (the mux then passes that input through); any other
    undefined bit is 0. The gold side is then one refinement of the RTL's don't-cares, and
    proving the netlist equal to it proves that the netlist is a legal implementation of the
    RTL. ``conns`` has the fresh free bits ``fix`` made for the x constants (``undef_bits``)."""
    def is_x(b) -> bool:
        return undef_bits.get(b) == "undef constant"

    out = dict(conns)
    if c["type"] == "$_MUX_":
        a, b = out["A"][0], out["B"][0]
        if is_x(a) and not is_x(b):
            out["A"] = [b]
            resolved["mux"] += 1
        elif is_x(b) and not is_x(a):
            out["B"] = [a]
            resolved["mux"] += 1
    for p, bits in out.items():
        if c["port_directions"][p] == "input" and any(is_x(b) for b in bits):
            out[p] = ["0" if is_x(b) else b for b in bits]
            resolved["zero"] += sum(1 for b in bits if is_x(b))
    return out


def _builder(design: dict, top: str, dual: bool, undef: str = "resolve") -> Callable:
    """Analyse the equiv module once; return build(select) -> Cut."""
    if undef not in ("resolve", "free"):
        raise CutError(f"undef must be 'resolve' or 'free', not {undef!r}")
    if top not in design.get("modules", {}):
        raise CutError(f"module {top!r} missing from the JSON design")
    mod = design["modules"][top]
    cells = mod["cells"]
    names = _names(mod)
    driver: dict[int, str] = {}
    gate_read: set[int] = set()
    top_bit = 1
    for cname, c in cells.items():
        if c["type"] not in COMB and c["type"] not in (FLOP, "$equiv"):
            raise CutError(f"cell {cname} of type {c['type']} is not modelled (expected gates, "
                           f"$_DFF_P_ and $equiv after dffunmap/techmap)")
        for port, bits in c["connections"].items():
            for b in bits:
                if not isinstance(b, int):
                    continue
                top_bit = max(top_bit, b)
                if c["port_directions"][port] == "output":
                    if b in driver:
                        raise CutError(f"net {names.get(b, b)} has two drivers")
                    driver[b] = cname
                elif cname.endswith("_gate"):
                    gate_read.add(b)
    port_in, port_out = set(), set()
    for p in mod["ports"].values():
        for b in p["bits"]:
            if isinstance(b, int):
                top_bit = max(top_bit, b)
                (port_in if p["direction"] == "input" else port_out).add(b)
    next_bit = top_bit + 1

    def is_flop(bit) -> bool:
        return isinstance(bit, int) and bit in driver and cells[driver[bit]]["type"] == FLOP

    # 1. register pairs -> classes of flops sharing one state (union-find)
    equivs = sorted((n, c) for n, c in cells.items() if c["type"] == "$equiv")
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    reg_pairs: list[tuple[str, str, str]] = []
    for ename, c in equivs:
        a, b = c["connections"]["A"][0], c["connections"]["B"][0]
        if is_flop(a) and is_flop(b):
            g, t = driver[a], driver[b]
            y = c["connections"]["Y"][0]
            reg_pairs.append((g, t, names.get(y, ename)))
            rg, rt = find(g), find(t)
            if rg != rt:
                # the representative is a gold flop when there is one
                if rg.endswith("_gate") and not rt.endswith("_gate"):
                    rg, rt = rt, rg
                parent[rt] = rg
    members: dict[str, list[str]] = {}
    for f in {f for g, t, _ in reg_pairs for f in (g, t)}:
        members.setdefault(find(f), []).append(f)
    subst: dict[int, int] = {}
    state_q: dict[int, str] = {}
    for rep, fl in members.items():
        q = cells[rep]["connections"]["Q"][0]
        state_q[q] = names.get(q, rep)
        for f in fl:
            if f != rep:
                subst[cells[f]["connections"]["Q"][0]] = q
    merged = sum(len(fl) - 2 for fl in members.values())
    seen_pairs = set()
    obligations: list[tuple[object, object, str]] = []
    for g, t, label in reg_pairs:
        if (g, t) not in seen_pairs:
            seen_pairs.add((g, t))
            obligations.append((cells[g]["connections"]["D"][0],
                                cells[t]["connections"]["D"][0], f"{label} (next state)"))

    # 2. the other $equiv cells: Y := A, obligation A == B unless dangling and unread
    dropped: list[str] = []
    const_flops: dict[str, str] = {}
    for ename, c in equivs:
        a, b, y = (c["connections"][p][0] for p in ("A", "B", "Y"))
        label = names.get(y, ename) if isinstance(y, int) else ename
        if isinstance(y, int):
            subst[y] = a
        if is_flop(a) and b in ("0", "1") and driver[a] not in parent \
                and driver[a] not in members:
            # a register the synthesis found constant (reset value, never changed): its
            # state is that constant, and the obligation is its next state == the constant
            g = driver[a]
            if const_flops.setdefault(g, b) == b and a not in subst:
                subst[a] = b
                obligations.append((cells[g]["connections"]["D"][0], b,
                                    f"{label} (constant register, next state)"))
            continue
        if (not isinstance(b, int) or (b not in driver and b not in port_in)) \
                and y not in gate_read and y not in port_out:
            dropped.append(label)
            continue
        obligations.append((a, b, label))

    def res(bit):
        for _ in range(1_000_000):
            if not (isinstance(bit, int) and bit in subst):
                return bit
            bit = subst[bit]
        raise CutError("substitution loop")

    # 3. inputs: ports, states, unpaired flops; undefined or undriven bits become free inputs
    inputs: dict[str, list] = {}
    for name, p in mod["ports"].items():
        if p["direction"] == "input":
            inputs[name] = p["bits"]
    for q, label in sorted(state_q.items()):
        inputs[f"state:{label}"] = [q]
    unmatched_gold, unmatched_gate = [], []
    for cname, c in cells.items():
        if c["type"] == FLOP and cname not in parent and cname not in members \
                and cname not in const_flops:
            q = c["connections"]["Q"][0]
            label = names.get(q, cname)
            (unmatched_gate if cname.endswith("_gate") else unmatched_gold).append(label)
            inputs[f"free:{label}"] = [q]
    have_input = {b for bits in inputs.values() for b in bits if isinstance(b, int)}
    undef_bits: dict = {}

    def fix(bit):
        nonlocal next_bit
        bit = res(bit)
        if bit in ("x", "z"):
            nb = next_bit
            next_bit += 1
            undef_bits[nb] = "undef constant"
            return nb
        if isinstance(bit, int) and bit not in driver and bit not in have_input:
            undef_bits[bit] = "undriven"
        return bit

    base_cells: dict[str, dict] = {}
    resolved = {"mux": 0, "zero": 0}
    for cname, c in cells.items():
        if c["type"] in COMB:
            conns = {p: ([fix(b) for b in bits] if c["port_directions"][p] == "input" else bits)
                     for p, bits in c["connections"].items()}
            if undef == "resolve" and not cname.endswith("_gate"):
                conns = _resolve_undef(c, conns, undef_bits, resolved)
            base_cells[cname] = {
                "hide_name": 1, "type": c["type"], "parameters": {}, "attributes": {},
                "port_directions": c["port_directions"], "connections": conns}
    net_bits = {n: net["bits"] for n, net in mod["netnames"].items()}

    def inputs_of(net: str) -> list[tuple[str, int]]:
        """The miter inputs (port name, bit) that gold net ``net`` is, bit by bit (CutError if
        a bit is not a miter input: then it cannot be cofactored)."""
        if net not in net_bits:
            raise CutError(f"net {net} (cofactor variable) missing from the equiv module")
        where = {b: (n, i) for n, bits in inputs.items() for i, b in enumerate(bits)
                 if isinstance(b, int)}
        out = []
        for b in net_bits[net]:
            r = res(b)
            if r not in where:
                raise CutError(f"bit {names.get(r, r)} of {net} is not a miter input")
            out.append(where[r])
        return out

    def build(select, cofactor_net: str | None = None, stop: tuple[str, ...] = ()) -> Cut:
        """The miter of the obligations ``select`` accepts. The nets ``stop`` are cut points:
        each paired bit becomes one free input that both sides read (the gold bit, and the
        gate bit mapped onto it: the gate's readers read the gate net, not the $equiv output),
        and the cone ends there. Sound because every cut pair is itself an obligation, proven
        in its own group."""
        nonlocal next_bit
        stop_bits: dict[int, str] = {}
        remap: dict[int, int] = {}
        seen_nets: set[str] = set()
        for a, b, label in obligations:
            net = net_of(label)
            if net not in stop:
                continue
            a, b = fix(a), fix(b)
            if not isinstance(a, int):
                continue
            seen_nets.add(net)
            stop_bits.setdefault(a, label)
            if isinstance(b, int) and b != a:
                remap.setdefault(b, a)
        if set(stop) - seen_nets:
            raise CutError(f"cut point net {sorted(set(stop) - seen_nets)[0]} has no paired "
                           f"bit in the equiv module")
        out_cells = dict(base_cells)
        obl_names: list[str] = []
        trivial = 0
        pair_bits: list = []
        xors: list[int] = []
        for a, b, label in obligations:
            if select is not None and not select(label):
                continue
            a, b = fix(a), fix(b)
            if a == b:
                trivial += 1
                continue
            obl_names.append(label)
            pair_bits += [a, b]
            if not dual:
                out_cells[f"$obl{len(xors)}"] = _gate(a, b, "$_XOR_", next_bit)
                xors.append(next_bit)
                next_bit += 1

        # 4. fan-in of the obligations: coverage of the netlist, free bits that matter
        drv2 = {b: n for n, c in out_cells.items() for p, bits in c["connections"].items()
                if c["port_directions"][p] == "output" for b in bits if isinstance(b, int)}
        cone: set[str] = set()
        stack = [remap.get(b, b) for b in pair_bits if isinstance(b, int)]
        reached: set[int] = set()
        while stack:
            bit = stack.pop()
            if bit in reached:
                continue
            reached.add(bit)
            if bit in stop_bits:
                continue
            n = drv2.get(bit)
            if n is None or n in cone:
                continue
            cone.add(n)
            c = out_cells[n]
            stack += [remap.get(b, b) for p, bits in c["connections"].items()
                      if c["port_directions"][p] == "input" for b in bits if isinstance(b, int)]
        for b in undef_bits:
            inputs[f"free:{b}"] = [b]
        cut_in = {f"cut:{label}": [b] for b, label in stop_bits.items()
                  if b in reached and b not in have_input}
        free_undef = sum(1 for b in undef_bits if b in reached)

        if dual:
            outputs = {"pairs": pair_bits or ["0", "0"]}
        else:
            level: list = xors or ["0"]
            while len(level) > 1:
                nxt = []
                for i in range(0, len(level) - 1, 2):
                    out_cells[f"$or{next_bit}"] = _gate(level[i], level[i + 1], "$_OR_", next_bit)
                    nxt.append(next_bit)
                    next_bit += 1
                if len(level) % 2:
                    nxt.append(level[-1])
                level = nxt
            outputs = {"trigger": level}
        out_cells = {n: c for n, c in out_cells.items() if n in cone or not c["type"] in COMB
                     or n.startswith(("$obl", "$or"))}
        if remap:                       # the cut gate bits: their readers read the free input
            for n, c in out_cells.items():
                ins = [p for p, d in c["port_directions"].items() if d == "input"]
                if any(b in remap for p in ins for b in c["connections"][p]):
                    out_cells[n] = {**c, "connections": {
                        p: ([remap.get(b, b) for b in bits] if p in ins else bits)
                        for p, bits in c["connections"].items()}}
        ports = {n: {"direction": "input", "bits": b} for n, b in {**inputs, **cut_in}.items()}
        ports.update({n: {"direction": "output", "bits": b} for n, b in outputs.items()})

        all_inst = {gate_instance(n) for n in cells} - {None}
        cov_inst = {gate_instance(n) for n in cone} - {None}
        # a paired gate flop is covered by its next-state obligation
        cov_inst |= {gate_instance(f) for fl in members.values() for f in fl} - {None}
        miter = {"creator": "silicon/equiv_cut.py", "modules": {"miter": {
            "attributes": {"top": "00000000000000000000000000000001"}, "ports": ports,
            "cells": out_cells, "netnames": {}}}}
        return Cut(miter, obl_names, registers=len(members), merged=merged,
                   constant=len(const_flops),
                   unmatched_gold=sorted(unmatched_gold), unmatched_gate=sorted(unmatched_gate),
                   free_undef=free_undef, dropped=dropped, trivial=trivial,
                   gate_cells=len(all_inst), gate_cells_covered=len(cov_inst & all_inst),
                   covered=cov_inst & all_inst, undef_mux=resolved["mux"],
                   undef_zero=resolved["zero"],
                   cofactor=inputs_of(cofactor_net) if cofactor_net else [],
                   cut_inputs=len(cut_in))

    return build


def main(src: Path, dst: Path, dual: bool = False) -> Cut:
    """Read the equiv JSON ``src``, write the miter JSON ``dst``; return the cut."""
    c = cut(json.loads(Path(src).read_text()), dual=dual)
    Path(dst).write_text(json.dumps(c.miter))
    return c


def mac_prefix(top: str) -> str | None:
    """Name prefix of the multiply-accumulate obligations when ``top`` is checked (None: no
    mac_array in it)."""
    return {"sparrow_top": "u_mac.", "mac_array": ""}.get(top)


# The descriptor check's products (rtl/ctrl.v), each a module of its own in the netlist
# (silicon/synth.ys: submod before the synthesis, so ABC maps each multiplier apart and the
# check's compare logic reads the product nets): product net -> its operand nets, names
# inside ctrl. The equivalence cuts at these nets: each product is its own miter whose inputs
# are its operands (few enough to enumerate every value), and every other miter reads the
# products as free inputs.
ARITH_CUTS: dict[str, tuple[str, ...]] = {
    "in_size_d": ("d_cin", "d_lin"),            # Cin * Lin: 13 x 11 bits
    "out_size_d": ("d_cout", "d_lout"),         # Cout * Lout: 9 x 11
    "cin_k_d": ("d_cin", "d_k"),                # Cin * K: 13 x 6
    "words_d": ("groups_d", "cin_k_d"),         # groups * Cin*K: 6 x 19
    "lo_end_d": ("lout_m1_d", "d_s"),           # (Lout - 1) * S: 11 x 6
}


def ctrl_prefix(top: str) -> str | None:
    """Name prefix of ctrl's signals when ``top`` is checked (None: no ctrl in it)."""
    return {"sparrow_top": "u_ctrl.", "ctrl": ""}.get(top)


def group_of(label: str, mac: str | None = "u_mac.", ctrl: str | None = None) -> str:
    """Miter group of an obligation: ``mac`` (the multiply-accumulate lanes, names starting
    with ``mac``, proven by cofactoring on the activation), a descriptor-check product
    (``u_ctrl.in_size_d``, ..., ``ARITH_CUTS``, when ``ctrl`` is ctrl's prefix), else the
    instance the signal belongs to (``u_ctrl``, ``g_act[0]``, ...), else ``top``: each group
    is one miter with its own fan-in cone, proven and reported on its own."""
    if mac is not None and label.startswith(mac):
        return "mac"
    if ctrl is not None:
        net = net_of(label)
        if net.startswith(ctrl) and net[len(ctrl):] in ARITH_CUTS:
            return net
    name = label.split(" ")[0]
    return name.split(".")[0] if "." in name else "top"


def split(src: Path, dst_stem: str, top: str = "sparrow_top",
          undef: str = "resolve") -> dict[str, Cut]:
    """One miter per obligation group (``group_of``), written to <dst_stem>.<group>.json; the
    mac group's Cut names its cofactor variables (the bits of the lanes' activation x_i)."""
    build = _builder(json.loads(Path(src).read_text()), "equiv", False, undef)
    labels = build(None).obligations
    mac, ctrl = mac_prefix(top), ctrl_prefix(top)
    products = {f"{ctrl}{p}": tuple(f"{ctrl}{o}" for o in ops)
                for p, ops in ARITH_CUTS.items()} if ctrl is not None else {}
    out = {}
    for g in sorted({group_of(x, mac, ctrl) for x in labels}, key=lambda g: (g == "mac", g)):
        c = build(lambda x, g=g: group_of(x, mac, ctrl) == g,
                  cofactor_net=f"{mac}x_i" if g == "mac" else None,
                  stop=products[g] if g in products else tuple(products))
        c.exhaustive = g in products
        Path(f"{dst_stem}.{g}.json").write_text(json.dumps(c.miter))
        out[g] = c
    return out


# --- cofactoring of a binary AIGER miter (python -m silicon equiv, the mac group) ----------

@dataclass
class Aiger:
    """A combinational binary AIGER file (aig M I L O A), kept as literals."""
    header: tuple[int, int, int, int, int]
    latches: list[bytes]
    outputs: list[int]
    ands: list[tuple[int, int]]                   # (rhs0, rhs1) of AND k, lhs = 2*(I+L+k+1)
    tail: bytes                                   # symbol table and comments


def read_aiger(path: Path) -> Aiger:
    """Parse a binary AIGER file (as yosys write_aiger writes it)."""
    data = Path(path).read_bytes()
    nl = data.index(b"\n")
    hdr = data[:nl].split()
    if not hdr or hdr[0] != b"aig" or len(hdr) < 6:
        raise CutError(f"{path}: not a binary AIGER file")
    m, i, l, o, a = (int(x) for x in hdr[1:6])
    pos = nl + 1
    rows = []
    for _ in range(l + o):
        e = data.index(b"\n", pos)
        rows.append(data[pos:e])
        pos = e + 1
    ands = []
    for k in range(a):
        deltas = []
        for _ in range(2):
            x = shift = 0
            while True:
                byte = data[pos]
                pos += 1
                x |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            deltas.append(x)
        r0 = 2 * (i + l + k + 1) - deltas[0]
        ands.append((r0, r0 - deltas[1]))
    return Aiger((m, i, l, o, a), rows[:l], [int(x) for x in rows[l:]], ands, data[pos:])


def write_cofactor(aig: Aiger, path: Path, values: dict[int, int]) -> None:
    """Write ``aig`` with input number i (0-based) replaced by the constant values[i]; the
    inputs stay declared (unused), every AND keeps its place, so the file stays valid."""
    m, i, l, o, a = aig.header
    sub = {2 * (k + 1): v for k, v in values.items()}

    def lit(x: int) -> int:
        v = sub.get(x & ~1)
        return x if v is None else v ^ (x & 1)

    out = bytearray(f"aig {m} {i} {l} {o} {a}\n".encode())
    for row in aig.latches:
        out += row + b"\n"
    for x in aig.outputs:
        out += b"%d\n" % lit(x)
    for k, (r0, r1) in enumerate(aig.ands):
        lhs = 2 * (i + l + k + 1)
        r0, r1 = lit(r0), lit(r1)
        if r0 < r1:
            r0, r1 = r1, r0
        for x in (lhs - r0, r0 - r1):
            while x >= 0x80:
                out.append((x & 0x7F) | 0x80)
                x >>= 7
            out.append(x)
    Path(path).write_bytes(bytes(out))


def map_inputs(map_file: Path) -> dict[tuple[str, int], int]:
    """(port, bit) -> AIGER input number, from the map file of yosys ``write_aiger -map``."""
    where = {}
    for row in Path(map_file).read_text().splitlines():
        f = row.split(maxsplit=3)
        if len(f) == 4 and f[0] == "input":
            where[(f[3], int(f[2]))] = int(f[1])
    return where


def input_numbers(map_file: Path, wanted: list[tuple[str, int]]) -> list[int]:
    """AIGER input numbers of the miter inputs ``wanted`` (port, bit), from the map file of
    yosys ``write_aiger -map``; CutError when one is missing."""
    where = map_inputs(map_file)
    missing = [w for w in wanted if w not in where]
    if missing:
        raise CutError(f"cofactor variable {missing[0][0]}[{missing[0][1]}] not an AIGER input")
    return [where[w] for w in wanted]


# --- exhaustive enumeration of a small combinational AIGER miter (the products) -----------

def _cone(aig: Aiger) -> tuple[list[int], list[int]]:
    """The structural fan-in of the outputs: (input numbers, 0-based; AND variables, in
    AIGER order, which is topological)."""
    m, ni, nl, no, na = aig.header
    first = ni + nl + 1
    seen: set[int] = set()
    stack = [x >> 1 for x in aig.outputs]
    while stack:
        v = stack.pop()
        if v == 0 or v in seen:
            continue
        seen.add(v)
        if v >= first:
            r0, r1 = aig.ands[v - first]
            stack += [r0 >> 1, r1 >> 1]
        elif v > ni:
            raise CutError("the AIGER file has latches: not a combinational miter")
    return sorted(v - 1 for v in seen if v <= ni), sorted(v for v in seen if v >= first)


def support(aig: Aiger) -> list[int]:
    """The input numbers (0-based) in the structural fan-in of the outputs."""
    return _cone(aig)[0]


def exhaustive(aig: Aiger, max_inputs: int = 26, chunk_bits: int = 18,
               progress: Callable[[int, int], None] | None = None) -> tuple[str, dict]:
    """Evaluate the miter on EVERY value of its support (bit-parallel, 64 values per machine
    word): ('proven', info) when every output is 0 for all 2^n values, ('counterexample',
    info with the input values) at the first value that sets one, ('too large', info) when
    the support exceeds ``max_inputs``. A complete enumeration is a proof for a
    combinational miter; it needs no solver and cannot time out."""
    import numpy as np

    m, ni, nl, no, na = aig.header
    if nl:
        raise CutError("the AIGER file has latches: not a combinational miter")
    sup, need = _cone(aig)
    n = len(sup)
    info: dict = {"inputs": n, "values": 1 << n}
    if n > max_inputs:
        return "too large", info
    first = ni + nl + 1
    order = [(v, *aig.ands[v - first]) for v in need]
    info["and_nodes"] = len(order)
    c = min(n, chunk_bits)
    words = max(1, (1 << c) >> 6)
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)
    pattern = [np.uint64(0xAAAAAAAAAAAAAAAA), np.uint64(0xCCCCCCCCCCCCCCCC),
               np.uint64(0xF0F0F0F0F0F0F0F0), np.uint64(0xFF00FF00FF00FF00),
               np.uint64(0xFFFF0000FFFF0000), np.uint64(0xFFFFFFFF00000000)]
    idx = np.arange(words, dtype=np.uint64)
    valid = np.full(words, ones)
    if c < 6:                                   # fewer than 64 values: mask the unused bits
        valid[:] = np.uint64((1 << (1 << c)) - 1)
    chunks = 1 << (n - c)
    for k in range(chunks):
        val: dict[int, np.ndarray] = {0: np.zeros(words, dtype=np.uint64)}
        for j, inp in enumerate(sup):
            if j < 6:
                w = np.full(words, pattern[j])
            elif j < c:
                w = np.where((idx >> np.uint64(j - 6)) & np.uint64(1), ones, np.uint64(0))
            else:
                w = np.full(words, ones if (k >> (j - c)) & 1 else np.uint64(0))
            val[inp + 1] = w
        for v, r0, r1 in order:
            a = val[r0 >> 1]
            b = val[r1 >> 1]
            if r0 & 1:
                a = ~a
            if r1 & 1:
                b = ~b
            val[v] = a & b
        for o in aig.outputs:
            w = val[o >> 1]
            if o & 1:
                w = ~w
            w = w & valid
            hit = np.flatnonzero(w)
            if hit.size:
                word = int(hit[0])
                bit = (int(w[word]) & -int(w[word])).bit_length() - 1
                number = (k << c) | (word << 6) | bit
                info["counterexample"] = {sup[j]: (number >> j) & 1 for j in range(n)}
                info["values_checked"] = number + 1
                return "counterexample", info
        if progress:
            progress(k + 1, chunks)
    info["values_checked"] = 1 << n
    return "proven", info
