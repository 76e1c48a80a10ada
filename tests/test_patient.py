"""Patient-specific bundles and their RTL job (tb/patient.py, training/patient.py).

Plan-side checks run without a simulator; `test_patient_rtl_short` runs two patients (4 beats
each) on Verilator: base loaded once, tuned layers rewritten over APB, every trace event compared
with the golden model, and the same run with the first rewrite skipped must fail.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.hwimage import ADDR_BIAS, ADDR_THETA, ADDR_WMEM, build_image
from tb.patient import PatientError, apply_writes, tuned_layers, tuned_writes
from training.paths import REPO_ROOT

PATIENT_DIR = REPO_ROOT / "models" / "ecg" / "patient"
BASE = PATIENT_DIR / "base.json"


def _base_raw() -> dict:
    path = BASE if BASE.is_file() else REPO_ROOT / "models" / "ecg" / "model-inter.json"
    return json.loads(path.read_text())


def _tweak(raw: dict, seed: int, layers: tuple[int, ...] = (-1,)) -> dict:
    """A patient-like bundle: the given layers' weights and biases changed."""
    rng = np.random.default_rng(seed)
    out = copy.deepcopy(raw)
    for li in layers:
        L = out["layers"][li]
        w = np.asarray(L["weights"])
        L["weights"] = np.clip(w + rng.integers(-3, 4, w.shape), -128, 127).tolist()
        L["bias"] = (np.asarray(L["bias"]) + rng.integers(-50, 51, len(L["bias"]))).tolist()
    out["name"] = f"patient-{seed}"
    return out


def test_tuned_writes_rebuild_the_patient_image_from_the_base() -> None:
    raw = _base_raw()
    base = load_bundle(raw)
    pat = load_bundle(_tweak(raw, 1, (-2, -1)))
    writes, layers = tuned_writes(base, pat)
    n = len(raw["layers"])
    assert layers == [n - 2, n - 1]
    assert apply_writes(build_image(base), writes) == dict(build_image(pat).apb_writes())
    L = pat.layers[-2]
    lo_w = ADDR_WMEM + 8 * L.w_base
    for a, _ in writes:       # only weight words, biases and thetas of the two tuned layers
        assert a >= lo_w or ADDR_BIAS + 32 * L.b_base <= a < ADDR_THETA \
            or a >= ADDR_THETA + 32 * L.b_base
    words = sum(2 * pat.layers[i].n_words + 16 * pat.layers[i].groups for i in layers)
    assert len(writes) == words


def test_tuned_writes_refuse_a_layer_that_may_not_change() -> None:
    raw = _base_raw()
    base = load_bundle(raw)
    pat = load_bundle(_tweak(raw, 2, (0, -1)))
    assert tuned_layers(base, pat) == [0, len(raw["layers"]) - 1]
    with pytest.raises(PatientError, match="layer 0 differs from the base"):
        tuned_writes(base, pat, allowed=[len(raw["layers"]) - 1])


def test_tuned_writes_refuse_a_different_geometry() -> None:
    raw = _base_raw()
    other = copy.deepcopy(raw)
    other["layers"][1]["activation"]["T"] = 3
    with pytest.raises(PatientError, match="layer 1 T 3 differs"):
        tuned_layers(load_bundle(raw), load_bundle(other))


def test_committed_patient_bundles_share_the_base_layers() -> None:
    if not BASE.is_file():
        pytest.skip("models/ecg/patient not built yet (python -m training.patient build)")
    from training.ecg import DS2

    raw = json.loads(BASE.read_text())
    base = load_bundle(raw)
    allowed = raw["patient_tunable_layers"]
    for rec in DS2:
        praw = json.loads((PATIENT_DIR / f"{rec}.json").read_text())
        _, layers = tuned_writes(base, load_bundle(praw), allowed)
        assert set(layers) <= set(allowed)
        assert praw["patient"]["record"] == rec


def _fake_patients(tmp_path: Path) -> Path:
    d = tmp_path / "patient"
    d.mkdir()
    raw = _base_raw()
    n = len(raw["layers"])
    raw["patient_tunable_layers"] = [n - 1]
    (d / "base.json").write_text(json.dumps(raw))
    for k, rec in enumerate((100, 233)):
        (d / f"{rec}.json").write_text(json.dumps(_tweak(raw, 10 + k)))
    return d


@pytest.mark.parametrize("fault", [None, "stale"])
def test_patient_rtl_short(tmp_path: Path, fault: str | None) -> None:
    """Two patients, 4 test beats each, on Verilator; the stale-rewrite fault must be caught."""
    if shutil.which("verilator") is None and not (REPO_ROOT / ".venv" / "bin" /
                                                   "verilator").exists():
        pytest.skip("verilator not installed")
    import tb.patient as tp
    from training import DataError

    pdir = _fake_patients(tmp_path)
    orig = tp.make_job

    def job(records, n, out_dir, fault_):   # noqa: ANN001 - same signature as make_job
        return orig(records, n, out_dir, fault_, patient_dir=pdir)
    tp.make_job = job
    try:
        s = tp.run("verilator", [100, 233], 4, fault, out_dir=tmp_path / "out",
                   name=f"patient-test-{fault or 'ok'}")
    except DataError as exc:
        if "not found" not in str(exc) and "SPARROW_DATA" not in str(exc):
            raise
        pytest.skip(f"data not available: {exc}")
    finally:
        tp.make_job = orig
    assert s["patients"] == 2 and s["inputs"] == 8, s
    if fault is None:
        assert s["ok"] and s["failing_inputs"] == 0, s
        assert all(c["tuned_layers"] == [len(_base_raw()["layers"]) - 1] for c in s["cases"])
    else:
        assert not s["ok"] and s["failing_inputs"] > 0, s
        assert s["cases"][0]["failing"] > 0 and s["cases"][1]["failing"] == 0
        rep = json.loads(Path(s["reports"][0]).read_text())
        assert rep["first_divergence"]["layer"] == len(_base_raw()["layers"]) - 1


def test_tune_changes_only_the_tuned_layers_and_learns() -> None:
    """training.patient.tune on a toy task: legal bundle, shared layers untouched, and the
    tuned readout fits labels the base gets wrong."""
    if not BASE.is_file():
        pytest.skip("models/ecg/patient not built yet")
    from golden.model import infer
    from training.patient import TuneConfig, tune

    import torch
    torch.set_num_threads(1)
    raw = json.loads(BASE.read_text())
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, *[raw["input"]["channels"], raw["input"]["length"]]),
                     dtype=np.uint8)
    base_cls = infer(load_bundle(raw), x, keep_outputs=False).classes
    y = (base_cls + 1) % 3                          # labels the base never predicts
    out = tune(raw, x, y, TuneConfig(first_tuned=-2, epochs=100, lr=2e-2))
    n = len(raw["layers"])
    assert out["patient"]["tuned_layers"] == [n - 2, n - 1]
    assert out["layers"][:n - 2] == raw["layers"][:n - 2]
    pred = infer(load_bundle(out), x, keep_outputs=False).classes
    assert np.mean(pred == y) > 0.6 > np.mean(base_cls == y)


def test_common_set_counts() -> None:
    from training.patient import COMMON_COUNTS, common_set

    labels = np.repeat(np.arange(5), [500, 100, 100, 13, 3])
    idx = common_set(np.zeros((len(labels), 1)), labels, list("NSVFQ"))
    got = np.bincount(labels[idx], minlength=5).tolist()
    assert got == [COMMON_COUNTS[c] if c != "Q" else 3 for c in "NSVFQ"]
    assert len(set(idx.tolist())) == len(idx)


def test_selection_common_set_leaves_out_the_validation_records() -> None:
    """The selection protocol's common set holds no beat of a validation record (a patient's
    own later beats would tune it on its test part), and without exclusions it is the plain
    common set of the whole DS1 part (the DS2 bundles' common set)."""
    from types import SimpleNamespace

    from training.patient import common_set, ds1_common

    rng = np.random.default_rng(3)
    source = np.repeat(np.array([101, 118, 201, 203, 223]), 120)
    labels = rng.integers(0, 5, len(source))
    inputs = np.arange(len(source))[:, None]          # the input names its own index
    ds = SimpleNamespace(meta={"source": source.astype(str)}, inputs=inputs, labels=labels,
                         classes=list("NSVFQ"))
    x, y = ds1_common(ds, exclude=(118, 201))
    picked = x[:, 0]
    assert len(picked) and not np.isin(source[picked], [118, 201]).any()
    assert np.array_equal(labels[picked], y)
    x_all, _ = ds1_common(ds)
    assert np.array_equal(x_all[:, 0], common_set(inputs, labels, ds.classes))
    assert np.isin(source[x_all[:, 0]], [118, 201]).any()      # the exclusion did something
