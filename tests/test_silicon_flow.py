"""The silicon flow's checkers can fail: equivalence (an altered gate), the power linearity that
the energy method rests on, the SRAM model and the netlist reader (docs/energy.md).

Fast: each test synthesises one small module (stream_in ~2 s, ssf_fire ~2 s, mac_array ~4 s) with
the same yosys script as `make synth`; the whole file runs in about 40 s on one core.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from silicon import equiv_cut, memory, sta
from silicon.__main__ import equiv, prove_cofactors, synth
from silicon.flow import LIBERTY, FlowError
from silicon.netlist import Cell, gated_groups, module_of, parse

pytestmark = pytest.mark.skipif(
    shutil.which("yosys") is None or shutil.which("sta") is None or not LIBERTY.is_file(),
    reason="yosys, OpenSTA or the OSU018 library missing (make setup)")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stream_in synthesised by silicon/synth.ys into a temporary folder."""
    out = tmp_path_factory.mktemp("synth_stream_in")
    synth("stream_in", out)
    return out


def test_equivalence_proven(small: Path) -> None:
    """The synthesised module is proven equal to its RTL."""
    res = equiv(small / "netlist.v", small / "equiv.log", top="stream_in")
    assert res["equivalent"] and res["obligations"] and res["verdicts"] == {"top": "proven"}
    assert res["netlist_cells_covered"] == res["netlist_cells"] > 0
    assert res["registers_paired"] > 0 and not res["unmatched_gate_flops"]


def test_equivalence_fails_on_an_altered_gate(small: Path) -> None:
    """One NAND2X1 turned into a NOR2X1: the check must fail (a counterexample, not a time-out)
    and name its log."""
    text = (small / "netlist.v").read_text()
    assert "  NAND2X1 " in text
    bad = small / "altered.v"
    bad.write_text(text.replace("  NAND2X1 ", "  NOR2X1 ", 1))
    with pytest.raises(FlowError, match=r"equivalence NOT proven: .*counterexample; log "):
        equiv(bad, small / "equiv_altered.log", top="stream_in")


def _fan_in(cells: list[Cell], nets: set[str]) -> set[str]:
    """Names of the combinational cells in the fan-in of ``nets`` (stops at flops)."""
    drv = {c.pins[c.out]: c for c in cells if c.out and c.type != "DFFPOSX1"}
    seen: set[str] = set()
    stack = list(nets)
    while stack:
        c = drv.get(stack.pop())
        if c is None or c.name in seen:
            continue
        seen.add(c.name)
        stack += [n for p, n in c.pins.items() if p != c.out]
    return seen


def _alter_in_cone(netlist: Path, inside: set[str], outside: set[str], out: Path) -> str:
    """Turn the first NAND2X1 in the fan-in of the D pins of flops ``inside`` (and not in that
    of ``outside``) into a NOR2X1; returns the altered instance."""
    cells = parse(netlist)
    d_of = {c.pins["Q"]: c.pins["D"] for c in cells if c.type == "DFFPOSX1"}
    cone = _fan_in(cells, {d_of[q] for q in inside}) - _fan_in(cells, {d_of[q] for q in outside})
    name = next(c.name for c in cells if c.type == "NAND2X1" and c.name in cone)
    text = netlist.read_text()
    assert text.count(f"  NAND2X1 {name} (") == 1
    out.write_text(text.replace(f"  NAND2X1 {name} (", f"  NOR2X1 {name} ("))
    return name


def test_equivalence_fails_in_the_divider_cone(tmp_path: Path) -> None:
    """ssf_fire is proven; one gate of its divider (fan-in of the fired count y_q[7:0], not of
    the logit bits y_q[31:8], i.e. not the bias adder) altered: a counterexample."""
    synth("ssf_fire", tmp_path)
    res = equiv(tmp_path / "netlist.v", tmp_path / "equiv.log", top="ssf_fire")
    assert res["equivalent"] and res["verdicts"] == {"top": "proven"}
    assert res["netlist_cells_covered"] == res["netlist_cells"] > 1000
    bad = tmp_path / "altered.v"
    _alter_in_cone(tmp_path / "netlist.v", {f"y_q[{i}]" for i in range(8)},
                   {f"y_q[{i}]" for i in range(8, 32)}, bad)
    with pytest.raises(FlowError, match=r"equivalence NOT proven: .*counterexample; log "):
        equiv(bad, tmp_path / "equiv_altered.log", top="ssf_fire")


def test_equivalence_fails_in_the_multiplier_cone(tmp_path: Path) -> None:
    """One gate in lane 0's multiply-accumulate cone of mac_array (fan-in of its sum, not of
    lane 1's: the multiplier and the adder) altered: ABC finds a counterexample (not a
    time-out; the unaltered lanes are the hard case, proven or not by the slow run)."""
    synth("mac_array", tmp_path)
    bad = tmp_path / "altered.v"
    _alter_in_cone(tmp_path / "netlist.v", {f"\\g_lane[0].sum_q [{i}]" for i in range(4, 12)},
                   {f"\\g_lane[1].sum_q [{i}]" for i in range(33)}, bad)
    with pytest.raises(FlowError, match=r"equivalence NOT proven: .*counterexample; log "):
        equiv(bad, tmp_path / "equiv_altered.log", top="mac_array", abc_seconds=60)


_COF_MITER = """
module miter (input wire [3:0] a, input wire [3:0] b, output wire trigger);
    wire [7:0] gold = a * b;
    wire [7:0] gate = (a == 4'd5) ? ((a * b) ^ {7'd0, b[0]}) : (a * b);  // wrong for a=5, b odd
    assign trigger = |(gold ^ gate);
endmodule
"""


def test_cofactor_split_finds_the_right_cofactor(tmp_path: Path) -> None:
    """The mac group's method on a small multiplier miter: cofactoring on the 4-bit operand a
    proves the 15 clean cofactors and finds the counterexample in cofactor a = 5 only (about
    3 s)."""
    (tmp_path / "m.v").write_text(_COF_MITER)
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {tmp_path / 'm.v'}; prep -top miter; "
                    f"techmap; aigmap; write_aiger -map {tmp_path / 'm.map'} "
                    f"{tmp_path / 'm.aig'}"], check=True)
    nums = equiv_cut.input_numbers(tmp_path / "m.map", [("a", i) for i in range(4)])
    with pytest.raises(equiv_cut.CutError, match="not an AIGER input"):
        equiv_cut.input_numbers(tmp_path / "m.map", [("x_i", 0)])
    verdict, info = prove_cofactors(tmp_path / "m.aig", nums, tmp_path / "cof.log", 30,
                                    jobs=1, values=[v for v in range(16) if v != 5])
    assert verdict == "proven" and info["cofactors"] == 15
    assert set(info["verdicts"].values()) == {"proven"}
    verdict, info = prove_cofactors(tmp_path / "m.aig", nums, tmp_path / "cof.log", 30, jobs=1)
    assert verdict == "counterexample" and info["failing"] == [5]
    assert all(v == "proven" for a, v in info["verdicts"].items() if a != 5)
    assert "=== cofactor 5: counterexample" in (tmp_path / "cof.log").read_text()


def test_exhaustive_enumeration_is_a_proof_and_finds_the_counterexample(tmp_path: Path) -> None:
    """The products' method (equiv_cut.exhaustive): the same 4 x 4 multiplier miter, wrong
    only for a = 5 and b odd, evaluated on all 256 operand values: the counterexample has
    a = 5 and b odd; the corrected miter is proven after all 256 values; a support above the
    limit is refused, not guessed."""
    def aig(text: str, name: str) -> equiv_cut.Aiger:
        (tmp_path / f"{name}.v").write_text(text)
        subprocess.run(["yosys", "-q", "-p", f"read_verilog {tmp_path / name}.v; prep -top "
                        f"miter; techmap; aigmap; write_aiger -map {tmp_path / name}.map "
                        f"{tmp_path / name}.aig"], check=True)
        return equiv_cut.read_aiger(tmp_path / f"{name}.aig")

    bad = aig(_COF_MITER, "bad")
    nums = equiv_cut.input_numbers(tmp_path / "bad.map", [("a", i) for i in range(4)]
                                   + [("b", i) for i in range(4)])
    assert sorted(equiv_cut.support(bad)) == sorted(nums)
    verdict, info = equiv_cut.exhaustive(bad)
    assert verdict == "counterexample" and info["inputs"] == 8
    a = sum(info["counterexample"][n] << i for i, n in enumerate(nums[:4]))
    b = sum(info["counterexample"][n] << i for i, n in enumerate(nums[4:]))
    assert a == 5 and b % 2 == 1
    good = aig(_COF_MITER.replace("(a == 4'd5)", "1'b0"), "good")
    assert equiv_cut.exhaustive(good)[0] == "proven"
    assert equiv_cut.exhaustive(good)[1]["values_checked"] == 256
    assert equiv_cut.exhaustive(good, max_inputs=7)[0] == "too large"
    verdict, info = equiv_cut.exhaustive(bad, chunk_bits=6)       # several chunks
    assert verdict == "counterexample" and info["counterexample"][nums[0]] == 1


@pytest.fixture(scope="module")
def ctrl_netlist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ctrl synthesised by silicon/synth.ys (its five descriptor-check products as modules)."""
    out = tmp_path_factory.mktemp("synth_ctrl")
    synth("ctrl", out)
    return out


def test_ctrl_proven_through_the_product_cut_points(ctrl_netlist: Path) -> None:
    """ctrl, undecided while its multiplier-and-compare cones were one block, is proven: each
    product is cut at its module ports and enumerated over every operand value (2^17 to 2^25),
    the rest of ctrl reads the products as free inputs (about 1 minute)."""
    res = equiv(ctrl_netlist / "netlist.v", ctrl_netlist / "equiv.log", top="ctrl")
    assert res["equivalent"]
    assert set(res["verdicts"]) == {"top", *equiv_cut.ARITH_CUTS}
    widths = {"in_size_d": 24, "out_size_d": 20, "cin_k_d": 19, "words_d": 25, "lo_end_d": 17}
    for p, n in widths.items():
        assert res["enumerated"][p]["inputs"] == n
        assert res["enumerated"][p]["values_checked"] == 1 << n
    assert res["arithmetic_cut_inputs"]["top"] > 0          # the rest reads the products
    assert res["netlist_cells_covered"] == res["netlist_cells"]


def test_ctrl_altered_multiplier_gate_fails_its_product(ctrl_netlist: Path) -> None:
    """One NAND2X1 of the Cin*Lin multiplier turned into a NOR2X1: the enumeration of that
    product finds a counterexample (and names the operand values in its log)."""
    text = (ctrl_netlist / "netlist.v").read_text()
    old = "  NAND2X1 \\ctrl_mul_in_size.c10  ("
    assert text.count(old) == 1
    bad = ctrl_netlist / "altered.v"
    bad.write_text(text.replace(old, old.replace("NAND2X1", "NOR2X1")))
    with pytest.raises(FlowError, match=r"equivalence NOT proven: in_size_d \(24 obligations\) "
                       r"counterexample; log .*abc\.in_size_d\.log"):
        equiv(bad, ctrl_netlist / "equiv_altered.log", top="ctrl")
    log = (ctrl_netlist / "equiv_altered.abc.in_size_d.log").read_text()
    assert "counterexample" in log and "cut:" in log


def test_undefined_mux_input_resolved_like_the_synthesis() -> None:
    """A gold $_MUX_ with an x data input passes its other input; other x bits become 0; gate
    cells are never touched (equiv_cut._resolve_undef)."""
    dirs = {"A": "input", "B": "input", "S": "input", "Y": "output"}
    undef = {100: "undef constant", 101: "undef constant", 7: "undriven"}
    seen = {"mux": 0, "zero": 0}
    mux = {"type": "$_MUX_", "port_directions": dirs}
    out = equiv_cut._resolve_undef(mux, {"A": [100], "B": [5], "S": [6], "Y": [9]}, undef, seen)
    assert out["A"] == [5] and out["B"] == [5] and seen == {"mux": 1, "zero": 0}
    out = equiv_cut._resolve_undef(mux, {"A": [4], "B": [5], "S": [101], "Y": [9]}, undef, seen)
    assert out["S"] == ["0"] and seen == {"mux": 1, "zero": 1}
    out = equiv_cut._resolve_undef(mux, {"A": [4], "B": [7], "S": [6], "Y": [9]}, undef, seen)
    assert out["B"] == [7]                             # undriven nets stay free inputs


def test_power_linear_in_activity(small: Path) -> None:
    """Per-instance power at activity 0 and 1 predicts report_power at a third activity."""
    tab = sta.power_tables(small / "netlist_sta.v", third=0.23, top="stream_in")
    meas = tab["totals"]["0.23"][3]
    pred = sta.linear_total(tab, 0.23)
    assert meas > 0
    assert abs(pred - meas) / meas < 1e-3
    # and the comparison is sharp: a table off by 1 % on one instance's slope is detected
    tab["p1"] = tab["p1"].copy()
    k = int(np.argmax(tab["p1"][:, 3] - tab["p0"][:, 3]))
    tab["p1"][k, 3] *= 1.5
    assert abs(sta.linear_total(tab, 0.23) - meas) / meas > 1e-3


def test_netlist_reader_and_enable_groups(small: Path) -> None:
    """Every flop is read; the hold multiplexers of enable flops are found."""
    cells = parse(small / "netlist.v")
    flops = [c for c in cells if c.type == "DFFPOSX1"]
    assert flops and all(c.out == "Q" for c in flops)
    groups = gated_groups(cells)
    assert groups and sum(len(v) for v in groups.values()) <= len(flops)
    assert module_of("u_ctrl.c1") == "ctrl" and module_of("g_fire[3].u_fire.c7") == "ssf_fire"
    assert module_of("c5") == "top"
    with pytest.raises(ValueError, match="no cell instances"):
        (small / "empty.v").write_text("module x; endmodule\n")
        parse(small / "empty.v")


def test_sram_model() -> None:
    """Energies grow with the array, writes cost more than reads, bad geometry is refused."""
    a = memory.model("a", "r", 128, 128)
    b = memory.model("b", "r", 2048, 64)
    assert 0 < a.e_read_pj < b.e_read_pj and a.e_write_pj > a.e_read_pj
    assert b.area_um2 > a.area_um2 > 0 and b.leak_uw > a.leak_uw > 0
    assert set(memory.macros()) == set(memory.INSTANCES)
    with pytest.raises(ValueError, match="bad SRAM geometry"):
        memory.model("c", "r", 1, 8)


def test_sta_netlist_has_the_same_cells(small: Path) -> None:
    """The GLS and STA netlist (netlist_sta.v, alias wires purged) holds exactly the cells of
    the proven netlist.v: same names, types and pins (net names may differ by alias only)."""
    a = {c.name: (c.type, sorted(c.pins)) for c in parse(small / "netlist.v")}
    b = {c.name: (c.type, sorted(c.pins)) for c in parse(small / "netlist_sta.v")}
    assert a == b and len(a) > 10


def test_toggle_window_decoding() -> None:
    """A counter line of the instrumented netlist decodes to per-cell counts; a malformed line
    or an X in a plane is refused."""
    from silicon.netlist import COUNT_PLANES, decode_window

    counts = np.array([0, 1, 2, 5, 1023, 7, 0, 12345, 3])
    n = len(counts)
    planes = [sum(((int(c) >> k) & 1) << i for i, c in enumerate(counts))
              for k in range(COUNT_PLANES)]
    line = "77 4 9 " + " ".join(f"{p:0{(n + 3) // 4}x}" for p in planes)
    row = decode_window(line, n, 2)
    assert row[0] == 77 and list(row[1:n + 1]) == list(counts) and list(row[n + 1:]) == [4, 9]
    with pytest.raises(ValueError, match="fields"):
        decode_window("77 4 " + " ".join("0" * COUNT_PLANES), n, 2)
    with pytest.raises(ValueError, match="X/Z"):
        decode_window(line.replace(line.split()[3], "x" * 3, 1), n, 2)
