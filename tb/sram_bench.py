"""Shared cocotb tests of the single-port SRAMs: rtl/sram_sp.v and its geometry wrappers.

Each tb/sram_sp*/test_<module>.py imports these tests (cocotb discovers them in the importing
module) and adds its own pytest runner. The tests read the geometry back from the DUT (DEPTH,
WIDTH, MASK_W: parameters of sram_sp, localparams of the wrappers), so one set of tests covers
every geometry.

Structure (:class:`tb.common.PerCycleBench`): a per-cycle driver applies (ce, we, wmask, addr,
wdata); an input monitor feeds a lane-level reference model of the array and of the read
register (unwritten lanes are unknown and not compared); an output monitor compares rdata every
cycle, one cycle after the access.
Backdoor helpers (``backdoor_write`` / ``backdoor_read``) reach the behavioural array directly,
for benches that need to preload memories quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
from cocotb.handle import SimHandleBase
from cocotb.triggers import FallingEdge, RisingEdge, Timer

from tb.common import (
    ArmedMonitor,
    CycleDriver,
    CycleMonitor,
    PerCycleBench,
    get_logger,
    pack_lanes,
)

Lanes = tuple  # tuple[int | None, ...]: one entry per write-mask lane, None = unknown


@dataclass(frozen=True)
class SramOp:
    """One cycle of SRAM inputs (attribute names = bus signal names)."""

    ce: int
    we: int
    wmask: int
    addr: int
    wdata: int


_SIGNALS = {"ce": "ce", "we": "we", "wmask": "wmask", "addr": "addr", "wdata": "wdata"}


def memory_array(dut: SimHandleBase) -> SimHandleBase:
    """Handle of the behavioural array (``mem_q``) of sram_sp or of a wrapper's instance."""
    return dut.u_mem.mem_q if hasattr(dut, "u_mem") else dut.mem_q


def backdoor_write(dut: SimHandleBase, addr: int, word: int) -> None:
    """Deposit ``word`` at ``addr`` without using the port (bulk preload)."""
    memory_array(dut)[addr].value = word


def backdoor_read(dut: SimHandleBase, addr: int) -> int:
    """Word at ``addr`` read without using the port (must be fully known)."""
    return int(memory_array(dut)[addr].value)


class SramDriver(CycleDriver):
    """Applies one :class:`SramOp` per cycle."""

    _signals = _SIGNALS


class SramInMonitor(CycleMonitor):
    """Reports the access the memory performs at the next edge."""

    _signals = _SIGNALS
    input_side = True

    def sample(self) -> SramOp:
        b = self.bus
        return SramOp(int(b.ce.value), int(b.we.value), int(b.wmask.value), int(b.addr.value),
                      int(b.wdata.value) if b.wdata.value.is_resolvable else 0)


class SramOutMonitor(ArmedMonitor):
    """Reports rdata split into lanes (None for lanes with X/Z bits) in predicted cycles."""

    _signals = {"rdata": "rdata"}

    def __init__(self, *args: object, mask_w: int, lane_w: int, **kwargs: object) -> None:
        self.mask_w, self.lane_w = mask_w, lane_w
        super().__init__(*args, **kwargs)

    def read(self) -> Lanes:
        bits = str(self.bus.rdata.value)  # MSB first
        width = len(bits)
        lanes = []
        for j in range(self.mask_w):
            field_ = bits[width - (j + 1) * self.lane_w: width - j * self.lane_w]
            lanes.append(int(field_, 2) if set(field_) <= {"0", "1"} else None)
        return tuple(lanes)


def lanes_match(expected: Lanes, got: Lanes) -> bool:
    """Known expected lanes must be read back exactly; unknown ones are don't-care."""
    return all(e is None or e == g for e, g in zip(expected, got))


class TB(PerCycleBench):
    """SRAM bench: the per-cycle skeleton with a lane-level reference model."""

    driver_cls = SramDriver
    in_monitor_cls = SramInMonitor
    out_monitor_cls = SramOutMonitor
    match = staticmethod(lanes_match)

    def __init__(self, dut: SimHandleBase) -> None:
        self.name = dut._name
        self.depth = int(dut.DEPTH.value)
        self.width = int(dut.WIDTH.value)
        self.mask_w = int(dut.MASK_W.value)
        self.lane_w = self.width // self.mask_w
        self.aw = len(dut.addr)
        self.mem: dict[int, list[int | None]] = {}
        self.rdata: list[int | None] = [None] * self.mask_w
        self.faults: set[int] = set()  # op numbers whose predicted read data is corrupted
        log = get_logger(self.name)
        log.info("%s DEPTH=%d WIDTH=%d MASK_W=%d (addr %d bits)", self.name, self.depth,
                 self.width, self.mask_w, self.aw)
        super().__init__(dut, self.name, SramOp(0, 0, 0, 0, 0), log,
                         out_monitor_kwargs={"mask_w": self.mask_w, "lane_w": self.lane_w})

    def lanes_of(self, word: int) -> list[int]:
        mask = (1 << self.lane_w) - 1
        return [(word >> (self.lane_w * j)) & mask for j in range(self.mask_w)]

    def predict(self, op: SramOp) -> tuple[Lanes, dict[str, object]]:
        """Reference: a write updates the masked lanes and keeps rdata; a read loads rdata."""
        if op.ce and op.we:
            word = self.mem.setdefault(op.addr, [None] * self.mask_w)
            for j, v in enumerate(self.lanes_of(op.wdata)):
                if (op.wmask >> j) & 1:
                    word[j] = v
        elif op.ce:
            self.rdata = list(self.mem.get(op.addr, [None] * self.mask_w))
        predicted = list(self.rdata)
        if self.ops in self.faults:
            predicted = [0 if v is None else v ^ 1 for v in predicted]
        return tuple(predicted), {"ce": op.ce, "we": op.we, "wmask": f"{op.wmask:0{self.mask_w}b}",
                                  "addr": op.addr, "wdata": f"{op.wdata:#x}"}

    def backdoor_write(self, addr: int, word: int) -> None:
        """Preload a word through the backdoor and tell the model."""
        backdoor_write(self.dut, addr, word)
        self.mem[addr] = self.lanes_of(word)

    # stimulus helpers
    def write(self, addr: int, word: int, wmask: int | None = None) -> SramOp:
        full = (1 << self.mask_w) - 1
        return SramOp(1, 1, full if wmask is None else wmask, addr, word)

    def read(self, addr: int) -> SramOp:
        return SramOp(1, 0, self.rng.getrandbits(self.mask_w), addr,
                      self.rng.getrandbits(self.width))

    def nop(self, we: int = 0) -> SramOp:
        """ce low (with random other inputs): no access, rdata holds."""
        return SramOp(0, we, self.rng.getrandbits(self.mask_w), self.rng.randrange(self.depth),
                      self.rng.getrandbits(self.width))

    def word(self) -> int:
        return self.rng.getrandbits(self.width)


@cocotb.test()
async def test_directed_access(dut: SimHandleBase) -> None:
    """First/last address, read-after-write, write keeps rdata, ce low neither reads nor writes."""
    tb = TB(dut)
    last = tb.depth - 1
    a, b = tb.word(), tb.word()
    ops = [tb.write(0, a), tb.write(last, b), tb.read(0), tb.read(last),
           tb.write(last, tb.word()),              # a write leaves rdata (= b) unchanged
           tb.nop(), tb.nop(we=1), tb.nop(we=1),   # ce low: no access even with we high
           tb.read(0), tb.read(0),
           tb.write(1 % tb.depth, tb.word()), tb.read(1 % tb.depth),  # read right after write
           SramOp(0, 1, (1 << tb.mask_w) - 1, 0, tb.word()),  # ce low write to 0: ignored
           tb.read(0), tb.read(last)]
    await tb.run(ops)
    assert tb.ops >= len(ops)
    await tb.check()


@cocotb.test()
async def test_write_mask_lanes(dut: SimHandleBase) -> None:
    """Each mask bit writes exactly its lane: walking one, walking zero, random masks."""
    tb = TB(dut)
    full = (1 << tb.mask_w) - 1
    lane_ones = (1 << tb.lane_w) - 1
    ops: list[SramOp] = []
    for j in range(tb.mask_w):
        addr = tb.rng.randrange(tb.depth)
        ops += [tb.write(addr, pack_lanes([lane_ones] * tb.mask_w, tb.lane_w)),
                tb.write(addr, 0, wmask=1 << j), tb.read(addr),
                tb.write(addr, tb.word(), wmask=full ^ (1 << j)), tb.read(addr)]
    for _ in range(40):
        addr = tb.rng.randrange(min(tb.depth, 8))
        ops += [tb.write(addr, tb.word(), wmask=tb.rng.getrandbits(tb.mask_w)), tb.read(addr)]
    await tb.run(ops)
    await tb.check()


@cocotb.test()
async def test_march_all_addresses(dut: SimHandleBase) -> None:
    """Write every address with distinct data, then read every address back (decode check)."""
    tb = TB(dut)
    words = [tb.word() for _ in range(tb.depth)]
    ops = [tb.write(a, w) for a, w in enumerate(words)]
    ops += [tb.read(a) for a in range(tb.depth - 1, -1, -1)]
    await tb.run(ops)
    await tb.check()


@cocotb.test()
async def test_random_access(dut: SimHandleBase) -> None:
    """Seeded random mix of reads, masked writes and idle cycles over a hot address window."""
    tb = TB(dut)
    window = [tb.rng.randrange(tb.depth) for _ in range(6)] + [0, tb.depth - 1]
    ops: list[SramOp] = []
    for _ in range(1500):
        r = tb.rng.random()
        addr = tb.rng.choice(window)
        if r < 0.4:
            ops.append(tb.write(addr, tb.word(), wmask=tb.rng.getrandbits(tb.mask_w)))
        elif r < 0.85:
            ops.append(tb.read(addr))
        else:
            ops.append(tb.nop(we=tb.rng.getrandbits(1)))
    await tb.run(ops)
    await tb.check()


@cocotb.test()
async def test_read_data_changes_only_at_rising_edges(dut: SimHandleBase) -> None:
    """rdata is a register of the rising edge: sampled after each rising edge and again after
    the falling edge of the same cycle it is the same value. (A macro clocked on the falling
    edge passes every per-cycle check above, because its reads land before the next rising
    edge; the mutation campaign's survivor m0091 was such a macro.)"""
    tb = TB(dut)
    addrs = tb.rng.sample(range(tb.depth), min(tb.depth, 6))
    words = {}
    for a in addrs:                      # distinct words, so that each read changes rdata
        w = tb.word()
        while w in words.values():
            w = tb.word()
        words[a] = w
    ops = [tb.write(a, w) for a, w in words.items()]
    ops += [tb.read(a) for a in addrs] + [tb.nop()] + [tb.read(a) for a in reversed(addrs)]
    seen: list[tuple[str, str]] = []

    async def watch() -> None:
        for _ in range(len(ops) + 4):
            await RisingEdge(dut.clk)
            await Timer(1, unit="ns")          # settled: after every update of this edge
            after_rise = str(dut.rdata.value)
            await FallingEdge(dut.clk)
            await Timer(1, unit="ns")
            seen.append((after_rise, str(dut.rdata.value)))

    watcher = cocotb.start_soon(watch())
    await tb.run(ops)
    await watcher
    changed = sum(1 for i in range(1, len(seen)) if seen[i][0] != seen[i - 1][0])
    assert changed >= len(addrs), f"{tb.name}: rdata changed only {changed} times over the reads"
    late = [i for i, (rise, fall) in enumerate(seen) if rise != fall]
    assert not late, f"{tb.name}: rdata changed between a rising and the next falling edge " \
                     f"in {len(late)} cycles (first: cycle {late[0]} of the watch)"
    await tb.check()


@cocotb.test()
async def test_backdoor(dut: SimHandleBase) -> None:
    """Backdoor preload is read through the port; port writes are visible through the backdoor."""
    tb = TB(dut)
    addrs = tb.rng.sample(range(tb.depth), min(tb.depth, 16))
    for a in addrs:
        tb.backdoor_write(a, tb.word())
    await tb.run([tb.read(a) for a in addrs])
    port = {a: tb.word() for a in tb.rng.sample(range(tb.depth), min(tb.depth, 8))}
    await tb.run([tb.write(a, w) for a, w in port.items()])
    for a, w in port.items():
        got = backdoor_read(dut, a)
        assert got == w, f"{tb.name}: backdoor read of {a} gave {got:#x}, port wrote {w:#x}"
    await tb.check()


@cocotb.test()
async def test_checker_catches_injected_error(dut: SimHandleBase) -> None:
    """Corrupt one predicted read: exactly that cycle must be reported."""
    tb = TB(dut)
    addrs = tb.rng.sample(range(tb.depth), min(tb.depth, 8))
    ops = [tb.write(a, tb.word()) for a in addrs] + [tb.read(a) for a in addrs]
    bad = tb.ops + 1 + len(addrs) + tb.rng.randrange(len(addrs))  # a cycle showing read data
    tb.faults.add(bad)
    await tb.run(ops)
    await tb.single_mismatch(bad)
    tb.log.info("injected error at op %d was caught as intended", bad)
