"""Patient-specific ECG bundles: the common DS1 model with only its last layer(s) tuned per patient.

AAMI EC57 recommends, and Hu 1997 / Kiranyaz 2016 follow, a patient-specific protocol: for each
test record, the first 5 minutes (labelled by a cardiologist at fitting time) tune the
classifier, the rest of the record is the test. Here the layers before `first_tuned` stay the
common (base) model's integers, so a wearable keeps them in its weight memory and rewrites only
the tuned layers' weights, biases and thresholds (tb/patient.py does that over APB on the RTL).

Tuning data of record R: its tune part plus a fixed common set of DS1 beats (`common_set`, 75 N,
75 S, 75 V, 13 F and 7 Q as in Kiranyaz et al. 2016, drawn from DS1 with a fixed seed; never DS2),
which keeps rare classes the record's first minutes may lack. In the selection protocol the
common set is drawn from the DS1 records outside the validation records (`ds1_common`), as DS2
patients are outside DS1. The tuned layers start from the
base integers and are trained in their integer (QAT) forward with Adam on the cross-entropy,
every class weighted by (n / (k n_c))^0.5. Hyper-parameters (`TuneConfig`) were chosen by the
same protocol run on the six DS1 validation records the base model never trained on
(`python -m training.patient select`), never on DS2.

`python -m training.patient build` writes models/ecg/patient/base.json and <record>.json for the
22 DS2 records and models/ecg/patient/metrics.json (pooled and per record, golden model).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training import ecg
from training.paths import REPO_ROOT
from training.qnn import LayerSpec, QLayer, QNet

PATIENT_DIR = REPO_ROOT / "models" / "ecg" / "patient"
BASE_SOURCE = REPO_ROOT / "models" / "ecg" / "model-inter.json"
COMMON_COUNTS = {"N": 75, "S": 75, "V": 75, "F": 13, "Q": 7}
COMMON_SEED = 2016


@dataclass(frozen=True)
class TuneConfig:
    """How a patient's layers are tuned."""

    first_tuned: int = -1          # index of the first tuned layer (-1: the readout only)
    epochs: int = 150              # full-batch Adam steps
    lr: float = 3e-3
    weight_decay: float = 0.0
    class_weight: bool = True      # (n / (k n_c))^0.5 over the classes present
    common: bool = True            # add the DS1 common set to the tune beats
    seed: int = 1


def common_set(inputs: np.ndarray, labels: np.ndarray, classes: list[str],
               seed: int = COMMON_SEED) -> np.ndarray:
    """Indices of the fixed common beats (COMMON_COUNTS per class, or all if fewer)."""
    rng = np.random.default_rng(seed)
    idx = []
    for c, k in COMMON_COUNTS.items():
        pool = np.flatnonzero(labels == classes.index(c))
        idx.append(np.sort(rng.permutation(pool)[:k]))
    return np.concatenate(idx)


def _tunable_layer(net: QNet, i: int, readout_theta: float) -> QLayer:
    """A trainable integer-mode copy of layer i of a from_bundle QNet (float W = W_int/theta;
    the readout, which has no theta in the bundle, uses its training scale)."""
    src = net.layers[i]
    w, b, th = src.fixed
    layer = QLayer(src.spec, src.in_ch, src.in_len, src.last)
    layer.bn = None
    layer.folded = True
    if src.last:
        th = torch.full_like(th, float(readout_theta))
    shape = (-1,) + (1,) * (w.dim() - 1)
    with torch.no_grad():
        layer.weight.copy_((w / th.view(shape)).float())
        layer.bias.copy_((b / th).float())
    return layer.double()


def _prefix(net: QNet, x: torch.Tensor, upto: int) -> torch.Tensor:
    """Integer outputs of the frozen layers 0..upto-1 (exact, float64)."""
    h = x.to(torch.float64)
    with torch.no_grad():
        for layer in net.layers[:upto]:
            h = layer.forward_int(h)
    return h


def tune(base: dict, x: np.ndarray, y: np.ndarray, cfg: TuneConfig) -> dict:
    """A patient bundle: `base` with layers first_tuned.. retrained on (x, y) (integer QAT)."""
    torch.manual_seed(cfg.seed)
    net = QNet.from_bundle(base)
    n_layers = len(net.layers)
    first = cfg.first_tuned % n_layers
    k = base.get("training", {}).get("readout_theta")
    if not k:
        raise ValueError("base bundle has no training.readout_theta (train it with "
                         "training.train, inputs='rhythm')")
    tuned = torch.nn.ModuleList([_tunable_layer(net, i, k) for i in range(first, n_layers)])
    h = _prefix(net, torch.as_tensor(x), first)
    yt = torch.as_tensor(y, dtype=torch.int64)
    n_cls = net.n_classes
    weight = None
    if cfg.class_weight:
        counts = np.bincount(y, minlength=n_cls).astype(np.float64)
        present = counts > 0
        w = np.where(present, np.sqrt(len(y) / (present.sum() * np.maximum(counts, 1))), 0.0)
        weight = torch.tensor(w, dtype=torch.float64)
    opt = torch.optim.Adam(tuned.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def logits() -> torch.Tensor:
        z = h
        for layer in tuned:
            z = layer.forward_int(z)
        return z / tuned[-1].theta()[0]

    for _ in range(cfg.epochs):
        loss = F.cross_entropy(logits(), yt, weight=weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    out = copy.deepcopy(base)
    for k, layer in enumerate(tuned):
        w, b, th = layer.int_params(torch.float64)
        L = out["layers"][first + k]
        L["weights"] = w.detach().numpy().astype(np.int64).tolist()
        L["bias"] = b.detach().numpy().astype(np.int64).tolist()
        if L["activation"]["type"] == "ssf":
            L["activation"]["theta"] = th.detach().numpy().astype(np.int64).tolist()
    out["patient"] = {"tuned_layers": list(range(first, n_layers)), "tune": asdict(cfg)}
    return out


def _predict(bundle: dict, x: np.ndarray) -> np.ndarray:
    from golden.bundle import load_bundle
    from golden.model import infer

    return infer(load_bundle(bundle), x, keep_outputs=False).classes


def run_protocol(base: dict, records: list[int], get_part, common: tuple[np.ndarray, np.ndarray],
                 cfg: TuneConfig, keep: bool = False) -> dict:
    """Tune and test every record; pooled and per-record results (golden model)."""
    from training.metrics import aami_summary, classification_report

    classes = list(base["classes"])
    ys, ps, per, bundles = [], [], {}, {}
    for rec in records:
        xt, yt = get_part(rec, "tune")
        xs, ysr = get_part(rec, "test")
        own = np.bincount(yt, minlength=len(classes)).tolist()   # the patient's own tune beats
        if cfg.common:
            xt = np.concatenate([xt, common[0]])
            yt = np.concatenate([yt, common[1]])
        b = tune(base, xt, yt, cfg)
        b["name"] = f"ecg-aami5-patient-{rec}"
        b["patient"]["record"] = rec
        pred = _predict(b, xs)
        r = classification_report(ysr, pred, len(classes), classes)
        per[rec] = {"n": r["n"], "accuracy": r["accuracy"], "confusion": r["confusion"],
                    "tune_counts": own}
        ys.append(ysr)
        ps.append(pred)
        if keep:
            bundles[rec] = b
    y, p = np.concatenate(ys), np.concatenate(ps)
    rep = classification_report(y, p, len(classes), classes)
    rep.update(aami_summary(rep))
    return {"pooled": rep, "records": per, "bundles": bundles}


def _line(name: str, rep: dict) -> str:
    pc = rep["per_class"]

    def f(v: float) -> str:
        return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"
    return (f"{name}: acc {f(rep['accuracy'])}% macroF1(NSVF) {f(rep['macro_f1_nsvf'])}% "
            f"S {f(pc['S']['se'])}/{f(pc['S']['ppv'])} V {f(pc['V']['se'])}/{f(pc['V']['ppv'])} "
            f"F {f(pc['F']['se'])}/{f(pc['F']['ppv'])} (n {rep['n']})")


def ds1_common(ds, exclude=()) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of the common set drawn from the DS1 beats of `ds` outside the records
    `exclude`. The selection protocol excludes its validation records: a validation patient's own
    later beats in its common set would tune it on its test part (the selection before
    2026-12-02 did, which made its S figures optimistic)."""
    keep = np.flatnonzero(~np.isin(ds.meta["source"].astype(np.int64), list(exclude)))
    idx = keep[common_set(ds.inputs[keep], ds.labels[keep], ds.classes)]
    return ds.inputs[idx], ds.labels[idx]


def _ds1_parts(ds):
    """get_part(record, part) on the DS1 records of `ds` (selection protocol)."""
    from training import rhythm
    rec = ds.meta["source"].astype(np.int64)
    first = ds.meta["sample"].astype(np.int64) < rhythm.TUNE_SAMPLES

    def get(r: int, part: str) -> tuple[np.ndarray, np.ndarray]:
        m = (rec == r) & (first if part == "tune" else ~first)
        return ds.inputs[m], ds.labels[m]
    return get


def _ds2_parts(version: int):
    from training import rhythm

    def get(r: int, part: str) -> tuple[np.ndarray, np.ndarray]:
        ds = rhythm.build("patient", part, record=r, rhythm=version)
        return ds.inputs, ds.labels
    return get


SELECT_GRID: dict[str, TuneConfig] = {
    "readout-150": TuneConfig(),
    "readout-400": TuneConfig(epochs=400),
    "readout-150-nocommon": TuneConfig(common=False),
    "last2-150": TuneConfig(first_tuned=-2),
    "last2-150-wd": TuneConfig(first_tuned=-2, weight_decay=1e-3),
    "last2-400": TuneConfig(first_tuned=-2, epochs=400),
    "last2-400-lr1e-3": TuneConfig(first_tuned=-2, epochs=400, lr=1e-3),
    "last3-150": TuneConfig(first_tuned=-3),
    "last4-150": TuneConfig(first_tuned=-4),
    "last2-150-nocw": TuneConfig(first_tuned=-2, class_weight=False),
    "readout-150-nocw": TuneConfig(class_weight=False),
}
CHOSEN = "last2-150"      # fallback when select.json is absent


def main(argv: list[str] | None = None) -> int:
    """`select`: the grid on the DS1 validation records; `build`: the 22 DS2 patient bundles."""
    ap = argparse.ArgumentParser(prog="python -m training.patient", description=__doc__)
    ap.add_argument("action", choices=["select", "build"])
    ap.add_argument("--base", type=Path, default=BASE_SOURCE)
    ap.add_argument("--config", default=None, choices=list(SELECT_GRID),
                    help="build: tuning (default: the 'best' of models/ecg/patient/select.json)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", nargs="*", default=None, help="select: these grid points only")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    base = json.loads(args.base.read_text())
    from training import rhythm
    version = rhythm.version_of(base["input"]["preprocess"])
    ds1 = rhythm.build("inter", "train", rhythm=version)
    t0 = time.time()
    if args.action == "select":
        val = base["training"].get("val_records")
        if not val:
            print(f"patient: error: {args.base} records no held-out DS1 validation records "
                  "(it trained on all of DS1); select with --base a bundle of the same recipe "
                  "that held records out (docs/training.md §5)", file=sys.stderr)
            return 1
        get = _ds1_parts(ds1)
        common = ds1_common(ds1, exclude=val)
        results = {}
        for name, cfg in SELECT_GRID.items():
            if args.only and name not in args.only:
                continue
            res = run_protocol(base, val, get, common, cfg)
            results[name] = {"config": asdict(cfg), "pooled": res["pooled"]}
            print(_line(name, res["pooled"]), f"[{time.time() - t0:.0f} s]", flush=True)
        out = PATIENT_DIR / "select.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        if args.only and out.is_file():
            results = {**json.loads(out.read_text())["results"], **results}
        best = max(results, key=lambda k: results[k]["pooled"]["macro_f1_nsvf"])
        out.write_text(json.dumps({"val_records": val, "base": base["name"],
                                   "base_sha256": hashlib.sha256(args.base.read_bytes())
                                   .hexdigest(), "best": best,
                                   "results": results}, indent=1) + "\n")
        print(f"best (pooled macro F1 N, S, V, F on the DS1 validation records): {best}")
        return 0
    if args.config is None:
        sel = PATIENT_DIR / "select.json"
        args.config = json.loads(sel.read_text())["best"] if sel.is_file() else CHOSEN
    cfg = SELECT_GRID[args.config]
    res = run_protocol(base, ecg.DS2, _ds2_parts(version), ds1_common(ds1), cfg, keep=True)
    PATIENT_DIR.mkdir(parents=True, exist_ok=True)
    base_out = copy.deepcopy(base)
    base_out["name"] = "ecg-aami5-patient-base"
    n_layers = len(base["layers"])
    base_out["patient_tunable_layers"] = list(range(cfg.first_tuned % n_layers, n_layers))
    (PATIENT_DIR / "base.json").write_text(json.dumps(base_out, separators=(",", ":")) + "\n")
    for rec, b in res["bundles"].items():
        (PATIENT_DIR / f"{rec}.json").write_text(json.dumps(b, separators=(",", ":")) + "\n")
    metrics = {"protocol": "patient-specific: per DS2 record, tune = first 5 minutes (+ the DS1 "
               "common set), test = the rest; pooled over the 22 test parts",
               "config": args.config, "tune": asdict(cfg),
               "base": str(args.base.relative_to(REPO_ROOT)) if args.base.is_absolute() else
               str(args.base), "pooled": res["pooled"], "records": res["records"],
               "command": f"python -m training.patient build --config {args.config}",
               "seconds": round(time.time() - t0, 1)}
    (PATIENT_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    from training.card import write_card
    write_card(PATIENT_DIR.parent, "ecg")    # the card's patient section reads metrics.json
    print(_line("DS2 pooled", res["pooled"]), f"[{time.time() - t0:.0f} s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
