"""cocotb bench for rtl/argmax.v: running argmax, first value after clr taken, later only if greater.

Same structure as the mac_array bench (:class:`tb.common.PerCycleBench`): a per-cycle driver applies
(clr, in_valid, value_i, idx_i), an input monitor feeds the reference model (reset counts as a
clear), an output monitor compares (best_idx_o, best_val_o, seen_o) one cycle later. Directed tests:
ties (lowest index wins), all-negative and extreme values, a single value, clr priority, ignored
invalid cycles; seeded random logit vectors with random gaps; an injected-error test.
Run: ``make sim`` here (SIM=icarus|verilator, WAVES=1) or ``pytest tb/argmax``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import pytest
from cocotb.handle import SimHandleBase

from tb.common import (
    ArmedMonitor,
    CycleDriver,
    CycleMonitor,
    PerCycleBench,
    get_logger,
)
from tb.launch import run_bench

MODULE = "argmax"
LOG = get_logger(MODULE)


@dataclass(frozen=True)
class ArgOp:
    """One cycle of argmax inputs (attribute names = bus signal names)."""

    clr: int
    valid: int
    value: int
    idx: int
    rst: int = 0  # observed only: rst_n was low


_SIGNALS = {"clr": "clr", "valid": "in_valid", "value": "value_i", "idx": "idx_i"}


class ArgDriver(CycleDriver):
    """Applies one :class:`ArgOp` per cycle."""

    _signals = _SIGNALS


class ArgInMonitor(CycleMonitor):
    """Reports the inputs the unit samples at the next edge (reset reported as ``rst``)."""

    _signals = _SIGNALS
    input_side = True
    skip_reset = False

    def sample(self) -> ArgOp:
        b = self.bus
        return ArgOp(int(b.clr.value), int(b.valid.value), b.value.value.to_signed(),
                     int(b.idx.value), rst=int(self.in_reset))


class ArgOutMonitor(ArmedMonitor):
    """Reports (seen, best index, best value) in cycles the model has a prediction for."""

    _signals = {"idx": "best_idx_o", "val": "best_val_o", "seen": "seen_o"}

    def read(self) -> tuple[int, int, int]:
        b = self.bus
        return int(b.seen.value), int(b.idx.value), b.val.value.to_signed()


class TB(PerCycleBench):
    """argmax bench: the per-cycle skeleton with a running-argmax reference model."""

    driver_cls = ArgDriver
    in_monitor_cls = ArgInMonitor
    out_monitor_cls = ArgOutMonitor

    def __init__(self, dut: SimHandleBase) -> None:
        self.acc_w = int(dut.ACC_W.value)
        self.idx_w = int(dut.IDX_W.value)
        self.vmin, self.vmax = -(1 << (self.acc_w - 1)), (1 << (self.acc_w - 1)) - 1
        self.n_idx = 1 << self.idx_w
        self.state = (0, 0, 0)  # seen, index, value (the reset values)
        self.faults: set[int] = set()  # op numbers whose predicted index is corrupted
        LOG.info("argmax ACC_W=%d IDX_W=%d", self.acc_w, self.idx_w)
        super().__init__(dut, MODULE, ArgOp(0, 0, 0, 0), LOG)

    def predict(self, op: ArgOp) -> tuple[tuple[int, int, int], dict[str, int]]:
        """Reference: reset/clr forget; a valid value is taken if first or strictly greater."""
        seen, _, best = self.state
        if op.rst or op.clr:
            self.state = (0, 0, 0)
        elif op.valid and (not seen or op.value > best):
            self.state = (1, op.idx, op.value)
        predicted = self.state
        if self.ops in self.faults:
            predicted = (predicted[0], (predicted[1] + 1) % self.n_idx, predicted[2])
        return predicted, {"rst": op.rst, "clr": op.clr, "in_valid": op.valid,
                           "value": op.value, "idx": op.idx}

    def junk(self) -> ArgOp:
        """An invalid cycle with random data on value/idx (must be ignored)."""
        return ArgOp(0, 0, self.rng.randint(self.vmin, self.vmax), self.rng.randrange(self.n_idx))

    def vector(self, values: list[int], gaps: float = 0.0, idx: list[int] | None = None,
               clr: bool = True) -> list[ArgOp]:
        """A clr, then one valid op per value (ascending indices unless given), with random
        invalid cycles inserted with probability ``gaps``."""
        ops = [ArgOp(1, 0, 0, 0)] if clr else []
        for i, v in enumerate(values):
            while self.rng.random() < gaps:
                ops.append(self.junk())
            ops.append(ArgOp(0, 1, v, (idx[i] if idx else i) % self.n_idx))
        return ops

    def random_values(self) -> list[int]:
        rng = self.rng
        n = rng.randint(1, self.n_idx)
        kind = rng.random()
        if kind < 0.4:  # few distinct values: many ties
            return [rng.randint(-2, 2) for _ in range(n)]
        if kind < 0.6:  # all negative
            return [rng.randint(self.vmin, -1) for _ in range(n)]
        if kind < 0.7:  # extremes
            return [rng.choice([self.vmin, self.vmax, 0, -1]) for _ in range(n)]
        return [rng.randint(self.vmin, self.vmax) for _ in range(n)]


@cocotb.test()
async def test_directed(dut: SimHandleBase) -> None:
    """Ties, negatives, a single value, extremes, clr with in_valid, ignored invalid cycles."""
    tb = TB(dut)
    await tb.reset()
    n, lo, hi = tb.n_idx, tb.vmin, tb.vmax
    ops: list[ArgOp] = []
    ops += tb.vector([5])                                   # single value
    ops += tb.vector([-7])                                  # single negative value
    ops += tb.vector([lo])                                  # most negative first: taken
    ops += tb.vector([0] * n)                               # all equal: index 0
    ops += tb.vector([3, 9, 9, 1, 9][:n])                   # tie with the max: first index
    ops += tb.vector([-5, -3, -3, -9][:n])                  # all negative with a tie
    ops += tb.vector(list(range(n)))                        # increasing: last index
    ops += tb.vector(list(range(n, 0, -1)))                 # decreasing: index 0
    ops += tb.vector([lo, hi, hi, lo][:n])                  # extremes
    ops += tb.vector([hi] + [lo] * (n - 1))
    ops += tb.vector([2, 2, 2][:n], idx=[n - 1, 1, 0][:n])  # descending indices: first arrival
    ops += tb.vector([4, 8][:n], gaps=0.0)
    ops += [ArgOp(1, 1, hi, n - 1)]                         # clr with in_valid: clr wins
    ops += [tb.junk() for _ in range(3)]                    # invalid cycles change nothing
    ops += tb.vector([1, 2, 3][:n], clr=False)              # continue without clr
    ops += [ArgOp(1, 0, 0, 0), tb.junk(), tb.junk()]        # clr alone: seen drops
    await tb.run(ops)
    assert tb.ops >= len(ops)
    await tb.check()


@cocotb.test()
@cocotb.parametrize(gaps=[0.0, 0.3])
async def test_random_vectors(dut: SimHandleBase, gaps: float) -> None:
    """Seeded random logit vectors (ties, negatives, extremes) with random invalid gaps."""
    tb = TB(dut)
    await tb.reset()
    ops: list[ArgOp] = []
    for _ in range(150):
        ops += tb.vector(tb.random_values(), gaps=gaps, clr=tb.rng.random() < 0.9)
    await tb.run(ops)
    await tb.check()


@cocotb.test()
async def test_reset_clears(dut: SimHandleBase) -> None:
    """rst_n low forgets the running best, like clr."""
    tb = TB(dut)
    await tb.reset()
    await tb.run(tb.vector([7, 3, 11][:tb.n_idx]))
    assert int(dut.seen_o.value) == 1
    await tb.reset()  # the input monitor reports these cycles as resets: checked by the model
    await tb.run(tb.vector([-1, -2][:tb.n_idx], clr=False))
    await tb.check()
    assert int(dut.seen_o.value) == 1 and dut.best_val_o.value.to_signed() == -1


@cocotb.test()
async def test_checker_catches_injected_error(dut: SimHandleBase) -> None:
    """Corrupt one predicted index: exactly that cycle must be reported."""
    tb = TB(dut)
    await tb.reset()
    ops: list[ArgOp] = []
    for _ in range(6):
        ops += tb.vector(tb.random_values(), gaps=0.2)
    bad = tb.ops + tb.rng.randrange(len(ops))  # op numbers count every observed cycle
    tb.faults.add(bad)
    await tb.run(ops)
    mm = await tb.single_mismatch(bad)
    assert mm.got.value[1] == (mm.expected.value[1] - 1) % tb.n_idx
    LOG.info("injected error at op %d was caught as intended", bad)


# ---------------------------------------------------------------------------------------------
# pytest entry point

PARAM_SETS = {
    "default": {},
    "narrow": {"ACC_W": 6, "IDX_W": 2},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", list(PARAM_SETS), ids=list(PARAM_SETS))
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_argmax_runner(sim: str, params: str) -> None:
    """Build and run this bench on ``sim`` with one parameter set."""
    run_bench(MODULE, sim, parameters=PARAM_SETS[params])
