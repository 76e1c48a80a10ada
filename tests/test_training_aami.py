"""AAMI inter-patient summary (training.metrics.aami_summary) against hand-computed figures."""

from __future__ import annotations

import numpy as np
import pytest

from training.metrics import aami_summary, classification_report

CM = [[90, 5, 3, 2, 0],
      [4, 6, 0, 0, 0],
      [1, 0, 8, 1, 0],
      [1, 0, 1, 2, 0],
      [1, 0, 0, 0, 1]]


def _report(cm: list[list[int]]) -> dict:
    y, p = [], []
    for i, row in enumerate(cm):
        for j, v in enumerate(row):
            y += [i] * v
            p += [j] * v
    return classification_report(np.array(y), np.array(p), 5, list("NSVFQ"))


def test_aami_summary_by_hand() -> None:
    s = aami_summary(_report(CM))
    j = 6 / 10 + 6 / 11 + 8 / 10 + 8 / 12
    po, pe = 106 / 124, 9850 / 124 ** 2
    kappa = (po - pe) / (1 - pe)
    assert s["j_index"] == pytest.approx(j)
    assert s["kappa"] == pytest.approx(kappa)
    assert s["jkappa"] == pytest.approx(kappa / 2 + j / 8)
    assert s["macro_f1_nsvf"] == pytest.approx((180 / 197 + 12 / 21 + 16 / 22 + 4 / 9) / 4)
    assert s["always_n_accuracy"] == pytest.approx(100 / 126)


def test_aami_summary_keeps_q_outside_the_macro() -> None:
    cm = [row[:] for row in CM]
    cm[4][4] = 50                            # more correct Q beats change nothing in the macro
    a, b = aami_summary(_report(CM)), aami_summary(_report(cm))
    assert a["macro_f1_nsvf"] == b["macro_f1_nsvf"] and a["kappa"] == b["kappa"]


def test_aami_summary_needs_the_aami_classes() -> None:
    rep = classification_report(np.array([0, 1]), np.array([0, 1]), 2, ["a", "b"])
    with pytest.raises(ValueError, match="needs classes N, S, V, F"):
        aami_summary(rep)
