"""cocotb bench for rtl/sram_sp.v, the generic behavioural single-port SRAM.

The tests are the shared SRAM tests of :mod:`tb.sram_bench` (imported here so cocotb discovers
them); they read DEPTH / WIDTH / MASK_W back from the DUT, so the pytest runner checks several
geometries, including a non-power-of-two depth and a lane width that is not a byte.
Run: ``make sim`` here (SIM=icarus|verilator, WAVES=1, PARAMS="DEPTH=10 WIDTH=12 MASK_W=3") or
``pytest tb/sram_sp``.
"""

from __future__ import annotations

import pytest

from tb.launch import run_bench
from tb.sram_bench import (  # noqa: F401  (cocotb collects the imported tests)
    test_backdoor,
    test_checker_catches_injected_error,
    test_directed_access,
    test_march_all_addresses,
    test_random_access,
    test_read_data_changes_only_at_rising_edges,
    test_write_mask_lanes,
)

MODULE = "sram_sp"

PARAM_SETS = {
    "default": {},
    "odd": {"DEPTH": 10, "WIDTH": 12, "MASK_W": 3},
    "tiny": {"DEPTH": 2, "WIDTH": 1, "MASK_W": 1},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", list(PARAM_SETS), ids=list(PARAM_SETS))
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_sram_sp_runner(sim: str, params: str) -> None:
    """Build and run this bench on ``sim`` with one geometry."""
    run_bench(MODULE, sim, parameters=PARAM_SETS[params])
