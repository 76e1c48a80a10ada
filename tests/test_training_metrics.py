"""Classification metrics and `sparrow eval` against hand-computed confusion matrices."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pytest

from training.metrics import classification_report, confusion_matrix, format_report


def test_confusion_and_metrics_by_hand() -> None:
    y = [0, 0, 0, 1, 1, 2]
    p = [0, 1, 0, 1, 2, 2]
    cm = confusion_matrix(np.array(y), np.array(p), 3)
    assert cm.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    rep = classification_report(np.array(y), np.array(p), 3, ["a", "b", "c"])
    assert rep["accuracy"] == pytest.approx(4 / 6)
    a, b, c = (rep["per_class"][k] for k in "abc")
    assert (a["se"], a["ppv"], a["f1"]) == pytest.approx((2 / 3, 1.0, 0.8))
    assert (b["se"], b["ppv"], b["f1"]) == pytest.approx((0.5, 0.5, 0.5))
    assert (c["se"], c["ppv"], c["f1"]) == pytest.approx((1.0, 0.5, 2 / 3))
    assert rep["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert (rep["majority_class"], rep["majority_baseline"]) == ("a", pytest.approx(3 / 6))
    assert "always-a baseline 50.00%" in format_report(rep)


def test_absent_and_never_predicted_classes() -> None:
    # class 1 never occurs and is never predicted; class 2 occurs but is never predicted
    y = np.array([0, 0, 2, 2])
    p = np.array([0, 0, 0, 0])
    rep = classification_report(y, p, 3)
    c1, c2 = rep["per_class"]["1"], rep["per_class"]["2"]
    assert c1["support"] == 0 and math.isnan(c1["se"]) and math.isnan(c1["f1"])
    assert c2["se"] == 0.0 and math.isnan(c2["ppv"]) and c2["f1"] == 0.0
    # macro F1 over classes that occur: class 0 F1 = 2*2/(4+2+0) = 2/3, class 2 F1 = 0
    assert rep["macro_f1"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert "n/a" in format_report(rep)


def test_confusion_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 3)


def _loop_confusion(y: np.ndarray, p: np.ndarray, n: int) -> list[list[int]]:
    cm = [[0] * n for _ in range(n)]
    for a, b in zip(y.tolist(), p.tolist()):
        cm[a][b] += 1
    return cm


def _eval_args(model: Path, dataset: Path, **kw: object) -> argparse.Namespace:
    return argparse.Namespace(model=model, dataset=dataset, png=kw.get("png"), json=kw.get("json"))


def test_eval_cli_matches_loop_count(tmp_path: Path, make_bundle, make_inputs, rng,
                                     capsys: pytest.CaptureFixture) -> None:
    import json

    from golden.model import infer
    from training import cli_eval

    bundle = make_bundle(n_classes=3, last_act="none")
    (tmp_path / "m.json").write_text(json.dumps(bundle))
    c0, l0 = bundle["input"]["channels"], bundle["input"]["length"]
    x = make_inputs((c0, l0), 300)
    pred = infer(bundle, x).classes
    y = pred.copy()
    flip = rng.random(len(y)) < 0.3
    y[flip] = rng.integers(0, 3, size=int(flip.sum()))
    d = tmp_path / "ds"
    d.mkdir()
    np.save(d / "inputs.npy", x)
    np.save(d / "labels.npy", y.astype(np.int64))
    assert cli_eval.run(_eval_args(tmp_path / "m.json", d, json=tmp_path / "r.json")) == 0
    out = capsys.readouterr().out
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["confusion"] == _loop_confusion(y, pred, 3)
    assert rep["accuracy"] == pytest.approx(float(np.mean(y == pred)))
    assert f"accuracy {100 * rep['accuracy']:.2f}%" in out
    assert (d / "confusion-m.png").stat().st_size > 1000


def test_eval_cli_errors(tmp_path: Path, make_bundle, make_inputs) -> None:
    import json

    from training import cli_eval
    from training._cli import CliError

    bundle = make_bundle(n_classes=2, last_act="none")
    (tmp_path / "m.json").write_text(json.dumps(bundle))
    c0, l0 = bundle["input"]["channels"], bundle["input"]["length"]
    d = tmp_path / "ds"
    d.mkdir()
    np.save(d / "inputs.npy", make_inputs((c0, l0 + 1), 4))
    np.save(d / "labels.npy", np.zeros(4, dtype=np.int64))
    with pytest.raises(CliError, match="expects"):
        cli_eval.run(_eval_args(tmp_path / "m.json", d))
    np.save(d / "inputs.npy", make_inputs((c0, l0), 4))
    np.save(d / "labels.npy", np.array([0, 1, 2, 0]))
    with pytest.raises(CliError, match="labels outside"):
        cli_eval.run(_eval_args(tmp_path / "m.json", d))
    with pytest.raises(CliError, match="not a dataset directory"):
        cli_eval.run(_eval_args(tmp_path / "m.json", tmp_path / "nowhere"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(CliError, match="invalid bundle"):
        cli_eval.run(_eval_args(tmp_path / "bad.json", d))
