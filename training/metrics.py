"""Classification metrics (confusion matrix, sensitivity, positive predictivity, F1) and plots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    """(n, n) int64 counts; row = true class, column = predicted class."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"labels {y_true.shape} and predictions {y_pred.shape} differ in shape")
    bad = (y_true < 0) | (y_true >= n) | (y_pred < 0) | (y_pred >= n)
    if bad.any():
        raise ValueError(f"class index outside 0..{n - 1}")
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n).astype(np.int64)


def _ratio(a: int, b: int) -> float:
    return a / b if b else math.nan


def per_class(cm: np.ndarray) -> list[dict]:
    """Per class: support, tp, se = TP/(TP+FN), ppv (+P) = TP/(TP+FP), f1 (NaN if undefined)."""
    out = []
    for c in range(cm.shape[0]):
        tp = int(cm[c, c])
        fn = int(cm[c].sum()) - tp
        fp = int(cm[:, c].sum()) - tp
        se, ppv = _ratio(tp, tp + fn), _ratio(tp, tp + fp)
        if tp + fn == 0:
            f1 = math.nan
        else:
            f1 = _ratio(2 * tp, 2 * tp + fp + fn)
        out.append({"support": tp + fn, "tp": tp, "fp": fp, "fn": fn,
                    "se": se, "ppv": ppv, "f1": f1})
    return out


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, n: int,
                          classes: list[str] | None = None) -> dict:
    """accuracy, macro F1 (mean over classes with support), confusion matrix, per-class dict,
    and the accuracy of always predicting the most frequent true class (``majority_baseline``
    of class ``majority_class``), the floor an accuracy figure must be read against.

    F1 = 2TP / (2TP + FP + FN), which is 0 for a class that is never predicted correctly.
    """
    classes = classes or [str(i) for i in range(n)]
    cm = confusion_matrix(y_true, y_pred, n)
    pc = per_class(cm)
    f1s = [p["f1"] for p in pc if p["support"] > 0]
    total = int(cm.sum())
    support = cm.sum(axis=1)
    major = int(np.argmax(support))
    return {"n": total, "accuracy": _ratio(int(np.trace(cm)), total),
            "majority_class": classes[major],
            "majority_baseline": _ratio(int(support[major]), total),
            "macro_f1": float(np.mean(f1s)) if f1s else math.nan,
            "confusion": cm.tolist(), "classes": list(classes),
            "per_class": {name: p for name, p in zip(classes, pc)}}


def format_report(rep: dict) -> str:
    """Human-readable table of a classification_report."""
    def pct(v: float) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "   n/a"
        return f"{100 * v:6.2f}"

    lines = [f"examples {rep['n']}   accuracy {pct(rep['accuracy']).strip()}%   "
             f"macro F1 {pct(rep['macro_f1']).strip()}%   always-{rep['majority_class']} "
             f"baseline {pct(rep['majority_baseline']).strip()}%",
             f"{'class':>12} {'support':>8} {'Se %':>7} {'+P %':>7} {'F1 %':>7}"]
    for name, p in rep["per_class"].items():
        lines.append(f"{name:>12} {p['support']:>8} {pct(p['se']):>7} {pct(p['ppv']):>7} "
                     f"{pct(p['f1']):>7}")
    width = max(len(c) for c in rep["classes"]) + 2
    lines.append("confusion (rows true, columns predicted):")
    lines.append(" " * width + "".join(f"{c:>8}" for c in rep["classes"]))
    for name, row in zip(rep["classes"], rep["confusion"]):
        lines.append(f"{name:>{width}}" + "".join(f"{v:>8}" for v in row))
    return "\n".join(lines)


def plot_confusion(rep: dict, path: Path, title: str = "") -> None:
    """Save the confusion matrix (counts, row-normalised colour) as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(rep["confusion"], dtype=np.int64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    n = len(cm)
    fig, ax = plt.subplots(figsize=(1.2 * n + 2.2, 1.1 * n + 1.6), dpi=110)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=9,
                    color="white" if norm[i, j] > 0.6 else "black")
    ax.set_xticks(range(n), rep["classes"])
    ax.set_yticks(range(n), rep["classes"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = rep["accuracy"]
    ax.set_title(f"{title}\naccuracy {100 * acc:.2f}%  (n = {rep['n']})".strip(), fontsize=10)
    fig.tight_layout()
    from golden.safeio import write_atomic

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(Path(path), lambda fh: fig.savefig(fh, format="png"))
    finally:
        plt.close(fig)


AAMI4 = ("N", "S", "V", "F")


def aami_summary(rep: dict) -> dict:
    """Inter-patient ECG figures as the field reports them, from a classification_report with
    the AAMI class names: macro F1 over N, S, V, F (Q, 7 DS2 beats, outside the macro), Cohen's
    kappa on the N, S, V, F sub-matrix (Q rows and columns dropped), the j index
    j = Se_S + Se_V + +P_S + +P_V and jkappa = kappa / 2 + j / 8 (Mar et al. 2011), and the
    accuracy of calling every beat N."""
    classes = list(rep["classes"])
    missing = [c for c in AAMI4 if c not in classes]
    if missing:
        raise ValueError(f"aami_summary needs classes {', '.join(AAMI4)}; missing {missing}")
    pc = rep["per_class"]
    f1 = [pc[c]["f1"] for c in AAMI4]
    idx = [classes.index(c) for c in AAMI4]
    cm = np.asarray(rep["confusion"], dtype=np.int64)
    sub = cm[np.ix_(idx, idx)].astype(np.float64)
    tot = sub.sum()
    po = np.trace(sub) / tot if tot else math.nan
    pe = float((sub.sum(0) * sub.sum(1)).sum() / tot ** 2) if tot else math.nan
    kappa = (po - pe) / (1 - pe) if tot and pe < 1 else math.nan
    j = sum(0.0 if math.isnan(pc[c][k]) else pc[c][k] for c in ("S", "V") for k in ("se", "ppv"))
    n_true = cm.sum(axis=1)
    return {"macro_f1_nsvf": float(np.mean([0.0 if math.isnan(v) else v for v in f1])),
            "kappa": float(kappa), "j_index": float(j), "jkappa": float(kappa / 2 + j / 8),
            "always_n_accuracy": float(n_true[classes.index("N")] / n_true.sum())
            if n_true.sum() else math.nan}
