#!/usr/bin/env python3
"""Generate every copy of the SparrowSNN host interface from its one source.

Source: interface/sparrow.rdl (SystemRDL: registers, fields, memory windows, layer descriptor)
and interface/sparrow.toml (build limits, error codes, rule rows of the limits table), compiled
with systemrdl-compiler. Products (each headed "GENERATED — do not edit"):

* rtl/sparrow_build.vh: `define SPARROW_<LIMIT> for the RTL parameter defaults (included at the
  top of a file, before the module header that needs them);
* rtl/sparrow_regs.vh: localparams of addresses, field positions, descriptor packing and error
  codes (included inside a module body);
* golden/regmap.py: the same constants for golden/ and tb/;
* the limits, register, descriptor and error-code tables of docs/architecture.md, between
  ``<!-- BEGIN GENERATED: <table> -->`` / ``<!-- END GENERATED: <table> -->`` markers.

Usage: gen_interface.py [--check] [--root DIR]. ``--check`` writes nothing and exits 1 naming
each stale file; any error in the source exits 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.paths import REPO_ROOT  # noqa: E402

RDL = Path("interface/sparrow.rdl")
TOML = Path("interface/sparrow.toml")
VH_BUILD = Path("rtl/sparrow_build.vh")
VH_REGS = Path("rtl/sparrow_regs.vh")
PY_REGMAP = Path("golden/regmap.py")
DOC = Path("docs/architecture.md")
DOC_TABLES = ("limits", "registers", "descriptor", "errors")
SOURCE = f"{RDL}, {TOML}"
REGEN = "make interface (scripts/gen_interface.py)"


class InterfaceError(Exception):
    """The source is malformed or a product cannot be generated."""


@dataclass
class Field:
    """One field of a register or descriptor word."""

    name: str        # instance name (lower case)
    label: str       # display name (the RDL `name` property)
    lsb: int
    width: int
    access: str      # RO / WO / RW
    reset: int
    desc: str


@dataclass
class Register:
    """One register (or one element of a register array)."""

    name: str
    addr: int
    access: str
    reset: int
    desc: str
    count: int = 1          # array elements (LOGIT)
    stride: int = 4
    fields: list[Field] = field(default_factory=list)


@dataclass
class Window:
    """A memory window."""

    name: str
    addr: int
    size: int        # bytes
    desc: str


@dataclass
class DescWord:
    """One word of the layer descriptor."""

    index: int
    name: str
    fields: list[Field]


@dataclass
class Interface:
    """Everything the generators need."""

    registers: list[Register]
    windows: list[Window]
    desc_addr: int
    desc_stride: int
    desc_count: int
    desc_desc: str
    desc_words: list[DescWord]
    limits: list[dict]
    rules: list[dict]
    errors: list[dict]


def _access(sw: object) -> str:
    s = str(sw).split(".")[-1]
    return {"r": "RO", "w": "WO", "rw": "RW", "w1": "WO", "rw1": "RW"}.get(s, s.upper())


def _fields(node: object) -> list[Field]:
    out = []
    for f in node.fields():  # type: ignore[attr-defined]
        reset = f.get_property("reset")
        out.append(Field(f.inst_name, f.get_property("name") or f.inst_name, f.lsb, f.width,
                         _access(f.get_property("sw")), int(reset or 0),
                         " ".join((f.get_property("desc") or "").split())))
    return out


def _reg_access(fields: list[Field]) -> str:
    kinds = {f.access for f in fields}
    return kinds.pop() if len(kinds) == 1 else "RW"


def load(root: Path) -> Interface:
    """Compile the RDL with the TOML limits as its parameters; collect the interface."""
    from systemrdl import RDLCompileError, RDLCompiler  # noqa: PLC0415
    from systemrdl.node import MemNode, RegfileNode, RegNode  # noqa: PLC0415

    try:
        data = tomllib.loads((root / TOML).read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InterfaceError(f"{TOML}: {e}") from e
    limits, rules, errors = data.get("limit", []), data.get("rule", []), data.get("error", [])
    for lim in limits:
        if not (isinstance(lim.get("name"), str) and isinstance(lim.get("value"), int)):
            raise InterfaceError(f"{TOML}: every [[limit]] needs a name and an integer value")
    codes = [e.get("code") for e in errors]
    if codes != list(range(1, len(errors) + 1)):
        raise InterfaceError(f"{TOML}: error codes must be 1, 2, ... in order, got {codes}")
    values = {lim["name"]: lim["value"] for lim in limits}

    rdlc = RDLCompiler()
    try:
        rdlc.compile_file(str(root / RDL))
        params = {p: values[p] for p in ("LANES", "MAX_LAYERS", "ACC_W", "MAX_CLASSES")}
        top = rdlc.elaborate("sparrow", parameters=params).top
    except (RDLCompileError, KeyError, OSError) as e:
        raise InterfaceError(f"{RDL}: does not compile ({e or 'see the messages above'})") from e

    regs: list[Register] = []
    windows: list[Window] = []
    desc_node = None
    for ch in top.children(unroll=False):
        desc = " ".join((ch.get_property("desc") or "").split())
        if isinstance(ch, RegNode):
            fl = _fields(ch)
            reset = sum(f.reset << f.lsb for f in fl)
            count = ch.array_dimensions[0] if ch.is_array else 1
            stride = ch.array_stride if ch.is_array else 4
            regs.append(Register(ch.inst_name, ch.raw_address_offset, _reg_access(fl), reset,
                                 desc, count, stride, fl))
        elif isinstance(ch, MemNode):
            windows.append(Window(ch.inst_name, ch.raw_address_offset, ch.size, desc))
        elif isinstance(ch, RegfileNode):
            desc_node = ch
    if desc_node is None or not desc_node.is_array:
        raise InterfaceError(f"{RDL}: no descriptor regfile array DESC")
    words = [DescWord(r.raw_address_offset // 4, r.get_property("name") or r.inst_name,
                      _fields(r)) for r in desc_node.children() if isinstance(r, RegNode)]
    if [w.index for w in words] != list(range(len(words))):
        raise InterfaceError(f"{RDL}: descriptor words must be consecutive from offset 0")
    return Interface(regs, windows, desc_node.raw_address_offset, desc_node.array_stride,
                     desc_node.array_dimensions[0],
                     " ".join((desc_node.get_property("desc") or "").split()), words,
                     limits, rules, errors)


# ---------------------------------------------------------------------------------------------
# constants shared by the Verilog and Python products


def desc_fields(itf: Interface) -> list[tuple[str, int, int, int, int]]:
    """(label, word, lsb, width, position in the packed desc vector), packing order LSB first."""
    out, pos = [], 0
    for w in itf.desc_words:
        for f in w.fields:
            out.append((f.label, w.index, f.lsb, f.width, pos))
            pos += f.width
    return out


def constants(itf: Interface) -> list[tuple[str, int, int, str]]:
    """(NAME, value, Verilog width or 0 for integer, comment) in header order."""
    c: list[tuple[str, int, int, str]] = []
    ident = next(r for r in itf.registers if r.name == "ID")
    c.append(("ID_VALUE", ident.reset, 32, "ID register value"))
    for r in itf.registers:
        c.append((f"ADDR_{r.name}", r.addr, 16, r.name + (f"[0..{r.count - 1}]" if r.count > 1
                                                            else "")))
        if r.count > 1:
            c.append((f"{r.name}_COUNT", r.count, 0, f"{r.name} registers"))
    c.append(("ADDR_DESC", itf.desc_addr, 16, "descriptor table"))
    c.append(("DESC_STRIDE", itf.desc_stride, 0, "bytes per layer descriptor"))
    c.append(("DESC_WORDS", itf.desc_stride // 4, 0, "words per layer descriptor"))
    c.append(("DESC_USED_WORDS", len(itf.desc_words), 0, "words holding fields (rest reserved)"))
    for w in itf.windows:
        c.append((f"ADDR_{w.name}", w.addr, 16, f"{w.name} window"))
        c.append((f"{w.name}_BYTES", w.size, 0, f"{w.name} window size"))
    for r in itf.registers:
        if r.count > 1 or len(r.fields) < 2 and r.fields[0].width == 32:
            continue
        for f in r.fields:
            base = f"{r.name}_{f.name.upper()}"
            c.append((f"{base}_LSB", f.lsb, 0, f"{r.name}.{f.name}"))
            c.append((f"{base}_W", f.width, 0, ""))
    for label, word, lsb, width, pos in desc_fields(itf):
        base = f"DESC_{label.upper()}"
        c.append((f"{base}_WORD", word, 0, f"descriptor field {label}"))
        c.append((f"{base}_LSB", lsb, 0, ""))
        c.append((f"{base}_W", width, 0, ""))
        c.append((f"{base}_POS", pos, 0, "position in the packed descriptor"))
    for e in itf.errors:
        c.append((f"ERR_{e['name']}", e["code"], 8, e["meaning"]))
    return c


def desc_w(itf: Interface) -> int:
    """Width of one packed descriptor (sum of the field widths)."""
    return sum(f[3] for f in desc_fields(itf))


def header(comment: str) -> str:
    """The GENERATED banner, in the given line-comment syntax."""
    return (f"{comment} GENERATED — do not edit; source: {SOURCE}\n"
            f"{comment} regenerate with: {REGEN}\n")


def render_vh_build(itf: Interface) -> str:
    """rtl/sparrow_build.vh: `define of each build parameter."""
    lines = [header("//").rstrip("\n"),
             "// Build parameters of SparrowSNN: the defaults of the RTL parameters. Included",
             "// at the top of a file, before the module header.",
             "`ifndef SPARROW_BUILD_VH", "`define SPARROW_BUILD_VH"]
    for lim in itf.limits:
        lines.append(f"`define SPARROW_{lim['name']} {lim['value']}")
    lines.append(f"`define SPARROW_DESC_W {desc_w(itf)}")
    lines.append("`endif")
    return "\n".join(lines) + "\n"


def render_vh_regs(itf: Interface) -> str:
    """rtl/sparrow_regs.vh: localparams of the host interface."""
    lines = [header("//").rstrip("\n"),
             "// Host interface constants of SparrowSNN (docs/architecture.md §6). Included",
             "// inside a module body; a module uses the subset it needs, so UNUSEDPARAM is off here",
             "// (in release 5.052 a lint_waivers.vlt -file waiver misses the second module that",
             "// includes this file).",
             "// verilator lint_off UNUSEDPARAM"]
    for name, value, width, comment in constants(itf):
        if width:
            lit = f"{width}'h{value:0{(width + 3) // 4}X}"
            decl = f"localparam [{width - 1}:0] {name} = {lit};"
        else:
            decl = f"localparam integer {name} = {value};"
        lines.append(decl + (f"  // {comment}" if comment else ""))
    lines.append("// verilator lint_on UNUSEDPARAM")
    lines += render_desc_macros(itf)
    return "\n".join(lines) + "\n"


def render_desc_macros(itf: Interface) -> list[str]:
    """Two macros that move descriptor fields between a bus word and the packed table entry.

    `SPARROW_DESC_WRITE(fld, word, data)`: statements updating the fields of packed entry `fld`
    that live in descriptor word `word` from the bus word `data`;
    `SPARROW_DESC_READ(rd, word, fld)`: statements placing those fields into the bus word `rd`
    (every other bit is left as the caller set it). Generated so that the per-field code of
    rtl/apb_regs.v follows the source instead of being unrolled by hand.
    """
    wr, rd = [], []
    for label, _word, _lsb, _width, _pos in desc_fields(itf):
        b = f"DESC_{label.upper()}"
        sel = f"if ((word) == {b}_WORD[2:0])"
        wr.append(f"    {sel} fld[{b}_POS +: {b}_W] <= data[{b}_LSB +: {b}_W];")
        rd.append(f"    {sel} rd[{b}_LSB +: {b}_W] = fld[{b}_POS +: {b}_W];")
    out = ["`ifndef SPARROW_DESC_MACROS", "`define SPARROW_DESC_MACROS",
           "// descriptor fields between a bus word and the packed table entry (see apb_regs.v)",
           "`define SPARROW_DESC_WRITE(fld, word, data) \\"]
    out += [line + " \\" for line in wr[:-1]] + [wr[-1]]
    out.append("`define SPARROW_DESC_READ(rd, word, fld) \\")
    out += [line + " \\" for line in rd[:-1]] + [rd[-1]]
    out.append("`endif")
    return out


def render_py(itf: Interface) -> str:
    """golden/regmap.py: the interface constants and tables in Python."""
    q = '"""'
    out = [f"{q}Host interface of SparrowSNN (docs/architecture.md §4-6).",
           "",
           f"GENERATED — do not edit; source: {SOURCE}",
           f"regenerate with: {REGEN}",
           f"{q}", "", "from __future__ import annotations", ""]
    for name, value, width, comment in constants(itf):
        lit = f"0x{value:0{max(4, (width + 3) // 4)}X}" if width and width != 8 else str(value)
        out.append(f"{name} = {lit}" + (f"  # {comment}" if comment else ""))
    out += ["", "# build limits (interface/sparrow.toml)",
            "LIMITS: dict[str, int] = {"]
    out += [f"    {lim['name']!r}: {lim['value']}," for lim in itf.limits]
    out += ["}", f"DESC_W = {desc_w(itf)}", ""]
    out += ["# descriptor fields (name, word, lsb, width) in packing order, LSB first",
            "DESC_FIELDS: tuple[tuple[str, int, int, int], ...] = ("]
    out += [f"    ({lab!r}, {w}, {lsb}, {wd})," for lab, w, lsb, wd, _p in desc_fields(itf)]
    out += [")", "# per descriptor word: the bits that hold fields (all other bits read 0)",
            "DESC_WORD_MASKS: tuple[int, ...] = ("]
    for w in itf.desc_words:
        mask = sum(((1 << f.width) - 1) << f.lsb for f in w.fields)
        out.append(f"    0x{mask:08X},")
    out += [")", "", "# registers: name -> (address, access, reset, {field: (lsb, width)})",
            "REGISTERS: dict[str, tuple[int, str, int, dict[str, tuple[int, int]]]] = {"]
    for r in itf.registers:
        if r.count > 1:
            continue
        fl = ", ".join(f"{f.name!r}: ({f.lsb}, {f.width})" for f in r.fields)
        out.append(f"    {r.name!r}: (0x{r.addr:04X}, {r.access!r}, 0x{r.reset:X}, {{{fl}}}),")
    out += ["}", "# memory windows: name -> (address, bytes)",
            "WINDOWS: dict[str, tuple[int, int]] = {"]
    out += [f"    {w.name!r}: (0x{w.addr:04X}, 0x{w.size:X})," for w in itf.windows]
    out += ["}", "# error codes (STATUS.err_code): code -> (name, meaning)",
            "ERROR_CODES: dict[int, tuple[str, str]] = {"]
    out += [f"    {e['code']}: ({e['name']!r}, {e['meaning']!r})," for e in itf.errors]
    out += ["}"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# docs tables


def _bits(f: Field) -> str:
    return f"[{f.lsb}]" if f.width == 1 else f"[{f.lsb + f.width - 1}:{f.lsb}]"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def table_limits(itf: Interface) -> str:
    rows = ["| limit | value | name in RTL |", "|---|---|---|"]
    rows += [f"| {_md(lim['what'])} | {_md(lim['shown'])} | `{lim['name']}` = {lim['value']} |"
             for lim in itf.limits]
    rows += [f"| {_md(r['what'])} | {_md(r['shown'])} | |" for r in itf.rules]
    return "\n".join(rows)


def table_registers(itf: Interface) -> str:
    rows = ["| address | name | access | reset | content |", "|---|---|---|---|---|"]
    for r in itf.registers:
        if r.count > 1:
            last = r.addr + r.stride * (r.count - 1)
            name = f"`{r.name}[0..{r.count - 1}]`"
            addr = f"0x{r.addr:04X}–0x{last:04X}"
        else:
            name, addr = f"`{r.name}`", f"0x{r.addr:04X}"
        if len(r.fields) == 1 and r.fields[0].width == 32:
            content = r.desc or r.fields[0].desc
        else:
            parts = [f"{_bits(f)} `{f.name}`: {f.desc}" if f.desc else f"{_bits(f)} `{f.name}`"
                     for f in r.fields]
            content = (r.desc + " " if r.desc else "") + "; ".join(parts)
        rows.append(f"| {addr} | {name} | {r.access} | 0x{r.reset:X} | {_md(content)} |")
    last = itf.desc_addr + itf.desc_stride * itf.desc_count - 4
    rows.append(f"| 0x{itf.desc_addr:04X}–0x{last:04X} | `DESC[0..{itf.desc_count - 1}]` | RW | "
                f"0 | {_md(itf.desc_desc)} Layer ℓ at 0x{itf.desc_addr:X} + "
                f"{itf.desc_stride}ℓ (table below). |")
    for w in itf.windows:
        rows.append(f"| 0x{w.addr:04X}–0x{w.addr + w.size - 1:04X} | `{w.name}` | RW | "
                    f"(not reset) | {_md(w.desc)} |")
    return "\n".join(rows)


def table_descriptor(itf: Interface) -> str:
    rows = ["| word | bits | field | content |", "|---|---|---|---|"]
    for w in itf.desc_words:
        for f in w.fields:
            rows.append(f"| {w.index} ({w.name}) | {_bits(f)} | {f.label} | {_md(f.desc)} |")
    n = itf.desc_stride // 4
    rows.append(f"| {len(itf.desc_words)}..{n - 1} | | reserved | read 0, writes ignored |")
    return "\n".join(rows)


def table_errors(itf: Interface) -> str:
    rows = ["| code | constant | meaning |", "|---|---|---|"]
    rows += [f"| {e['code']} | `ERR_{e['name']}` | {_md(e['meaning'])} |" for e in itf.errors]
    return "\n".join(rows)


TABLES = {"limits": table_limits, "registers": table_registers,
          "descriptor": table_descriptor, "errors": table_errors}


def render_doc(itf: Interface, text: str) -> str:
    """docs/architecture.md with every generated table replaced between its markers."""
    for name in DOC_TABLES:
        begin = f"<!-- BEGIN GENERATED: {name} (source: {SOURCE}; {REGEN}) -->"
        end = f"<!-- END GENERATED: {name} -->"
        pat = re.compile(r"<!-- BEGIN GENERATED: " + re.escape(name) + r" [^\n]*-->\n.*?"
                         + re.escape(end), re.S)
        if len(pat.findall(text)) != 1:
            raise InterfaceError(f"{DOC}: needs exactly one marker pair for table '{name}' "
                                 f"('<!-- BEGIN GENERATED: {name} ...' / '{end}')")
        text = pat.sub(lambda _m: f"{begin}\n{TABLES[name](itf)}\n{end}", text)
    return text


def products(root: Path) -> dict[Path, str]:
    """Path (relative to root) -> expected content of every generated file."""
    itf = load(root)
    try:
        doc = (root / DOC).read_text()
    except OSError as e:
        raise InterfaceError(f"{DOC}: {e}") from e
    return {VH_BUILD: render_vh_build(itf), VH_REGS: render_vh_regs(itf),
            PY_REGMAP: render_py(itf), DOC: render_doc(itf, doc)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 naming each generated file that is stale")
    ap.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    args = ap.parse_args(argv)
    try:
        want = products(args.root)
    except InterfaceError as e:
        print(f"gen_interface: {e}", file=sys.stderr)
        return 2
    stale = []
    for rel, text in want.items():
        path = args.root / rel
        cur = path.read_text() if path.exists() else None
        if cur == text:
            continue
        stale.append(rel)
        if not args.check:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text)
            tmp.replace(path)
    if args.check:
        for rel in stale:
            print(f"gen_interface: {rel} is stale (edited by hand or source changed); "
                  f"run {REGEN}", file=sys.stderr)
        return 1 if stale else 0
    print(f"gen_interface: {len(stale)} file(s) written, {len(want) - len(stale)} up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
