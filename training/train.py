"""Training: float phase (BN + clip-floor STE), BN folding, integer QAT phase, bundle export.

`python -m training.train ecg-intra` (or `sparrow train ecg-intra`) trains one of the default
configurations in `CONFIGS` from its fixed seed and writes the bundle and a JSON report.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training import datasets
from training.export import export_bundle
from training.metrics import classification_report
from training.qnn import QNet

ECG_ARCH = [
    {"kind": "conv1d", "out": 8, "kernel": 7, "stride": 2, "padding": 3, "T": 255},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "dense", "out": 32, "T": 7},
    {"kind": "dense", "out": 5},
]

EEG_ARCH = [
    {"kind": "conv1d", "out": 8, "kernel": 7, "stride": 2, "padding": 3, "T": 15},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "dense", "out": 16, "T": 7},
    {"kind": "dense", "out": 2},
]


@dataclass
class TrainConfig:
    """Everything that determines a trained bundle (recorded in the bundle's `training` key)."""

    name: str
    dataset: str
    split: str
    arch: list[dict]
    bundle_name: str
    epochs_float: int = 30
    epochs_qat: int = 8
    batch: int = 128
    lr: float = 3e-3
    lr_qat: float = 3e-4
    weight_decay: float = 1e-4
    class_weight: str = "none"      # "none" or "sqrt" (inverse square-root frequency)
    val_fraction: float = 0.1
    val_by: str = "example"         # "example", "source" (whole records/files held out) or
    #                                 "records" (the records in val_records, patient-wise)
    train_fraction: float = 1.0     # < 1: train on a stratified random subset (sweeps)
    select: str = "accuracy"        # epoch chosen by validation accuracy|macro_f1|macro_f1_nsvf
    keep: str = "best"              # "best": the epoch `select` scores best on the validation
    #                                 split; "last": the last epoch of each phase (no choice
    #                                 made on validation data, so val_records may be empty and
    #                                 the model then trains on every record)
    augment: tuple[str, ...] = ()   # training-time input augmentations, see AUGMENTATIONS
    seed: int = 1
    data_seed: int | None = None    # split seed; None = the data set's default
    threads: int = 2
    inputs: str = "morphology"      # "morphology", "rhythm" or "rhythm2" (ECG: + RR/amplitude
    #                                 channel of rhythm version 1 or 2, training/rhythm.py)
    majority_keep: float = 1.0      # < 1: train on this random fraction of class 0 (ECG: N)
    readout_offsets: bool = False   # add per-class integer offsets to the readout bias,
    #                                 chosen on the validation split (choose_offsets)
    val_records: tuple[int, ...] = ()   # val_by "records": these whole records are validation
    notes: dict = field(default_factory=dict)

    def with_(self, **kw: object) -> "TrainConfig":
        """A copy with some fields replaced."""
        return replace(self, **kw)


#: DS1 records held out (patient-wise validation) by the inter-patient ECG configuration
ECG_VAL_RECORDS = (116, 118, 124, 201, 215, 223)

CONFIGS: dict[str, TrainConfig] = {
    "ecg-intra": TrainConfig("ecg-intra", "ecg", "intra", ECG_ARCH, "ecg-aami5-intra"),
    # chosen by python -m training.ecg_select (patient-wise validation inside DS1; rhythm
    # version 4 on the three-seed mean of the DS1 cross-validation)
    "ecg-inter": TrainConfig("ecg-inter", "ecg", "inter", ECG_ARCH, "ecg-aami5-inter-rhythm",
                             epochs_float=20, epochs_qat=10, class_weight="sqrt",
                             weight_decay=1e-3, select="macro_f1_nsvf", val_by="records",
                             val_records=ECG_VAL_RECORDS, inputs="rhythm4",
                             augment=("warp",), readout_offsets=True, threads=1),
    "eeg-inter": TrainConfig("eeg-inter", "eeg", "inter", EEG_ARCH, "eeg-bonn-e-vs-abcd",
                             epochs_float=100, epochs_qat=10, batch=64, val_by="source",
                             augment=("sign", "reverse", "scale")),
}

DEFAULT_OUTPUTS = {"ecg-intra": "models/ecg/model.json",
                   "ecg-inter": "models/ecg/model-inter.json",
                   "eeg-inter": "models/eeg/model.json"}


def _aug_sign(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    flip = torch.rand(len(x), generator=g) < 0.5
    return torch.where(flip[:, None, None], torch.clamp(256 - x, 0, 255), x)


def _aug_reverse(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    flip = torch.rand(len(x), generator=g) < 0.5
    return torch.where(flip[:, None, None], x.flip(-1), x)


def _aug_scale(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    a = torch.exp((torch.rand(len(x), generator=g) * 2 - 1) * 0.35).to(x.dtype)
    return torch.clamp(torch.round((x - 128) * a[:, None, None]) + 128, 0, 255)


def _aug_warp(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """ECG: channel 0 time-scaled about the R peak (sample L//2) by a in U(0.88, 1.12), linear
    interpolation, rounded; other channels (rhythm) unchanged."""
    n, _, length = x.shape
    a = 0.88 + 0.24 * torch.rand(n, generator=g, dtype=torch.float64)
    c = length // 2
    pos = c + (torch.arange(length, dtype=torch.float64)[None, :] - c) * a[:, None]
    pos = pos.clamp(0, length - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=length - 1)
    w = (pos - lo).to(x.dtype)
    ch0 = x[:, 0]
    warped = torch.round(torch.gather(ch0, 1, lo) * (1 - w) + torch.gather(ch0, 1, hi) * w)
    out = x.clone()
    out[:, 0] = warped.clamp(0, 255)
    return out


def _aug_ecgnoise(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """ECG: channel 0 plus a baseline ramp (end-to-end rise U(-24, 24)) and Gaussian noise of
    standard deviation 3, rounded and clipped to 0..255; other channels (rhythm) unchanged.
    Electrode motion and baseline wander the per-beat min-max scaling does not remove."""
    n, _, length = x.shape
    slope = (torch.rand(n, generator=g, dtype=x.dtype) * 2 - 1) * 24
    ramp = slope[:, None] * (torch.arange(length, dtype=x.dtype)[None, :] / (length - 1) - 0.5)
    noise = torch.randn((n, length), generator=g, dtype=x.dtype) * 3
    out = x.clone()
    out[:, 0] = torch.round(x[:, 0] + ramp + noise).clamp(0, 255)
    return out


#: Augmentations of integer-valued inputs around the offset 128 (EEG): polarity inversion,
#: time reversal, amplitude scaling by exp(U(-0.35, 0.35)); each result is again 0..255 integers.
#: ECG: "warp" (time scaling of the beat about its R peak), "ecgnoise" (baseline ramp + noise).
AUGMENTATIONS = {"sign": _aug_sign, "reverse": _aug_reverse, "scale": _aug_scale,
                 "warp": _aug_warp, "ecgnoise": _aug_ecgnoise}


#: TrainConfig.inputs -> rhythm channel version (training/rhythm.py)
INPUT_RHYTHM = {"rhythm": 1, "rhythm2": 2, "rhythm3": 3, "rhythm4": 4}


def build_part(cfg: TrainConfig, part: str, progress: bool = False) -> datasets.Dataset:
    """Part `part` of the configuration's data set in the configuration's input format."""
    if cfg.inputs in INPUT_RHYTHM:
        from training import rhythm
        return rhythm.build(cfg.split, part, rhythm=INPUT_RHYTHM[cfg.inputs], progress=progress)
    if cfg.inputs != "morphology":
        raise ValueError(f"unknown inputs {cfg.inputs!r}")
    return datasets.build(cfg.dataset, cfg.split, part, seed=cfg.data_seed, progress=progress)


def _stratified_val(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    val = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        val[rng.permutation(idx)[:int(round(fraction * len(idx)))]] = True
    return val


def _grouped_val(labels: np.ndarray, groups: np.ndarray, fraction: float,
                 seed: int) -> np.ndarray:
    """Hold out round(fraction * n) whole groups (files, records) of every class."""
    rng = np.random.default_rng(seed)
    names, first = np.unique(groups, return_index=True)
    glabel = labels[first]
    chosen: list[str] = []
    for c in np.unique(glabel):
        g = names[glabel == c]
        chosen += list(rng.permutation(g)[:max(1, int(round(fraction * len(g))))])
    return np.isin(groups, chosen)


def _class_weights(labels: np.ndarray, n: int, mode: str) -> torch.Tensor | None:
    if mode == "none":
        return None
    counts = np.bincount(labels, minlength=n).astype(np.float64)
    w = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1)), 0.0)
    w = w / (w * counts).sum() * counts.sum()
    return torch.tensor(w, dtype=torch.float32)


def _score(y: np.ndarray, pred: np.ndarray, n: int, metric: str) -> float:
    rep = classification_report(y, pred, n)
    if metric == "macro_f1_nsvf":       # ECG: macro F1 over N, S, V, F (Q outside the macro)
        return float(np.mean([rep["per_class"][str(c)]["f1"] for c in range(4)]))
    return rep["accuracy"] if metric == "accuracy" else rep["macro_f1"]


def choose_offsets(logits: np.ndarray, y: np.ndarray, metric: str, classes: tuple[int, ...] =
                   (1, 2, 3), passes: int = 3, steps: int = 32,
                   min_gain: float = 0.002) -> np.ndarray:
    """Integer offsets added to the readout logits (class 0 fixed at 0) that maximise the
    validation `metric`: coordinate ascent over `classes`, offsets in multiples of a unit
    u = max(1, (95th - 5th percentile of the logits) / 64) within +-steps*u; a change must
    gain > min_gain."""
    logits = np.asarray(logits, dtype=np.int64)
    n = logits.shape[1]
    lo, hi = np.percentile(logits, [5, 95]) if logits.size else (0, 0)
    unit = max(1, int((hi - lo) // 64))
    off = np.zeros(n, dtype=np.int64)

    def score(o: np.ndarray) -> float:
        return _score(y, np.argmax(logits + o, axis=1), n, metric)
    best = score(off)
    for _ in range(passes):
        changed = False
        for c in classes:
            for k in sorted(range(-steps, steps + 1), key=abs):
                trial = off.copy()
                trial[c] = k * unit
                v = score(trial)
                if v > best + min_gain:
                    best, off, changed = v, trial, True
        if not changed:
            break
    return off


def apply_offsets(net: QNet, off: np.ndarray) -> None:
    """Add integer offsets to the deployed readout bias of a folded network (exactly)."""
    layer = net.layers[-1]
    _, b0, th = layer.int_params(torch.float64)
    want = b0.detach() + torch.as_tensor(off, dtype=torch.float64)
    with torch.no_grad():
        layer.bias.copy_((want / th).to(layer.bias.dtype))
    got = layer.int_params(torch.float64)[1].detach()
    if not torch.equal(got, want):
        raise RuntimeError("readout offsets did not land exactly on the integer bias")


def _val_score(net: QNet, xv: torch.Tensor, yv: np.ndarray, cfg: TrainConfig) -> float:
    """The validation `cfg.select` score, NaN when there is no validation split."""
    if len(yv) == 0:
        return float("nan")
    return _score(yv, _predict(net, xv), net.n_classes, cfg.select)


def _predict(net: QNet, x: torch.Tensor, batch: int = 4096) -> np.ndarray:
    if net.folded:
        return net.deployed(x)[0]
    net.eval()
    with torch.no_grad():
        out = [net(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)]
    net.train()
    return torch.cat(out).numpy()


def _run_phase(net: QNet, x: torch.Tensor, y: torch.Tensor, xv: torch.Tensor, yv: np.ndarray,
               cfg: TrainConfig, epochs: int, lr: float, weights: torch.Tensor | None,
               gen: torch.Generator, desc: str, progress: bool,
               history: list[dict]) -> tuple[float, dict]:
    """Train `epochs` epochs (Adam, cosine decay), keep the best validation state (cfg.keep
    "best") or the last one ("last"); with no validation examples the score is NaN."""
    if epochs <= 0:
        return _val_score(net, xv, yv, cfg), net.state_dict()
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    steps = epochs * ((len(x) + cfg.batch - 1) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps,
                                                pct_start=0.15 if not net.folded else 0.05)
    dtype = torch.float64 if net.folded else torch.float32
    best, best_state = -1.0, copy.deepcopy(net.state_dict())
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, desc=desc, unit="batch", leave=False)
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(x), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, len(x), cfg.batch):
            idx = perm[i:i + cfg.batch]
            xb = x[idx].to(dtype)
            for name in cfg.augment:
                xb = AUGMENTATIONS[name](xb, gen)
            logits = net.float_logits(xb).float()
            loss = F.cross_entropy(logits, y[idx], weight=weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            if bar is not None:
                bar.update(1)
        score = _val_score(net, xv, yv, cfg)
        history.append({"phase": desc, "epoch": ep + 1, "loss": total / seen,
                        f"val_{cfg.select}": score})
        if bar is not None:
            bar.set_postfix(loss=f"{total / seen:.4f}", val=f"{score:.4f}")
        if cfg.keep == "last" or score > best:
            best, best_state = score, copy.deepcopy(net.state_dict())
    if bar is not None:
        bar.close()
    return best, best_state


def train(cfg: TrainConfig, out: Path | None = None, progress: bool = True,
          evaluate_test: bool = True) -> dict:
    """Train `cfg` from its seed; write the bundle to `out` (if given); return a report dict."""
    t0 = time.time()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    if cfg.keep not in ("best", "last"):
        raise ValueError(f"{cfg.name}: keep must be 'best' or 'last', not {cfg.keep!r}")
    if cfg.keep == "best" and cfg.val_by == "records" and not cfg.val_records:
        raise ValueError(f"{cfg.name}: keep='best' needs validation records to choose on")
    if cfg.readout_offsets and cfg.val_by == "records" and not cfg.val_records:
        raise ValueError(f"{cfg.name}: readout offsets are chosen on validation records; "
                         "there are none")
    ds = build_part(cfg, "train", progress)
    if cfg.val_by == "records":
        val = np.isin(ds.meta["source"].astype(np.int64), list(cfg.val_records))
    elif cfg.val_by == "source":
        val = _grouped_val(ds.labels, ds.meta["source"], cfg.val_fraction, cfg.seed)
    else:
        val = _stratified_val(ds.labels, cfg.val_fraction, cfg.seed)
    keep = ~val
    if cfg.train_fraction < 1.0:
        drop = _stratified_val(ds.labels, 1.0 - cfg.train_fraction, cfg.seed + 1)
        keep &= ~drop
    if cfg.majority_keep < 1.0:         # undersample the majority class (seeded)
        rng = np.random.default_rng(cfg.seed + 2)
        major = np.flatnonzero(keep & (ds.labels == 0))
        drop = rng.permutation(major)[int(round(cfg.majority_keep * len(major))):]
        keep[drop] = False
    x = torch.from_numpy(ds.inputs[keep])
    y = torch.from_numpy(ds.labels[keep])
    xv = torch.from_numpy(ds.inputs[val])
    yv = ds.labels[val]
    c0, l0 = ds.inputs.shape[1:]
    net = QNet(c0, l0, cfg.arch)
    if net.n_classes != len(ds.classes):
        raise ValueError(f"{cfg.name}: readout has {net.n_classes} outputs, data has "
                         f"{len(ds.classes)} classes")
    weights = _class_weights(ds.labels[keep], net.n_classes, cfg.class_weight)
    history: list[dict] = []
    best_f, state = _run_phase(net, x, y, xv, yv, cfg, cfg.epochs_float, cfg.lr, weights, gen,
                               f"{cfg.name} float", progress, history)
    net.load_state_dict(state)
    net.fold_bn()
    folded_score = _val_score(net, xv, yv, cfg)
    best_q, state = _run_phase(net, x, y, xv, yv, cfg, cfg.epochs_qat, cfg.lr_qat, weights, gen,
                               f"{cfg.name} qat", progress, history)
    if cfg.keep == "last" or best_q >= folded_score:
        net.load_state_dict(state)
    offsets, after = None, None
    if cfg.readout_offsets:
        offsets = choose_offsets(net.deployed(xv)[1], yv, cfg.select)
        apply_offsets(net, offsets)
        after = _val_score(net, xv, yv, cfg)
    train_seconds = time.time() - t0
    report: dict = {"config": asdict(cfg), "n_weights": net.n_weights(),
                    "val": val_block(cfg, best_f, folded_score, best_q, offsets, after),
                    "train_examples": int(len(x)), "val_examples": int(len(xv)),
                    "readout_offsets": None if offsets is None else offsets.tolist(),
                    "history": history, "train_seconds": round(train_seconds, 1)}
    if evaluate_test:
        test = build_part(cfg, "test")
        pred, _ = net.deployed(test.inputs)
        report["test"] = classification_report(test.labels, pred, net.n_classes, ds.classes)
        report["test_examples"] = len(test)
    training = training_info(
        cfg, ds.seed, ds.classes,
        readout_theta=int(net.layers[-1].theta()[0]) if cfg.inputs != "morphology" else None,
        offsets=None if offsets is None else offsets.tolist(),
        test_accuracy=report["test"]["accuracy"] if "test" in report else None)
    bundle = export_bundle(net, cfg.bundle_name, ds.classes, ds.preprocess, training)
    report["bundle"] = bundle
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(bundle, separators=(",", ":")) + "\n")
        report["bundle_bytes"] = out.stat().st_size
    report["net"] = net
    return report


def val_block(cfg: TrainConfig, float_best: float | None, folded: float | None,
              qat_best: float | None, offsets: np.ndarray | None,
              after: float | None) -> dict:
    """The "val" block of a training report, written by train() and by `ecg_select
    --finalize` for the same bundle: the validation score after the float phase, BN folding and
    QAT, and with readout offsets, the offsets and the score after them."""
    return {"metric": cfg.select, "float_best": float_best, "folded_before_qat": folded,
            "qat_best": qat_best,
            **({"after_readout_offsets": after, "readout_offsets": offsets.tolist()}
               if cfg.readout_offsets else {})}


def training_info(cfg: TrainConfig, data_seed: int, classes: list[str], *,
                  readout_theta: int | None = None, offsets: list[int] | None = None,
                  test_accuracy: float | None = None, torch_version: str = torch.__version__
                  ) -> dict:
    """A bundle's `training` key (before export adds n_weights), in its one key order:
    everything that determines the weights, and nothing that varies between runs (time), so
    that retraining reproduces the committed bundle byte for byte. `readout_theta` is the
    readout's training scale (rhythm-input bundles: patient tuning needs it)."""
    info = {"config": cfg.name, "dataset": cfg.dataset, "split": cfg.split,
            "data_seed": data_seed, "seed": cfg.seed, "threads": cfg.threads,
            "classes": classes, "epochs_float": cfg.epochs_float,
            "epochs_qat": cfg.epochs_qat, "batch": cfg.batch, "lr": cfg.lr,
            "lr_qat": cfg.lr_qat, "weight_decay": cfg.weight_decay,
            "class_weight": cfg.class_weight, "augment": list(cfg.augment),
            "val_fraction": cfg.val_fraction, "val_by": cfg.val_by,
            "select": cfg.select, "train_fraction": cfg.train_fraction,
            **({"keep": cfg.keep} if cfg.keep != "best" else {}),
            **({"inputs": cfg.inputs} if cfg.inputs != "morphology" else {}),
            **({"majority_keep": cfg.majority_keep} if cfg.majority_keep < 1 else {}),
            **({"readout_offsets_rule": "choose_offsets on the validation split"}
               if cfg.readout_offsets else {}),
            **({"val_records": list(cfg.val_records)} if cfg.val_records else {}),
            "torch": torch_version}
    if readout_theta is not None:
        info["readout_theta"] = readout_theta
    if offsets is not None:
        info["readout_offsets"] = offsets
    if test_accuracy is not None:
        info["test_accuracy_pytorch_deployed"] = test_accuracy
    return info


def save_report(report: dict, path: Path) -> None:
    """Write a training report (without the bundle and the network) as JSON."""
    slim = {k: v for k, v in report.items() if k not in ("bundle", "net")}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(slim, indent=1, default=str) + "\n")
