"""tb/launch.py (the one simulator launcher) and bench hygiene, without a simulator: the top
levels and their sources, build directories and flags per purpose, the make-sim CLI's bad
input, a scoreboard that compared nothing, one definition of the repository paths, no
committed harness files. Runs in about 2 s."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from tb import launch
from tb.paths import REPO_ROOT, TB_DIR


def test_every_bench_has_one_top_with_existing_sources() -> None:
    benches = {p.parent.name for p in TB_DIR.glob("*/test_*.py")}
    assert benches == set(launch.TOPS)
    for top in launch.TOPS.values():
        assert top.sources(), top.module
        for src in top.sources():
            assert src.is_file(), src
        assert (top.bench_dir / f"{top.tests}.py").is_file()
    assert launch.TOPS["top"].hdl_toplevel == "top_harness"
    assert launch.TOPS["sparrow_top"].rtl == launch.TOPS["top"].rtl == launch.CORE_RTL


def test_build_dirs_unique_per_module_sim_params_purpose() -> None:
    specs = [launch.spec(m, s, p, waves=w, coverage=c)
             for m in ("ssf_fire", "argmax") for s in launch.SIMULATORS
             for p in ({}, {"ACC_W": 20}) for w in (False, True) for c in (False, True)]
    dirs = {bs.dir for bs in specs}
    # coverage is a Verilator build kind only: on Icarus it does not change the build
    assert len(dirs) == 2 * (4 + 2) * 2
    assert launch.spec("ssf_fire", "verilator", {"B": 1, "A": 2}).dir.name == \
        "verilator-A2-B1-plain"
    assert launch.spec("ssf_fire", "icarus", waves=True, coverage=True).dir.name == \
        "icarus-default-waves"


def test_verilator_flags_per_purpose_are_the_same_for_every_top() -> None:
    for purpose, waves, cov in (("plain", False, False), ("waves", True, False),
                                ("coverage", False, True)):
        for top in launch.TOPS.values():
            bs = launch.spec(top.module, "verilator", waves=waves, coverage=cov)
            assert bs.purposes == [purpose]
            assert bs.build_args() == [*top.verilator_args,
                                       *launch.VERILATOR_PURPOSE_ARGS[purpose]]
            assert launch.spec(top.module, "icarus", waves=waves, coverage=cov).build_args() == []
    both = launch.spec("top", "verilator", waves=True, coverage=True)
    assert both.build_args() == ["--timing", "-O3", "-CFLAGS", "-O2",
                                 *launch.VERILATOR_COVERAGE_ARGS, "--trace-fst", "--trace-structs"]


def test_bad_module_sim_or_params_is_one_line_and_exit_2(capsys: pytest.CaptureFixture) -> None:
    for argv in (["nosuch"], ["ssf_fire", "--sim", "modelsim"], ["ssf_fire", "--waves", "2"],
                 ["ssf_fire", "--params", "ACC_W"]):
        assert launch.main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("make sim: ") and "\n" not in err, err


def test_results_of_counts_failures_and_errors(tmp_path) -> None:
    xml = tmp_path / "r.xml"
    xml.write_text('<testsuites><testsuite><testcase name="a"/><testcase name="b"><failure/>'
                   '</testcase><testcase name="c"><error/></testcase></testsuite></testsuites>')
    assert launch.results_of(xml) == (3, 2)
    res = launch.SimResult(xml, tests=0)
    assert not res.ok and "no cocotb test ran" in res.describe()


def test_scoreboard_that_matched_nothing_fails() -> None:
    """InOrderScoreboard.check (and so every bench's final check) fails when nothing was
    compared, passes after one matching comparison, fails on a mismatch."""
    from tb.common import Expected, InOrderScoreboard, Observed

    sb = InOrderScoreboard(SimpleNamespace(_name="dut"), "unit")
    with pytest.raises(AssertionError, match="matched 0 transactions.*checked nothing"):
        sb.check()
    sb.compare(Observed(5, 3), Expected(5, 3), sb.log)
    sb.check()
    with pytest.raises(AssertionError, match="fewer than 2"):
        sb.check(min_matched=2)
    sb.compare(Observed(6, 4), Expected(7, 4), sb.log)
    with pytest.raises(AssertionError, match="1 mismatched"):
        sb.check()


def test_repository_paths_are_defined_once() -> None:
    """tb/ and scripts/ import REPO_ROOT and friends from tb.paths (REPO_ROOT itself from
    training.paths) instead of computing their own from __file__."""
    own = re.compile(r"^\s*[A-Z_]*(ROOT|REPO|_DIR)\s*=\s*Path\(__file__\)", re.M)
    offenders = [str(p.relative_to(REPO_ROOT))
                 for d in ("tb", "scripts") for p in (REPO_ROOT / d).rglob("*.py")
                 if own.search(p.read_text())]
    assert offenders == []


def test_harness_files_are_build_products() -> None:
    tracked = subprocess.run(["git", "ls-files", "tb/top"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert not [f for f in tracked if re.search(r"harness_\w+\.(hex|txt)$", f)]


def test_reuse_skips_an_unchanged_build_and_rebuilds_on_any_change(tmp_path, monkeypatch) -> None:
    """build(..., reuse=True): the runner is called again only when a source, a file named by a
    flag or a flag changed, or when the product is gone; a failed build leaves no stamp."""
    import cocotb_tools.runner as cocotb_runner

    calls: list[list[str]] = []
    fail = {"now": False}

    class FakeRunner:
        def build(self, *, build_dir, hdl_toplevel, build_args, **_kw) -> None:
            calls.append(list(build_args))
            if fail["now"]:
                raise RuntimeError("compile error")
            Path(build_dir).mkdir(parents=True, exist_ok=True)
            (Path(build_dir) / hdl_toplevel).write_text("exe")

    monkeypatch.setattr(cocotb_runner, "get_runner", lambda sim: FakeRunner())
    monkeypatch.setattr(launch, "SIM_BUILD_DIR", tmp_path / "sim_build")
    src, vlt = tmp_path / "m.v", tmp_path / "cfg.vlt"
    src.write_text("module m; endmodule\n")
    vlt.write_text("`verilator_config\n")

    def spec(flags: tuple[str, ...] = ()) -> launch.BuildSpec:
        top = launch.Top("reuse_t", (), toplevel="m", extra_sources=(str(src),),
                         verilator_args=(str(vlt),) + flags)
        return launch.BuildSpec(top, "verilator")

    launch.build(spec(), reuse=True)
    launch.build(spec(), reuse=True)
    assert len(calls) == 1                       # unchanged: skipped
    launch.build(spec())
    assert len(calls) == 2                       # without reuse the runner always runs
    src.write_text("module m; wire a; endmodule\n")
    launch.build(spec(), reuse=True)
    assert len(calls) == 3                       # a source changed
    vlt.write_text("`verilator_config\npublic -module \"m\"\n")
    launch.build(spec(), reuse=True)
    assert len(calls) == 4                       # a file named by a flag changed
    launch.build(spec(("-O1",)), reuse=True)
    assert len(calls) == 5                       # a flag changed
    (spec(("-O1",)).dir / "m").unlink()
    launch.build(spec(("-O1",)), reuse=True)
    assert len(calls) == 6                       # the product is gone
    src.write_text("module m; wire b; endmodule\n")
    fail["now"] = True
    with pytest.raises(RuntimeError):
        launch.build(spec(("-O1",)), reuse=True)
    fail["now"] = False
    src.write_text("module m; wire a; endmodule\n")      # back to the last good source
    launch.build(spec(("-O1",)), reuse=True)
    assert len(calls) == 8                       # the failed build removed the stamp
