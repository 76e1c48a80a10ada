"""cocotb bench of rtl/ctrl.v: descriptor check, load handshake and the §7 layer walker.

The controller runs alone: the descriptor table comes from ``golden.hwimage`` (packed as
apb_regs packs it), the input stream is a Python model that pulses ``load_last_i`` after a random
load time, and the two activation buffers are Python SRAM models (registered read). Buffer
writes store the golden value of the output being written, so later layers read real counts and
the zero-skip decisions are the real ones.

Every cycle the bench records each control action of the DUT (activation read: buffer and
address; weight read: word address; MAC enable: activation and lane mask; bias/theta read;
lane clear; fire strobe with T and activation; output write: layer, index, lane, logit or
buffer, buffer and address; busy) relative to compute cycle 0, and compares each stream with the
one derived from ``golden.timing`` (blocks, block_taps) and ``golden.model`` (layer inputs):
cycle, address and data exactly. Counters and done/busy timing are checked against
``golden.timing.trace``. The descriptor checker is fuzzed against ``golden.desccheck``, the
Python reference of the docs §6 rules; idle_o = !busy_o && !loading_o is checked every cycle.
Also: abort in every state, reset, and an expect-fail test of the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cocotb
import numpy as np
import pytest
from cocotb.handle import SimHandleBase
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from golden.bundle import Bundle, load_bundle
from golden import regmap
from golden.desccheck import FIELD, check_reference, desc_field, pack_layer, set_field
from golden.hwimage import HwImage, build_image
from golden.model import infer
from golden.randbundle import build_bundle, random_bundle, random_inputs
from golden.timing import block_taps, blocks, layer_cycles, trace
from tb.common import (
    CycleCounter,
    extreme_bundles,
    get_logger,
    repro_command,
    reset_sync,
    seeded_rng,
    start_clock,
    REGRESSION_SEED,
)
from tb.launch import run_bench
from tb.core import first_difference

MODULE = "ctrl"
LOG = get_logger(MODULE)
STREAMS = ("act_rd", "w_rd", "mac", "b_rd", "clr", "fire", "out")


def pack_desc(descriptors: list[list[int]], max_layers: int, desc_w: int) -> int:
    """The desc_i vector of a descriptor table (missing layers zero)."""
    packed = 0
    for layer, words in enumerate(descriptors[:max_layers]):
        packed |= pack_layer(words) << (layer * desc_w)
    return packed


@dataclass
class Expected:
    """Per-stream expected records of one inference (cycle-relative tuples)."""

    streams: dict[str, list[tuple]] = field(default_factory=lambda: {s: [] for s in STREAMS})
    cycles: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    values: list[np.ndarray] = field(default_factory=list)   # per layer: its output, flat


def expected_streams(bundle: Bundle, x1: np.ndarray) -> Expected:
    """Every control action of one inference, derived from golden.timing and golden.model."""
    inf = infer(bundle, x1[None])
    ins = [x1.reshape(-1).astype(np.int64)] + [o.reshape(-1) for o in inf.outputs[:-1]]
    exp = Expected()
    st = exp.streams
    start = 0
    n_layers = len(bundle.layers)
    for li, L in enumerate(bundle.layers):
        last = li == n_layers - 1
        for g, t, init, n, a in blocks(L, start).tolist():
            st["b_rd"].append((init, L.b_base + g))
            st["clr"].append((init,))
            for j, (idx, word, _k) in enumerate(block_taps(L, g, t).tolist()):
                c = init + 1 + j
                st["act_rd"].append((c, li % 2, idx))
                x = int(ins[li][idx])
                if x:
                    st["w_rd"].append((c + 1, word))
                    st["mac"].append((c + 2, x, (1 << a) - 1))
            st["fire"].append((init + n + 3, int(L.is_ssf), L.T or 0))
            for m in range(a):
                idx = (8 * g + m) * L.out_len + t
                st["out"].append((init + 4 + n + m, li, idx, m, int(last),
                                  -1 if last else (li + 1) % 2, -1 if last else idx))
        start += layer_cycles(L)
    exp.values = [o.reshape(-1) for o in inf.outputs]
    tr = trace(bundle, x1)
    exp.cycles, exp.counters = tr.cycles, tr.counters
    assert exp.cycles == start
    return exp


def first_divergence(name: str, exp: list[tuple], got: list[tuple]) -> str | None:
    """Description of the first differing record of one stream, or None."""
    i = first_difference(exp, got)
    if i is None:
        return None
    if i < len(exp) and i < len(got):
        return f"{name}[{i}]: expected {exp[i]}, got {got[i]}"
    return (f"{name}[{i}]: expected {exp[i] if i < len(exp) else 'nothing more'}, got "
            f"{got[i] if i < len(got) else 'nothing more'} ({len(exp)} expected, "
            f"{len(got)} seen)")


class TB:
    """ctrl bench: stimulus, memory and stream models, per-cycle recorder."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.dut = dut
        self.lanes = int(dut.LANES.value)
        self.max_layers = int(dut.MAX_LAYERS.value)
        self.desc_w = int(dut.DESC_W.value)
        self.rng = seeded_rng()
        self.np_rng = np.random.default_rng(self.rng.getrandbits(63))
        start_clock(dut.clk)
        self.counter = CycleCounter(dut.clk)
        self.bufs = [np.zeros(4096, np.int64), np.zeros(4096, np.int64)]
        self.values: list[np.ndarray] = []     # golden output of each layer (written values)
        self.origin: int | None = None          # compute cycle 0
        self.rec: dict[str, list[tuple]] = {s: [] for s in STREAMS}
        self.busy: list[int] = []
        self.done_rise: list[int] = []
        self.arms: list[tuple[int, int]] = []   # (cycle, load_count_o)
        self.load_cycles = 5
        self.test = ""
        self.failures: list[str] = []
        for sig in ("start_i", "abort_i", "num_layers_i", "desc_i", "load_last_i",
                    "act_rdata_i"):
            getattr(dut, sig).value = 0
        cocotb.start_soon(self._recorder())
        cocotb.start_soon(self._stream_model())

    # -- models and recorder -------------------------------------------------------------------

    async def _recorder(self) -> None:
        """Samples every output each cycle; also the activation-buffer model."""
        d = self.dut
        prev_done = 0
        while True:
            await ReadOnly()
            cyc = self.counter.cycle
            rel = cyc - self.origin if self.origin is not None else None
            rd = int(d.act_rd_o.value)
            rd_buf, rd_addr = int(d.act_rd_buf_o.value), int(d.act_rd_addr_o.value)
            wr = int(d.act_wr_o.value)
            wr_buf, wr_addr = int(d.act_wr_buf_o.value), int(d.act_wr_addr_o.value)
            out = int(d.out_valid_o.value)
            if rel is not None:
                r = self.rec
                if rd:
                    r["act_rd"].append((rel, rd_buf, rd_addr))
                if int(d.wmem_rd_o.value):
                    r["w_rd"].append((rel, int(d.wmem_addr_o.value)))
                if int(d.mac_en_o.value):
                    r["mac"].append((rel, int(d.mac_x_o.value), int(d.lane_en_o.value)))
                if int(d.bmem_rd_o.value):
                    r["b_rd"].append((rel, int(d.bmem_addr_o.value)))
                if int(d.mac_clr_o.value):
                    r["clr"].append((rel,))
                if int(d.fire_valid_o.value):
                    r["fire"].append((rel, int(d.fire_ssf_o.value), int(d.fire_t_o.value)))
                if out:
                    r["out"].append((rel, int(d.out_layer_o.value), int(d.out_index_o.value),
                                     int(d.out_lane_o.value), int(d.out_logit_o.value),
                                     wr_buf if wr else -1, wr_addr if wr else -1))
                if int(d.busy_o.value):
                    self.busy.append(rel)
                done = int(d.done_o.value)
                if done and not prev_done:
                    self.done_rise.append(rel)
                prev_done = done
            idle, busy, loading = (int(d.idle_o.value), int(d.busy_o.value),
                                   int(d.loading_o.value))
            if idle != int(not (busy or loading)) and len(self.failures) < 20:
                self.failures.append(f"cycle {cyc}: idle_o {idle} but busy {busy}, loading "
                                     f"{loading} (docs §6.3: idle = !busy && !loading)")
            value = None
            if wr and out:
                layer, idx = int(d.out_layer_o.value), int(d.out_index_o.value)
                value = int(self.values[layer][idx]) if layer < len(self.values) and \
                    idx < len(self.values[layer]) else 0
            await RisingEdge(d.clk)
            if rd:
                d.act_rdata_i.value = int(self.bufs[rd_buf][rd_addr])
            if value is not None:
                self.bufs[wr_buf][wr_addr] = value

    async def _stream_model(self) -> None:
        """Plays stream_in: after load_arm_o, pulse load_last_i after ``load_cycles`` cycles."""
        d = self.dut
        while True:
            await ReadOnly()
            if int(d.load_arm_o.value):
                self.arms.append((self.counter.cycle, int(d.load_count_o.value)))
                await RisingEdge(d.clk)
                await ClockCycles(d.clk, self.load_cycles - 1)
                d.load_last_i.value = 1
                await ReadOnly()
                self.origin = self.counter.cycle + 1
                await RisingEdge(d.clk)
                d.load_last_i.value = 0
            else:
                await RisingEdge(d.clk)

    # -- actions --------------------------------------------------------------------------------

    async def reset(self) -> None:
        await reset_sync(self.dut.clk, self.dut.rst_n)

    def program(self, descriptors: list[list[int]], num_layers: int) -> None:
        """Drive the descriptor table and NUM_LAYERS."""
        self.dut.desc_i.value = pack_desc(descriptors, self.max_layers, self.desc_w)
        self.dut.num_layers_i.value = num_layers

    async def start(self) -> int:
        """Pulse start_i for one cycle; returns that cycle."""
        await RisingEdge(self.dut.clk)
        self.dut.start_i.value = 1
        await ReadOnly()
        cyc = self.counter.cycle
        await RisingEdge(self.dut.clk)
        self.dut.start_i.value = 0
        return cyc

    def clear(self) -> None:
        self.rec = {s: [] for s in STREAMS}
        self.busy, self.done_rise, self.arms = [], [], []
        self.origin = None

    async def run(self, bundle: Bundle, img: HwImage, x1: np.ndarray, label: str) -> None:
        """One inference; compares every stream, the counters, busy and done."""
        self.program(img.descriptors, img.num_layers)
        exp = expected_streams(bundle, x1)
        self.values = exp.values
        self.bufs[0][: x1.size] = x1.reshape(-1)       # what stream_in would have written
        self.clear()
        self.load_cycles = max(1, x1.size + self.rng.randint(0, 5))
        s = await self.start()
        for _ in range(exp.cycles + 8 * self.max_layers + self.load_cycles + 16):
            await RisingEdge(self.dut.clk)
            if self.done_rise:
                break
        await RisingEdge(self.dut.clk)
        await ReadOnly()
        d = self.dut
        errs = []
        for name in STREAMS:
            div = first_divergence(name, exp.streams[name], self.rec[name])
            if div:
                errs.append(div)
        n_in = bundle.in_channels * bundle.in_length
        checks = [
            ("load_arm (count)", [n_in], [c for _, c in self.arms]),
            ("busy cycles", list(range(exp.cycles)), self.busy),
            ("done rise", [exp.cycles], self.done_rise),
            ("cnt_cycles", exp.cycles, int(d.cnt_cycles_o.value)),
            ("cnt_wreads", exp.counters["wreads"], int(d.cnt_wreads_o.value)),
            ("cnt_macs", exp.counters["macs"], int(d.cnt_macs_o.value)),
            ("cnt_skips", exp.counters["skips"], int(d.cnt_skips_o.value)),
            ("cnt_load", (self.origin - 1 - s) if self.origin else None,
             int(d.cnt_load_o.value)),
            ("status", (1, 0, 0, 0, 1), (int(d.done_o.value), int(d.busy_o.value),
                                         int(d.error_o.value), int(d.loading_o.value),
                                         int(d.idle_o.value))),
        ]
        for what, e, g in checks:
            if e != g:
                errs.append(f"{what}: expected {str(e)[:200]}, got {str(g)[:200]}")
        for e in errs:
            msg = (f"{label}: {e} [seed={REGRESSION_SEED} reproduce: "
                   f"{repro_command(MODULE, self.test or None)}]")
            LOG.error(msg)
            self.failures.append(msg)
        await RisingEdge(self.dut.clk)

    def assert_clean(self) -> None:
        assert not self.failures, f"{len(self.failures)} failure(s):\n  " + "\n  ".join(
            self.failures[:20])


async def make_tb(dut: SimHandleBase, test: str) -> TB:
    tb = TB(dut)
    tb.test = test
    await tb.reset()
    return tb


def loaded(bd: dict) -> tuple[Bundle, HwImage]:
    b = load_bundle(bd)
    return b, build_image(b)


# ---------------------------------------------------------------------------------------------
# schedule


@cocotb.test()
async def test_worked_example(dut: SimHandleBase) -> None:
    """docs §7 worked example: act reads at cycles 2,3 / 10,11,12 / 19,20 (addresses 0,1 /
    1,2,3 / 3,4), fires at 6, 15, 23, writes at 7, 8, 16, 17, 24, 25."""
    tb = await make_tb(dut, "test_worked_example")
    bundle, img = loaded(build_bundle(tb.np_rng, 1, 5, [{"kind": "conv1d", "out": 2,
                                                         "kernel": 3, "stride": 2,
                                                         "padding": 1, "act": "none"}]))
    x1 = np.array([[9, 0, 4, 200, 1]], dtype=np.uint8)
    await tb.run(bundle, img, x1, "worked example")
    assert [r[0] for r in tb.rec["act_rd"]] == [2, 3, 10, 11, 12, 19, 20]
    assert [r[2] for r in tb.rec["act_rd"]] == [0, 1, 1, 2, 3, 3, 4]
    assert [r[0] for r in tb.rec["fire"]] == [6, 15, 23]
    assert [r[0] for r in tb.rec["out"]] == [7, 8, 16, 17, 24, 25]
    tb.assert_clean()


@cocotb.test()
async def test_random_schedules(dut: SimHandleBase) -> None:
    """Random legal bundles (all corner shapes of golden.randbundle), 2 inputs each: every
    control stream cycle-exact against the golden schedule."""
    tb = await make_tb(dut, "test_random_schedules")
    for k in range(16):
        bundle, img = loaded(random_bundle(tb.np_rng, max_layers=4, max_ch=12, max_len=24,
                                           max_words=256, max_cycles=2000))
        for n, x1 in enumerate(random_inputs(tb.np_rng, (bundle.in_channels,
                                                         bundle.in_length), 2)):
            await tb.run(bundle, img, x1, f"bundle {k} input {n}")
    tb.assert_clean()


@cocotb.test()
async def test_eight_layers_wide_groups(dut: SimHandleBase) -> None:
    """MAX_LAYERS layers (both buffers used 4 times each), 3 partial groups, dense F > Cin*K."""
    tb = await make_tb(dut, "test_eight_layers_wide_groups")
    specs = [{"kind": "conv1d", "out": 20, "kernel": 3, "stride": 1, "padding": 1, "T": 3}]
    specs += [{"kind": "conv1d", "out": 5, "kernel": 2, "stride": 1, "padding": 0, "T": 15}]
    specs += [{"kind": "conv1d", "out": 6, "kernel": 1, "stride": 1, "padding": 0, "T": 1}] * 4
    specs += [{"kind": "dense", "out": 17, "T": 255}, {"kind": "dense", "out": 3,
                                                       "act": "none"}]
    bundle, img = loaded(build_bundle(tb.np_rng, 2, 6, specs))
    for x1 in random_inputs(tb.np_rng, (2, 6), 2):
        await tb.run(bundle, img, x1, "eight layers")
    tb.assert_clean()


@cocotb.test()
async def test_build_extremes(dut: SimHandleBase) -> None:
    """The build's geometry and value extremes (tb.common.extreme_bundles: 4096-byte input, 99
    lane groups, the whole weight memory, K = S = 32 with P = 31, 5/7/8 layers, logits at the
    32-bit bounds): every control stream cycle-exact against the golden schedule."""
    tb = await make_tb(dut, "test_build_extremes")
    for name, bd in extreme_bundles(tb.np_rng):
        bundle, img = loaded(bd)
        x1 = random_inputs(tb.np_rng, (bundle.in_channels, bundle.in_length), 1)[0]
        await tb.run(bundle, img, x1, name)
    tb.assert_clean()


# ---------------------------------------------------------------------------------------------
# descriptor check


#: one legal conv layer (Cin = Cout = 1, L = 8, K = S = 1, P = 0) that a test then bends
ONE_CONV = {"kind": 0, "ssf": 1, "T": 8, "Cin": 1, "Lin": 8, "Cout": 1, "Lout": 8, "K": 1,
            "S": 1, "P": 0, "w_base": 0, "b_base": 0}


def conv_layer(**f: int) -> list[int]:
    """The descriptor words of ONE_CONV with fields `f` replaced."""
    d = [0] * 8
    for name, v in {**ONE_CONV, **f}.items():
        set_field(d, name, v)
    return d


async def check_outcome(tb: "TB", descs: list[list[int]], nl: int) -> tuple[int, int, int]:
    """Program a descriptor table, start, wait for the check: (error, code, layer) as seen."""
    dut = tb.dut
    tb.program(descs, nl)
    tb.clear()
    tb.load_cycles = 3
    await tb.start()
    await ClockCycles(dut.clk, tb.max_layers + 2)
    await ReadOnly()
    return int(dut.error_o.value), int(dut.err_code_o.value), int(dut.err_layer_o.value)


async def expect_check(tb: "TB", descs: list[list[int]], nl: int, what: str) -> int:
    """check_outcome == the reference's (error, code, layer) for a table; then release the
    controller (abort a table that passed) for the next case. Returns the reference's code."""
    dut = tb.dut
    code, layer = check_reference(descs, nl)
    got = await check_outcome(tb, descs, nl)
    exp = (int(code != 0), code, layer)
    assert got == exp, f"{what}: (error, code, layer) {got} != {exp} " \
                       f"[reproduce: {repro_command(MODULE, tb.test)}]"
    await RisingEdge(dut.clk)
    if not code:
        dut.abort_i.value = 1
        await RisingEdge(dut.clk)
        dut.abort_i.value = 0
    await RisingEdge(dut.clk)
    return code


@cocotb.test()
async def test_descriptor_check_fuzz(dut: SimHandleBase) -> None:
    """Random corruptions of legal descriptor tables (boundary and random field values, NUM_LAYERS
    0..15): error/code/layer equal the Python reference of the §6 rules; the stream is never
    armed on an error, and armed with C0*L0 when the table passes."""
    tb = await make_tb(dut, "test_descriptor_check_fuzz")
    r = tb.rng
    hits: dict[int, int] = {}
    base = [loaded(random_bundle(tb.np_rng, max_layers=4, max_ch=12, max_len=24))[1]
            for _ in range(6)]
    specials = [0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 255, 256, 257, 1023, 1024, 1025, 2047,
                2048, 4095, 4096, 4097, 65535]
    k = 0
    while k < 500 or (len([c for c in hits if c]) < 10 and k < 3000):
        k += 1
        img = base[k % len(base)]
        descs = [list(w) for w in img.descriptors]
        descs += [[0] * 8 for _ in range(tb.max_layers - len(descs))]
        nl = img.num_layers
        if r.random() < 0.1:
            nl = r.randrange(16)
        for _ in range(r.choice([0, 1, 1, 1, 2])):
            li = r.randrange(max(1, nl if 1 <= nl <= 8 else 1))
            name = r.choice(list(FIELD))
            width = FIELD[name][3]
            cur = desc_field(descs[li], name)
            val = r.choice([r.choice(specials), cur + r.choice([-1, 1]), r.getrandbits(width)])
            set_field(descs[li], name, val % (1 << width))
        if r.random() < 0.1:      # an activation larger than the buffer, each field in range
            li = r.randrange(max(1, nl if 1 <= nl <= 8 else 1))
            c_name, l_name = r.choice([("Cin", "Lin"), ("Cout", "Lout")])
            ch = r.randint(5, 256)
            set_field(descs[li], c_name, ch)
            set_field(descs[li], l_name, r.randint(4096 // ch + 1, 1024))
        if r.random() < 0.05:     # too many classes on the last layer
            set_field(descs[img.num_layers - 1], "Cout", r.choice([17, 32, 256]))
        code, layer = check_reference(descs, nl)
        hits[code] = hits.get(code, 0) + 1
        got = await check_outcome(tb, descs, nl)
        exp = (int(code != 0), code, layer)
        if code:
            assert got == exp and not tb.arms and int(dut.idle_o.value), \
                f"case {k}: (error, code, layer) {got} != {exp}, arms {tb.arms} " \
                f"[seed={REGRESSION_SEED} reproduce: {repro_command(MODULE, tb.test)}]"
        else:
            assert got == (0, 0, 0) and len(tb.arms) == 1, f"case {k}: {got}, arms {tb.arms}"
            n_in = desc_field(descs[0], "Cin") * desc_field(descs[0], "Lin")
            assert tb.arms[0][1] == n_in, f"case {k}: load count {tb.arms[0][1]} != {n_in}"
            await RisingEdge(dut.clk)
            dut.abort_i.value = 1             # do not run the (maybe unloaded) network
            await RisingEdge(dut.clk)
            dut.abort_i.value = 0
        await RisingEdge(dut.clk)
    LOG.info("descriptor check cases by expected code: %s", dict(sorted(hits.items())))
    assert len([c for c in hits if c]) == 10, f"not every error code was exercised: {hits}"


@cocotb.test()
async def test_descriptor_limits_exact(dut: SimHandleBase) -> None:
    """Every shape limit of the §6 rules at its value and one above, the rest of a one-layer
    conv table consistent (Lout from the length formula where it can be): error/code equal
    the reference, and the reference's code changes across each boundary (the fuzz test's
    specials hit these values only by chance: the mutation campaign's survivor m0177 moved
    the Lout limit from 1024 to 1026); and the weight and bias memory ends with 8 lane groups."""
    tb = await make_tb(dut, "test_descriptor_limits_exact")

    def table(**f: int) -> list[list[int]]:
        return [conv_layer(**f)] + [[0] * 8 for _ in range(tb.max_layers - 1)]

    cases = {  # field: (limit, the other fields making the rest of the table consistent)
        "Lout": (1024, lambda v: {"Lout": v, "Lin": v - 2, "P": 1}),
        "Lin": (1024, lambda v: {"Lin": v, "Lout": v}),
        "Cin": (256, lambda v: {"Cin": v}),
        "Cout": (256, lambda v: {"Cout": v}),
        "K": (32, lambda v: {"K": v, "Lin": 64, "Lout": 65 - v}),
        "S": (32, lambda v: {"S": v, "Lin": 64, "Lout": 64 // v + (1 if 64 % v else 0)}),
        "P": (31, lambda v: {"P": v, "Lin": 8, "Lout": 8 + 2 * v}),
        # memory ends: 64 outputs = 8 lane groups (survivor m0197 miscounted 8..15 groups)
        "b_base": (128 - 8, lambda v: {"Cout": 64, "b_base": v}),
        "w_base": (2048 - 8 * 4, lambda v: {"Cout": 64, "Cin": 4, "w_base": v}),
    }
    for name, (limit, fields) in cases.items():
        codes = []
        for v in (limit, limit + 1):
            codes.append(await expect_check(tb, table(**fields(v)), 1, f"{name} = {v}"))
        assert codes[0] != codes[1], f"{name}: limit {limit} is not a boundary here ({codes})"


@cocotb.test()
async def test_descriptor_limits_every_bit_and_slot(dut: SimHandleBase) -> None:
    """Beyond one above each limit (test_descriptor_limits_exact), the cases the full mutation
    campaign found untested: values above a limit with each lower bit set (a comparator that
    drops one input bit, survivor m0285: a dense layer's F = 4096 + 16 read as 4096), the
    activation-size limit of the input and of the output apart, at C·L = 4097 and 4098
    (survivor m0294 moved it to 4098), and an out-of-range K, S, P in every one of the 8 layer
    slots (survivor m0286 cleared layer 7's P bit 7). error/code/layer equal the reference."""
    tb = await make_tb(dut, "test_descriptor_limits_every_bit_and_slot")

    async def expect(descs: list[list[int]], nl: int, what: str) -> int:
        return await expect_check(tb, descs + [[0] * 8] * (tb.max_layers - len(descs)), nl, what)

    # a dense layer's F above ACT_DEPTH with each lower bit set: 4096 + 2^k, k = 0..11 (F = 4096
    # itself fails only later, on the weight memory: the shape code must differ from that one)
    dense = {"kind": 1, "Lin": 1, "Lout": 1, "K": 1, "S": 1, "P": 0, "Cout": 1}
    at_limit = await expect([conv_layer(**dense, Cin=4096)], 1, "dense F = 4096")
    for k in range(12):
        code = await expect([conv_layer(**dense, Cin=4096 + (1 << k))], 1, f"dense F = 4096+2^{k}")
        assert code and code != at_limit, f"dense F = 4096+2^{k}: code {code} vs {at_limit}"
    # activation-size limit, input and output apart: C·L = 4096 | 4097 = 17·241 | 4098 = 6·683
    for cin, lin, cout in ((4, 1024, 1), (17, 241, 1), (6, 683, 1), (1, 241, 17), (1, 683, 6)):
        code = await expect([conv_layer(Cin=cin, Lin=lin, Cout=cout, Lout=lin)], 1,
                            f"Cin {cin} Lin {lin} Cout {cout}")
        assert (code == regmap.ERR_ACT_SIZE) == (max(cin, cout) * lin > 4096), code
    # an out-of-range K, S or P (bit 7 set) in each of the 8 slots of a legal 8-layer table
    assert not await expect([conv_layer() for _ in range(tb.max_layers)], tb.max_layers, "8 layers")
    for slot in range(tb.max_layers):
        for name in ("K", "S", "P"):
            table = [conv_layer() for _ in range(tb.max_layers)]
            set_field(table[slot], name, 128 + (1 if name != "P" else 0))
            assert await expect(table, tb.max_layers, f"layer {slot} {name} = 128+"), \
                f"layer {slot} {name}: not an error in the reference"


# ---------------------------------------------------------------------------------------------
# abort, reset


@cocotb.test()
async def test_abort_every_state(dut: SimHandleBase) -> None:
    """abort_i in CHECK, LOAD and at random compute cycles: the next cycle the controller is
    idle with busy/done/error/loading low and no memory or datapath strobe; then a clean run."""
    tb = await make_tb(dut, "test_abort_every_state")
    bundle, img = loaded(random_bundle(tb.np_rng, n_layers=3, max_ch=8, max_len=16,
                                       max_cycles=1500))
    x1 = random_inputs(tb.np_rng, (bundle.in_channels, bundle.in_length), 1)[0]
    total = sum(layer_cycles(L) for L in bundle.layers)
    tb.program(img.descriptors, img.num_layers)
    tb.bufs[0][: x1.size] = x1.reshape(-1)
    tb.values = expected_streams(bundle, x1).values
    strobes = ("busy_o", "done_o", "error_o", "loading_o", "act_rd_o", "act_wr_o", "wmem_rd_o",
               "bmem_rd_o", "mac_en_o", "mac_clr_o", "fire_valid_o", "out_valid_o",
               "load_arm_o")
    delays = [0, 1, 3 + x1.size // 2] + [4 + x1.size + tb.rng.randrange(total)
                                         for _ in range(6)]
    for delay in delays:
        tb.clear()
        tb.load_cycles = x1.size
        await tb.start()
        await ClockCycles(dut.clk, delay)
        dut.abort_i.value = 1
        await RisingEdge(dut.clk)
        dut.abort_i.value = 0
        for _ in range(3):
            await ReadOnly()
            active = [s for s in strobes if int(getattr(dut, s).value)]
            assert not active and int(dut.idle_o.value), \
                f"abort after {delay} cycles: still active {active}"
            await RisingEdge(dut.clk)
        await ClockCycles(dut.clk, tb.load_cycles + 2)   # a late load_last pulse is ignored
        assert not int(dut.busy_o.value)
    await tb.run(bundle, img, x1, "clean run after aborts")
    tb.assert_clean()


@cocotb.test()
async def test_outputs_known_in_reset(dut: SimHandleBase) -> None:
    """In and right after reset every output is 0/known (no X), mid-inference included."""
    tb = await make_tb(dut, "test_outputs_known_in_reset")
    bundle, img = loaded(random_bundle(tb.np_rng, n_layers=2, max_ch=6, max_len=12))
    tb.program(img.descriptors, img.num_layers)
    tb.load_cycles = 2
    await tb.start()
    await ClockCycles(dut.clk, 20)
    dut.rst_n.value = 0
    await RisingEdge(dut.clk)
    await ReadOnly()
    for h in dut:
        if h._name.endswith("_o"):
            assert h.value.is_resolvable, f"{h._name} = {h.value} in reset"
    for name in ("busy_o", "done_o", "error_o", "loading_o", "out_valid_o", "act_rd_o",
                 "wmem_rd_o", "mac_en_o"):
        assert int(getattr(dut, name).value) == 0, f"{name} high in reset"
    await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    await RisingEdge(dut.clk)


# ---------------------------------------------------------------------------------------------
# the checker itself


@cocotb.test()
async def test_checker_catches_corrupted_expectation(dut: SimHandleBase) -> None:
    """Corrupt one expected weight address: the comparison must report exactly that record."""
    tb = await make_tb(dut, "test_checker_catches_corrupted_expectation")
    bundle, img = loaded(random_bundle(tb.np_rng, n_layers=2, max_ch=6, max_len=12))
    x1 = random_inputs(tb.np_rng, (bundle.in_channels, bundle.in_length), 1)[0]
    x1[x1 == 0] = 1                                   # every tap reads a weight word
    await tb.run(bundle, img, x1, "clean")
    tb.assert_clean()
    exp = expected_streams(bundle, x1)
    k = tb.rng.randrange(len(exp.streams["w_rd"]))
    bad = list(exp.streams["w_rd"])
    bad[k] = (bad[k][0], bad[k][1] + 1)
    div = first_divergence("w_rd", bad, tb.rec["w_rd"])
    assert div is not None and div.startswith(f"w_rd[{k}]: expected {bad[k]}"), div
    assert first_divergence("w_rd", exp.streams["w_rd"], tb.rec["w_rd"]) is None
    LOG.info("corrupted expectation reported: %s", div)


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_ctrl_runner(sim: str) -> None:
    """Build and run this bench on ``sim``."""
    run_bench(MODULE, sim)

