"""The silicon flow's checkers can fail: equivalence (an altered gate), the power linearity that
the energy method rests on, the SRAM model and the netlist reader (docs/energy.md).

Fast: each test synthesises one small module (stream_in, ~2 s) with the same yosys script as
`make synth`; the whole file runs in about 20 s on one core.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from silicon import memory, sta
from silicon.__main__ import equiv, synth
from silicon.flow import LIBERTY, FlowError
from silicon.netlist import gated_groups, module_of, parse

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
    assert res["equivalent"] and res["equiv_cells"]


def test_equivalence_fails_on_an_altered_gate(small: Path) -> None:
    """One NAND2X1 turned into a NOR2X1: the check must fail and name its log."""
    text = (small / "netlist.v").read_text()
    assert "  NAND2X1 " in text
    bad = small / "altered.v"
    bad.write_text(text.replace("  NAND2X1 ", "  NOR2X1 ", 1))
    with pytest.raises(FlowError, match=r"equivalence NOT proven .*log "):
        equiv(bad, small / "equiv_altered.log", top="stream_in")


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
