"""Shared pieces of every SparrowSNN cocotb bench (the pattern is described in docs/testbenches.md).

* paths, the project logger (``sparrow.tb.<module>``), seed handling and the reproduce command;
* clock / reset / cycle-counter helpers and valid/ready pattern generators;
* :class:`Expected` / :class:`Observed` transactions and :class:`InOrderScoreboard`, a cocotb-bus
  scoreboard that records mismatches with everything needed to debug them;
* :class:`PerCycleBench` / :class:`ArmedMonitor`: the skeleton of the benches of units without a
  handshake (mac_array, argmax, the SRAMs): one operation per cycle, one prediction per cycle;
* shared directed stimulus: :func:`extreme_bundles` (the build's geometry and value extremes) and
  :func:`eight_layer_bundle`, used by the sparrow_top and ctrl benches.

Building and running a bench (its pytest runner) is :func:`tb.launch.run_bench`. Importing this
module never starts a simulation; the cocotb-only parts are used inside benches.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.handle import SimHandleBase
from cocotb.task import current_task
from cocotb.triggers import ClockCycles, Event, NextTimeStep, ReadOnly, RisingEdge
from cocotb_bus.drivers import BusDriver
from cocotb_bus.monitors import BusMonitor
from cocotb_bus.scoreboard import Scoreboard

from tb.launch import SIMULATORS

CLOCK_PERIOD_NS = 10

# cocotb sets RANDOM_SEED to the regression seed (COCOTB_RANDOM_SEED, or a time-based value)
# before it imports the test modules, then replaces it by a per-test seed derived from the
# regression seed and the test's name while each test runs. Remember the regression seed:
# it is what a user pastes back to reproduce a failing test.
REGRESSION_SEED: int | None = getattr(cocotb, "RANDOM_SEED", None)


# ---------------------------------------------------------------------------------------------
# logging, seeds, reproduction


def get_logger(module: str) -> logging.Logger:
    """Project logger of a bench (``sparrow.tb.<module>``; the ``cocotb.*`` namespace is cocotb's)."""
    log = logging.getLogger(f"sparrow.tb.{module}")
    log.setLevel(logging.INFO)
    return log


def sim_name() -> str:
    """Short name of the running simulator ("icarus" or "verilator"), as used by SIM=."""
    product = str(getattr(cocotb, "SIM_NAME", "")).lower()
    for name in SIMULATORS:
        if name in product:
            return name
    return product or "unknown"


def current_test_name(default: str = "") -> str:
    """Name of the running cocotb test (parametrized suffix included), for messages and filters."""
    try:
        name = current_task().get_name()
    except (RuntimeError, AttributeError):
        return default
    return name[len("Test "):] if name.startswith("Test ") else (name or default)


def seeded_rng() -> random.Random:
    """Random stream of the running test: seeded from cocotb's per-test RANDOM_SEED.

    cocotb derives that seed from the regression seed and the test's full name, so
    ``COCOTB_RANDOM_SEED=<regression seed>`` reproduces every test of a run exactly.
    """
    return random.Random(cocotb.RANDOM_SEED)


def repro_command(module: str, test: str | None = None) -> str:
    """Command that reruns the failing test with the same seed from the repository root."""
    parts = [f"make sim MODULE={module}", f"SIM={sim_name()}",
             f"COCOTB_RANDOM_SEED={REGRESSION_SEED}"]
    test = test or current_test_name()
    if test:
        parts.append(f"COCOTB_TEST_FILTER='{re.escape(test)}$'")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# clock, reset, cycle counting, valid/ready patterns


def start_clock(clk: SimHandleBase, period_ns: int = CLOCK_PERIOD_NS) -> None:
    """Start a free-running clock on ``clk``."""
    Clock(clk, period_ns, unit="ns").start()


async def reset_sync(clk: SimHandleBase, rst_n: SimHandleBase, cycles: int = 3) -> None:
    """Hold the synchronous active-low reset for ``cycles`` rising edges, release after an edge."""
    rst_n.value = 0
    await ClockCycles(clk, cycles)
    rst_n.value = 1
    await RisingEdge(clk)


class CycleCounter:
    """Counts rising edges of a clock; monitors stamp transactions with :attr:`cycle`."""

    def __init__(self, clk: SimHandleBase) -> None:
        self.cycle = 0
        self._clk = clk
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await RisingEdge(self._clk)
            self.cycle += 1


PATTERNS = ("full", "alternate", "bursty", "sparse", "random", "stall")


def _stalls(rng: random.Random, burst: tuple[int, int] = (1, 8),
            stall: tuple[int, int] = (16, 96)) -> Iterator[bool]:
    """Bursts of ``burst`` asserted cycles separated by long stalls of ``stall`` cycles."""
    while True:
        yield from itertools.repeat(True, rng.randint(*burst))
        yield from itertools.repeat(False, rng.randint(*stall))


def pattern(name: str, rng: random.Random | None = None, p: float = 0.7) -> Iterator[bool]:
    """Endless per-cycle enable pattern for valid or ready (``True`` = asserted this cycle).

    ``full`` 1111..., ``alternate`` 1010..., ``bursty`` 1110 1110..., ``sparse`` 1000 1000...,
    ``random``: asserted with probability ``p`` from ``rng`` (the test's seeded stream),
    ``stall``: bursts of 1..8 asserted cycles between long stalls of 16..96 cycles (``rng``).
    """
    if name == "full":
        return itertools.cycle([True])
    if name == "alternate":
        return itertools.cycle([True, False])
    if name == "bursty":
        return itertools.cycle([True, True, True, False])
    if name == "sparse":
        return itertools.cycle([True, False, False, False])
    if name == "random":
        if rng is None:
            raise ValueError("pattern('random') needs the test's rng")
        return iter(lambda: rng.random() < p, None)
    if name == "stall":
        if rng is None:
            raise ValueError("pattern('stall') needs the test's rng")
        return _stalls(rng)
    raise ValueError(f"unknown pattern {name!r}; expected one of {PATTERNS}")


def signed_value(handle: SimHandleBase) -> int:
    """Signed integer value of a vector signal (two's complement over its width)."""
    return handle.value.to_signed()


def split_lanes(value: int, lanes: int, width: int, signed: bool = False) -> list[int]:
    """Split a packed integer into ``lanes`` fields of ``width`` bits, lane 0 in the low bits."""
    mask = (1 << width) - 1
    out = []
    for m in range(lanes):
        field_ = (value >> (width * m)) & mask
        if signed and field_ >> (width - 1):
            field_ -= 1 << width
        out.append(field_)
    return out


def pack_lanes(values: Sequence[int], width: int) -> int:
    """Pack lane values (lane 0 in the low bits, negatives as two's complement) into an integer."""
    mask = (1 << width) - 1
    word = 0
    for m, v in enumerate(values):
        word |= (int(v) & mask) << (width * m)
    return word


# ---------------------------------------------------------------------------------------------
# generic per-cycle driver and monitor (for ports without a valid/ready handshake)


class CycleDriver(BusDriver):
    """Drives one transaction per clock cycle, then the ``idle`` transaction.

    Subclasses list the port in ``_signals``; a transaction is any object with one attribute per
    signal (``Bus.drive``). Transactions appended back to back occupy consecutive cycles.
    """

    def __init__(self, dut: SimHandleBase, clock: SimHandleBase, idle: Any,
                 log: logging.Logger | None = None) -> None:
        super().__init__(dut, None, clock)
        if log is not None:
            self.log = log
        self.idle = idle
        self.bus.drive(idle)

    async def _driver_send(self, transaction: Any, sync: bool = True, **kwargs: Any) -> None:
        if sync:
            await RisingEdge(self.clock)
        self.bus.drive(transaction)
        await RisingEdge(self.clock)
        self.bus.drive(self.idle)


class CycleMonitor(BusMonitor):
    """Samples its signals at every rising edge, in the ReadOnly phase.

    Subclasses list the signals in ``_signals`` and implement :meth:`sample`, returning the
    transaction of this cycle or ``None``. Values seen in ReadOnly after edge N are, for inputs,
    the ones the DUT samples at edge N+1, and for registered outputs the ones it produced at edge
    N. An input-side monitor (``input_side = True``) therefore stamps its transactions with cycle
    N+1, the cycle whose outputs reflect them, and :attr:`in_reset` then also refers to edge N+1.
    With ``skip_reset`` (default for input monitors) nothing is reported while rst_n is low.
    """

    input_side = False
    skip_reset = True

    def __init__(self, dut: SimHandleBase, clock: SimHandleBase, counter: CycleCounter,
                 log: logging.Logger | None = None, **kwargs: Any) -> None:
        self.counter = counter
        super().__init__(dut, None, clock, reset_n=dut.rst_n if hasattr(dut, "rst_n") else None,
                         **kwargs)
        if log is not None:
            self.log = log

    def sample(self) -> Any:
        """This cycle's transaction (``None``: nothing to report)."""
        raise NotImplementedError

    async def _monitor_recv(self) -> None:
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if self.input_side and self.skip_reset and self.in_reset:
                continue
            tr = self.sample()
            if tr is not None:
                self._recv(Observed(tr, self.counter.cycle + (1 if self.input_side else 0)))


class ArmedMonitor(CycleMonitor):
    """Output monitor that reports only in the cycles the model holds a prediction for.

    The bench's model adds the cycle number to ``armed`` when it predicts that cycle's outputs;
    subclasses implement :meth:`read`, which turns the sampled signals into the value compared.
    """

    def __init__(self, *args: Any, armed: set[int], **kwargs: Any) -> None:
        self.armed = armed
        super().__init__(*args, **kwargs)

    def read(self) -> Any:
        """The outputs of this cycle as the value the model predicted."""
        raise NotImplementedError

    def sample(self) -> Any:
        if self.counter.cycle not in self.armed:
            return None
        self.armed.discard(self.counter.cycle)
        return self.read()


# ---------------------------------------------------------------------------------------------
# transactions and the in-order scoreboard


@dataclass
class Observed:
    """What a monitor saw: the value and the cycle it appeared in."""

    value: Any
    cycle: int


@dataclass
class Expected:
    """What the model predicts, and the context a mismatch report needs.

    ``cycle`` (if not None) is the cycle the value must appear in; ``match`` (if given) decides
    equality instead of ``==`` (e.g. don't-care lanes of a memory read).
    """

    value: Any
    cycle: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    match: Callable[[Any, Any], bool] | None = None

    def matches(self, got: Observed) -> bool:
        """True when the observation agrees with this expectation."""
        if self.cycle is not None and got.cycle != self.cycle:
            return False
        if self.match is not None:
            return self.match(self.value, got.value)
        return bool(self.value == got.value)


@dataclass
class Mismatch:
    """One recorded checker failure."""

    expected: Expected | None
    got: Observed
    message: str


class InOrderScoreboard(Scoreboard):
    """cocotb-bus scoreboard with project logging and full-context mismatch records.

    Records every mismatch instead of failing at once (``fail_immediately=False``); the test calls
    :meth:`check` at the end. Under cocotb 2.x ``Scoreboard.result`` would end the test
    immediately, so :meth:`check` looks at :attr:`errors` and the pending expectations instead.
    """

    def __init__(self, dut: SimHandleBase, module: str, log: logging.Logger | None = None) -> None:
        super().__init__(dut, fail_immediately=False)
        self.module = module
        self.log = log or get_logger(module)
        self.mismatches: list[Mismatch] = []
        self.matched = 0
        self.test = current_test_name()  # monitors call back from their own tasks

    def _report(self, exp: Expected | None, got: Observed, what: str) -> None:
        ctx = ", ".join(f"{k}={v}" for k, v in (exp.context if exp else {}).items())
        exp_txt = "nothing" if exp is None else f"{exp.value!r}" + (
            f" at cycle {exp.cycle}" if exp.cycle is not None else "")
        msg = (f"{self.module}: {what}: expected {exp_txt}, got {got.value!r} at cycle {got.cycle}"
               f" [{ctx}] seed={REGRESSION_SEED} test={self.test}"
               f" reproduce: {repro_command(self.module, self.test)}")
        self.errors += 1
        self.mismatches.append(Mismatch(exp, got, msg))
        self.log.error(msg)

    def add_interface(self, monitor: Any, expected_output: list[Expected], **kwargs: Any) -> None:
        """Check every transaction of ``monitor`` against the head of ``expected_output``."""

        def check(got: Observed) -> None:
            if not expected_output:
                self._report(None, got, "unexpected transaction")
                return
            self.compare(got, expected_output.pop(0), self.log)

        super().add_interface(monitor, expected_output, compare_fn=check, **kwargs)

    def compare(self, got: Observed, exp: Expected, log: logging.Logger,
                strict_type: bool = True) -> None:
        """Compare one observation with one expectation; record a mismatch if they differ."""
        if exp.matches(got):
            self.matched += 1
        else:
            self._report(exp, got, "mismatch")

    def pending(self, now: int | None = None) -> int:
        """Expectations not yet met by an observation; with ``now``, only those due by then
        (a per-cycle model always holds a prediction for the next cycle)."""
        return sum(1 for q in self.expected.values() if not callable(q) for e in q
                   if now is None or e.cycle is None or e.cycle <= now)

    def check(self, now: int | None = None, min_matched: int = 1) -> None:
        """Fail the test if anything mismatched, an expected transaction (due by ``now``, if
        given) never arrived, or fewer than ``min_matched`` comparisons matched (a scoreboard
        that compared nothing checked nothing)."""
        pending = self.pending(now)
        summary = (f"{self.module}: {self.matched} matched, {self.errors} mismatched, "
                   f"{pending} still expected (seed={REGRESSION_SEED}, "
                   f"reproduce: {repro_command(self.module, self.test)})")
        self.log.info(summary)
        assert self.errors == 0 and pending == 0, summary + "".join(
            "\n  " + m.message for m in self.mismatches[:10])
        assert self.matched >= max(1, min_matched), (
            f"{summary}: the scoreboard matched {self.matched} transactions, fewer than "
            f"{max(1, min_matched)}: the test checked nothing")

    async def settle(self) -> None:
        """Let this time step's monitors finish (ReadOnly), then leave it, so that every
        observation of the current cycle has been compared."""
        await ReadOnly()
        await NextTimeStep()


class PerCycleBench:
    """Skeleton of a bench for a unit that takes one operation per cycle (no handshake).

    Wires a clock, a :class:`CycleCounter`, a :class:`CycleDriver` (``driver_cls``), an
    input-side monitor (``in_monitor_cls``) whose every observation goes through :meth:`predict`,
    an :class:`ArmedMonitor` (``out_monitor_cls``) and an :class:`InOrderScoreboard`: each
    observed input cycle yields one cycle-stamped expectation, compared with the outputs of the
    same cycle. Subclasses set the three classes, the ``idle`` operation, the reference model
    state, and implement :meth:`predict`; :attr:`ops` numbers the observed cycles (the
    ``op`` context of every expectation), which is what injected-fault tests aim at.
    """

    driver_cls: type[CycleDriver]
    in_monitor_cls: type[CycleMonitor]
    out_monitor_cls: type[ArmedMonitor]
    match: Callable[[Any, Any], bool] | None = None  # custom equality of expectations

    def __init__(self, dut: SimHandleBase, module: str, idle: Any,
                 log: logging.Logger | None = None,
                 out_monitor_kwargs: Mapping[str, Any] | None = None) -> None:
        self.dut = dut
        self.module = module
        self.log = log or get_logger(module)
        self.rng = seeded_rng()
        self.idle = idle
        self.ops = 0
        start_clock(dut.clk)
        self.counter = CycleCounter(dut.clk)
        self.driver = self.driver_cls(dut, dut.clk, idle, log=self.log.getChild("driver"))
        self.armed: set[int] = set()
        self.in_mon = self.in_monitor_cls(dut, dut.clk, self.counter,
                                          log=self.log.getChild("in_mon"), callback=self._observe)
        self.out_mon = self.out_monitor_cls(dut, dut.clk, self.counter,
                                            log=self.log.getChild("out_mon"), armed=self.armed,
                                            **dict(out_monitor_kwargs or {}))
        self.expected: list[Expected] = []
        self.scoreboard = InOrderScoreboard(dut, module, self.log)
        self.scoreboard.add_interface(self.out_mon, self.expected)

    def predict(self, op: Any) -> tuple[Any, dict[str, Any]]:
        """Advance the reference model by one observed input cycle; return the outputs it
        predicts for that cycle and the context a mismatch report shows."""
        raise NotImplementedError

    def _observe(self, obs: Observed) -> None:
        value, context = self.predict(obs.value)
        self.armed.add(obs.cycle)
        self.expected.append(Expected(value, cycle=obs.cycle, context={"op": self.ops, **context},
                                      match=self.match))
        self.ops += 1

    async def reset(self) -> None:
        """Synchronous reset (the input monitor reports the reset cycles to the model)."""
        await reset_sync(self.dut.clk, self.dut.rst_n)

    async def run(self, ops: Sequence[Any]) -> None:
        """Apply the operations on consecutive cycles, wait for the last one, then 2 idle cycles
        so that its result has been observed."""
        done = Event()
        for i, op in enumerate(ops):
            self.driver.append(op, event=done if i == len(ops) - 1 else None)
        await done.wait()
        await ClockCycles(self.dut.clk, 2)

    async def check(self, n_ops: int = 0) -> None:
        """Fail unless the scoreboard is clean, every expectation due by now was met, at least
        ``n_ops`` input cycles were observed (every cycle is checked, idle ones too) and the
        scoreboard compared at least one of them."""
        await self.scoreboard.settle()
        assert self.ops >= n_ops, (f"{self.module}: input monitor saw {self.ops} cycles, "
                                   f"fewer than {n_ops} ops")
        self.scoreboard.check(now=self.counter.cycle)

    async def single_mismatch(self, op: int) -> Mismatch:
        """For the expect-fail tests, after corrupting the prediction of op number ``op``: the
        scoreboard must have recorded exactly one mismatch, at that op, whose message carries
        the reproduce command, with nothing due left pending. Returns that mismatch."""
        sb = self.scoreboard
        await sb.settle()
        assert sb.errors == 1, f"expected exactly one mismatch, scoreboard counted {sb.errors}"
        mm = sb.mismatches[0]
        assert mm.expected is not None and mm.expected.context["op"] == op
        assert f"reproduce: make sim MODULE={self.module}" in mm.message
        assert sb.pending(now=self.counter.cycle) == 0
        return mm


# ---------------------------------------------------------------------------------------------
# shared directed stimulus: the build's extremes (coverage closure, docs/coverage.md)


def eight_layer_bundle(rng: Any) -> dict:
    """8 layers (the table full), T from 2 to 200, conv after dense, a 6-logit dense end.
    ``rng``: a ``numpy.random.Generator`` (weights, biases and thresholds are drawn from it)."""
    from golden.randbundle import build_bundle  # noqa: PLC0415  (bench side only)

    return build_bundle(rng, 2, 16, [
        {"kind": "conv1d", "out": 6, "kernel": 3, "stride": 1, "padding": 1, "T": 7},
        {"kind": "conv1d", "out": 9, "kernel": 3, "stride": 2, "padding": 0, "T": 100},
        {"kind": "conv1d", "out": 4, "kernel": 1, "stride": 1, "padding": 0, "T": 3},
        {"kind": "dense", "out": 10, "T": 15},
        {"kind": "dense", "out": 12, "T": 200},
        {"kind": "conv1d", "out": 5, "kernel": 1, "stride": 1, "padding": 0, "T": 31},
        {"kind": "conv1d", "out": 3, "kernel": 1, "stride": 1, "padding": 1, "T": 2},
        {"kind": "dense", "out": 6, "act": "none"}], name="eight-layers")


def logit_bundle(name: str, weights: list[list[int]], bias: list[int]) -> dict:
    """One dense layer over a (1, 2) input straight to logits, weights and biases as given."""
    return {"format": "sparrow-bundle", "version": 1, "name": name,
            "classes": [f"c{i}" for i in range(len(bias))],
            "input": {"channels": 1, "length": 2, "preprocess": {}},
            "layers": [{"kind": "dense", "in_features": 2, "out_features": len(bias),
                        "weights": weights, "bias": bias, "activation": {"type": "none"}}]}


def extreme_bundles(rng: Any) -> list[tuple[str, dict]]:
    """The build's geometry and value extremes as legal bundles, named: a 4096-byte input
    (4 x 1024, the activation buffer full), 99 lane groups over 6 layers (256 output channels,
    bias groups up to 98), the whole weight memory (dense 2048 -> 8), K = S = 32 with P = 31,
    5-, 7- and 8-layer networks, logits at both 32-bit bounds and near 2^20, negative and zero
    winners. ``rng``: a ``numpy.random.Generator``."""
    from golden.randbundle import build_bundle, random_bundle  # noqa: PLC0415

    top, bottom = (1 << 31) - 1, -(1 << 31)
    return [
        ("4096-byte input", build_bundle(rng, 4, 1024, [
            {"kind": "conv1d", "out": 2, "kernel": 4, "stride": 4, "padding": 0, "T": 15},
            {"kind": "dense", "out": 3, "act": "none"}])),
        ("99 lane groups", build_bundle(rng, 1, 2, [
            {"kind": "conv1d", "out": 256, "kernel": 1, "stride": 1, "padding": 0, "T": 3},
            {"kind": "conv1d", "out": 8, "kernel": 1, "stride": 1, "padding": 0, "T": 7},
            {"kind": "conv1d", "out": 256, "kernel": 1, "stride": 1, "padding": 0, "T": 3},
            {"kind": "conv1d", "out": 8, "kernel": 1, "stride": 1, "padding": 0, "T": 7},
            {"kind": "conv1d", "out": 256, "kernel": 1, "stride": 1, "padding": 0, "T": 1},
            {"kind": "dense", "out": 4, "act": "none"}])),
        ("whole weight memory", build_bundle(rng, 2, 1024, [
            {"kind": "dense", "out": 8, "T": 255}])),
        ("K=S=32, P=31", build_bundle(rng, 1, 2, [
            {"kind": "conv1d", "out": 3, "kernel": 32, "stride": 32, "padding": 31, "T": 255},
            {"kind": "dense", "out": 2, "act": "none"}])),
        ("5 layers", random_bundle(rng, n_layers=5, max_ch=6, max_len=12, max_cycles=2000)),
        ("7 layers", random_bundle(rng, n_layers=7, max_ch=6, max_len=12, max_cycles=2500)),
        ("8 layers", eight_layer_bundle(rng)),
        ("logits at the bounds", logit_bundle("bounds", [[0, 0], [0, 0], [1, 1], [-1, -1]],
                                              [top, bottom, 0, 0])),
        ("negative winner", logit_bundle("negative", [[1, -1], [2, 0], [0, 3]],
                                         [-(1 << 30), -(1 << 30) - 3, -(1 << 29)])),
        ("zero winner", logit_bundle("zero", [[0, 0], [0, 0]], [0, -1])),
        ("logits near 2^20", logit_bundle("mid", [[3, -2], [1, 1]], [1 << 20, -(1 << 19)])),
    ]
