"""cocotb bench for rtl/ssf_fire.v: bias add, floor(acc/theta) clamped to [0, T], logit pass-through.

Structure (the template of every SparrowSNN bench):
valid-qualified input driver -> input monitor -> golden model (``golden.model.fire``) -> expected
queue -> in-order scoreboard <- output monitor. Directed corners, seeded random stimulus with
random valid gaps, a reset test and a test proving the checker reports an injected error.
Run: ``make sim`` in this directory (SIM=icarus|verilator, WAVES=1) or
``pytest tb/ssf_fire`` (both simulators, two parameter sets).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import cocotb
import pytest
from cocotb.handle import SimHandleBase
from cocotb.triggers import ClockCycles, Event, ReadOnly, RisingEdge
from cocotb_bus.drivers import BusDriver
from cocotb_bus.monitors import BusMonitor

from golden.model import fire
from tb.common import (
    CycleCounter,
    Expected,
    InOrderScoreboard,
    Observed,
    get_logger,
    pattern,
    reset_sync,
    start_clock,
    seeded_rng,
)
from tb.launch import run_bench

MODULE = "ssf_fire"
LOG = get_logger(MODULE)


@dataclass(frozen=True)
class FireIn:
    """One fire request: lane sum without bias, bias, threshold, levels, activation."""

    sum_: int
    bias: int
    theta: int
    T: int
    ssf: bool


class FireDriver(BusDriver):
    """Drives fire requests on the valid-qualified input port; idle cycles carry random junk."""

    _signals = {"valid": "in_valid", "sum_": "sum_i", "bias": "bias_i", "theta": "theta_i",
                "T": "t_i", "ssf": "ssf_i"}

    def __init__(self, dut: SimHandleBase, clock: SimHandleBase, rng: random.Random) -> None:
        super().__init__(dut, None, clock)
        self.log = LOG.getChild("driver")
        self.rng = rng
        self.valid_pattern = pattern("full")
        self.bus.valid.value = 0
        self.bus.sum_.value = 0
        self.bus.bias.value = 0
        self.bus.theta.value = 1
        self.bus.T.value = 1
        self.bus.ssf.value = 0

    def _junk(self) -> None:
        for sig in (self.bus.sum_, self.bus.bias, self.bus.theta, self.bus.T, self.bus.ssf):
            sig.value = self.rng.getrandbits(len(sig))

    async def _driver_send(self, transaction: FireIn, sync: bool = True, **kwargs: Any) -> None:
        if sync:
            await RisingEdge(self.clock)
        while not next(self.valid_pattern):
            self.bus.valid.value = 0
            self._junk()
            await RisingEdge(self.clock)
        self.bus.sum_.value = transaction.sum_
        self.bus.bias.value = transaction.bias
        self.bus.theta.value = transaction.theta
        self.bus.T.value = transaction.T
        self.bus.ssf.value = int(transaction.ssf)
        self.bus.valid.value = 1
        await RisingEdge(self.clock)
        self.bus.valid.value = 0
        self._junk()


class FireInMonitor(BusMonitor):
    """Reports every accepted fire request (in_valid high at a rising edge)."""

    _signals = FireDriver._signals

    def __init__(self, dut: SimHandleBase, clock: SimHandleBase, counter: CycleCounter,
                 **kwargs: Any) -> None:
        self.counter = counter
        super().__init__(dut, None, clock, reset_n=dut.rst_n, **kwargs)
        self.log = LOG.getChild("in_mon")

    async def _monitor_recv(self) -> None:
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()  # values now visible are the ones the next edge samples
            if self.in_reset or not int(self.bus.valid.value):
                continue
            tr = FireIn(self.bus.sum_.value.to_signed(), self.bus.bias.value.to_signed(),
                        int(self.bus.theta.value), int(self.bus.T.value),
                        bool(int(self.bus.ssf.value)))
            # sampled at the next edge (cycle + 1); out_valid rises right after that edge
            self._recv(Observed(tr, self.counter.cycle + 1))


class FireOutMonitor(BusMonitor):
    """Reports every valid output (out_valid high) with the cycle it appeared in."""

    _signals = {"valid": "out_valid", "y": "y_o"}

    def __init__(self, dut: SimHandleBase, clock: SimHandleBase, counter: CycleCounter,
                 **kwargs: Any) -> None:
        self.counter = counter
        super().__init__(dut, None, clock, **kwargs)
        self.log = LOG.getChild("out_mon")

    async def _monitor_recv(self) -> None:
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if int(self.bus.valid.value):
                self._recv(Observed(self.bus.y.value.to_signed(), self.counter.cycle))


class TB:
    """ssf_fire bench: clock, driver, monitors, golden model and scoreboard."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.dut = dut
        self.acc_w = int(dut.ACC_W.value)
        self.cnt_w = int(dut.CNT_W.value)
        self.th_w = int(dut.TH_W.value)
        self.rng = seeded_rng()
        LOG.info("ssf_fire ACC_W=%d CNT_W=%d TH_W=%d", self.acc_w, self.cnt_w, self.th_w)
        start_clock(dut.clk)
        self.counter = CycleCounter(dut.clk)
        self.driver = FireDriver(dut, dut.clk, self.rng)
        self.in_mon = FireInMonitor(dut, dut.clk, self.counter, callback=self.model)
        self.out_mon = FireOutMonitor(dut, dut.clk, self.counter)
        self.expected: list[Expected] = []
        self.scoreboard = InOrderScoreboard(dut, MODULE, LOG)
        self.scoreboard.add_interface(self.out_mon, self.expected)
        self.items = 0
        self.faults: dict[int, int] = {}  # item -> value added to the model's answer (fault test)

    # ranges of the DUT's ports
    @property
    def sum_range(self) -> tuple[int, int]:
        return -(1 << self.acc_w), (1 << self.acc_w) - 1

    @property
    def bias_range(self) -> tuple[int, int]:
        return -(1 << (self.acc_w - 1)), (1 << (self.acc_w - 1)) - 1

    @property
    def theta_max(self) -> int:
        return (1 << self.th_w) - 1

    @property
    def t_max(self) -> int:
        return (1 << self.cnt_w) - 1

    def model(self, obs: Observed) -> None:
        """Golden model: turn an observed request into the expected output."""
        tr: FireIn = obs.value
        y = int(fire(tr.sum_, tr.bias, tr.theta, tr.T, tr.ssf))
        item = self.items
        self.items += 1
        y += self.faults.get(item, 0)
        self.expected.append(Expected(
            y, cycle=obs.cycle,
            context={"item": item, "sum": tr.sum_, "bias": tr.bias, "acc": tr.sum_ + tr.bias,
                     "theta": tr.theta, "T": tr.T, "mode": "ssf" if tr.ssf else "none"}))

    async def reset(self) -> None:
        await reset_sync(self.dut.clk, self.dut.rst_n)

    def split(self, acc: int) -> tuple[int, int]:
        """A (sum, bias) pair within the port ranges whose total is ``acc``."""
        blo, bhi = self.bias_range
        slo, shi = self.sum_range
        bias = self.rng.randint(blo, bhi)
        bias = min(max(bias, acc - shi), acc - slo)
        return acc - bias, bias

    def request(self, acc: int, theta: int, T: int, ssf: bool = True) -> FireIn:
        sum_, bias = self.split(acc)
        return FireIn(sum_, bias, theta, T, ssf)

    def random_request(self) -> FireIn:
        """Seeded random request that concentrates on the interesting regions."""
        rng = self.rng
        pick = rng.random()
        theta = (1 if pick < 0.05 else self.theta_max if pick < 0.1
                 else rng.randint(1, (1 << rng.randint(1, self.th_w)) - 1))
        T = rng.choice([1, self.t_max]) if rng.random() < 0.15 else rng.randint(1, self.t_max)
        ssf = rng.random() < 0.8
        if not ssf:  # a legal logit fits ACC_W signed bits
            return self.request(rng.randint(*self.bias_range), theta, T, ssf=False)
        region = rng.random()
        if region < 0.5:  # near a multiple of theta, including beyond 2^CNT_W * theta
            k = rng.randint(-3, (1 << self.cnt_w) + 3)
            acc = k * theta + rng.choice([-1, 0, 1, rng.randrange(theta),
                                          rng.randrange(1 << self.cnt_w)])
            lo = self.sum_range[0] + self.bias_range[0]
            hi = self.sum_range[1] + self.bias_range[1]
            acc = min(max(acc, lo), hi)
            return self.request(acc, theta, T)
        if region < 0.8:  # any legal accumulator
            return self.request(rng.randint(*self.bias_range), theta, T)
        # the whole port range (the unit is exact beyond the legal bundle bound too)
        return FireIn(rng.randint(*self.sum_range), rng.randint(*self.bias_range), theta, T, True)

    def directed_requests(self) -> list[FireIn]:
        """Corner cases; expected values still come from the golden model."""
        th_max, t_max, cnt = self.theta_max, self.t_max, 1 << self.cnt_w
        smin, smax = self.sum_range
        bmin, bmax = self.bias_range
        reqs = [
            self.request(-1, 1, t_max), self.request(-5, 3, 5), self.request(0, 1, t_max),
            self.request(0, th_max, 1), FireIn(smin, bmin, 1, t_max, True),
            FireIn(smax, bmax, 1, t_max, True), FireIn(smax, bmax, th_max, t_max, True),
            FireIn(smin, bmax, th_max, t_max, True), FireIn(smax, bmin, 1, t_max, True),
            FireIn(0, bmax, th_max, t_max, False), FireIn(0, bmin, th_max, t_max, False),
            self.request(bmax, 7, 3, ssf=False), self.request(bmin, 7, 3, ssf=False),
            self.request(0, 1, 1, ssf=False), self.request(-1, 1, 1, ssf=False),
        ]
        for theta in sorted({1, 2, 3, 255, 256, 1000, th_max}):
            theta = min(theta, th_max)
            for k in (1, 2, 5, cnt - 1, cnt, cnt + 1):
                for d in (-1, 0, 1):
                    for T in (1, max(1, min(k, t_max)), t_max):
                        if k * theta + d <= bmax:
                            reqs.append(self.request(k * theta + d, theta, T))
        for acc in range(0, 2 * cnt + 3):  # theta = 1: quotient = acc, saturation at 2^CNT_W
            reqs.append(self.request(acc, 1, t_max))
        # saturation boundary: acc >> CNT_W == theta exactly, with non-zero low bits, for large
        # theta (a pre-check using > instead of >= would let the divider run and wrap here)
        for theta in sorted({th_max, th_max - 1, 1 << (self.th_w - 1)} - {0}):
            for low in sorted({1, cnt // 2, cnt // 2 + 1, cnt - 1}):
                if theta * cnt + low <= bmax:
                    reqs.append(self.request(theta * cnt + low, theta, t_max))
        return reqs

    async def run(self, reqs: list[FireIn]) -> None:
        """Drive all requests back to back (subject to the valid pattern) and drain the outputs."""
        done = Event()
        for i, tr in enumerate(reqs):
            self.driver.append(tr, event=done if i == len(reqs) - 1 else None)
        await done.wait()
        await ClockCycles(self.dut.clk, 3)

    async def check(self) -> None:
        """Fail on any mismatch or on an output that never came."""
        await self.scoreboard.settle()
        self.scoreboard.check()


@cocotb.test()
async def test_directed_corners(dut: SimHandleBase) -> None:
    """Negative/zero acc, exact multiples of theta, theta = 1 and max, T = 1 and max,
    quotient saturation, extreme port values, logit pass-through."""
    tb = TB(dut)
    await tb.reset()
    reqs = tb.directed_requests()
    await tb.run(reqs)
    assert tb.items == len(reqs), f"input monitor saw {tb.items} of {len(reqs)} requests"
    await tb.check()


@cocotb.test()
@cocotb.parametrize(valid=["full", "bursty", "random"])
async def test_random(dut: SimHandleBase, valid: str) -> None:
    """Seeded random requests with the given valid pattern (random: 70 % duty)."""
    tb = TB(dut)
    tb.driver.valid_pattern = pattern(valid, tb.rng)
    await tb.reset()
    reqs = [tb.random_request() for _ in range(2000)]
    await tb.run(reqs)
    assert tb.items == len(reqs)
    await tb.check()


@cocotb.test()
async def test_operand_isolation(dut: SimHandleBase) -> None:
    """While in_valid is low the bias adder's result (``acc_d``, the divider's operand) is 0
    whatever sum_i and bias_i carry: the operand isolation that keeps the adder and the
    divider from toggling on idle cycles (rtl/ssf_fire.v; an energy feature the data checks
    cannot see: the mutation campaign's survivor m0010 set one bit of the isolated sum)."""
    tb = TB(dut)
    tb.driver.valid_pattern = pattern("random", tb.rng)
    await tb.reset()
    idle = []

    async def watch() -> None:
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if not int(dut.in_valid.value):
                idle.append(int(dut.acc_d.value))

    watcher = cocotb.start_soon(watch())
    await tb.run([tb.random_request() for _ in range(300)])
    watcher.cancel()
    assert len(idle) > 50, f"only {len(idle)} idle cycles seen"
    bad = [v for v in idle if v != 0]
    assert not bad, f"acc_d non-zero in {len(bad)} of {len(idle)} idle cycles (first {bad[0]:#x})"
    await tb.check()


@cocotb.test()
async def test_reset_clears_outputs(dut: SimHandleBase) -> None:
    """A reset in the middle of a stream clears out_valid and y_o; the unit works afterwards."""
    tb = TB(dut)
    await tb.reset()
    await tb.run([tb.request(10 * 7 + 3, 7, tb.t_max), tb.request(-100, 3, 1, ssf=False)])
    assert int(dut.out_valid.value) == 0 and dut.y_o.value.to_signed() != 0
    dut.in_valid.value = 1  # a request presented during reset must not come out
    dut.rst_n.value = 0
    await RisingEdge(dut.clk)
    await ReadOnly()
    assert int(dut.out_valid.value) == 0, "out_valid not cleared by reset"
    assert int(dut.y_o.value) == 0, f"y_o not cleared by reset: {dut.y_o.value}"
    await RisingEdge(dut.clk)
    dut.in_valid.value = 0
    dut.rst_n.value = 1
    await RisingEdge(dut.clk)
    await tb.run([tb.random_request() for _ in range(20)])
    await tb.check()


@cocotb.test()
async def test_checker_catches_injected_error(dut: SimHandleBase) -> None:
    """Corrupt the model's answer for one item: the scoreboard must report exactly that item."""
    tb = TB(dut)
    await tb.reset()
    reqs = [tb.random_request() for _ in range(60)]
    bad = tb.rng.randrange(len(reqs))
    tb.faults[bad] = 1
    await tb.run(reqs)
    sb = tb.scoreboard
    await sb.settle()
    assert sb.errors == 1, f"expected exactly one mismatch, scoreboard counted {sb.errors}"
    mismatch = sb.mismatches[0]
    assert mismatch.expected is not None and mismatch.expected.context["item"] == bad
    assert mismatch.got.value == mismatch.expected.value - 1
    assert "COCOTB_RANDOM_SEED=" in mismatch.message and "make sim MODULE=ssf_fire" in mismatch.message
    assert sb.matched == len(reqs) - 1 and sb.pending() == 0
    LOG.info("injected error at item %d was caught as intended", bad)


# ---------------------------------------------------------------------------------------------
# pytest entry point

PARAM_SETS = {
    "default": {},
    "narrow": {"ACC_W": 20, "CNT_W": 4, "TH_W": 8},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", list(PARAM_SETS), ids=list(PARAM_SETS))
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_ssf_fire_runner(sim: str, params: str) -> None:
    """Build and run this bench on ``sim`` with one parameter set."""
    run_bench(MODULE, sim, parameters=PARAM_SETS[params])
