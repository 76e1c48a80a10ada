"""Model selection for the inter-patient ECG bundle, inside DS1 only (DS2 is never read here).

`python -m training.ecg_select [CANDIDATE ...]` trains each candidate configuration with six
whole DS1 records held out for validation (patient-wise: no beat of a validation record is
trained on) and writes, per candidate, the validation accuracy, per-class Se / +P / F1, macro F1
over N, S, V, F and jkappa to `models/ecg/select.json` (merged with earlier runs). The candidate
with the best validation macro F1 (N, S, V, F) becomes `CONFIGS['ecg-inter']`.

`--folds` runs record-wise 4-fold cross-validation over all 22 DS1 records instead (FOLDS: each
fold's records are validation once, each model is trained on the other folds): every DS1 beat
is predicted by a model that never saw its patient, and the pooled figures over the 22 records
(stored as `<candidate>@cv4`) are a steadier ground for choosing than six records, whose S beats
come mostly from two patients.

A candidate without validation records (`keep="last"`, `val_records=()`, e.g.
`rhythm2-sqrt-warp-wd-all`) trains on all 22 DS1 records: `--folds` scores it (each fold keeping
its last epoch too), `--bundles DIR` trains its bundle, the six-record run refuses it. Candidates
`<recipe>-seed2` / `-seed3` measure how far the seed alone moves a recipe.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from training.train import ECG_ARCH, TrainConfig

#: DS1 records held out for validation: 332 of DS1's 944 S beats, 1,007 of 3,788 V, 22 of 415 F
VAL_RECORDS = (116, 118, 124, 201, 215, 223)

BASE = TrainConfig("ecg-inter", "ecg", "inter", ECG_ARCH, "ecg-aami5-inter-rhythm",
                   epochs_float=20, epochs_qat=10, class_weight="sqrt", select="macro_f1_nsvf",
                   val_by="records", val_records=VAL_RECORDS, inputs="rhythm")

CANDIDATES: dict[str, TrainConfig] = {
    "morph-sqrt": BASE.with_(inputs="morphology"),
    "rhythm-sqrt": BASE,
    "rhythm-none": BASE.with_(class_weight="none"),
    "rhythm-sqrt-qat20": BASE.with_(epochs_qat=20),
    "rhythm-sqrt-n3": BASE.with_(majority_keep=1 / 3),
    "rhythm-sqrt-wd": BASE.with_(weight_decay=1e-3),
    "rhythm-sqrt-warp": BASE.with_(augment=("warp",)),
    "rhythm-sqrt-warp-wd": BASE.with_(augment=("warp",), weight_decay=1e-3),
    # rhythm version 2: + RR irregularity and prematurity in irregularity units (AF vs S)
    "rhythm2-sqrt-warp-wd": BASE.with_(augment=("warp",), weight_decay=1e-3, inputs="rhythm2"),
    "rhythm2-sqrt-warpnoise-wd": BASE.with_(augment=("warp", "ecgnoise"), weight_decay=1e-3,
                                            inputs="rhythm2"),
    # against the memorising of DS1's 22 patients (training loss -> 0.03, validation flat)
    "rhythm2-sqrt-warp-wd-short": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm2", epochs_float=8, epochs_qat=6),
    "rhythm2-sqrt-warp-wd1e2": BASE.with_(augment=("warp",), weight_decay=1e-2, inputs="rhythm2"),
    # the same recipe with no choice made on validation data (the last epoch of each phase,
    # no readout offsets), so the committed model can train on all 22 DS1 patients; only its
    # cross-validation (--folds, every fold also keeping its last epoch) scores it
    "rhythm2-sqrt-warp-wd-all": BASE.with_(augment=("warp",), weight_decay=1e-3, inputs="rhythm2",
                                           keep="last", val_records=()),
    # the seed alone: how far a candidate's cross-validation moves without any change of recipe
    "rhythm2-sqrt-warp-wd-seed2": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm2", seed=2),
    "rhythm2-sqrt-warp-wd-seed3": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm2", seed=3),
    "rhythm-sqrt-warp-wd-seed2": BASE.with_(augment=("warp",), weight_decay=1e-3, seed=2),
    "rhythm-sqrt-warp-wd-seed3": BASE.with_(augment=("warp",), weight_decay=1e-3, seed=3),
    "rhythm2-sqrt-warp-wd-all-seed2": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                                 inputs="rhythm2", keep="last", val_records=(),
                                                 seed=2),
    # rhythm version 3: + channel 2, each beat's deviation from the median of the previous 16
    # beats (morphology relative to the patient's own template instead of DS1's shapes)
    "rhythm3-sqrt-warp-wd": BASE.with_(augment=("warp",), weight_decay=1e-3, inputs="rhythm3"),
    "rhythm3-sqrt-warp-wd-seed2": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm3", seed=2),
    "rhythm3-sqrt-warp-wd-seed3": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm3", seed=3),
    # rhythm version 4: version 3 without the absolute morphology (template deviation + rhythm
    # features only: nothing left of DS1's QRS shapes to memorise)
    "rhythm4-sqrt-warp-wd": BASE.with_(augment=("warp",), weight_decay=1e-3, inputs="rhythm4"),
    "rhythm4-sqrt-warp-wd-seed2": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm4", seed=2),
    "rhythm4-sqrt-warp-wd-seed3": BASE.with_(augment=("warp",), weight_decay=1e-3,
                                             inputs="rhythm4", seed=3),
}

OUT = Path(__file__).resolve().parent.parent / "models" / "ecg" / "select.json"

#: record-wise folds of DS1 for --folds: each holds one of the S-rich records (118, 201, 207,
#: 209, 220, 223) or two, and the two AF records (201, 203) are in different folds
FOLDS = ((201, 106, 112, 115, 220, 122), (203, 118, 101, 108, 116),
         (209, 119, 114, 205, 230, 215), (207, 223, 124, 109, 208))


def _validate(net, ds, records) -> tuple[np.ndarray, np.ndarray]:
    """(true labels, deployed predictions) of the beats of `records` in the train part `ds`."""
    val = np.isin(ds.meta["source"].astype(np.int64), list(records))
    pred, _ = net.deployed(ds.inputs[val])
    return ds.labels[val], pred


def _figures(name: str, cfg: TrainConfig, y: np.ndarray, pred: np.ndarray, classes) -> dict:
    """The validation figures select.json keeps for a candidate (both protocols)."""
    from training.metrics import aami_summary, classification_report

    vr = classification_report(y, pred, len(classes), classes)
    return {"candidate": name, "inputs": cfg.inputs, "class_weight": cfg.class_weight,
            "majority_keep": cfg.majority_keep,
            "epochs_float": cfg.epochs_float, "epochs_qat": cfg.epochs_qat,
            "val_n": vr["n"], "val_accuracy": vr["accuracy"], **aami_summary(vr),
            "per_class": {c: {k: p[k] for k in ("support", "se", "ppv", "f1")}
                          for c, p in vr["per_class"].items()},
            "confusion": vr["confusion"]}


def run_candidate(name: str, cfg: TrainConfig, threads: int,
                  bundle_dir: Path | None = None) -> dict | None:
    """Train one candidate (no test part: DS2 is not read) and return its validation figures;
    with `bundle_dir`, also write its bundle there as <name>.json. A candidate without
    validation records trains on all of DS1, has no figures of its own (None; its
    cross-validation scores it) and needs `bundle_dir`."""
    from training.train import build_part, train

    cfg = cfg.with_(threads=threads)
    out = None
    if bundle_dir is not None:
        bundle_dir.mkdir(parents=True, exist_ok=True)
        out = bundle_dir / f"{name}.json"
    elif not cfg.val_records:
        raise ValueError(f"{name} trains on every DS1 record: nothing to validate on (score "
                         "it with --folds; --bundles DIR trains its bundle)")
    rep = train(cfg, out, progress=False, evaluate_test=False)
    if not cfg.val_records:
        return None
    ds = build_part(cfg, "train")
    y, pred = _validate(rep["net"], ds, cfg.val_records)
    return {**_figures(name, cfg, y, pred, ds.classes), "val_records": list(cfg.val_records),
            "history": rep["history"], "train_seconds": rep["train_seconds"],
            "folded_before_qat": rep["val"]["folded_before_qat"]}


def run_cv(name: str, cfg: TrainConfig, threads: int, folds=FOLDS) -> dict:
    """Record-wise k-fold cross-validation of one candidate inside DS1 (DS2 is not read): the
    pooled validation figures over every fold, and each fold's own."""
    from training.metrics import aami_summary, classification_report
    from training.train import build_part, train

    ds = build_part(cfg, "train")        # the same part for every fold
    y_all, p_all, per_fold, seconds = [], [], [], 0.0
    for k, recs in enumerate(folds):
        c = cfg.with_(threads=threads, val_records=tuple(recs))
        rep = train(c, None, progress=False, evaluate_test=False)
        y, pred = _validate(rep["net"], ds, recs)
        fr = classification_report(y, pred, len(ds.classes), ds.classes)
        per_fold.append({"records": list(recs), "n": fr["n"], "accuracy": fr["accuracy"],
                         "macro_f1_nsvf": aami_summary(fr)["macro_f1_nsvf"]})
        y_all.append(y)
        p_all.append(pred)
        seconds += rep["train_seconds"]
        print(f"  {name} fold {k + 1}/{len(folds)}: acc {100 * fr['accuracy']:.2f}% macro F1 "
              f"{100 * per_fold[-1]['macro_f1_nsvf']:.2f}%", flush=True)
    return {**_figures(name, cfg, np.concatenate(y_all), np.concatenate(p_all), ds.classes),
            "protocol": f"record-wise {len(folds)}-fold cross-validation over DS1",
            "folds": per_fold, "train_seconds": round(seconds, 1)}


def finalize(name: str, bundle_dir: Path, select_path: Path = OUT,
             out: Path | None = None) -> dict:
    """Make candidate `name`'s bundle the committed inter-patient bundle: the one use of DS2.

    Runs its golden model on DS2 (checking PyTorch's deployed forward bit for bit), records the
    test accuracy in the bundle as `sparrow train` does, writes the bundle, its metrics file,
    confusion PNG and the ECG model card. Same bytes as `sparrow train ecg-inter --threads 1`
    (same configuration, seed, thread count and code path)."""
    from training.card import golden_check, write_card, write_metrics
    from training.metrics import aami_summary, classification_report, plot_confusion
    from training.paths import REPO_ROOT
    from training.qnn import QNet
    from training.rhythm import for_bundle
    from training.train import (CONFIGS, DEFAULT_OUTPUTS, choose_offsets, training_info,
                                val_block)

    # readout offsets are chosen on the validation records; a candidate trained on every DS1
    # record has none and goes without (its cross-validation is its validation figure)
    has_val = bool(CANDIDATES[name].val_records)
    cfg = CANDIDATES[name].with_(readout_offsets=has_val)
    if CONFIGS["ecg-inter"].with_(threads=1) != cfg.with_(threads=1):
        raise SystemExit(f"ecg_select: CONFIGS['ecg-inter'] is not candidate {name!r}"
                         f"{' with readout offsets' if has_val else ''}; make it so first")
    bundle = json.loads((bundle_dir / f"{name}.json").read_text())
    sel = json.loads(select_path.read_text())
    res = sel[name] if has_val else sel[f"{name}@cv{len(FOLDS)}"]
    train = for_bundle(bundle["input"], "inter", "train")  # in the bundle's own input format
    val = np.isin(train.meta["source"].astype(np.int64), list(cfg.val_records))
    old = bundle["training"]
    off, val_after = None, None
    if has_val:
        _, val_logits = QNet.from_bundle(bundle).deployed(train.inputs[val])
        off = choose_offsets(val_logits, train.labels[val], cfg.select)
        pred_val = np.argmax(val_logits + off, axis=1)
        val_after = classification_report(train.labels[val], pred_val, len(train.classes),
                                          train.classes)
        bundle["layers"][-1]["bias"] = (np.asarray(bundle["layers"][-1]["bias"]) + off).tolist()
    test = for_bundle(bundle["input"], "inter", "test")   # DS2 in the bundle's own format
    net = QNet.from_bundle(bundle)
    t_cls, t_logits = net.deployed(test.inputs)
    # the training key train() writes for this configuration with these offsets
    bundle["training"] = {**training_info(
        cfg.with_(threads=old["threads"]), old["data_seed"], old["classes"],
        readout_theta=old.get("readout_theta"), offsets=None if off is None else off.tolist(),
        test_accuracy=float(np.mean(t_cls == test.labels)), torch_version=old["torch"]),
        "n_weights": old["n_weights"]}
    out = out or REPO_ROOT / DEFAULT_OUTPUTS["ecg-inter"]
    out.write_text(json.dumps(bundle, separators=(",", ":")) + "\n")
    g_cls, _ = golden_check(out, test.inputs, t_cls, t_logits)
    rep = classification_report(test.labels, g_cls, len(test.classes), test.classes)
    n_train = int((~val & (train.labels != 0)).sum()
                  + round(cfg.majority_keep * int((~val & (train.labels == 0)).sum())))
    hist = res.get("history", [])
    fl = [h["val_macro_f1_nsvf"] for h in hist if h["phase"].endswith("float")]
    qa = [h["val_macro_f1_nsvf"] for h in hist if h["phase"].endswith("qat")]
    report = {"config": {**cfg.__dict__, "threads": 1}, "train_examples": n_train,
              "val_examples": int(val.sum()), "train_seconds": res["train_seconds"],
              "val": {**val_block(cfg, max(fl) if fl else None, res.get("folded_before_qat"),
                                  max(qa) if qa else None, off,
                                  aami_summary(val_after)["macro_f1_nsvf"] if has_val else None),
                      # without validation records, the cross-validation is the figure
                      **({} if has_val else {"protocol": res["protocol"],
                                             "cv_macro_f1_nsvf": res["macro_f1_nsvf"]})}}
    stem = out.with_suffix("")
    write_metrics(Path(f"{stem}.metrics.json"), "ecg-inter", report, bundle, out, rep,
                  "sparrow train ecg-inter")
    plot_confusion(rep, Path(f"{stem}.confusion.png"),
                   title=f"{bundle['name']} (golden model, test part)")
    log_path = out.parent / "ds2_log.json"       # every DS2 evaluation, in order
    log = json.loads(log_path.read_text()) if log_path.is_file() else {
        "what": "every evaluation of an inter-patient ECG configuration on DS2, in order",
        "evaluations": []}
    log["evaluations"].append({"candidate": name, "val_macro_f1_nsvf": res["macro_f1_nsvf"],
                **({} if has_val else {"val_protocol": res["protocol"]}),
                "ds2_accuracy": rep["accuracy"],
                "ds2_macro_f1_nsvf": aami_summary(rep)["macro_f1_nsvf"]})
    log_path.write_text(json.dumps(log, indent=1) + "\n")
    write_card(out.parent, "ecg")
    return rep


def main(argv: list[str] | None = None) -> int:
    """Run the chosen candidates (default: all) and merge their results into select.json."""
    ap = argparse.ArgumentParser(prog="python -m training.ecg_select", description=__doc__)
    ap.add_argument("candidates", nargs="*", help=f"any of {', '.join(CANDIDATES)}")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--bundles", type=Path, default=None, metavar="DIR",
                    help="also write each candidate's bundle to DIR/<candidate>.json")
    ap.add_argument("--folds", action="store_true",
                    help="record-wise 4-fold cross-validation over DS1 (FOLDS) instead of the "
                         "six held-out records; results stored as <candidate>@cv4")
    ap.add_argument("--finalize", default=None, metavar="CANDIDATE",
                    help="make CANDIDATE (trained with --bundles DIR) the committed "
                         "inter-patient bundle: its one evaluation on DS2")
    args = ap.parse_args(argv)
    if args.finalize:
        if args.bundles is None:
            ap.error("--finalize needs --bundles DIR")
        rep = finalize(args.finalize, args.bundles, args.out)
        print(f"ecg-inter = {args.finalize}: DS2 accuracy {100 * rep['accuracy']:.2f}%")
        return 0
    names = args.candidates or list(CANDIDATES)
    bad = [n for n in names if n not in CANDIDATES]
    if bad:
        print(f"ecg_select: error: unknown candidate {bad[0]!r}", file=sys.stderr)
        return 1
    for name in names:
        t0 = time.time()
        if args.folds:
            res = run_cv(name, CANDIDATES[name], args.threads)
            key = f"{name}@cv{len(FOLDS)}"
        else:
            try:
                res = run_candidate(name, CANDIDATES[name], args.threads, args.bundles)
            except ValueError as e:
                print(f"ecg_select: error: {e}", file=sys.stderr)
                return 1
            key = name
            if res is None:
                print(f"{name}: trained on all 22 DS1 records, bundle "
                      f"{args.bundles / (name + '.json')} (no validation figures: --folds)")
                continue
        old = json.loads(args.out.read_text()) if args.out.is_file() else {}
        old[key] = res
        args.out.write_text(json.dumps(old, indent=1) + "\n")
        pc = res["per_class"]
        print(f"{key}: val acc {100 * res['val_accuracy']:.2f}% macro F1 (NSVF) "
              f"{100 * res['macro_f1_nsvf']:.2f}% jk {res['jkappa']:.3f}; S Se/+P "
              f"{100 * pc['S']['se']:.1f}/{100 * pc['S']['ppv']:.1f}, V "
              f"{100 * pc['V']['se']:.1f}/{100 * pc['V']['ppv']:.1f}, F "
              f"{100 * pc['F']['se']:.1f}/{100 * pc['F']['ppv']:.1f} "
              f"[{time.time() - t0:.0f} s]", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
