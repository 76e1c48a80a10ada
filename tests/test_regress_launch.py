"""tb/regress/launch.py without a simulator: a shard or a run that executed 0 inputs fails with
a clear message; the harness is built by the launcher with the same flags as every other top
level. Runs in about 1 s."""

from __future__ import annotations

from pathlib import Path

import pytest

import tb.regress.launch as rl
from tb import launch


def _fake(monkeypatch: pytest.MonkeyPatch, inputs: dict[int, int | None], ok: bool = True) -> None:
    """run_sim returns, per shard k, statistics with ``inputs[k]`` inputs (None: none written)."""
    monkeypatch.setattr(rl, "build", lambda *a, **k: Path("/nonexistent"))

    def run_sim(sim: str, name: str, test: str, env: dict, **kw: object) -> rl.SimRun:
        k = int(env["SPARROW_REGRESS_SHARD"].split("/")[0])
        n = inputs[k]
        stats = None if n is None else {"inputs": n, "shard": env["SPARROW_REGRESS_SHARD"],
                                        "reports": []}
        return rl.SimRun(name, sim, ok, 1, 0 if ok else 1, 0.1, Path("x.log"), Path("x.xml"),
                         stats)

    monkeypatch.setattr(rl, "run_sim", run_sim)


def test_shard_with_zero_inputs_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, {0: 7, 1: 0})
    res = rl.run_level("quick", "verilator", shards=2, waves=False, name="zero-test")
    assert not res.ok
    assert "zero-test-shard1: executed 0 inputs (level quick, shard 1/2)" in res.message
    assert "shard0" not in res.message


def test_run_without_statistics_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, {0: None})
    res = rl.run_level("quick", "icarus", waves=False, name="nostats")
    assert not res.ok and "executed 0 inputs" in res.message


def test_runs_with_inputs_pass_and_failed_sim_keeps_its_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, {0: 3, 1: 4})
    assert rl.run_level("quick", "icarus", shards=2, waves=False, name="fine").ok
    _fake(monkeypatch, {0: None}, ok=False)
    res = rl.run_level("quick", "icarus", waves=False, name="broken")
    assert not res.ok and "executed 0 inputs" not in res.message
    assert "1 of 1 cocotb tests failed" in res.message


def test_harness_is_a_launcher_top() -> None:
    bs = rl.harness_spec("verilator", waves=False, coverage=True)
    assert bs.top is launch.TOPS["top"]
    assert bs.dir.name == "verilator-default-coverage"
    assert list(launch.VERILATOR_COVERAGE_ARGS) == bs.build_args()[-4:]
