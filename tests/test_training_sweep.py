"""Sweep rule, memory accounting and the results page renderer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training import sweep
from training.card import memory_footprint


def test_choose_smallest_T_within_tolerance() -> None:
    pts = [{"T": 1, "val_accuracy": 0.970}, {"T": 3, "val_accuracy": 0.9895},
           {"T": 7, "val_accuracy": 0.9900}, {"T": 15, "val_accuracy": 0.9904}]
    assert sweep.choose(pts, "T") == 3                  # 0.9895 >= 0.9904 - 0.001
    pts[1]["val_accuracy"] = 0.9890
    assert sweep.choose(pts, "T") == 7


def test_sweep_arch_shapes() -> None:
    from training.qnn import QNet

    a = sweep.arch(63, 3, 12, 24, 32)
    assert a[0]["T"] == 63 and all(layer["T"] == 3 for layer in a[1:5]) and "T" not in a[5]
    net = QNet(1, 187, a)
    assert net.n_weights() == 12 * 7 + 24 * 12 * 5 + 2 * 24 * 24 * 5 + 24 * 12 * 32 + 32 * 5


def test_memory_footprint_matches_golden_hw_image(make_bundle) -> None:
    from golden.hwimage import build_image

    for _ in range(5):
        b = make_bundle()
        img = build_image(b)
        m = memory_footprint(b)
        assert m["wmem_words"] == len(img.wmem)
        assert m["bias_theta_groups"] == len(img.bias) == len(img.theta)
        assert m["weights"] == sum(np.asarray(layer["weights"]).size for layer in b["layers"])


def test_results_page_renders_metrics(tmp_path: Path) -> None:
    from training.results import render

    metrics = {"config": "eeg-inter", "bundle": "models/eeg/model.json", "name": "x",
               "classes": ["a", "b"], "dataset": "eeg", "split": "inter", "seed": 1,
               "data_seed": 2, "input": [1, 8], "layers": [
                   {"shape": "dense 8->2", "weights": 16, "activation": "none (logits)"}],
               "memory": {"weights": 16, "weight_bytes_int8": 16, "wmem_words": 8,
                          "wmem_bytes": 64, "bias_theta_groups": 1, "bias_theta_bytes": 48,
                          "hw_image_bytes": 112},
               "bundle_bytes": 321, "cycles": 17, "train_examples": 9, "val_examples": 1,
               "val": {"metric": "accuracy", "float_best": 0.5, "folded_before_qat": 0.5,
                       "qat_best": 0.5},
               "train_seconds": 1.5, "threads": 2,
               "test": {"n": 4, "accuracy": 0.975, "macro_f1": 0.5,
                        "confusion": [[2, 0], [1, 1]], "classes": ["a", "b"],
                        "per_class": {"a": {"support": 2, "se": 1.0, "ppv": 2 / 3, "f1": 0.8},
                                      "b": {"support": 2, "se": 0.5, "ppv": 1.0,
                                            "f1": 2 / 3}}},
               "command": "sparrow train eeg-inter", "date": "2026-01-01"}
    (tmp_path / "models" / "eeg").mkdir(parents=True)
    (tmp_path / "models" / "eeg" / "model.metrics.json").write_text(json.dumps(metrics))
    text = render(tmp_path)
    assert "| `models/eeg/model.json` | eeg `inter` | 4 | **97.50** | 50.00 | 16 | 112 | 321 |" \
        in text
    assert "EEG Bonn E vs A-D accuracy >= 98% (inter protocol): **97.50%** — NOT met" in text
    assert "| **b** | 1 | 1 |" in text and "sparrow train eeg-inter" in text


def test_seed_spread_table() -> None:
    """The results page's seed table: per-seed cross-validated macro F1, mean, largest spread;
    a recipe with a single seed run gets no row."""
    from training.ecg_tables import seed_spread

    sel = {"rhythm2-sqrt-warp-wd@cv4": {"macro_f1_nsvf": 0.573},
           "rhythm2-sqrt-warp-wd-seed2@cv4": {"macro_f1_nsvf": 0.500},
           "rhythm2-sqrt-warp-wd-seed3@cv4": {"macro_f1_nsvf": 0.495},
           "rhythm-sqrt-warp-wd@cv4": {"macro_f1_nsvf": 0.515},
           "rhythm2-sqrt-warp-wd-all@cv4": {"macro_f1_nsvf": 0.517},
           "rhythm2-sqrt-warp-wd-all-seed3@cv4": {"macro_f1_nsvf": 0.473}}
    table, spread = seed_spread(sel)
    assert spread == pytest.approx(7.8)
    assert table[2] == "| rhythm2-sqrt-warp-wd | 57.3 | 50.0 | 49.5 | 52.3 |"
    assert table[3] == "| rhythm2-sqrt-warp-wd-all | 51.7 | – | 47.3 | 49.5 |"
    assert len(table) == 4                       # rhythm-sqrt-warp-wd: one seed, no row
    assert seed_spread({"rhythm-sqrt-warp-wd@cv4": {"macro_f1_nsvf": 0.5}}) == ([], 0.0)


def test_results_page_is_current(tmp_path: Path) -> None:
    """docs/results.md is what `python -m training.results` renders from the committed model
    files (regenerate it after changing them); and the page does follow those files."""
    import shutil

    from training.paths import REPO_ROOT
    from training.results import render

    page = (REPO_ROOT / "docs" / "results.md").read_text()
    assert render() == page, "docs/results.md is stale: run python -m training.results"
    shutil.copytree(REPO_ROOT / "models", tmp_path / "models")
    sel = tmp_path / "models" / "ecg" / "select.json"
    data = json.loads(sel.read_text())
    data["rhythm2-sqrt-warp-wd-seed3@cv4"]["macro_f1_nsvf"] = 0.9
    sel.write_text(json.dumps(data))
    changed = render(tmp_path)
    assert changed != page and "| rhythm2-sqrt-warp-wd | 57.3 | 50.0 | 90.0 |" in changed


@pytest.mark.parametrize("kind", ["ecg", "eeg"])
def test_model_card_is_current(kind: str) -> None:
    """models/<kind>/MODEL_CARD.md is what training.card renders from the committed files."""
    from training.card import render_card
    from training.paths import REPO_ROOT

    d = REPO_ROOT / "models" / kind
    assert render_card(d, kind) == (d / "MODEL_CARD.md").read_text(), \
        f"models/{kind}/MODEL_CARD.md is stale: rerun its writer (training.card.write_card)"


def test_results_page_quotes_the_rtl_run_only_for_its_bundles(tmp_path: Path) -> None:
    """The patient RTL figures are quoted only when rtl-summary.json was made from the committed
    patient bundles (their SHA-256); a changed bundle turns the sentence into "not yet run"."""
    import shutil

    from training.ecg_tables import patient_bundles_sha256, patient_section

    from training.paths import REPO_ROOT

    shutil.copytree(REPO_ROOT / "models", tmp_path / "models")
    d = tmp_path / "models" / "ecg" / "patient"
    summary = {"command": "make regress-patient", "sim": "verilator", "patients": 22,
               "inputs": 100, "failing_inputs": 0, "correct_rtl": 95,
               "beats_per_patient": "all", "base_writes": 1, "writes_per_patient": 2,
               "seconds": 1.0, "bundles_sha256": patient_bundles_sha256(d)}
    (d / "rtl-summary.json").write_text(json.dumps(summary))
    text = "\n".join(patient_section(tmp_path))
    assert "**0 mismatches**" in text and "not yet run" not in text
    b = json.loads((d / "100.json").read_text())
    b["layers"][-1]["bias"][0] += 1
    (d / "100.json").write_text(json.dumps(b))
    text = "\n".join(patient_section(tmp_path))
    assert "not yet run on these bundles" in text and "mismatches**" not in text


def test_shortfall_names_only_the_missed_targets() -> None:
    """The results page's shortfall sentence follows the DS2 report: a report that meets the
    S Se, V +P and macro F1 targets has none; one that misses S Se names it with its counts."""
    import numpy as np

    from training.ecg_tables import shortfall
    from training.metrics import classification_report

    y = np.repeat(np.arange(5), [100, 20, 20, 10, 1])
    good = classification_report(y, y.copy(), 5, ["N", "S", "V", "F", "Q"])
    assert "Still short" not in shortfall(good, {}, [])[0]
    p = y.copy()
    p[100:112] = 0                                     # 12 of 20 S beats called N: Se 40 %
    bad = classification_report(y, p, 5, ["N", "S", "V", "F", "Q"])
    text = shortfall(bad, {}, [])[0]
    assert "Still short of the targets: S sensitivity 40.0% (12 of 20 S beats called N" in text
    assert "V +P" not in text


def test_shortfall_names_s_ppv_the_low_f1_classes_and_what_did_not_carry_over() -> None:
    """A report with too many N beats called S names S +P; macro F1 names the classes holding
    it down (F1 < 50 %), not a fixed one; the DS1-to-DS2 sentence on S appears only when the
    committed candidate's cross-validation found clearly more S beats than DS2 did."""
    import numpy as np

    from training.ecg_tables import shortfall
    from training.metrics import classification_report

    classes = ["N", "S", "V", "F", "Q"]
    y = np.repeat(np.arange(5), [100, 20, 20, 10, 1])
    p = y.copy()
    p[:30] = 1                                         # 30 N beats called S: S +P 40 %
    p[140:150] = 0                                     # every F beat called N: F F1 0
    rep = classification_report(y, p, 5, classes)
    log = [{"candidate": "x"}]
    cv = {"x@cv4": {"per_class": {"S": {"se": 0.95}}}}
    text = shortfall(rep, cv, log)[0]
    assert "S +P 40.0% (30 N beats called S)" in text
    assert "held down by F (F1 0.0%, 10 of its 10 DS2 beats called N)" in text
    assert "S sensitivity" not in text and "held down by S" not in text
    assert "S detection is what carries over worst" not in text       # 95 % vs 100 %
    p[100:110] = 0                                     # half the S beats missed: Se 50 %
    rep = classification_report(y, p, 5, classes)
    text = shortfall(rep, cv, log)[0]
    assert "`x` found 95.0% of the S beats of DS1's cross-validation" in text
    assert "and 50.0% of DS2's" in text
    assert "carries over worst" not in shortfall(rep, {}, log)[0]


def test_per_record_file_is_the_committed_bundle_on_ds2() -> None:
    """models/ecg/model-inter.records.json is what the golden model gives the committed inter
    bundle on each DS2 record (recomputed here), and its records add up to the metrics file."""
    from training import DataError, ecg
    from training.ecg_tables import RECORDS_FILE, per_record
    from training.paths import REPO_ROOT

    try:
        got = per_record(REPO_ROOT)
    except DataError as exc:
        pytest.skip(f"data not available: {exc}")
    assert got == json.loads((REPO_ROOT / RECORDS_FILE).read_text())
    assert sorted(map(int, got["records"])) == sorted(ecg.DS2)


def test_per_record_table_refuses_stale_or_inconsistent_files(tmp_path: Path) -> None:
    """The results page's per-record table appears only for the bundle it was computed from
    (a changed bundle turns it into "not yet computed"), and records that do not add up to the
    DS2 confusion of the metrics file are an error, not a table."""
    import shutil

    from training.ecg_tables import RECORDS_FILE, record_section
    from training.paths import REPO_ROOT

    shutil.copytree(REPO_ROOT / "models", tmp_path / "models")
    metrics = json.loads((tmp_path / "models/ecg/model-inter.metrics.json").read_text())
    text = "\n".join(record_section(tmp_path, metrics))
    assert "| 232 |" in text and "Not yet computed" not in text
    rec = json.loads((tmp_path / RECORDS_FILE).read_text())
    rec["records"]["232"][1][0] += 1                  # one more S beat called N in 232
    (tmp_path / RECORDS_FILE).write_text(json.dumps(rec))
    with pytest.raises(ValueError, match="do not add up"):
        record_section(tmp_path, metrics)
    bundle = tmp_path / "models/ecg/model-inter.json"
    bundle.write_text(bundle.read_text().replace('"name":', '"name":"x","old_name":', 1))
    text = "\n".join(record_section(tmp_path, metrics))
    assert "Not yet computed for this bundle" in text and "| 232 |" not in text


def test_per_record_figure(tmp_path: Path) -> None:
    """The per-record figure draws the records that have S or V beats or false positives of
    them, and refuses a file in which a class never occurs (an empty panel says nothing)."""
    from training.ecg_tables import plot_records

    z = [[0] * 5 for _ in range(5)]
    a = [row[:] for row in z]
    a[0][0], a[1][1], a[1][0], a[0][2] = 50, 3, 2, 4      # S found/missed, N called V
    b = [row[:] for row in z]
    b[0][0] = 40                                          # only N: drawn nowhere
    c = [row[:] for row in z]
    c[2][2] = 7
    d = {"classes": ["N", "S", "V", "F", "Q"], "bundle": "x.json",
         "records": {"100": a, "101": b, "102": c}}
    out = tmp_path / "r.png"
    assert plot_records(d, out) == ["100", "102"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    d["records"] = {"101": b, "102": c}
    with pytest.raises(ValueError, match="no DS2 record has S beats"):
        plot_records(d, tmp_path / "none.png")


def test_unseen_s_sentence_counts_records_whose_tune_part_has_no_s() -> None:
    """The patient section names the records whose first 5 minutes hold no S beat but whose
    test part does, with their share of the missed S beats and S Se over the others; nothing
    when every such record showed S while tuning, or for metrics without tune_counts."""
    from training.ecg_tables import unseen_s

    cls = ["N", "S", "V", "F", "Q"]

    def rec(tune_s: int, s_total: int, s_found: int) -> dict:
        c = [[0] * 5 for _ in range(5)]
        c[0][0] = 100
        c[1][1], c[1][0] = s_found, s_total - s_found
        return {"confusion": c, "tune_counts": [50, tune_s, 0, 0, 0]}

    records = {"100": rec(3, 40, 36), "101": rec(0, 10, 1), "102": rec(0, 0, 0)}
    text = unseen_s(records, cls)[1]
    assert text.startswith("Record 101 shows no S beat in its first 5 minutes but has 10 in "
                           "its test part")
    assert "it holds 9 of the 13 missed S beats" in text
    assert "S Se is 90.0% (36 of 40)" in text
    records["101"]["tune_counts"][1] = 2
    assert unseen_s(records, cls) == []
    del records["100"]["tune_counts"]
    assert unseen_s(records, cls) == []
