"""The one way a SparrowSNN simulation is built and run (docs/testbenches.md, "Launcher").

Everything that starts a simulator goes through this module, on top of cocotb's Python runner
(``cocotb_tools.runner.get_runner``): ``make sim MODULE=… SIM=… WAVES=1`` (``python -m
tb.launch``), every bench's pytest runner (:func:`run_bench`), the top-level regression
(:mod:`tb.regress.launch`) and ``make coverage`` (which runs those two with
``SPARROW_COVERAGE=1``). So there is

* one source list per top level (:data:`TOPS`),
* one set of Verilator flags per build purpose (:data:`VERILATOR_PURPOSE_ARGS`: plain, waves,
  coverage), applied to every top level, plus what a top level itself needs
  (:attr:`Top.verilator_args`, e.g. ``--timing`` for the self-clocked regression harness),
* one build directory per (module, simulator, parameter set, purpose),
  ``sim_build/<module>/<sim>-<params>-<purpose>/`` (:attr:`BuildSpec.dir`), built under a file
  lock so parallel workers and regression shards share it safely; a rebuild only happens when
  a source or an option changed (cocotb/Icarus timestamps, Verilator's ``--skip-identical``;
  ``build(..., reuse=True)`` skips even Verilator's re-verilation when a hash of every input is
  unchanged, which the gate-level flow uses).

Importing this module never starts a simulation and does not import cocotb.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from tb.paths import COVERAGE_DIR, JUNIT_DIR, RTL_DIR, SIM_BUILD_DIR, TB_DIR

SIMULATORS = ("icarus", "verilator")
TIMESCALE = ("1ns", "1ps")
COVERAGE_ENV = "SPARROW_COVERAGE"            # "1": code + functional coverage on
FUNCOV_FILE_ENV = "SPARROW_FUNCOV_FILE"      # where tb.funcov exports when a simulation ends
COVERAGE_DAT_DIR = COVERAGE_DIR / "dat"      # one Verilator coverage.dat per simulation
FUNCOV_DIR = COVERAGE_DIR / "func"           # one functional-coverage export per bench run

# Verilator flags per build purpose, the same for every top level and every caller. Coverage:
# line (blocks and branch arms), toggle, expression and user points; signals named _* (lint
# tie-offs such as _unused_ok) stay excluded.
VERILATOR_PURPOSE_ARGS: dict[str, tuple[str, ...]] = {
    "plain": (),
    "waves": ("--trace-fst", "--trace-structs"),
    "coverage": ("--coverage-line", "--coverage-toggle", "--coverage-expr", "--coverage-user"),
}
VERILATOR_COVERAGE_ARGS = VERILATOR_PURPOSE_ARGS["coverage"]

# Every RTL file of the core (top first; build order matters to neither simulator).
CORE_RTL = ("sparrow_top.v", "apb_regs.v", "ctrl.v", "stream_in.v", "mac_array.v", "ssf_fire.v",
            "argmax.v", "sram_sp.v", "sram_sp_2048x64.v", "sram_sp_4096x8.v", "sram_sp_128x256.v",
            "sram_sp_128x128.v")


@dataclass(frozen=True)
class Top:
    """A simulated top level: the bench directory tb/<module>/ and what it compiles."""

    module: str                                  # bench name: tb/<module>/, build and JUnit names
    rtl: tuple[str, ...]                         # sources under rtl/
    toplevel: str = ""                           # HDL top module (default: module)
    bench_hdl: tuple[str, ...] = ()              # bench HDL under tb/<module>/ (the harness)
    test_module: str = ""                        # cocotb test module (default test_<module>)
    verilator_args: tuple[str, ...] = ()         # what this top needs on Verilator
    bench: str = ""                              # bench directory tb/<bench>/ (default: module)
    extra_sources: tuple[str, ...] = ()          # absolute sources outside rtl/, compiled first
                                                 # (the gate-level netlist and cell models)

    @property
    def hdl_toplevel(self) -> str:
        """HDL top module."""
        return self.toplevel or self.module

    @property
    def tests(self) -> str:
        """Python module of the cocotb tests."""
        return self.test_module or f"test_{self.module}"

    @property
    def bench_dir(self) -> Path:
        """tb/<module>/ (on the simulator's Python path)."""
        return TB_DIR / (self.bench or self.module)

    def sources(self) -> list[Path]:
        """Absolute source files: the extra sources, the RTL, then the bench HDL."""
        return ([Path(f) for f in self.extra_sources] + [RTL_DIR / f for f in self.rtl] +
                [self.bench_dir / f for f in self.bench_hdl])


def _sram(name: str) -> Top:
    return Top(name, ("sram_sp.v", f"{name}.v"))


TOPS: dict[str, Top] = {t.module: t for t in (
    Top("ssf_fire", ("ssf_fire.v",)),
    Top("mac_array", ("mac_array.v",)),
    Top("argmax", ("argmax.v",)),
    Top("stream_in", ("stream_in.v",)),
    Top("apb_regs", ("apb_regs.v",)),
    Top("ctrl", ("ctrl.v",)),
    Top("sram_sp", ("sram_sp.v",)),
    _sram("sram_sp_2048x64"), _sram("sram_sp_4096x8"), _sram("sram_sp_128x256"),
    _sram("sram_sp_128x128"),
    Top("sparrow_top", CORE_RTL),
    # the regression harness makes its own clock (Verilator needs --timing) and runs for
    # minutes: optimised C++ pays for its longer build
    Top("top", CORE_RTL, toplevel="top_harness", bench_hdl=("top_harness.v",),
        verilator_args=("--timing", "-O3", "-CFLAGS", "-O2")),
)}


def gls_top(name: str, netlist: Path, cell_models: Path,
            verilator_args: tuple[str, ...] = ()) -> Top:
    """The gate-level top level (silicon/gls.py): the regression harness tb/top/top_harness.v
    around a synthesised netlist of sparrow_top, the library's cell models and the behavioural
    SRAM macros of rtl/; built as ``sim_build/<name>/…`` like every other top."""
    return Top(name, tuple(f for f in CORE_RTL if f.startswith("sram_sp")),
               toplevel="top_harness", bench="top", bench_hdl=("top_harness.v",),
               test_module="silicon.gls_test", verilator_args=verilator_args,
               extra_sources=(str(netlist), str(cell_models)))


def get_top(module: str) -> Top:
    """The top level of a bench; ValueError naming the known ones otherwise."""
    try:
        return TOPS[module]
    except KeyError:
        raise ValueError(f"unknown bench {module!r}; known: {', '.join(sorted(TOPS))}") from None


def param_tag(parameters: Mapping[str, object] | None) -> str:
    """Stable directory-name tag of a parameter set ("default" when empty)."""
    if not parameters:
        return "default"
    return "-".join(f"{k}{v}" for k, v in sorted(parameters.items()))


def coverage_enabled() -> bool:
    """True when ``SPARROW_COVERAGE=1``: Verilator builds with code coverage and benches export
    functional coverage (docs/coverage.md)."""
    return os.environ.get(COVERAGE_ENV, "0") == "1"


def waves_requested() -> bool:
    """True when ``WAVES=1`` is in the environment."""
    return os.environ.get("WAVES", "0") == "1"


@dataclass(frozen=True)
class BuildSpec:
    """One build: a top level on a simulator with a parameter set and a purpose."""

    top: Top
    sim: str
    parameters: tuple[tuple[str, str], ...] = ()
    waves: bool = False
    coverage: bool = False          # Verilator code coverage (ignored on Icarus)

    def __post_init__(self) -> None:
        if self.sim not in SIMULATORS:
            raise ValueError(f"unknown simulator {self.sim!r}; choose {' or '.join(SIMULATORS)}")

    @property
    def code_coverage(self) -> bool:
        """Coverage instrumentation is built (Verilator only)."""
        return self.coverage and self.sim == "verilator"

    @property
    def purposes(self) -> list[str]:
        """Build purposes in flag order (``plain`` when neither waves nor coverage)."""
        out = (["coverage"] if self.code_coverage else []) + (["waves"] if self.waves else [])
        return out or ["plain"]

    @property
    def params(self) -> dict[str, str]:
        """The parameter overrides as a dict."""
        return dict(self.parameters)

    @property
    def dir(self) -> Path:
        """``sim_build/<module>/<sim>-<params>-<purpose>/``."""
        return (SIM_BUILD_DIR / self.top.module /
                f"{self.sim}-{param_tag(self.params)}-{'-'.join(self.purposes)}")

    def build_args(self) -> list[str]:
        """Simulator build flags: the top's own, then those of each purpose (Verilator)."""
        if self.sim != "verilator":
            return []
        args = list(self.top.verilator_args)
        for p in self.purposes:
            args += VERILATOR_PURPOSE_ARGS[p]
        return args

    def wave_file(self) -> Path:
        """Default FST of a waves run: ``<build dir>/<toplevel>.fst``, both simulators."""
        return self.dir / f"{self.top.hdl_toplevel}.fst"


def spec(module: str, sim: str, parameters: Mapping[str, object] | None = None, *,
         waves: bool | None = None, coverage: bool | None = None) -> BuildSpec:
    """BuildSpec of a bench; ``waves`` / ``coverage`` default to ``WAVES`` /
    ``SPARROW_COVERAGE`` from the environment."""
    return BuildSpec(get_top(module), sim,
                     tuple(sorted((str(k), str(v)) for k, v in (parameters or {}).items())),
                     waves_requested() if waves is None else waves,
                     coverage_enabled() if coverage is None else coverage)


def ensure_tools_on_path() -> None:
    """Put the venv's bin (cocotb-config, verilator) first on PATH for the runner's children."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if venv_bin not in path.split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + path


def build_key(bs: BuildSpec) -> str:
    """SHA-256 of everything a build reads: simulator, flags, parameters, purpose, the bytes of
    every source, of the generated headers of rtl/ (included by the harnesses) and of every
    build flag that names a file (e.g. a Verilator ``.vlt`` configuration)."""
    h = hashlib.sha256()
    h.update(repr((bs.sim, bs.build_args(), bs.parameters, bs.waves, TIMESCALE)).encode())
    files = list(bs.top.sources()) + sorted(RTL_DIR.glob("*.vh"))
    files += [Path(a) for a in bs.build_args() if os.sep in a and Path(a).is_file()]
    for f in files:
        h.update(str(f).encode() + b"\0")
        h.update(hashlib.sha256(Path(f).read_bytes()).digest())
    return h.hexdigest()


def _product(bs: BuildSpec) -> Path:
    """The file a finished build leaves: the Verilated executable or Icarus's ``sim.vvp``."""
    return bs.dir / (bs.top.hdl_toplevel if bs.sim == "verilator" else "sim.vvp")


def build(bs: BuildSpec, log_file: Path | None = None, *, reuse: bool = False) -> Path:
    """Build (or reuse) ``bs`` under a lock next to its directory; returns the directory.

    The runner rebuilds incrementally (Icarus timestamps, Verilator ``--skip-identical``), but
    Verilator still re-verilates every time: seconds on the RTL, ten minutes on a gate-level
    netlist. ``reuse=True`` skips the runner entirely when :func:`build_key` equals the key
    stamped by the last successful build of this directory and its product exists."""
    from cocotb_tools.runner import get_runner  # noqa: PLC0415

    ensure_tools_on_path()
    bs.dir.parent.mkdir(parents=True, exist_ok=True)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    stamp = bs.dir / "build.key"
    with FileLock(str(bs.dir) + ".lock"):
        key = build_key(bs) if reuse else ""
        if reuse and stamp.is_file() and stamp.read_text() == key and _product(bs).exists():
            return bs.dir
        stamp.unlink(missing_ok=True)
        get_runner(bs.sim).build(
            sources=bs.top.sources(), hdl_toplevel=bs.top.hdl_toplevel, parameters=bs.params,
            build_dir=bs.dir, build_args=bs.build_args(), timescale=TIMESCALE, waves=bs.waves,
            includes=[RTL_DIR],  # the generated interface headers rtl/sparrow_*.vh
            log_file=log_file)
        if reuse:
            stamp.write_text(key)
    return bs.dir


# The runner ends the process (sys.exit) when it sees PYTEST_CURRENT_TEST and a test failed;
# the launcher reports results instead, so the variable is hidden while any simulation runs.
_pytest_lock = threading.Lock()
_pytest_users = 0
_pytest_saved: str | None = None


@contextmanager
def _outside_pytest() -> Iterator[None]:
    global _pytest_users, _pytest_saved
    with _pytest_lock:
        if _pytest_users == 0:
            _pytest_saved = os.environ.pop("PYTEST_CURRENT_TEST", None)
        _pytest_users += 1
    try:
        yield
    finally:
        with _pytest_lock:
            _pytest_users -= 1
            if _pytest_users == 0 and _pytest_saved is not None:
                os.environ["PYTEST_CURRENT_TEST"] = _pytest_saved


@dataclass
class SimResult:
    """Outcome of one simulation: cocotb tests run and failed, from its JUnit file."""

    junit: Path
    tests: int = 0
    failed: int = 0
    error: str = ""               # the simulator ended abnormally or wrote no results
    wave_file: Path | None = None
    coverage_dat: Path | None = None

    @property
    def ok(self) -> bool:
        """At least one cocotb test ran, none failed, the simulator ended normally."""
        return not self.error and self.tests > 0 and self.failed == 0

    def describe(self) -> str:
        """One line: what went wrong (or the pass count)."""
        if self.error:
            return self.error
        if self.tests == 0:
            return f"no cocotb test ran (filter or module name?); results {self.junit}"
        return f"{self.failed} of {self.tests} cocotb tests failed; results {self.junit}"


def results_of(junit: Path) -> tuple[int, int]:
    """(tests, failed) of a cocotb JUnit file; failures and errors both count as failed."""
    root = ET.parse(junit).getroot()
    cases = list(root.iter("testcase"))
    failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
    return len(cases), failed


def run(bs: BuildSpec, junit: Path, *, test_dir: Path | None = None,
        test_filter: str | None = None, seed: int | None = None,
        extra_env: Mapping[str, str] | None = None, plusargs: Sequence[str] = (),
        wave_file: Path | None = None, coverage_dat: Path | None = None,
        log_file: Path | None = None, build_log: Path | None = None) -> SimResult:
    """Build ``bs`` if needed, then run its cocotb tests; never raises on a failing simulation.

    ``test_dir`` (default: the build directory) is the simulator's working directory, where a
    bench's generated files go (the harness's hex/text files). With waves the FST goes to
    ``wave_file`` (default :meth:`BuildSpec.wave_file`); with code coverage the model writes
    ``coverage_dat`` (required then).
    """
    build(bs, build_log)
    top = bs.top
    test_dir = test_dir or bs.dir
    test_dir.mkdir(parents=True, exist_ok=True)
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    plus = list(plusargs)
    test_args: list[str] = []
    res = SimResult(junit)
    if bs.waves:
        res.wave_file = wave_file or bs.wave_file()
        res.wave_file.parent.mkdir(parents=True, exist_ok=True)
        if bs.sim == "icarus":
            plus.append(f"+dumpfile_path={res.wave_file}")
        else:
            test_args += ["--trace-file", str(res.wave_file)]
    if bs.code_coverage:
        if coverage_dat is None:
            raise ValueError("a coverage build needs the path of its coverage data")
        coverage_dat.parent.mkdir(parents=True, exist_ok=True)
        coverage_dat.unlink(missing_ok=True)
        plus.append(f"+verilator+coverage+file+{coverage_dat}")
        res.coverage_dat = coverage_dat
    # the simulator's Python imports the bench by name from its directory and tb.* from the root
    for p in (str(TB_DIR.parent), str(top.bench_dir)):
        if p not in sys.path:
            sys.path.insert(0, p)
    env = {"COCOTB_REWRITE_ASSERTION_FILES": "test_*.py", **(extra_env or {})}
    return _test(bs.sim, res, test_module=top.tests, hdl_toplevel=top.hdl_toplevel,
                 build_dir=bs.dir, test_dir=test_dir, test_filter=test_filter or None,
                 seed=seed, waves=bs.waves, plusargs=plus, test_args=test_args, extra_env=env,
                 log_file=log_file)


def _test(sim: str, res: SimResult, **kwargs: object) -> SimResult:
    """``get_runner(sim).test(**kwargs)`` outside pytest's failure hook; ``res`` gets the
    outcome (tests and failures from its JUnit file, or the reason there are none)."""
    from cocotb_tools.runner import get_runner  # noqa: PLC0415

    try:
        with _outside_pytest():
            get_runner(sim).test(hdl_toplevel_lang="verilog", results_xml=str(res.junit),
                                 timescale=TIMESCALE, **kwargs)
    except (RuntimeError, SystemExit) as exc:
        res.error = f"simulator exited abnormally ({exc}); results {res.junit}"
    try:
        res.tests, res.failed = results_of(res.junit)
    except (OSError, ET.ParseError) as exc:
        res.error = res.error or f"no results from the simulation ({exc})"
    return res


def run_test_module(sim: str, build_dir: Path, test_module: str, junit: Path, *,
                    test_dir: Path, hdl_toplevel: str = "top_harness",
                    test_filter: str | None = None, extra_env: Mapping[str, str] | None = None,
                    log_file: Path | None = None) -> SimResult:
    """Run the cocotb module ``test_module`` on a model already built in ``build_dir`` (the
    regression harness for the patient job, the gate-level netlist for GLS) the same way
    :func:`run` does: outside pytest's failure hook, results read from the JUnit file."""
    test_dir.mkdir(parents=True, exist_ok=True)
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    return _test(sim, SimResult(junit), test_module=test_module, hdl_toplevel=hdl_toplevel,
                 build_dir=build_dir, test_dir=test_dir, test_filter=test_filter or None,
                 extra_env=dict(extra_env or {}), log_file=log_file)


def run_bench(module: str, sim: str, *, parameters: Mapping[str, object] | None = None,
              test_filter: str | None = None, run_tag: str | None = None,
              extra_env: Mapping[str, str] | None = None) -> SimResult:
    """The pytest entry point of a bench: build and run ``tb/<module>/test_<module>.py`` on
    ``sim`` and fail (AssertionError) unless every cocotb test passed.

    JUnit goes to ``reports/junit/<module>-<sim>-<tag>.xml`` (``<tag>`` = the parameter tag,
    plus ``-<run_tag>`` when given). ``WAVES``, ``COCOTB_RANDOM_SEED``, ``COCOTB_TEST_FILTER``
    and ``SPARROW_COVERAGE`` come from the environment. Under coverage the Verilator model
    writes ``reports/coverage/dat/<module>-<tag>.dat`` and the bench's functional coverage
    (:mod:`tb.funcov`) goes to ``reports/coverage/func/<module>-<sim>-<tag>.xml``.
    """
    bs = spec(module, sim, parameters)
    tag = param_tag(bs.params) + (f"-{run_tag}" if run_tag else "")
    env = dict(extra_env or {})
    if coverage_enabled():
        fc = FUNCOV_DIR / f"{module}-{sim}-{tag}.xml"
        fc.parent.mkdir(parents=True, exist_ok=True)
        fc.unlink(missing_ok=True)
        env[FUNCOV_FILE_ENV] = str(fc)
    seed = os.environ.get("COCOTB_RANDOM_SEED")
    res = run(bs, JUNIT_DIR / f"{module}-{sim}-{tag}.xml",
              test_filter=test_filter or os.environ.get("COCOTB_TEST_FILTER"),
              seed=int(seed) if seed else None, extra_env=env,
              coverage_dat=COVERAGE_DAT_DIR / f"{module}-{tag}.dat")
    assert res.ok, f"{module} on {sim} ({tag}): {res.describe()}"
    return res


def _parse_params(text: str) -> dict[str, str]:
    out = {}
    for item in text.split():
        name, eq, value = item.partition("=")
        if not eq or not name or not value:
            raise ValueError(f"bad parameter {item!r}; expected NAME=VALUE")
        out[name] = value
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``make sim``: run one bench's cocotb tests; exit 0 only when all of them passed."""
    ap = argparse.ArgumentParser(
        prog="python -m tb.launch", description="Build and run one bench (make sim). "
        "COCOTB_RANDOM_SEED and COCOTB_TEST_FILTER are read from the environment.")
    ap.add_argument("module", help=f"bench: {', '.join(sorted(TOPS))}")
    ap.add_argument("--sim", default="icarus", help="icarus (default) or verilator")
    ap.add_argument("--waves", default="0", help="1: record an FST of the whole design")
    ap.add_argument("--params", default="", help='parameter overrides, e.g. "ACC_W=20 CNT_W=4"')
    ns = ap.parse_args(argv)
    os.environ.pop("MODULE", None)     # make's MODULE=<bench> is cocotb's deprecated alias too
    try:
        if ns.waves not in ("0", "1"):
            raise ValueError(f"WAVES must be 0 or 1, not {ns.waves!r}")
        bs = spec(ns.module, ns.sim, _parse_params(ns.params), waves=ns.waves == "1")
    except ValueError as exc:
        print(f"make sim: {exc}", file=sys.stderr)
        return 2
    tag = param_tag(bs.params)
    seed = os.environ.get("COCOTB_RANDOM_SEED")
    if seed is not None and not seed.strip().isdigit():
        print(f"make sim: COCOTB_RANDOM_SEED must be an integer, not {seed!r}", file=sys.stderr)
        return 2
    res = run(bs, JUNIT_DIR / f"{ns.module}-{ns.sim}-{tag}-make.xml",
              test_filter=os.environ.get("COCOTB_TEST_FILTER"),
              seed=int(seed) if seed else None,
              coverage_dat=COVERAGE_DAT_DIR / f"{ns.module}-{tag}-make.dat")
    if res.wave_file is not None:
        print(f"waves: {res.wave_file}")
    print(f"results: {res.junit}")
    if not res.ok:
        print(f"make sim: {ns.module} on {ns.sim}: {res.describe()}", file=sys.stderr)
        return 1
    print(f"make sim: {ns.module} on {ns.sim}: {res.tests} cocotb tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
