"""Gate-level smoke (in `make test`): sparrow_top synthesised now (silicon/synth.ys, into a
temporary folder so the netlist is always that of the current RTL), with the OSU018 Verilog cell
models as shipped, runs a small random legal bundle under the regression harness on Icarus, bit-
and cycle-exact against the golden model (every trace event), with one activity window per
inference whose weight-read count equals CNT_WREADS and the golden model's (docs/energy.md §4).

Toggle counting is off here (Icarus pays for every bit of the wide counter vectors); the
Verilator variant with toggle counting is `slow` (its build of the 36k-cell netlist takes
minutes): `pytest -m slow tests/test_silicon_gls.py`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from silicon.flow import LIBERTY

pytestmark = [pytest.mark.sim, pytest.mark.skipif(
    shutil.which("yosys") is None or shutil.which("iverilog") is None or not LIBERTY.is_file(),
    reason="yosys, Icarus or the OSU018 library missing (make setup)")]


@pytest.fixture(scope="module")
def netlist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The current RTL's netlist (alias wires purged, as the GLS runs it)."""
    from silicon.__main__ import synth

    out = tmp_path_factory.mktemp("synth_top")
    synth("sparrow_top", out)
    return out / "netlist_sta.v"


def _tiny_plan(seed: int, n: int = 1) -> list[dict]:
    from silicon import gls

    return gls._random_sets(n, seed, small=True)


def _check(res, plan: list[dict], toggles: bool) -> None:
    assert res.ok, f"GLS smoke failed: {res.error or res.mismatches} (log {res.log})"
    assert res.inputs == len(plan) and res.mismatches == 0
    meta = json.loads((res.out.parents[1] / "meta.json").read_text())
    n_cells = len(meta["cells"])
    for job in plan:
        r = json.loads((res.out / "jobs" / f"{job['name']}.json").read_text())
        z = np.load(res.out / "jobs" / f"{job['name']}.npz")
        assert z["counts"].shape == (1, n_cells + len(meta["levels"]))
        # the window runs from the first accepted input byte to irq: the load cycles
        # (CNT_LOAD, first byte .. last byte) then the compute cycles (CNT_CYCLES), sharing one
        assert z["window"][0] == r["cycles"][0] + r["load"][0] - 1
        if toggles:
            assert z["counts"][0, :n_cells].sum() > 0, "no toggle counted"
        wr = int(z["counts"][0, n_cells + meta["levels"].index("rd:u_wmem")])
        assert wr == r["wreads"][0] == r["golden_wreads"][0]


def test_gls_smoke_icarus(netlist: Path) -> None:
    """One small random bundle through the gate-level netlist on Icarus: 0 mismatches."""
    from silicon import gls

    plan = _tiny_plan(7)
    res = gls.run(plan, "icarus", name="pytest-smoke", tag="pytest-icarus", netlist=netlist,
                  toggles=False)
    _check(res, plan, toggles=False)


@pytest.mark.slow
def test_gls_smoke_verilator_toggles(netlist: Path) -> None:
    """Two small random bundles on Verilator with toggle counting (slow: the build)."""
    from silicon import gls

    plan = _tiny_plan(8, 2)
    res = gls.run(plan, "verilator", name="pytest-smoke", tag="pytest-verilator",
                  netlist=netlist)
    _check(res, plan, toggles=True)
