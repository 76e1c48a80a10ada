"""cocotb bench for rtl/mac_array.v: LANES multiply-accumulate lanes with clr priority and lane enables.

Every cycle is a transaction (:class:`tb.common.PerCycleBench`): a per-cycle driver applies (clr,
en, x_i, w_i, lane_en), an input monitor feeds a reference model of the lane sums, and an output
monitor compares sum_o with the model one cycle later (cycle-exact, in order). Directed tests for
clr priority, lane enables and extreme products; seeded random operation streams; reset; an
injected-error test.
Run: ``make sim`` here (SIM=icarus|verilator, WAVES=1) or ``pytest tb/mac_array``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import pytest
from cocotb.handle import SimHandleBase
from cocotb.triggers import ReadOnly, RisingEdge

from tb.common import (
    ArmedMonitor,
    CycleDriver,
    CycleMonitor,
    PerCycleBench,
    get_logger,
    pack_lanes,
    split_lanes,
)
from tb.launch import run_bench

MODULE = "mac_array"
LOG = get_logger(MODULE)


@dataclass(frozen=True)
class MacOp:
    """One cycle of the MAC array's inputs (attribute names = bus signal names)."""

    clr: int
    en: int
    x: int
    w: int        # packed: lane m weight in bits 8m+7..8m (two's complement)
    lane_en: int
    rst: int = 0  # observed only: rst_n was low (not a bus signal)


_SIGNALS = {"clr": "clr", "en": "en", "x": "x_i", "w": "w_i", "lane_en": "lane_en"}


class MacDriver(CycleDriver):
    """Applies one :class:`MacOp` per cycle."""

    _signals = _SIGNALS


class MacInMonitor(CycleMonitor):
    """Reports the operation the array performs at the next edge; reset is reported as a clear
    (``rst``), so the model checks that reset zeroes the sums."""

    _signals = _SIGNALS
    input_side = True
    skip_reset = False

    def sample(self) -> MacOp:
        b = self.bus
        return MacOp(int(b.clr.value), int(b.en.value), int(b.x.value), int(b.w.value),
                     int(b.lane_en.value), rst=int(self.in_reset))


class MacOutMonitor(ArmedMonitor):
    """Reports the lane sums in cycles the model has a prediction for."""

    _signals = {"sum": "sum_o"}

    def __init__(self, *args: object, lanes: int, sum_w: int, **kwargs: object) -> None:
        self.lanes, self.sum_w = lanes, sum_w
        super().__init__(*args, **kwargs)

    def read(self) -> tuple[int, ...]:
        return tuple(split_lanes(int(self.bus.sum.value), self.lanes, self.sum_w, signed=True))


class TB(PerCycleBench):
    """mac_array bench: the per-cycle skeleton with a lane-sum reference model."""

    driver_cls = MacDriver
    in_monitor_cls = MacInMonitor
    out_monitor_cls = MacOutMonitor

    def __init__(self, dut: SimHandleBase) -> None:
        self.lanes = int(dut.LANES.value)
        self.acc_w = int(dut.ACC_W.value)
        self.sum_w = self.acc_w + 1
        self.sums = [0] * self.lanes
        self.faults: dict[int, int] = {}  # op number -> lane whose predicted sum is corrupted
        LOG.info("mac_array LANES=%d ACC_W=%d", self.lanes, self.acc_w)
        super().__init__(dut, MODULE, MacOp(0, 0, 0, 0, 0), LOG,
                         out_monitor_kwargs={"lanes": self.lanes, "sum_w": self.sum_w})

    def wrap(self, v: int) -> int:
        """Two's complement wrap to the lane width (never reached by legal bundles)."""
        half = 1 << self.acc_w
        return ((v + half) % (2 * half)) - half

    def predict(self, op: MacOp) -> tuple[tuple[int, ...], dict[str, object]]:
        """Reference: reset or clr clears every lane, else en adds w*x on enabled lanes."""
        w = split_lanes(op.w, self.lanes, 8, signed=True)
        if op.rst or op.clr:
            self.sums = [0] * self.lanes
        elif op.en:
            self.sums = [self.wrap(s + w[m] * op.x) if (op.lane_en >> m) & 1 else s
                         for m, s in enumerate(self.sums)]
        predicted = list(self.sums)
        if self.ops in self.faults:
            predicted[self.faults[self.ops]] += 1
        return tuple(predicted), {"rst": op.rst, "clr": op.clr, "en": op.en, "x": op.x, "w": w,
                                  "lane_en": f"{op.lane_en:0{self.lanes}b}"}

    def op(self, clr: int = 0, en: int = 1, x: int = 0, w: list[int] | None = None,
           lane_en: int | None = None) -> MacOp:
        w = w if w is not None else [0] * self.lanes
        lane_en = (1 << self.lanes) - 1 if lane_en is None else lane_en
        return MacOp(clr, en, x, pack_lanes(w, 8), lane_en)

    def random_op(self, p_clr: float = 0.04, p_en: float = 0.7) -> MacOp:
        rng = self.rng
        x = rng.choice([0, 1, 255, rng.randrange(256), rng.randrange(256)])
        w = [rng.choice([-128, 127, -1, 0, rng.randint(-128, 127), rng.randint(-128, 127)])
             for _ in range(self.lanes)]
        lane_en = (rng.getrandbits(self.lanes) if rng.random() < 0.5
                   else (1 << self.lanes) - 1)
        return self.op(int(rng.random() < p_clr), int(rng.random() < p_en), x, w, lane_en)


@cocotb.test()
async def test_clr_priority_and_hold(dut: SimHandleBase) -> None:
    """clr wins over en; en = 0 holds; clr alone clears; sums survive idle cycles."""
    tb = TB(dut)
    await tb.reset()
    ones = [1] * tb.lanes
    ops = [tb.op(x=3, w=ones), tb.op(x=5, w=[-1] * tb.lanes),
           tb.op(clr=1, en=1, x=255, w=[127] * tb.lanes),  # clr and en together: cleared
           tb.op(x=7, w=list(range(tb.lanes))), tb.op(en=0, x=200, w=[100] * tb.lanes),
           tb.idle, tb.idle, tb.op(clr=1, en=0), tb.op(x=1, w=[-128] * tb.lanes)]
    await tb.run(ops)
    await tb.check(len(ops))


@cocotb.test()
async def test_lane_enable_walk(dut: SimHandleBase) -> None:
    """Walking-one and walking-zero lane_en: disabled lanes never change."""
    tb = TB(dut)
    await tb.reset()
    full = (1 << tb.lanes) - 1
    ops = []
    for m in range(tb.lanes):
        w = [tb.rng.randint(-128, 127) for _ in range(tb.lanes)]
        ops.append(tb.op(x=tb.rng.randint(1, 255), w=w, lane_en=1 << m))
        ops.append(tb.op(x=tb.rng.randint(1, 255), w=w, lane_en=full ^ (1 << m)))
    await tb.run(ops)
    await tb.check(len(ops))


@cocotb.test()
async def test_extreme_products(dut: SimHandleBase) -> None:
    """Runs of the largest positive (255*127) and negative (255*-128) products per lane."""
    tb = TB(dut)
    await tb.reset()
    runs = min(64, (1 << tb.acc_w) // (255 * 128) + 2)  # narrow builds also cross the wrap
    pos_neg = [127 if m % 2 == 0 else -128 for m in range(tb.lanes)]
    ops = [tb.op(x=255, w=pos_neg) for _ in range(runs)]
    ops += [tb.op(clr=1, en=0)]
    ops += [tb.op(x=255, w=[-128] * tb.lanes) for _ in range(runs)]
    ops += [tb.op(x=0, w=[127] * tb.lanes), tb.op(x=255, w=[0] * tb.lanes)]
    await tb.run(ops)
    await tb.check(len(ops))


MIXES = {"dense": (0.01, 0.95), "sparse": (0.05, 0.3), "clr_heavy": (0.3, 0.7)}  # p(clr), p(en)


@cocotb.test()
@cocotb.parametrize(mix=list(MIXES))
async def test_random(dut: SimHandleBase, mix: str) -> None:
    """Seeded random operation streams with the given clr / en probabilities."""
    tb = TB(dut)
    await tb.reset()
    p_clr, p_en = MIXES[mix]
    ops = [tb.random_op(p_clr, p_en) for _ in range(1500)]
    await tb.run(ops)
    await tb.check(len(ops))


@cocotb.test()
async def test_reset_clears_sums(dut: SimHandleBase) -> None:
    """rst_n low clears every lane even while en is high."""
    tb = TB(dut)
    await tb.reset()
    await tb.run([tb.random_op(0, 1) for _ in range(5)])
    assert any(tb.sums), "stimulus left all sums at zero; reset would prove nothing"
    dut.en.value = 1
    dut.x_i.value = 9
    dut.w_i.value = pack_lanes([5] * tb.lanes, 8)
    dut.lane_en.value = (1 << tb.lanes) - 1
    dut.rst_n.value = 0
    await RisingEdge(dut.clk)
    await ReadOnly()
    got = split_lanes(int(dut.sum_o.value), tb.lanes, tb.sum_w, signed=True)
    assert got == [0] * tb.lanes, f"sums not cleared by reset: {got}"
    await RisingEdge(dut.clk)
    tb.driver.bus.drive(tb.idle)
    dut.rst_n.value = 1
    await RisingEdge(dut.clk)
    ops = [tb.random_op(0, 1) for _ in range(10)]
    await tb.run(ops)
    await tb.check(5 + len(ops))


@cocotb.test()
async def test_checker_catches_injected_error(dut: SimHandleBase) -> None:
    """Corrupt one lane of one predicted state: exactly that cycle must be reported."""
    tb = TB(dut)
    await tb.reset()
    ops = [tb.random_op() for _ in range(40)]
    # op numbers count every observed cycle since the bench started (reset cycles included)
    bad_op, bad_lane = tb.ops + tb.rng.randrange(len(ops)), tb.rng.randrange(tb.lanes)
    tb.faults[bad_op] = bad_lane
    await tb.run(ops)
    mm = await tb.single_mismatch(bad_op)
    diff = [e - g for e, g in zip(mm.expected.value, mm.got.value)]
    assert diff == [1 if m == bad_lane else 0 for m in range(tb.lanes)], diff
    assert tb.scoreboard.matched >= len(ops) - 1
    LOG.info("injected error at op %d lane %d was caught as intended", bad_op, bad_lane)


# ---------------------------------------------------------------------------------------------
# pytest entry point

PARAM_SETS = {
    "default": {},
    "narrow": {"LANES": 3, "ACC_W": 17},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", list(PARAM_SETS), ids=list(PARAM_SETS))
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_mac_array_runner(sim: str, params: str) -> None:
    """Build and run this bench on ``sim`` with one parameter set."""
    run_bench(MODULE, sim, parameters=PARAM_SETS[params])
