"""``sparrow sim`` (tb/cli_sim.py): RTL results against ``sparrow infer`` on random bundles on
both simulators, proof that the values come from the RTL, and the error paths (one-line error,
non-zero status, no output file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from golden import cli
from golden.bundle import load_bundle
from golden.model import infer
from golden.randbundle import random_bundle, random_inputs
from golden.timing import total_cycles
from tb.faults import choose_fault

KEYS = ("classes", "logits", "cycles", "wreads", "macs", "skips", "load")


@pytest.fixture
def sparrow(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run the ``sparrow`` command in-process with the ``sim`` subcommand registered."""
    if "tb.cli_sim" not in cli.SUBCOMMANDS:
        monkeypatch.setattr(cli, "SUBCOMMANDS", [*cli.SUBCOMMANDS, "tb.cli_sim"])

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _write_case(tmp: Path, seed: int, n: int = 4) -> tuple[Path, Path, dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    bd = random_bundle(rng, max_layers=3, max_ch=8, max_len=20, max_cycles=1500,
                       name=f"cli{seed}")
    b = load_bundle(bd)
    x = random_inputs(rng, (b.in_channels, b.in_length), n)
    x[0] = 0                                            # an all-zero input too
    model, inputs = tmp / f"m{seed}.json", tmp / f"x{seed}.npy"
    model.write_text(json.dumps(bd))
    np.save(inputs, x)
    return model, inputs, bd, x


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_sim_matches_infer(sim: str, sparrow, tmp_path: Path) -> None:
    """On random bundles, classes / logits / cycles / counters of the RTL equal sparrow infer;
    CNT_LOAD (RTL-only) follows the valid pattern."""
    for seed in (11, 12, 13):
        model, inputs, bd, x = _write_case(tmp_path, seed)
        out_sim, out_inf = tmp_path / f"s{seed}.npz", tmp_path / f"i{seed}.npz"
        code, out, err = sparrow("sim", "--model", model, "--inputs", inputs, "--out", out_sim,
                                 "--sim", sim)
        assert code == 0, err
        assert "sparrow sim:" in out
        code, _, err = sparrow("infer", "--model", model, "--inputs", inputs, "--out", out_inf)
        assert code == 0, err
        with np.load(out_sim) as s, np.load(out_inf) as g:
            assert set(KEYS) <= set(s.files)
            for k in KEYS:
                assert s[k].dtype == np.int64, k
            for k in ("classes", "logits", "cycles", "wreads", "macs", "skips"):
                assert np.array_equal(s[k], g[k]), (seed, k, s[k], g[k])
            b = load_bundle(bd)
            assert s["logits"].shape == (len(x), b.n_classes)
            assert np.all(s["load"] == len(b.layers) + b.in_channels * b.in_length)
    # with random valid gaps the RTL's own load counter grows, the results do not change
    code, _, err = sparrow("sim", "--model", model, "--inputs", inputs, "--out", out_sim,
                           "--sim", sim, "--valid", "stalls", "--seed", "7")
    assert code == 0, err
    with np.load(out_sim) as s, np.load(out_inf) as g:
        assert np.array_equal(s["logits"], g["logits"])
        assert np.all(s["load"] >= len(load_bundle(bd).layers) + x[0].size)
        assert np.any(s["load"] > len(load_bundle(bd).layers) + x[0].size)


@pytest.mark.sim
def test_sim_values_come_from_the_rtl(tmp_path: Path) -> None:
    """A weight bit flipped in the RTL's memory after the load (through APB) shows in the npz
    written by the same RTL path ``sparrow sim`` uses: its logits equal the golden model of the
    *corrupted* bundle, not of the clean one, so the values are the hardware's."""
    import copy

    from tb.regress import run_sim

    model, inputs, bd, x = _write_case(tmp_path, 21, n=6)
    b = load_bundle(bd)
    clean = infer(b, x)
    for fseed in range(50):
        fault = choose_fault("weight_bit", b, x, fseed)
        bad = copy.deepcopy(bd)
        L, site = b.layers[fault.layer], fault.site
        w = bad["layers"][fault.layer]["weights"][fault.neuron]
        if L.kind == "conv1d":
            w[site["input_channel"]][site["tap"]] = site["new"]
        else:
            w[site["input_channel"]] = site["new"]
        corrupted = infer(load_bundle(bad), x)
        if not np.array_equal(corrupted.logits, clean.logits):
            break
    else:
        pytest.skip("no weight flip reaches the logits of this bundle")
    out = tmp_path / "out.npz"
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"model": str(model), "inputs": str(inputs), "out": str(out),
                               "apb_after_load": fault.apb}))
    res = run_sim("icarus", "test-sim-cli-fault", "test_sim_cli", {"SPARROW_SIM_JOB": str(job)})
    assert res.ok, res.log
    with np.load(out) as s:
        assert np.array_equal(s["logits"], corrupted.logits)
        assert not np.array_equal(s["logits"], clean.logits)
        assert np.all(s["cycles"] == total_cycles(b))


def test_sim_errors(sparrow, tmp_path: Path) -> None:
    """Bad inputs: one-line error on stderr, status 1 (2 for usage), no output file."""
    model, inputs, bd, x = _write_case(tmp_path, 31, n=2)
    out = tmp_path / "y.npz"
    bad_dtype = tmp_path / "f.npy"
    np.save(bad_dtype, x.astype(np.float32))
    bad_shape = tmp_path / "s.npy"
    np.save(bad_shape, np.zeros((2, x.shape[1], x.shape[2] + 1), np.uint8))
    empty = tmp_path / "e.npy"
    np.save(empty, np.zeros((0, x.shape[1], x.shape[2]), np.uint8))
    bad_model = tmp_path / "bad.json"
    bad_model.write_text(json.dumps({**bd, "layers": bd["layers"][:0]}))
    cases = [
        (["--model", tmp_path / "nope.json", "--inputs", inputs], "does not exist"),
        (["--model", bad_model, "--inputs", inputs], "layers"),
        (["--model", model, "--inputs", tmp_path / "nope.npy"], "does not exist"),
        (["--model", model, "--inputs", bad_dtype], "dtype float32"),
        (["--model", model, "--inputs", bad_shape], "shape"),
        (["--model", model, "--inputs", empty], "no example"),
    ]
    for argv, needle in cases:
        code, out_txt, err = sparrow("sim", *argv, "--out", out, "--sim", "icarus")
        assert code == 1, (argv, err)
        assert err.startswith("sparrow: error:") and err.count("\n") == 1, err
        assert needle in err, (needle, err)
        assert not out.exists()
    code, _, err = sparrow("sim", "--model", model, "--inputs", inputs, "--out",
                           tmp_path / "missing" / "y.npz")
    assert code == 1 and "does not exist" in err
    code, _, err = sparrow("sim", "--model", model, "--inputs", inputs, "--out", out,
                           "--sim", "xcelium")
    assert code == 2 and err.count("\n") == 1
    assert not out.exists()


def test_sim_failure_leaves_no_output(sparrow, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A simulation that fails (here: the runner reports a failed test) gives a one-line error
    naming the log and writes nothing."""
    import tb.regress as regress

    model, inputs, _, _ = _write_case(tmp_path, 41, n=2)
    out = tmp_path / "y.npz"

    def failing(sim: str, name: str, test: str, env: dict, **kw: object) -> regress.SimRun:
        return regress.SimRun(name, sim, False, 1, 1, 0.1, tmp_path / "sim.log",
                              tmp_path / "j.xml", error="")
    monkeypatch.setattr(regress, "run_sim", failing)
    code, _, err = sparrow("sim", "--model", model, "--inputs", inputs, "--out", out)
    assert code == 1 and "simulation failed" in err and "sim.log" in err
    assert err.count("\n") == 1 and not out.exists()
