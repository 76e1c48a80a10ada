"""cocotb bench of rtl/stream_in.v: the valid/ready input loader.

Byte source with seeded random valid gaps -> handshake monitor -> model (byte k of a transfer is
written to buffer address k in the cycle it is accepted; ``last_o`` marks the count-th byte) ->
in-order scoreboard <- buffer-write monitor. Also checked cycle by cycle: ``in_ready`` rises the
cycle after ``arm_i``, falls the cycle after the last byte or after ``abort_i``, and no byte is
taken outside a transfer. Directed: count 1, count ACT_DEPTH, arm while active (ignored), abort
then re-arm (addresses restart at 0), and an expect-fail test of the checker.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
import pytest
from cocotb.handle import SimHandleBase
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from tb.common import (
    CycleCounter,
    CycleMonitor,
    Expected,
    InOrderScoreboard,
    get_logger,
    pattern,
    reset_sync,
    seeded_rng,
    start_clock,
)
from tb.launch import run_bench
from tb.stream import HandshakeMonitor, StreamSource

MODULE = "stream_in"
LOG = get_logger(MODULE)


@dataclass(frozen=True)
class MemWrite:
    """One buffer write (and whether last_o was high with it)."""

    addr: int
    data: int
    last: bool


class MemWriteMonitor(CycleMonitor):
    """Buffer writes (mem_we_o) with the cycle they happen in."""

    _signals = {"we": "mem_we_o", "addr": "mem_addr_o", "data": "mem_wdata_o", "last": "last_o"}

    def sample(self) -> MemWrite | None:
        if not int(self.bus.we.value):
            assert not int(self.bus.last.value), "last_o without a write"
            return None
        return MemWrite(int(self.bus.addr.value), int(self.bus.data.value),
                        bool(int(self.bus.last.value)))


class TB:
    """stream_in bench: source, monitors, model and scoreboard."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.dut = dut
        self.depth = int(dut.ACT_DEPTH.value)
        self.rng = seeded_rng()
        start_clock(dut.clk)
        self.counter = CycleCounter(dut.clk)
        self.source = StreamSource(dut, "in", dut.clk, self.rng)
        self.hs_mon = HandshakeMonitor(dut, "in", dut.clk, self.counter, callback=self.model)
        self.wr_mon = MemWriteMonitor(dut, dut.clk, self.counter)
        self.expected: list[Expected] = []
        self.scoreboard = InOrderScoreboard(dut, MODULE, LOG)
        self.scoreboard.add_interface(self.wr_mon, self.expected)
        self.count = 0        # bytes of the current transfer (model state)
        self.taken = 0        # bytes taken in the current transfer
        self.item = 0
        self.faults: set[int] = set()
        dut.arm_i.value = 0
        dut.abort_i.value = 0
        dut.count_i.value = 0

    def model(self, hs: tuple[int, int]) -> None:
        """Expected buffer write for an accepted byte."""
        cycle, byte = hs
        assert self.taken < self.count, f"byte accepted outside a transfer at cycle {cycle}"
        addr = self.taken
        self.taken += 1
        data = byte ^ (1 if self.item in self.faults else 0)
        self.expected.append(Expected(MemWrite(addr, data, self.taken == self.count), cycle,
                                      {"item": self.item, "byte": addr, "count": self.count}))
        self.item += 1

    async def reset(self) -> None:
        await reset_sync(self.dut.clk, self.dut.rst_n)

    async def arm(self, count: int) -> None:
        """Pulse arm_i with count_i for one cycle; in_ready must rise on the next cycle."""
        await RisingEdge(self.dut.clk)
        self.dut.arm_i.value = 1
        self.dut.count_i.value = count
        await ReadOnly()
        was_ready = int(self.dut.in_ready.value)
        await RisingEdge(self.dut.clk)
        self.dut.arm_i.value = 0
        self.dut.count_i.value = self.rng.getrandbits(len(self.dut.count_i))
        if not was_ready:
            self.count, self.taken = count, 0
            await ReadOnly()
            assert int(self.dut.in_ready.value) == 1, "in_ready not raised the cycle after arm"

    async def transfer(self, data: list[int], extra: int = 3) -> None:
        """Arm for len(data) bytes, send them plus ``extra`` more that must not be taken."""
        await self.arm(len(data))
        await self.source.send(data)
        await ReadOnly()
        assert int(self.dut.in_ready.value) == 0, "in_ready still high after the last byte"
        await RisingEdge(self.dut.clk)
        # offer extra bytes: none may be taken
        self.dut.in_valid.value = 1
        for _ in range(extra):
            self.dut.in_data.value = self.rng.getrandbits(8)
            await RisingEdge(self.dut.clk)
        self.dut.in_valid.value = 0
        await ClockCycles(self.dut.clk, 2)

    def random_bytes(self, n: int) -> list[int]:
        return [self.rng.getrandbits(8) for _ in range(n)]


@cocotb.test()
@cocotb.parametrize(valid=["full", "alternate", "bursty", "random"])
async def test_random_transfers(dut: SimHandleBase, valid: str) -> None:
    """Transfers of random length (1..200) with the given valid pattern."""
    tb = TB(dut)
    tb.source.valid_pattern = pattern(valid, tb.rng, 0.6)
    await tb.reset()
    for _ in range(12):
        await tb.transfer(tb.random_bytes(tb.rng.randint(1, 200)))
    tb.scoreboard.check()


@cocotb.test()
async def test_count_limits(dut: SimHandleBase) -> None:
    """count = 1 and count = ACT_DEPTH (every address once; last_o on the last)."""
    tb = TB(dut)
    await tb.reset()
    await tb.transfer([0xA5])
    await tb.transfer(tb.random_bytes(tb.depth))
    tb.scoreboard.check()


@cocotb.test()
async def test_nothing_taken_before_an_arm(dut: SimHandleBase) -> None:
    """After reset, and again after a finished transfer, bytes offered without an arm are not
    taken: in_ready stays low, nothing is written, and the buffer address holds (an idle
    stream does not toggle the SRAM's address pins; the mutation campaign's survivor m0071
    flipped an address bit on every idle cycle, invisible to the data checks)."""
    tb = TB(dut)
    await tb.reset()

    async def offer(cycles: int) -> None:
        dut.in_valid.value = 1
        addrs = set()
        for _ in range(cycles):
            dut.in_data.value = tb.rng.getrandbits(8)
            dut.count_i.value = tb.rng.randrange(1, tb.depth + 1)
            await ReadOnly()
            assert int(dut.in_ready.value) == 0, "in_ready high without an arm"
            assert int(dut.mem_we_o.value) == 0, "a byte written without an arm"
            addrs.add(int(dut.mem_addr_o.value))
            await RisingEdge(dut.clk)
        dut.in_valid.value = 0
        assert len(addrs) == 1, f"the buffer address changed while idle: {sorted(addrs)[:4]}"

    await RisingEdge(dut.clk)
    await offer(20)
    for n in (6, 0x83):                    # ends with address bits 1 and 7 set
        await tb.transfer(tb.random_bytes(n))
        await offer(20)
    tb.scoreboard.check()


@cocotb.test()
async def test_back_to_back_transfers(dut: SimHandleBase) -> None:
    """An arm in the very cycle after the last byte starts the next transfer at address 0
    (the mutation campaign's survivor m0059 kept the old address when armed without an idle
    cycle between: every other test arms after idle cycles, which cleared it)."""
    tb = TB(dut)
    await tb.reset()
    for n in (5, 3, 7, 1):
        if n == 5:
            await tb.arm(n)
        await tb.source.send(tb.random_bytes(n))      # returns at the edge taking the last byte
        nxt = {5: 3, 3: 7, 7: 1, 1: 0}[n]
        if nxt:
            dut.arm_i.value = 1                       # armed at once: no idle cycle
            dut.count_i.value = nxt
            await ReadOnly()
            assert int(dut.in_ready.value) == 0, "in_ready still high after the last byte"
            await RisingEdge(dut.clk)
            dut.arm_i.value = 0
            tb.count, tb.taken = nxt, 0
            await ReadOnly()
            assert int(dut.in_ready.value) == 1, "in_ready not raised the cycle after arm"
    await ClockCycles(dut.clk, 3)
    assert tb.item == 5 + 3 + 7 + 1, f"{tb.item} bytes taken"
    tb.scoreboard.check()


@cocotb.test()
async def test_arm_while_active_is_ignored(dut: SimHandleBase) -> None:
    """A second arm during a transfer changes neither the count nor the address."""
    tb = TB(dut)
    await tb.reset()
    data = tb.random_bytes(20)
    await tb.arm(20)
    await tb.source.send(data[:7])
    await tb.arm(3)                       # ignored: the transfer still needs 13 bytes
    await tb.source.send(data[7:])
    await ReadOnly()
    assert int(dut.in_ready.value) == 0
    await ClockCycles(dut.clk, 2)
    tb.scoreboard.check()


@cocotb.test()
async def test_abort(dut: SimHandleBase) -> None:
    """abort_i mid-transfer (also together with arm_i): in_ready falls on the next cycle,
    nothing more is written; a new arm starts again at address 0."""
    tb = TB(dut)
    await tb.reset()
    for with_arm in (False, True):
        await tb.arm(50)
        await tb.source.send(tb.random_bytes(10))
        await RisingEdge(dut.clk)
        dut.abort_i.value = 1
        dut.arm_i.value = int(with_arm)
        dut.count_i.value = 5
        dut.in_valid.value = 1            # a byte offered in the abort cycle is still taken
        dut.in_data.value = 0x3C
        await ReadOnly()
        offered_ready = int(dut.in_ready.value)
        await RisingEdge(dut.clk)
        dut.abort_i.value = 0
        dut.arm_i.value = 0
        dut.in_valid.value = 0
        await ReadOnly()
        assert int(dut.in_ready.value) == 0, "in_ready still high after abort"
        assert offered_ready == 1
        tb.count = tb.taken               # the model: the transfer is over
        await ClockCycles(dut.clk, 3)
        await tb.transfer(tb.random_bytes(8))
    tb.scoreboard.check()


@cocotb.test()
async def test_reset_mid_transfer(dut: SimHandleBase) -> None:
    """A reset mid-transfer drops in_ready; outputs are known (no X) during and after it."""
    tb = TB(dut)
    await tb.reset()
    await tb.arm(30)
    await tb.source.send(tb.random_bytes(5))
    dut.rst_n.value = 0
    await RisingEdge(dut.clk)
    await ReadOnly()
    for sig in (dut.in_ready, dut.mem_we_o, dut.mem_addr_o, dut.last_o):
        assert sig.value.is_resolvable, f"{sig._name} is {sig.value} in reset"
    assert int(dut.in_ready.value) == 0
    await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    tb.count = tb.taken
    await RisingEdge(dut.clk)
    await tb.transfer(tb.random_bytes(9))
    tb.scoreboard.check()


@cocotb.test()
async def test_checker_catches_injected_error(dut: SimHandleBase) -> None:
    """Flip one expected byte: the scoreboard must report exactly that write."""
    tb = TB(dut)
    await tb.reset()
    bad = tb.rng.randrange(40)
    tb.faults.add(bad)
    await tb.transfer(tb.random_bytes(40))
    sb = tb.scoreboard
    assert sb.errors == 1, f"expected one mismatch, got {sb.errors}"
    m = sb.mismatches[0]
    assert m.expected is not None and m.expected.context["item"] == bad
    assert m.got.value.data == m.expected.value.data ^ 1
    assert "COCOTB_RANDOM_SEED=" in m.message and "MODULE=stream_in" in m.message
    LOG.info("injected error at byte %d was caught as intended", bad)


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_stream_in_runner(sim: str) -> None:
    """Build and run this bench on ``sim``."""
    run_bench(MODULE, sim)

