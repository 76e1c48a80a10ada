"""Golden-model evaluation of a trained bundle, its metrics file, plots and the model card."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from training.paths import REPO_ROOT

PROTOCOLS = {
    ("ecg", "intra"): "intra-patient: all 48 MIT-BIH records, stratified random 80/20 split of "
                      "the beats (seed in the bundle), the protocol of the paper's 98.29%",
    ("ecg", "inter"): "inter-patient (de Chazal 2004): train DS1, test DS2, paced records 102, "
                      "104, 107, 217 excluded; nothing was tuned on DS2",
    ("eeg", "inter"): "split by segment file: 20% of the files of each set A-E are test, so no "
                      "recording has windows in both parts",
    ("eeg", "intra"): "windows of all files mixed, stratified random 80/20",
}


def memory_footprint(bundle: dict) -> dict:
    """Bytes of the bundle's weights: int8 count, and the hardware image (docs §5)."""
    words = groups = n_w = 0
    for layer in bundle["layers"]:
        w = np.asarray(layer["weights"])
        n_w += w.size
        out = w.shape[0]
        g = -(-out // 8)
        words += g * (w.shape[1] * w.shape[2] if w.ndim == 3 else w.shape[1])
        groups += g
    return {"weights": n_w, "weight_bytes_int8": n_w, "wmem_words": words,
            "wmem_bytes": 8 * words, "bias_theta_groups": groups,
            "bias_theta_bytes": groups * (32 + 16),
            "hw_image_bytes": 8 * words + groups * 48}


def golden_check(bundle_path: Path, test_inputs: np.ndarray, torch_classes: np.ndarray,
                 torch_logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run the golden model; raise if it differs from PyTorch's deployed results anywhere."""
    from golden.bundle import load_bundle
    from golden.model import infer

    res = infer(load_bundle(bundle_path), test_inputs, keep_outputs=False)
    if not (np.array_equal(res.logits, torch_logits)
            and np.array_equal(res.classes, torch_classes)):
        bad = np.flatnonzero((res.logits != torch_logits).any(axis=1))
        raise RuntimeError(f"{bundle_path}: golden model differs from PyTorch deployed mode on "
                           f"{len(bad)} examples (first {bad[:5].tolist()})")
    return res.classes, res.logits


def write_metrics(path: Path, cfg_name: str, report: dict, bundle: dict, bundle_path: Path,
                  golden_rep: dict, command: str) -> dict:
    """Write the small JSON of derived figures that the model card and docs/results.md use."""
    from golden.bundle import load_bundle
    from golden.timing import total_cycles

    layers = []
    for layer in bundle["layers"]:
        w = np.asarray(layer["weights"])
        act = layer["activation"]
        if layer["kind"] == "conv1d":
            shape = (f"conv1d {layer['in_channels']}->{layer['out_channels']} "
                     f"k{layer['kernel']} s{layer['stride']} p{layer['padding']}")
        else:
            shape = f"dense {layer['in_features']}->{layer['out_features']}"
        layers.append({"shape": shape, "weights": int(w.size),
                       "activation": "none (logits)" if act["type"] == "none"
                       else f"ssf T={act['T']}"})
    m = {"config": cfg_name, "bundle": str(bundle_path.relative_to(REPO_ROOT))
         if bundle_path.is_absolute() and REPO_ROOT in bundle_path.parents else str(bundle_path),
         "name": bundle["name"], "classes": bundle["classes"],
         "dataset": report["config"]["dataset"], "split": report["config"]["split"],
         "seed": report["config"]["seed"], "data_seed": bundle["training"]["data_seed"],
         "input": [bundle["input"]["channels"], bundle["input"]["length"]],
         "layers": layers, "memory": memory_footprint(bundle),
         "bundle_bytes": bundle_path.stat().st_size,
         "cycles": int(total_cycles(load_bundle(bundle_path))),
         "train_examples": report["train_examples"], "val_examples": report["val_examples"],
         "val": report["val"], "train_seconds": report["train_seconds"],
         "threads": report["config"]["threads"],
         "test": {k: golden_rep[k] for k in ("n", "accuracy", "macro_f1", "confusion",
                                              "classes", "per_class")},
         "command": command, "date": time.strftime("%Y-%m-%d")}
    path.write_text(json.dumps(m, indent=1) + "\n")
    return m


def pct(v: float | None, digits: int = 2) -> str:
    """A fraction as a percentage with ``digits`` decimals ("n/a" when missing or NaN)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{100 * v:.{digits}f}"


def layer_class_tables(m: dict) -> list[str]:
    """Markdown of one metrics record (``*.metrics.json``): the layer table, a blank line, the
    per-class Se / +P / F1 table of the test part. Shared by the model cards and
    docs/results.md."""
    lines = ["| layer | shape | weights | activation |", "|---|---|---|---|"]
    for i, L in enumerate(m["layers"]):
        lines.append(f"| {i} | {L['shape']} | {L['weights']} | {L['activation']} |")
    lines += ["", "| class | support | Se % | +P % | F1 % |", "|---|---|---|---|---|"]
    for name, p in m["test"]["per_class"].items():
        lines.append(f"| {name} | {p['support']} | {pct(p['se'])} | {pct(p['ppv'])} | "
                     f"{pct(p['f1'])} |")
    return lines


def confusion_table(t: dict, corner: str = " ") -> list[str]:
    """Markdown confusion matrix of a test report (rows true, columns predicted); ``corner`` is
    the top-left header cell."""
    lines = [f"|{corner}| " + " | ".join(t["classes"]) + " |",
             "|---" * (len(t["classes"]) + 1) + "|"]
    for name, row in zip(t["classes"], t["confusion"]):
        lines.append(f"| **{name}** | " + " | ".join(str(v) for v in row) + " |")
    return lines


def _section(m: dict, png: str) -> list[str]:
    t = m["test"]
    mem = m["memory"]
    lines = [f"## `{m['bundle']}` ({m['name']})", "",
             f"* **Data**: {m['dataset']} test part of protocol `{m['split']}`: "
             f"{PROTOCOLS.get((m['dataset'], m['split']), m['split'])}.",
             f"* **Train / validation / test examples**: {m['train_examples']} / "
             f"{m['val_examples']} / {t['n']} (validation is held out of the train part and "
             "only picks the epoch).",
             f"* **Accuracy (golden model, test part)**: **{pct(t['accuracy'])}%**, macro F1 "
             f"{pct(t['macro_f1'])}%.",
             f"* **Weights**: {mem['weights']} int8 ({mem['weight_bytes_int8']} bytes); hardware "
             f"image {mem['hw_image_bytes']} bytes ({mem['wmem_words']} weight words of 8 bytes "
             f"+ {mem['bias_theta_groups']} bias/threshold groups of 48 bytes); bundle file "
             f"{m['bundle_bytes']} bytes.",
             f"* **Cycles per inference** (golden timing model, docs/architecture.md §7): "
             f"{m['cycles']}.",
             f"* **Training**: seed {m['seed']}, "
             + ("split by fixed record lists, "
                if (m["dataset"], m["split"]) == ("ecg", "inter")
                else f"split seed {m['data_seed']}, ")
             + f"{m['train_seconds']} s on {m['threads']} threads; reproduce with "
             f"`{m['command']}`.", ""]
    lines += layer_class_tables(m)
    lines += ["", "Confusion matrix (rows true, columns predicted):", ""] + confusion_table(t)
    lines += ["", f"![confusion matrix]({png})", ""]
    return lines


CARD_INTRO = {
    "ecg": ["# Model card: SparrowSNN ECG (MIT-BIH, AAMI 5 classes)", "",
            "Hybrid ANN-SNN for heartbeat classification: the first layer takes the 8-bit "
            "samples and produces 8-bit counts (T = 255, the ANN half), hidden layers are SSF "
            "(Sum-Spike-and-Fire) with T = 7 (3-bit counts), the last layer is an integer "
            "readout. Classes (bundle order): N, S, V, F, Q (AAMI EC57: N = {N, L, R, "
            "e, j}, S = {A, a, J, S}, V = {V, E}, F = {F}, Q = {/, f, Q}).", "",
            "* **Input**: one beat per reference annotation of MIT-BIH lead MLII (102 and 104: "
            "V5), raw samples r-280..r+280 around the annotated R peak, decimated by 3 "
            "(block sums, 120 Hz), 187 samples, min-max scaled per beat to 0..255 with exact "
            "integer rounding; the bundle's `input.preprocess` has the exact formulas.",
            "* **Rhythm inputs** (inter-patient and patient bundles, input 2 x 187), version "
            "4: no min-max scaled window; channel 0 holds the beat's deviation from the "
            "median of the patient's previous 16 beats (the window's block sums, baseline "
            "removed, against the patient's own template, 128 = no deviation), channel 1 nine "
            "features per beat, each over 20 samples: seven ratios (pre-RR, post-RR and local "
            "mean RR against the record's 5-minute running mean RR, pre-RR against the local "
            "mean, post/pre RR, QRS peak-to-peak against its local and 5-minute means; 64 = "
            "ratio 1), the RR irregularity of the previous 8 beats and the beat's prematurity "
            "in units of that irregularity (atrial fibrillation vs premature S beats); only "
            "past beats and the next R peak are used (one beat of latency). See "
            "docs/training.md §1.1a and `input.preprocess.rhythm`.",
            "* **Data licence**: MIT-BIH Arrhythmia Database (PhysioNet, ODC-By 1.0); cite Moody "
            "& Mark 2001 and Goldberger et al. 2000. The bundles hold derived weights only.",
            "* **Intended use**: a reference workload for the SparrowSNN RTL and golden model; "
            "not a medical device. Intra-patient accuracy overstates what a new patient would "
            "see; the inter-patient figures below are the honest estimate.", ""],
    "eeg": ["# Model card: SparrowSNN EEG (Bonn, seizure vs non-seizure)", "",
            "Hybrid ANN-SNN seizure detector on single-channel intracranial/surface EEG windows: "
            "first layer on 8-bit samples, SSF hidden layers, integer readout. Classes (bundle "
            "order): non-seizure (sets A-D), seizure (set E).", "",
            "* **Input**: windows of 512 raw samples (2.95 s) every 256 samples of each 4097-"
            "sample segment, decimated by 2 (block sums, 86.8 Hz, 256 samples), fixed scaling "
            "x = clamp(floor(s/16) + 128, 0, 255) that keeps the amplitude; see "
            "`input.preprocess`.",
            "* **Data licence**: Bonn University EEG (Andrzejak et al., Phys. Rev. E 64, 061907, "
            "2001), research use with citation. The bundle holds derived weights only.",
            "* **Intended use**: a reference workload for the reconfigurable RTL (same build as "
            "the ECG model); not a medical device. The Bonn segments are short, artefact-free "
            "selections, so real-world seizure detection is much harder.", ""],
}


def write_card(model_dir: Path, kind: str) -> Path:
    """Write model_dir/MODEL_CARD.md (render_card)."""
    out = Path(model_dir) / "MODEL_CARD.md"
    out.write_text(render_card(model_dir, kind))
    return out


def render_card(model_dir: Path, kind: str) -> str:
    """The text of model_dir/MODEL_CARD.md, from every model_dir/*.metrics.json (and, for the
    ECG card, the selection, DS2-log and patient files of the repository holding model_dir)."""
    model_dir = Path(model_dir)
    lines = list(CARD_INTRO[kind])
    for mpath in sorted(model_dir.glob("*.metrics.json"),
                        key=lambda p: (p.name != "model.metrics.json", p.name)):
        m = json.loads(mpath.read_text())
        png = mpath.name.replace(".metrics.json", ".confusion.png")
        lines += _section(m, png)
    if kind == "ecg":
        from training.ecg_tables import inter_sections
        lines += [ln.replace("](../models/ecg/", "](") for ln in
                  inter_sections(model_dir.parent.parent)]
    sweep = model_dir / "sweep.json"
    if sweep.is_file():
        s = json.loads(sweep.read_text())
        lines += ["## Choice of T", "",
                  "T per layer was chosen from a sweep on the validation split (never the test "
                  f"part): first-layer T = {s['chosen']['first_T']}, hidden T = "
                  f"{s['chosen']['hidden_T']}; see `docs/results.md`.", "",
                  "![accuracy vs T](sweep-T.png) ![accuracy vs weights](sweep-weights.png)", ""]
    return "\n".join(lines).rstrip() + "\n"
