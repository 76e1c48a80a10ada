"""Bit-exactness: exported bundles run by the golden model equal PyTorch's deployed mode.

The committed default bundles are checked on the WHOLE test part of their protocol (datasets
come from the .cache/ built by `make data`/`sparrow dataset`, or are built on the fly in a few
seconds); a short training run checks the path trained network -> export -> golden as well.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from training.paths import REPO_ROOT

DEFAULT_BUNDLES = {"models/ecg/model.json": ("ecg", "intra"),
                   "models/ecg/model-inter.json": ("ecg", "inter"),
                   "models/eeg/model.json": ("eeg", "inter")}


def _test_part(name: str, split: str, seed: int | None, bundle_input: dict | None = None,
               record: int | None = None):
    """The test part in the bundle's own input format (rhythm channel included); skipped only
    when the data set is absent, an error when it is corrupt."""
    from training.datasets import build
    from training.fetch import present
    from training.rhythm import for_bundle

    folder = {"ecg": "mitdb", "eeg": "bonn"}[name]
    if not present(folder):
        pytest.skip(f"data not available: no {folder}/SHA256SUMS under the data root")
    if bundle_input is not None and name == "ecg":
        return for_bundle(bundle_input, split, "test", record)
    return build(name, split, "test", seed=seed)


@pytest.mark.parametrize("rel", sorted(DEFAULT_BUNDLES))
def test_committed_bundle_is_bit_exact_on_whole_test_part(rel: str) -> None:
    from golden.bundle import load_bundle
    from golden.model import infer
    from training.qnn import QNet

    path = REPO_ROOT / rel
    if not path.is_file():
        pytest.skip(f"{rel} not trained yet (make train)")
    raw = json.loads(path.read_text())
    name, split = DEFAULT_BUNDLES[rel]
    info = raw["training"]
    assert (info["dataset"], info["split"]) == (name, split)
    test = _test_part(name, split, info["data_seed"], raw["input"])
    assert raw["classes"] == test.classes
    assert raw["input"]["preprocess"] == test.preprocess
    bundle = load_bundle(path)
    gold = infer(bundle, test.inputs, keep_outputs=False)
    t_cls, t_logits = QNet.from_bundle(raw).deployed(test.inputs)
    mismatch = np.flatnonzero((gold.logits != t_logits).any(axis=1))
    assert mismatch.size == 0, (f"{rel}: golden != PyTorch deployed on {mismatch.size} of "
                                f"{len(test)} examples, first {mismatch[:5].tolist()}")
    assert np.array_equal(gold.classes, t_cls)
    # the accuracy the training run measured in deployed mode is reproduced by the golden model
    acc = float(np.mean(gold.classes == test.labels))
    assert acc == pytest.approx(info["test_accuracy_pytorch_deployed"], abs=0)


@pytest.mark.parametrize("record", [100, 233, 232])
def test_committed_patient_bundle_is_bit_exact(record: int) -> None:
    """Patient bundles (tuned layers rewritten): golden == PyTorch deployed on the record's
    whole test part, and the accuracy recorded in metrics.json is reproduced."""
    from golden.bundle import load_bundle
    from golden.model import infer
    from training.qnn import QNet

    path = REPO_ROOT / "models" / "ecg" / "patient" / f"{record}.json"
    if not path.is_file():
        pytest.skip("patient bundles not built yet (python -m training.patient build)")
    raw = json.loads(path.read_text())
    test = _test_part("ecg", "patient", None, raw["input"], record)
    gold = infer(load_bundle(path), test.inputs, keep_outputs=False)
    t_cls, t_logits = QNet.from_bundle(raw).deployed(test.inputs)
    assert np.array_equal(gold.logits, t_logits) and np.array_equal(gold.classes, t_cls)
    metrics = json.loads((path.parent / "metrics.json").read_text())
    acc = float(np.mean(gold.classes == test.labels))
    assert acc == pytest.approx(metrics["records"][str(record)]["accuracy"], abs=0)


def test_trained_network_export_is_bit_exact(tmp_path: Path) -> None:
    """Train briefly (EEG config, 1+1 epochs), export, run golden on the whole test part."""
    from golden.bundle import load_bundle
    from golden.model import infer
    from training import cli_train

    from training.fetch import present

    if not present("bonn"):
        pytest.skip("data not available: no bonn/SHA256SUMS under the data root")
    args = argparse.Namespace(configs=["eeg-inter"], out=tmp_path / "eeg.json", threads=1,
                              seed=3, epochs_float=1, epochs_qat=1, no_card=True, quiet=True)
    rep = cli_train.train_one("eeg-inter", args)            # raises if golden != PyTorch
    bundle = load_bundle(tmp_path / "eeg.json")
    test = _test_part("eeg", "inter", None)
    gold = infer(bundle, test.inputs, keep_outputs=False)
    assert float(np.mean(gold.classes == test.labels)) == pytest.approx(rep["accuracy"], abs=0)
    raw = json.loads((tmp_path / "eeg.json").read_text())
    assert raw["training"]["epochs_float"] == 1 and raw["training"]["seed"] == 3


def test_train_cli_argument_errors() -> None:
    from training import cli_train
    from training._cli import CliError

    base = dict(out=None, threads=2, seed=None, epochs_float=None, epochs_qat=None,
                no_card=True, quiet=True)
    with pytest.raises(CliError, match="unknown configuration"):
        cli_train.run(argparse.Namespace(configs=["ecg-cross"], **base))
    with pytest.raises(CliError, match="exactly one"):
        cli_train.run(argparse.Namespace(configs=["ecg-intra", "eeg-inter"],
                                         **dict(base, out=Path("x.json"))))
    with pytest.raises(CliError, match="threads"):
        cli_train.run(argparse.Namespace(configs=["eeg-inter"], **dict(base, threads=0)))


@pytest.mark.parametrize("rel", sorted(DEFAULT_BUNDLES))
def test_committed_bundle_records_its_configuration(rel: str) -> None:
    """`sparrow train` without options retrains each committed bundle with the settings it
    records (the result depends on them, the thread count included): every field the bundle's
    `training` key shares with its CONFIGS entry agrees."""
    from training.train import CONFIGS, DEFAULT_OUTPUTS, training_info

    name = {v: k for k, v in DEFAULT_OUTPUTS.items()}[rel]
    cfg = CONFIGS[name]
    info = json.loads((REPO_ROOT / rel).read_text())["training"]
    assert info["config"] == name
    shared = ("seed", "threads", "epochs_float", "epochs_qat", "batch", "lr", "lr_qat",
              "weight_decay", "class_weight", "val_by", "select", "train_fraction")
    got = {k: info[k] for k in shared}
    want = {k: getattr(cfg, k) for k in shared}
    assert got == want
    assert info["augment"] == list(cfg.augment)
    assert info.get("val_records", []) == list(cfg.val_records)
    assert info.get("keep", "best") == cfg.keep
    # the whole key, in order, is what training_info writes for this configuration (train()
    # and ecg_select --finalize both build it there)
    want_info = {**training_info(cfg, info["data_seed"], info["classes"],
                                 readout_theta=info.get("readout_theta"),
                                 offsets=info.get("readout_offsets"),
                                 test_accuracy=info.get("test_accuracy_pytorch_deployed"),
                                 torch_version=info["torch"]),
                 "n_weights": info["n_weights"]}
    assert list(info.items()) == list(want_info.items())


def test_inter_metrics_are_what_sparrow_train_writes() -> None:
    """The inter bundle's metrics file is the one `sparrow train ecg-inter` (and so `make
    train`) writes, whichever of it and `ecg_select --finalize` made it: the same command, the
    validation block with every score of train() (none unknown) and the readout offsets that
    the bundle records."""
    m = json.loads((REPO_ROOT / "models/ecg/model-inter.metrics.json").read_text())
    bundle = json.loads((REPO_ROOT / "models/ecg/model-inter.json").read_text())
    assert m["command"] == "sparrow train ecg-inter"
    assert list(m["val"]) == ["metric", "float_best", "folded_before_qat", "qat_best",
                              "after_readout_offsets", "readout_offsets"]
    assert all(v is not None for v in m["val"].values())
    assert m["val"]["readout_offsets"] == bundle["training"]["readout_offsets"]
    assert m["val"]["after_readout_offsets"] >= m["val"]["qat_best"]   # offsets never hurt
