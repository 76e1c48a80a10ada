"""cocotb bench for rtl/sram_sp_128x128.v, the threshold memory (128 x 128, 16-bit lanes).

The tests are the shared SRAM tests of :mod:`tb.sram_bench` (imported here so cocotb discovers
them); the geometry is read back from the wrapper's localparams.
Run: ``make sim`` here (SIM=icarus|verilator, WAVES=1) or ``pytest tb/sram_sp_128x128``.
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

MODULE = "sram_sp_128x128"


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_sram_sp_128x128_runner(sim: str) -> None:
    """Build and run this bench on ``sim``."""
    run_bench(MODULE, sim)
