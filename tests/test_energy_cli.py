"""``sparrow energy``: per-input estimate = events × per-event energies, report file, 22 nm
scaling in one place, and the error paths (one line, exit 1, no report file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from golden import cli
from golden.bundle import load_bundle
from silicon.energyfit import (SCALE_22NM, SCALE_22NM_HIGH, SCALE_22NM_LOW, _e_factor,
                               features_of, local_scale_to_22nm, predict)
from silicon.events import count_events

REPO = Path(__file__).resolve().parents[1]
ECG = REPO / "models/ecg/model.json"
TABLE = {"logic": {"cycle": 5.0, "mac": 2.0, "wread": 1.0, "fire": 20.0},
         "clock": {"cycle": 10.0, "load_cycle": 3.0}, "leakage": {"all_cycle": 0.5},
         "mem_weight": {"wread": 30.0}, "mem_act": {"act_read": 3.0, "act_write": 4.0},
         "mem_bias": {"bias_read": 25.0}, "mem_theta": {"theta_read": 15.0}}


@pytest.fixture
def sparrow(capsys: pytest.CaptureFixture[str]):
    def run(*argv: object) -> tuple[int, str, str]:
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def table(tmp_path: Path) -> Path:
    p = tmp_path / "table.json"
    p.write_text(json.dumps({"format": "sparrow-event-energies", "node_nm": 180,
                             "clock_mhz": 4.0, "energies_pj": TABLE}))
    return p


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, np.ndarray]:
    x = np.random.default_rng(3).integers(0, 256, (5, 1, 187)).astype(np.uint8)
    x[4] = 0
    p = tmp_path / "x.npy"
    np.save(p, x)
    return p, x


def test_estimate_is_events_times_energies(sparrow, table, inputs, tmp_path: Path) -> None:
    xp, x = inputs
    out = tmp_path / "r.json"
    code, so, err = sparrow("energy", "--model", ECG, "--inputs", xp, "--table", table,
                            "--out", out)
    assert code == 0, err
    assert so.count("  input ") == 5 and "energy per inference:" in so and "by component:" in so
    rep = json.loads(out.read_text())
    pred = predict(TABLE, features_of(count_events(load_bundle(ECG), x)))
    want = np.sum(np.stack(list(pred.values())), axis=0) / 1000
    assert np.allclose(rep["per_input"]["energy_nj"], want, rtol=1e-6)
    assert np.allclose(rep["per_input"]["energy_nj_22nm"], want * SCALE_22NM, rtol=1e-5)
    assert rep["energy_nj"]["mean"] == pytest.approx(want.mean())
    assert sum(rep["breakdown_nj"].values()) == pytest.approx(want.mean())
    assert sum(rep["by_event_nj"].values()) == pytest.approx(want.mean())
    assert rep["per_input"]["wreads"] == [int(v) for v in count_events(ECG, x)["wreads"]]


def test_show_limits_the_listing(sparrow, table, inputs) -> None:
    code, so, _ = sparrow("energy", "--model", ECG, "--inputs", inputs[0], "--table", table,
                          "--show", "2")
    assert code == 0 and so.count("  input ") == 2 and "... 3 more" in so


def test_scale_to_22nm_in_one_place() -> None:
    """The factor follows the cited fits (180 nm at 1.8 V: e = 47.47; 20 nm HP at 0.8 V: 0.153),
    lies in its band, and equals the gate-level flow's when that is present."""
    assert _e_factor("180", 1.8) == pytest.approx(47.4696)
    assert _e_factor("HP20", 0.8) == pytest.approx(0.1532, abs=1e-4)
    central, lo, hi = local_scale_to_22nm()
    assert lo < central < hi and 1 / central == pytest.approx(309.9, abs=0.1)
    assert (SCALE_22NM, SCALE_22NM_LOW, SCALE_22NM_HIGH) == pytest.approx((central, lo, hi))
    try:
        from silicon.energy import scale_to_22nm
    except ImportError:
        return
    assert scale_to_22nm(1.0) == pytest.approx((central, lo, hi))


@pytest.mark.parametrize("case,msg", [
    ("no_table", "cannot read energy table"),
    ("bad_shape", "expected (N, 1, 187)"),
    ("empty", "hold no example"),
    ("gls", "--gls: the gate-level flow is not in this build"),
    ("bad_out", "does not exist"),
])
def test_errors_are_one_line(sparrow, table, inputs, tmp_path: Path, case: str,
                             msg: str) -> None:
    xp = inputs[0]
    args = ["energy", "--model", ECG, "--inputs", xp, "--table", table]
    if case == "no_table":
        args[-1] = tmp_path / "missing.json"
    elif case == "bad_shape":
        np.save(tmp_path / "b.npy", np.zeros((2, 1, 10), np.uint8))
        args[4] = tmp_path / "b.npy"
    elif case == "empty":
        np.save(tmp_path / "e.npy", np.zeros((0, 1, 187), np.uint8))
        args[4] = tmp_path / "e.npy"
    elif case == "gls":
        try:
            from silicon import gls
            if hasattr(gls, "energy_cli"):
                pytest.skip("the gate-level flow provides the --gls hook")
        except ImportError:
            pass
        args.append("--gls")
    elif case == "bad_out":
        args += ["--out", tmp_path / "nodir" / "r.json"]
    code, so, err = sparrow(*args)
    assert code == 1 and err.count("\n") == 1 and msg in err, err
    assert not list(tmp_path.glob("**/r.json"))


def test_missing_default_table_names_the_targets(sparrow, inputs, monkeypatch) -> None:
    import silicon.energyfit as ef

    monkeypatch.setattr(ef, "TABLE", Path("/nonexistent/event_energies.json"))
    code, _, err = sparrow("energy", "--model", ECG, "--inputs", inputs[0])
    assert code == 1 and "'make gls' then 'make energy-fit'" in err and err.count("\n") == 1


@pytest.mark.skipif(not (REPO / "silicon/event_energies.json").is_file(),
                    reason="silicon/event_energies.json not fitted yet (make gls; make energy-fit)")
def test_committed_table_on_the_committed_ecg_bundle(sparrow, inputs) -> None:
    """Done-when of the brief: the default table on models/ecg/model.json."""
    code, so, err = sparrow("energy", "--model", ECG, "--inputs", inputs[0])
    assert code == 0, err
    assert so.count("  input ") == 5 and " nJ at 22 nm" in so
