"""Built, cached datasets ('ecg', 'eeg', 'deap') and the on-disk dataset directory format.

A dataset directory holds `inputs.npy` (N, C, L) uint8, `labels.npy` (N,) int64 class indices
in the bundle's class order, `meta.csv` (source, sample, annotation) and `dataset.json`
(name, split, part, seed, classes, counts, preprocess).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training import DataError, ecg, eeg
from training.checksums import SUMS_NAME
from training.fetch import dataset_dir
from training.paths import cache_root, data_root

CACHE_VERSION = 2
NAMES = ("ecg", "eeg", "deap")


@dataclass
class Dataset:
    """One part of one protocol of one data set."""

    name: str
    split: str
    part: str
    seed: int
    inputs: np.ndarray
    labels: np.ndarray
    classes: list[str]
    preprocess: dict
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> dict[str, int]:
        """Examples per class name."""
        return {c: int((self.labels == i).sum()) for i, c in enumerate(self.classes)}

    def subset(self, mask_or_idx: np.ndarray) -> "Dataset":
        """A Dataset with the chosen examples (boolean mask or index array)."""
        return Dataset(self.name, self.split, self.part, self.seed, self.inputs[mask_or_idx],
                       self.labels[mask_or_idx], self.classes, self.preprocess,
                       {k: v[mask_or_idx] for k, v in self.meta.items()})


def _key(obj: dict) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **obj}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def pool_key(preprocess: dict, folder: Path) -> str:
    """Cache key of a pool: the preprocessing and the content of the data folder it is built
    from (the SHA-256 of its SHA256SUMS, which verify_folder has checked every file against)."""
    sums = hashlib.sha256((Path(folder) / SUMS_NAME).read_bytes()).hexdigest()
    return _key({"preprocess": preprocess, "data_sha256sums": sums})


def _pool_path(name: str, preprocess: dict, folder: Path) -> Path:
    return cache_root() / "datasets" / f"{name}-pool-{pool_key(preprocess, folder)}.npz"


def _load_pool(name: str, progress: bool, use_cache: bool) -> dict[str, np.ndarray]:
    """All examples of a data set before splitting (cached as an .npz keyed by the data)."""
    pre = {"ecg": ecg.PREPROCESS, "eeg": eeg.PREPROCESS}[name]
    folder = dataset_dir("mitdb" if name == "ecg" else "bonn")
    path = _pool_path(name, pre, folder)
    if use_cache and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    if name == "ecg":
        b = ecg.all_beats(folder, progress=progress)
        pool = {"inputs": b.inputs, "labels": b.labels, "source": b.record.astype(str),
                "sample": b.sample, "annotation": b.symbol.astype(str),
                "record": b.record}
    else:
        w = eeg.all_windows(folder, progress=progress)
        pool = {"inputs": w.inputs, "labels": w.labels, "source": w.file.astype(str),
                "sample": w.start, "annotation": w.set_.astype(str)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")     # parallel test workers
    np.savez(tmp, **pool)
    tmp.replace(path)
    return pool


def build(name: str, split: str, part: str, seed: int | None = None, progress: bool = False,
          use_cache: bool = True, dimension: str = "valence",
          source: Path | None = None) -> Dataset:
    """Build (or load from cache) part `part` of protocol `split` of data set `name`."""
    if name not in NAMES:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(NAMES)}")
    if split not in ("intra", "inter"):
        raise DataError(f"unknown split {split!r}; choose intra or inter")
    if part not in ("train", "test"):
        raise DataError(f"unknown part {part!r}; choose train or test")
    if name == "deap":
        return _build_deap(split, part, 0 if seed is None else seed, dimension, source)
    mod = ecg if name == "ecg" else eeg
    seed = mod.SEED if seed is None else seed
    pool = _load_pool(name, progress, use_cache)
    if name == "ecg":
        beats = ecg.Beats(pool["inputs"], pool["labels"], pool["record"], pool["sample"],
                          pool["annotation"])
        mask = ecg.split_mask(beats, split, part, seed)
        if split == "inter":
            mask &= ~np.isin(beats.record, ecg.PACED)
    else:
        w = eeg.Windows(pool["inputs"], pool["labels"], pool["source"], pool["sample"],
                        pool["annotation"])
        mask = eeg.split_mask(w, split, part, seed)
    meta = {k: pool[k][mask] for k in ("source", "sample", "annotation")}
    return Dataset(name, split, part, seed, pool["inputs"][mask], pool["labels"][mask],
                   list(mod.CLASSES), mod.PREPROCESS, meta)


def _build_deap(split: str, part: str, seed: int, dimension: str,
                source: Path | None) -> Dataset:
    from training import deap

    folder = Path(source) if source else data_root() / "deap"
    try:
        w = deap.all_windows(folder, dimension)
    except (FileNotFoundError, ValueError) as exc:
        raise DataError(str(exc)) from None
    mask = deap.split_mask(w, split, part, seed)
    meta = {"source": np.char.add(np.char.add(w.participant.astype(str), ":"),
                                  w.trial.astype(str))[mask],
            "sample": w.start[mask], "annotation": w.rating.astype(str)[mask]}
    pre = dict(deap.PREPROCESS, dimension=dimension)
    return Dataset("deap", split, part, seed, w.inputs[mask], w.labels[mask],
                   list(deap.CLASSES), pre, meta)


def write(ds: Dataset, out: Path) -> None:
    """Write `ds` as a dataset directory (inputs.npy, labels.npy, meta.csv, dataset.json).

    The files are written to a temporary folder inside `out` and renamed into place only when
    all four are complete, so a failure never leaves a half-written dataset.
    """
    import shutil
    import tempfile

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".dataset-", dir=out))
    try:
        np.save(tmp / "inputs.npy", np.ascontiguousarray(ds.inputs, dtype=np.uint8))
        np.save(tmp / "labels.npy", np.asarray(ds.labels, dtype=np.int64))
        with open(tmp / "meta.csv", "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["source", "sample", "annotation"])
            wr.writerows(zip(ds.meta["source"].tolist(), ds.meta["sample"].tolist(),
                             ds.meta["annotation"].tolist()))
        info = {"name": ds.name, "split": ds.split, "part": ds.part, "seed": ds.seed,
                "classes": ds.classes, "n": len(ds), "counts": ds.counts(),
                "shape": list(ds.inputs.shape[1:]), "preprocess": ds.preprocess,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        (tmp / "dataset.json").write_text(json.dumps(info, indent=1) + "\n")
        for name in ("inputs.npy", "labels.npy", "meta.csv", "dataset.json"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read(directory: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """(inputs, labels, info) of a dataset directory; DataError if it is malformed."""
    from golden.safeio import UserFileError, parse_json, read_npy, read_text

    d = Path(directory)
    if not d.is_dir():
        raise DataError(f"{d}: not a dataset directory (" +
                        ("it is a file)" if d.exists() else "it does not exist)"))
    try:
        x = read_npy(d / "inputs.npy", "dataset inputs")
        y = read_npy(d / "labels.npy", "dataset labels")
        info = {}
        if (d / "dataset.json").is_file():
            where = f"'{d / 'dataset.json'}'"
            info = parse_json(read_text(d / "dataset.json", where, 16 << 20), where)
    except UserFileError as exc:
        raise DataError(f"{d}: not a dataset directory ({exc})") from None
    if not isinstance(info, dict):
        raise DataError(f"{d / 'dataset.json'}: expected a JSON object, got {type(info).__name__}")
    classes = info.get("classes")
    if classes is not None and not (isinstance(classes, list) and
                                    all(isinstance(c, str) for c in classes)):
        raise DataError(f"{d / 'dataset.json'}: field 'classes' must be a list of names")
    if x.dtype != np.uint8 or x.ndim != 3:
        raise DataError(f"{d / 'inputs.npy'}: expected uint8 (N, C, L), got {x.dtype} {x.shape}")
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{d / 'labels.npy'}: expected integer (N,) with N = {len(x)}, "
                        f"got {y.dtype} {y.shape}")
    return x, y.astype(np.int64), info
