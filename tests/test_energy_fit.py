"""silicon.energyfit: the NNLS fit recovers known per-event energies from a synthetic gate-level
campaign, the held-out 5 % check passes for them and fails for a wrong table, malformed
campaigns are one-line errors, and the committed table is well formed and passed its check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.randbundle import random_bundle, random_inputs
from silicon.energyfit import (COMPONENTS, TABLE, TERMS, TERMS_EVENTS, EnergyModelError,
                               build_table, fit, folds, load_runs, load_table,
                               synthetic_campaign, validate)

REPO = Path(__file__).resolve().parents[1]

KNOWN = {  # pJ per event / per bit toggle, of the order of the fitted 0.18 um table
    "mac_array": {"cycle": 0.5, "load_cycle": 0.5, "mac": 0.5, "fire": 150, "pp_bit": 0.6,
                  "add_bit": 2.5, "carry_bit": 0.5},
    "ssf_fire": {"cycle": 1.1, "load_cycle": 1.2, "fire": 362, "acc_bit": 1.5, "div_bit": 0.9,
                 "y_bit": 1.2, "theta_bit": 6.0},
    "ctrl": {"cycle": 9.9, "load_cycle": 1.1, "wread": 0.5, "tap": 0.5, "fire": 79,
             "output": 19, "x_bit": 2.8},
    "apb_regs": {"cycle": 1.6, "load_cycle": 0.5, "logit": 14, "out_bit": 0.7},
    "stream_in": {"cycle": 0.5, "load_cycle": 1.9},
    "argmax": {"cycle": 0.5, "load_cycle": 0.5, "logit": 13, "out_bit": 0.6},
    "top": {"cycle": 0.5, "load_cycle": 1.1, "wread": 0.5, "tap": 3.4, "fire": 3.1,
            "output": 19, "x_bit": 0.5, "y_bit": 1.1, "out_bit": 0.4},
    "clock_pins": {"cycle": 20, "load_cycle": 21, "mac": 6.8, "wread": 12, "tap": 0.5,
                   "fire": 91, "output": 6.9},
    "clock_icg": {"cycle": 7.2, "load_cycle": 23, "mac": 0.5, "wread": 0.5, "tap": 15,
                  "fire": 61, "output": 15},
    "clock_tree": {"cycle": 25, "load_cycle": 25, "mac": 4.1, "wread": 6.4, "tap": 0.5,
                   "fire": 53, "output": 2.6},
    "leakage": {"all_cycle": 2.0}, "mem_weight": {"wread": 62},
    "mem_act": {"act_read": 17, "act_write": 22}, "mem_bias": {"bias_read": 54},
    "mem_theta": {"theta_read": 29}}


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """Both committed bundles on 8 random inputs each, and 16 random bundles on 4 inputs."""
    tmp = tmp_path_factory.mktemp("campaign")
    rng = np.random.default_rng(2026)
    out = []
    for fam in ("ecg", "eeg"):
        model = REPO / "models" / fam / "model.json"
        b = load_bundle(model)
        np.save(tmp / f"{fam}.npy", random_inputs(rng, b.in_shape, 8))
        out.append((str(model), str(tmp / f"{fam}.npy")))
    for s in range(16):
        bd = random_bundle(rng, max_layers=4)
        b = load_bundle(bd)
        (tmp / f"r{s}.json").write_text(json.dumps(bd))
        np.save(tmp / f"r{s}.npy", random_inputs(rng, b.in_shape, 4))
        out.append((str(tmp / f"r{s}.json"), str(tmp / f"r{s}.npy")))
    return out


def test_fit_recovers_known_energies(cases, tmp_path: Path) -> None:
    runs = load_runs(synthetic_campaign(KNOWN, cases, tmp_path / "gls.json"))
    got = fit(runs)
    for comp, terms in KNOWN.items():
        for f, e in terms.items():
            assert got[comp][f] == pytest.approx(e, rel=1e-6), (comp, f)
    v = validate(runs)
    assert v["ok"] and v["max_rel_err"] < 1e-9
    assert len(folds(runs)) == 2 + 5          # each committed bundle alone + 5 random folds
    assert set(got) == set(TERMS) == set(COMPONENTS)


def test_noisy_campaign_stays_within_tolerance(cases, tmp_path: Path) -> None:
    """0.3 % per-component noise: held-out estimates within 5 % of every row."""
    runs = load_runs(synthetic_campaign(KNOWN, cases, tmp_path / "gls.json", noise=0.003,
                                        seed=5))
    v = validate(runs)
    assert v["ok"], v["max_rel_err"]


@pytest.mark.parametrize("comp,feat,factor", [("mem_weight", "wread", 1.6),
                                              ("clock_pins", "cycle", 0.0),
                                              ("mac_array", "add_bit", 1.3),
                                              ("ssf_fire", "div_bit", 0.6),
                                              ("leakage", "all_cycle", 10.0)])
def test_wrong_table_fails_the_check(cases, tmp_path: Path, comp: str, feat: str,
                                     factor: float) -> None:
    runs = load_runs(synthetic_campaign(KNOWN, cases, tmp_path / "gls.json"))
    assert validate(runs, table=KNOWN)["ok"]
    wrong = json.loads(json.dumps(KNOWN))
    wrong[comp][feat] *= factor
    v = validate(runs, table=wrong)
    assert not v["ok"] and v["max_rel_err"] > 0.05


def test_build_table_document(cases, tmp_path: Path) -> None:
    doc = build_table(synthetic_campaign(KNOWN, cases, tmp_path / "gls.json"), "pytest")
    path = tmp_path / "table.json"
    path.write_text(json.dumps(doc))
    back = load_table(path)
    assert back["energies_pj"]["mem_weight"]["wread"] == pytest.approx(
        KNOWN["mem_weight"]["wread"])
    assert back["leakage_uw"] == pytest.approx(KNOWN["leakage"]["all_cycle"] * 4.0)
    assert set(back["energies_pj_events"]) == set(TERMS_EVENTS)
    assert back["validation"]["ok"] and back["provenance"]["command"] == "pytest"


def _campaign(tmp: Path, doc: object) -> Path:
    p = tmp / "bad.json"
    p.write_text(json.dumps(doc))
    return p


@pytest.mark.parametrize("doc,msg", [
    ({"runs": []}, "no 'runs' list"),
    ({"runs": [{"bundle": "models/ecg/model.json"}]}, "missing 'inputs'"),
    ({"runs": [{"bundle": "models/ecg/model.json", "inputs": "x.npy", "index": 0,
                "energy_pj": {"logic": 1}, "total_pj": 1}]}, "energy_pj lacks"),
    ({"runs": [{"bundle": "nope.json", "inputs": "nope.npy", "index": 0,
                "energy_pj": {c: 1 for c in TERMS}, "total_pj": 15}]}, "cannot load"),
])
def test_bad_campaign_is_one_line_error(tmp_path: Path, doc: object, msg: str) -> None:
    with pytest.raises(EnergyModelError, match=msg) as ei:
        load_runs(_campaign(tmp_path, doc))
    assert "\n" not in str(ei.value)


def test_bad_table_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"format": "sparrow-event-energies",
                             "energies_pj": {"logic": {"cycle": -1.0}}}))
    with pytest.raises(EnergyModelError, match="bad entry logic.cycle"):
        load_table(p)
    p.write_text("{}")
    with pytest.raises(EnergyModelError, match="not a sparrow-event-energies table"):
        load_table(p)


@pytest.mark.skipif(not TABLE.is_file(),
                    reason="silicon/event_energies.json not fitted yet (make gls; make energy-fit)")
def test_committed_table_passed_its_validation() -> None:
    """The committed table is well formed and its recorded held-out check passed (within 5 %
    on every row of every bundle of its campaign)."""
    doc = load_table(TABLE)
    v = doc["validation"]
    assert v["ok"] and v["tol"] == 0.05 and v["max_rel_err"] <= 0.05
    assert set(doc["energies_pj"]) == set(TERMS)
    assert doc["provenance"]["rows"] == v["rows"] > 0


def test_fit_command_writes_only_a_validated_table(cases, tmp_path: Path) -> None:
    """python -m silicon.energyfit: a consistent campaign gives a table; a campaign whose rows
    no per-event table can explain within 5 % (one bundle's energy doubled) exits 1 and writes
    nothing."""
    from silicon.energyfit import main

    camp = synthetic_campaign(KNOWN, cases, tmp_path / "gls.json")
    out = tmp_path / "table.json"
    assert main(["--campaign", str(camp), "--out", str(out)]) == 0
    assert load_table(out)["validation"]["ok"]
    doc = json.loads(camp.read_text())
    for r in doc["runs"]:
        if r["bundle"].endswith("ecg/model.json"):
            r["energy_pj"] = {c: 2 * e for c, e in r["energy_pj"].items()}
            r["total_pj"] *= 2
    camp.write_text(json.dumps(doc))
    out2 = tmp_path / "table2.json"
    assert main(["--campaign", str(camp), "--out", str(out2)]) == 1
    assert not out2.exists()


def test_campaign_cycles_must_match_the_schedule(cases, tmp_path: Path) -> None:
    camp = synthetic_campaign(KNOWN, cases[:1], tmp_path / "gls.json")
    doc = json.loads(camp.read_text())
    r = doc["runs"][0]
    r["compute_cycles"], r["cycles"] = r["cycles"], r["cycles"] + 187 + 2   # stream + handshake
    camp.write_text(json.dumps(doc))
    load_runs(camp)
    for key, val, msg in (("compute_cycles", r["compute_cycles"] + 1, "compute_cycles"),
                          ("cycles", r["compute_cycles"] - 1, "cycles"),
                          ("cycles", r["compute_cycles"] + 193 + 9, "cycles")):
        bad = json.loads(json.dumps(doc))
        bad["runs"][0][key] = val
        camp.write_text(json.dumps(bad))
        with pytest.raises(EnergyModelError, match=f"run 0: .* {msg} .* disagree"):
            load_runs(camp)


def test_toggle_table_on_counts_only_is_one_line_error() -> None:
    """Counts without bit toggles (e.g. an IF schedule) cannot be priced by the main table."""
    from silicon.energyfit import features_of, predict

    feats = features_of({k: np.ones(2) for k in ("cycles", "load_cycles", "macs", "wreads",
                                                   "act_reads", "fires", "outputs")})
    assert "add_bit" not in feats and "cycle" in feats
    with pytest.raises(EnergyModelError, match="needs add_bit, carry_bit, pp_bit") as ei:
        predict({"mac_array": KNOWN["mac_array"]}, feats)
    assert "\n" not in str(ei.value)


def test_rows_follow_their_predecessor_unless_after_reset(cases, tmp_path: Path) -> None:
    """A row's toggles include the transitions from the previous row's final state; marking it
    ``after_reset`` starts it from the reset state instead (only that row changes)."""
    camp = synthetic_campaign(KNOWN, cases[:3], tmp_path / "gls.json")
    base = load_runs(camp).features
    doc = json.loads(camp.read_text())
    doc["runs"][9]["after_reset"] = True
    camp.write_text(json.dumps(doc))
    reset = load_runs(camp).features
    changed = np.flatnonzero(base["sum_bit"] != reset["sum_bit"])
    assert changed.tolist() == [9]
    assert np.array_equal(base["mac"], reset["mac"])


def test_check_applies_a_table_without_refitting(cases, tmp_path: Path, capsys) -> None:
    """--check TABLE: the table fitted on a campaign passes on it; the same table on a campaign
    whose ECG energies are 10 % higher fails (no refit could hide it), and so does a table with
    one energy off."""
    from silicon.energyfit import main

    camp = synthetic_campaign(KNOWN, cases, tmp_path / "gls.json")
    out = tmp_path / "table.json"
    assert main(["--campaign", str(camp), "--out", str(out)]) == 0
    assert main(["--campaign", str(camp), "--check", str(out)]) == 0
    assert "error max" in capsys.readouterr().out
    doc = json.loads(camp.read_text())
    for r in doc["runs"]:
        if r["bundle"].endswith("ecg/model.json"):
            r["energy_pj"] = {c: 1.1 * e for c, e in r["energy_pj"].items()}
            r["total_pj"] *= 1.1
    hot = tmp_path / "hot.json"
    hot.write_text(json.dumps(doc))
    assert main(["--campaign", str(hot), "--check", str(out)]) == 1
    assert "ecg/model.json" in capsys.readouterr().out
    table = json.loads(out.read_text())
    comp = next(c for c, t in table["energies_pj"].items() if t)
    feat = max(table["energies_pj"][comp], key=table["energies_pj"][comp].get)
    table["energies_pj"][comp][feat] *= 3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(table))
    assert main(["--campaign", str(camp), "--check", str(bad)]) == 1
