"""cocotb bench of rtl/apb_regs.v: register map, descriptor table, logit registers, memory windows.

An APB master (tb.apb) issues seeded random transfers over the whole 64 KiB map (mapped
registers, holes, unaligned addresses, memory windows) while the bench changes the controller-side
inputs (idle/busy, STATUS bits, counters, class, logit writes). A register-map reference model
written from docs/architecture.md §6 predicts prdata and pslverr of every transfer; the three
memories behind the host ports are Python SRAM models with the same access rules as rtl/sram_sp.v
(so a read-back checks the port protocol: masks, addresses, data replication). Also checked:
the one-cycle start/abort pulses, the packing of the descriptor fields on desc_o, irq, and an
expect-fail test of the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cocotb
import pytest
from cocotb.handle import SimHandleBase
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from golden import regmap as rm
from golden.desccheck import pack_layer
from tb.apb import ApbMaster, ApbMonitor
from tb.common import (
    CycleCounter,
    get_logger,
    repro_command,
    reset_sync,
    seeded_rng,
    start_clock,
    REGRESSION_SEED,
)
from tb.launch import run_bench

MODULE = "apb_regs"
LOG = get_logger(MODULE)
M32 = 0xFFFF_FFFF
# the register map from the one interface source (golden/regmap.py, generated)
RO_REGS = {a: n for n, (a, acc, _r, _f) in rm.REGISTERS.items() if acc == "RO"}
RW_REGS = {a: n for n, (a, acc, _r, _f) in rm.REGISTERS.items() if acc == "RW"}
CTRL = rm.ADDR_CTRL
COUNTER_INPUTS = {rm.REGISTERS[n][0]: f"{n.lower()}_i" for n in rm.REGISTERS
                  if n.startswith("CNT_")}


class SramModel:
    """Python single-port SRAM on one host port of the DUT (rules of rtl/sram_sp.v)."""

    def __init__(self, dut: SimHandleBase, prefix: str, depth: int, width: int,
                 mask_w: int) -> None:
        self.dut, self.depth, self.width, self.mask_w = dut, depth, width, mask_w
        self.sig = {n: getattr(dut, f"{prefix}_{n}_o") for n in ("ce", "we", "wmask", "addr",
                                                                 "wdata")}
        self.rdata = getattr(dut, f"{prefix}_rdata_i")
        self.mem = [0] * depth
        self.accesses = 0
        self.rdata.value = 0
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        lane_w = self.width // self.mask_w
        while True:
            await ReadOnly()      # what the memory samples at the next edge
            ce, we = int(self.sig["ce"].value), int(self.sig["we"].value)
            addr, mask = int(self.sig["addr"].value), int(self.sig["wmask"].value)
            wdata = int(self.sig["wdata"].value)
            await RisingEdge(self.dut.clk)
            if not ce:
                continue
            self.accesses += 1
            if we:
                word = self.mem[addr]
                for j in range(self.mask_w):
                    if mask >> j & 1:
                        lane = ((1 << lane_w) - 1) << (lane_w * j)
                        word = (word & ~lane) | (wdata & lane)
                self.mem[addr] = word
            else:
                self.rdata.value = self.mem[addr]


@dataclass
class RegModel:
    """Reference model of the §6 map: state the host can see, and per-transfer predictions."""

    lanes: int
    max_layers: int
    acc_w: int
    max_classes: int
    num_layers: int = 0
    irq_en: int = 0
    desc: list[int] = field(default_factory=lambda: [0] * 64)   # as read back (fields only)
    logits: list[int] = field(default_factory=lambda: [0] * 16)
    wmem: dict[int, int] = field(default_factory=dict)       # 32-bit halves by byte address
    bias: dict[int, int] = field(default_factory=dict)
    theta: dict[int, int] = field(default_factory=dict)
    inputs: dict[str, int] = field(default_factory=dict)     # controller-side input values

    def region(self, addr: int) -> str | None:
        """Name of the region an address falls in (None: not mapped)."""
        if addr & 3:
            return None
        if addr in RO_REGS or addr in RW_REGS or addr == CTRL:
            return "reg"
        if rm.ADDR_LOGIT <= addr < rm.ADDR_LOGIT + 4 * self.max_classes:
            return "logit"
        if rm.ADDR_DESC <= addr < rm.ADDR_DESC + rm.DESC_STRIDE * self.max_layers:
            return "desc"
        for name, (base, size) in rm.WINDOWS.items():
            if base <= addr < base + size:
                return name.lower()
        return None

    def status(self) -> int:
        i = self.inputs
        return (i["busy_i"] << rm.STATUS_BUSY_LSB | i["done_i"] << rm.STATUS_DONE_LSB
                | i["error_i"] << rm.STATUS_ERROR_LSB | i["loading_i"] << rm.STATUS_LOADING_LSB
                | i["err_layer_i"] << rm.STATUS_ERR_LAYER_LSB
                | i["err_code_i"] << rm.STATUS_ERR_CODE_LSB)

    def access(self, addr: int, write: bool, data: int) -> tuple[int, bool]:
        """Apply one transfer; returns the expected (prdata, pslverr)."""
        idle = bool(self.inputs["core_idle_i"])
        reg = self.region(addr)
        if reg is None:
            return 0, True
        if write:
            if reg == "reg":
                if addr in RO_REGS:
                    return 0, True
                if addr == rm.ADDR_NUM_LAYERS:
                    if not idle:
                        return 0, True
                    self.num_layers = data & 0xF
                elif addr == rm.ADDR_IRQ_EN:
                    self.irq_en = data & 1
                return 0, False                       # CTRL: pulses checked separately
            if reg == "logit":
                return 0, True
            if not idle:
                return 0, True
            if reg == "desc":      # only field bits are stored; reserved words read 0
                word = (addr - rm.ADDR_DESC) // 4
                k = word % rm.DESC_WORDS
                self.desc[word] = data & rm.DESC_WORD_MASKS[k] if k < rm.DESC_USED_WORDS else 0
            elif reg == "bias":
                self.bias[addr] = data
            elif reg == "theta":
                self.theta[addr] = data & 0xFFFF
            else:
                self.wmem[addr] = data
            return 0, False
        if reg == "reg":
            value = {rm.ADDR_ID: rm.ID_VALUE,
                     rm.ADDR_PARAMS: self.lanes << rm.PARAMS_LANES_LSB
                     | self.max_layers << rm.PARAMS_MAX_LAYERS_LSB
                     | self.acc_w << rm.PARAMS_ACC_W_LSB
                     | self.max_classes << rm.PARAMS_MAX_CLASSES_LSB,
                     rm.ADDR_CTRL: 0, rm.REGISTERS["STATUS"][0]: self.status(),
                     rm.ADDR_NUM_LAYERS: self.num_layers,
                     rm.REGISTERS["CLASS"][0]: self.inputs["class_i"],
                     rm.ADDR_IRQ_EN: self.irq_en}.get(addr)
            if value is None:
                value = self.inputs[COUNTER_INPUTS[addr]]
            return value, False
        if reg == "logit":
            return self.logits[(addr - rm.ADDR_LOGIT) // 4] & M32, False
        if reg == "desc":
            return self.desc[(addr - rm.ADDR_DESC) // 4], False
        if not idle:
            return 0, True
        return {"bias": self.bias, "theta": self.theta, "wmem": self.wmem}[reg].get(addr, 0), False

    def desc_fields(self, layer: int) -> int:
        """The packed desc_o slice of a layer, from the descriptor words (docs §6 table)."""
        return pack_layer(self.desc[rm.DESC_WORDS * layer: rm.DESC_WORDS * (layer + 1)])


class TB:
    """apb_regs bench: APB master/monitor, memory models, controller-side stimulus, model."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.dut = dut
        self.rng = seeded_rng()
        start_clock(dut.clk)
        self.counter = CycleCounter(dut.clk)
        self.apb = ApbMaster(dut, dut.clk, log=LOG.getChild("apb"))
        self.apb_mon = ApbMonitor(dut, dut.clk, self.counter)
        self.wmem = SramModel(dut, "wmem", 2048, 64, 8)
        self.bmem = SramModel(dut, "bmem", 128, 256, 8)
        self.tmem = SramModel(dut, "tmem", 128, 128, 8)
        self.model = RegModel(int(dut.LANES.value), int(dut.MAX_LAYERS.value),
                              int(dut.ACC_W.value), int(dut.MAX_CLASSES.value))
        self.desc_w = int(dut.DESC_W.value)
        self.pulses: list[tuple[int, str]] = []
        cocotb.start_soon(self._pulse_watch())
        self.errors: list[str] = []
        self.fault_at: int | None = None        # transfer number whose prediction is corrupted
        self.n = 0
        self.set_inputs(idle=1)
        for sig in ("logit_clr_i", "logit_we_i", "logit_idx_i", "logit_val_i"):
            getattr(dut, sig).value = 0

    async def _pulse_watch(self) -> None:
        while True:
            await RisingEdge(self.dut.clk)
            await ReadOnly()
            for name in ("start_o", "abort_o"):
                if int(getattr(self.dut, name).value):
                    self.pulses.append((self.counter.cycle, name))

    def set_inputs(self, idle: int | None = None, randomise: bool = False) -> None:
        """Drive the controller-side inputs (random values when ``randomise``)."""
        r = self.rng
        vals = dict(self.model.inputs) if self.model.inputs else {
            "core_idle_i": 1, "busy_i": 0, "done_i": 0, "error_i": 0, "loading_i": 0,
            "err_layer_i": 0, "err_code_i": 0, "class_i": 0, **{n: 0 for n in
                                                                COUNTER_INPUTS.values()}}
        if randomise:
            vals.update({"busy_i": r.getrandbits(1), "done_i": r.getrandbits(1),
                         "error_i": r.getrandbits(1), "loading_i": r.getrandbits(1),
                         "err_layer_i": r.getrandbits(4), "err_code_i": r.getrandbits(8),
                         "class_i": r.getrandbits(4)})
            for n in COUNTER_INPUTS.values():
                vals[n] = r.getrandbits(32)
        if idle is not None:
            vals["core_idle_i"] = idle
        for name, v in vals.items():
            getattr(self.dut, name).value = v
        self.model.inputs = vals

    async def reset(self) -> None:
        await reset_sync(self.dut.clk, self.dut.rst_n)

    def random_addr(self) -> int:
        r = self.rng
        pick = r.random()
        if pick < 0.2:
            return r.choice(list(RO_REGS) + list(RW_REGS) + [CTRL])
        if pick < 0.3:
            return 0x100 + 4 * r.randrange(16)
        if pick < 0.5:
            return 0x200 + 4 * r.randrange(64)
        if pick < 0.6:
            return 0x1000 + 4 * r.randrange(1024)
        if pick < 0.7:
            return 0x2000 + 4 * r.randrange(1024)
        if pick < 0.85:
            return 0x4000 + 4 * r.randrange(4096)
        if pick < 0.9:
            return r.randrange(0x10000) | r.choice([1, 2, 3])     # unaligned
        return r.choice([0x1C, 0x34, 0xFC, 0x140, 0x1FC, 0x300, 0xFFC, 0x3000, 0x3FFC,
                         0x8000, 0xFFFC])                          # holes

    async def xfer(self, addr: int, write: bool, data: int = 0) -> None:
        """One transfer checked against the model (CTRL writes never set start/abort here)."""
        if write and addr == CTRL:
            data &= ~3
        if write:
            err = await self.apb.write(addr, data)
            got = 0
        else:
            got, err = await self.apb.read(addr)
        exp, exp_err = self.model.access(addr, write, data)
        if self.n == self.fault_at:
            exp ^= 1
        if (got, err) != (exp, exp_err):
            kind = "write" if write else "read"
            msg = (f"transfer {self.n}: {kind} 0x{addr:04x} (data 0x{data:08x}, idle "
                   f"{self.model.inputs['core_idle_i']}): expected prdata 0x{exp:08x} pslverr "
                   f"{int(exp_err)}, got 0x{got:08x} pslverr {int(err)} seed={REGRESSION_SEED} "
                   f"reproduce: {repro_command(MODULE)}")
            LOG.error(msg)
            self.errors.append(msg)
        self.n += 1

    async def check_desc_o(self) -> None:
        await ReadOnly()
        packed = int(self.dut.desc_o.value)
        for layer in range(self.model.max_layers):
            got = (packed >> (layer * self.desc_w)) & ((1 << self.desc_w) - 1)
            exp = self.model.desc_fields(layer)
            assert got == exp, f"desc_o layer {layer}: 0x{got:x} != 0x{exp:x}"
        await RisingEdge(self.dut.clk)

    def assert_clean(self) -> None:
        assert not self.errors, "\n".join(self.errors[:10])

    async def logit_write_burst(self) -> None:
        """A few ctrl-side logit writes (sometimes a clear first), mirrored in the model."""
        dut, r = self.dut, self.rng
        await RisingEdge(dut.clk)
        if r.random() < 0.3:
            dut.logit_clr_i.value = 1
            await RisingEdge(dut.clk)
            dut.logit_clr_i.value = 0
            self.model.logits = [0] * 16
        for _ in range(r.randint(1, 5)):
            idx, val = r.randrange(16), r.getrandbits(32)
            dut.logit_we_i.value = 1
            dut.logit_idx_i.value = idx
            dut.logit_val_i.value = val
            await RisingEdge(dut.clk)
            self.model.logits[idx] = val
        dut.logit_we_i.value = 0


@cocotb.test()
async def test_reset_values(dut: SimHandleBase) -> None:
    """Every mapped register and descriptor word after reset; holes and unaligned -> pslverr."""
    tb = TB(dut)
    await tb.reset()
    for addr in list(RO_REGS) + list(RW_REGS) + [CTRL]:
        await tb.xfer(addr, False)
    for k in range(64):
        await tb.xfer(0x200 + 4 * k, False)
    for k in range(16):
        await tb.xfer(0x100 + 4 * k, False)
    for addr in (0x1C, 0x40, 0xFC, 0x140, 0x300, 0xFFC, 0x3000, 0x8000, 0xFFFC, 0x0001, 0x4006):
        await tb.xfer(addr, False)
        await tb.xfer(addr, True, 0xFFFF_FFFF)
    assert int(dut.irq_o.value) == 0 and int(dut.pready.value) == 1
    await tb.check_desc_o()
    tb.assert_clean()


@cocotb.test()
async def test_descriptor_table_every_bit(dut: SimHandleBase) -> None:
    """Every bit of every descriptor word of every layer: all ones, then walking and random
    patterns, each read back and packed on desc_o (the mutation campaign's survivor m0164 held
    one layer's P bit 2 at 0, which random traffic happened never to read back)."""
    tb = TB(dut)
    await tb.reset()
    words = range(64)
    patterns = [0xFFFF_FFFF, 0x5555_5555, 0xAAAA_AAAA, 0]
    patterns += [tb.rng.getrandbits(32) for _ in range(2)]
    for pat in patterns:
        for k in words:
            await tb.xfer(0x200 + 4 * k, True, pat)
        for k in words:
            await tb.xfer(0x200 + 4 * k, False)
        await tb.check_desc_o()
    tb.assert_clean()


@cocotb.test()
async def test_random_map_traffic(dut: SimHandleBase) -> None:
    """3000 random transfers over the map with random idle/busy and STATUS/counter inputs and
    ctrl-side logit writes between them; desc_o checked along the way."""
    tb = TB(dut)
    await tb.reset()
    r = tb.rng
    for k in range(3000):
        if r.random() < 0.1:
            tb.set_inputs(idle=int(r.random() < 0.7), randomise=True)
        if r.random() < 0.05:
            await tb.logit_write_burst()
        addr = tb.random_addr()
        write = r.random() < 0.5
        await tb.xfer(addr, write, r.getrandbits(32))
        if k % 500 == 499:
            await tb.check_desc_o()
    tb.assert_clean()
    LOG.info("%d transfers, %d wmem / %d bias / %d theta accesses", tb.n, tb.wmem.accesses,
             tb.bmem.accesses, tb.tmem.accesses)


@cocotb.test()
async def test_memory_windows(dut: SimHandleBase) -> None:
    """Write every lane/half of some bias, theta and weight words, read all back; the memory
    models hold exactly the packed words (lane m of bias at bits 32m, theta at 16m, weight
    halves low/high)."""
    tb = TB(dut)
    await tb.reset()
    r = tb.rng
    groups = r.sample(range(128), 6) + [0, 127]
    words = r.sample(range(2048), 10) + [0, 2047]
    for g in groups:
        for m in range(8):
            await tb.xfer(0x1000 + 32 * g + 4 * m, True, r.getrandbits(32))
            await tb.xfer(0x2000 + 32 * g + 4 * m, True, r.getrandbits(32))
    for w in words:
        await tb.xfer(0x4000 + 8 * w, True, r.getrandbits(32))
        await tb.xfer(0x4004 + 8 * w, True, r.getrandbits(32))
    for g in groups:
        for m in range(8):
            await tb.xfer(0x1000 + 32 * g + 4 * m, False)
            await tb.xfer(0x2000 + 32 * g + 4 * m, False)
        exp_b = sum(tb.model.bias[0x1000 + 32 * g + 4 * m] << (32 * m) for m in range(8))
        exp_t = sum(tb.model.theta[0x2000 + 32 * g + 4 * m] << (16 * m) for m in range(8))
        assert tb.bmem.mem[g] == exp_b and tb.tmem.mem[g] == exp_t, f"group {g} packing"
    for w in words:
        await tb.xfer(0x4000 + 8 * w, False)
        await tb.xfer(0x4004 + 8 * w, False)
        exp = tb.model.wmem[0x4000 + 8 * w] | tb.model.wmem[0x4004 + 8 * w] << 32
        assert tb.wmem.mem[w] == exp, f"weight word {w} packing"
    # busy: refused, memories untouched
    tb.set_inputs(idle=0)
    before = (list(tb.wmem.mem), list(tb.bmem.mem), list(tb.tmem.mem))
    n_acc = tb.wmem.accesses + tb.bmem.accesses + tb.tmem.accesses
    for addr in (0x1000, 0x2004, 0x4000, 0x7FFC):
        await tb.xfer(addr, True, r.getrandbits(32))
        await tb.xfer(addr, False)
    assert (tb.wmem.mem, tb.bmem.mem, tb.tmem.mem) == before
    assert tb.wmem.accesses + tb.bmem.accesses + tb.tmem.accesses == n_acc, "strobe while busy"
    tb.assert_clean()


@cocotb.test()
async def test_ctrl_pulses_and_irq(dut: SimHandleBase) -> None:
    """CTRL.start / CTRL.abort give a one-cycle pulse in the access cycle of the write (also while
    busy); CTRL reads 0; irq = done & IRQ_EN[0]."""
    tb = TB(dut)
    await tb.reset()
    expected = []
    for data in (1, 2, 3, 0, 1 | 0xFFFF_FFF0, 2):
        tb.set_inputs(idle=int(tb.rng.random() < 0.5))
        err = await tb.apb.write(CTRL, data)
        assert not err
        cyc = tb.apb_mon.seen[-1][0]
        if data & 1:
            expected.append((cyc, "start_o"))
        if data & 2:
            expected.append((cyc, "abort_o"))
    await ClockCycles(dut.clk, 2)
    assert tb.pulses == expected, f"pulses {tb.pulses} != {expected}"
    assert await tb.apb.read(CTRL) == (0, False)
    for done in (0, 1):
        for en in (0, 1):
            dut.done_i.value = done
            await tb.apb.write(0x18, en, check=True)
            await ReadOnly()
            assert int(dut.irq_o.value) == (done & en), f"irq with done={done} IRQ_EN={en}"
            await RisingEdge(dut.clk)


@cocotb.test()
async def test_checker_catches_injected_error(dut: SimHandleBase) -> None:
    """Corrupt the model's prediction of one transfer: exactly that one must be reported."""
    tb = TB(dut)
    await tb.reset()
    tb.fault_at = tb.rng.randrange(200)
    for _ in range(200):
        await tb.xfer(tb.random_addr(), tb.rng.random() < 0.5, tb.rng.getrandbits(32))
    assert len(tb.errors) == 1 and tb.errors[0].startswith(f"transfer {tb.fault_at}:"), tb.errors
    assert "COCOTB_RANDOM_SEED=" in tb.errors[0]
    LOG.info("injected error at transfer %d was caught as intended", tb.fault_at)


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_apb_regs_runner(sim: str) -> None:
    """Build and run this bench on ``sim``."""
    run_bench(MODULE, sim)

