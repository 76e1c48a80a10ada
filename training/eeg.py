"""Bonn EEG: seizure (set E) vs non-seizure (sets A-D) windows, uint8 scaling, splits.

Each 4097-sample segment (173.61 Hz) is cut into windows of 512 raw samples starting every 256
samples (15 windows, starts 0..3584). A window is decimated by 2 with block sums and scaled to
uint8 with a fixed integer formula that keeps amplitude (the main seizure cue):
x = clamp(floor((v[2j] + v[2j+1]) / 16) + 128, 0, 255), i.e. the 2-sample mean in steps of 8
raw units around 128. `PREPROCESS` states the same in the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training import DataError

CLASSES = ["non-seizure", "seizure"]
SETS = {"A": "A_Z", "B": "B_O", "C": "C_N", "D": "D_F", "E": "E_S"}
SEIZURE_SET = "E"
SEGMENT_LEN = 4097
RAW_RATE = 173.61
WINDOW = 512
HOP = 256
FACTOR = 2
OUT_LEN = WINDOW // FACTOR
DIVISOR = 16       # applied to the block sum of FACTOR samples
OFFSET = 128
TEST_FRACTION = 0.2
SEED = 20010100

def preprocess_dict() -> dict:
    """The `input.preprocess` record of the current constants."""
    return {
        "dataset": "Bonn University epilepsy EEG (Andrzejak et al. 2001), sets A-E, "
                   "100 single-channel segments each, 4097 samples",
        "task": "seizure (set E, class 1) vs non-seizure (sets A, B, C, D, class 0)",
        "signal": "integer samples as stored in the text files (one per line)",
        "sampling_rate_hz": RAW_RATE,
        "windows": {"length_raw": WINDOW, "hop_raw": HOP,
                    "starts": f"0, {HOP}, ..., {(SEGMENT_LEN - WINDOW) // HOP * HOP} "
                              f"({(SEGMENT_LEN - WINDOW) // HOP + 1} windows per segment)"},
        "filtering": "none (beyond the 0.53-40 Hz band-pass of the original recordings)",
        "resampling": {"method": f"decimation by block sums of {FACTOR} consecutive raw samples: "
                                 f"s[j] = v[{FACTOR}j] + ... + v[{FACTOR}j+{FACTOR - 1}]",
                       "factor": FACTOR, "target_rate_hz": RAW_RATE / FACTOR,
                       "length": WINDOW // FACTOR},
        "scaling": f"x[j] = min(255, max(0, floor(s[j] / {DIVISOR}) + {OFFSET})) (floor "
                   "towards minus infinity); fixed for all windows, so amplitude is kept",
        "layout": f"x shape (1, {WINDOW // FACTOR}), uint8",
    }


PREPROCESS = preprocess_dict()


@dataclass
class Windows:
    """Windows of some segments: inputs (N,1,256) uint8, labels, and provenance."""

    inputs: np.ndarray
    labels: np.ndarray
    file: np.ndarray      # "E_S/S001.txt"
    start: np.ndarray     # raw index of the window's first sample
    set_: np.ndarray      # "A".."E"


def segment_files(folder: Path) -> list[tuple[str, str]]:
    """[(set letter, relative path)] for all 500 segments, sorted by set then name."""
    out = []
    for letter, sub in SETS.items():
        names = sorted(p.name for p in (Path(folder) / sub).iterdir()
                       if p.suffix.lower() == ".txt")
        out += [(letter, f"{sub}/{n}") for n in names]
    return out


def read_segment(path: Path) -> np.ndarray:
    """Integer samples of one segment file; DataError when it is not 4097 integers."""
    try:
        v = np.loadtxt(path, dtype=np.int64, ndmin=1)
    except (ValueError, OverflowError, OSError) as exc:
        raise DataError(f"{path}: not a Bonn segment of integer samples "
                        f"({' '.join(str(exc).split())[:200]})") from None
    if v.shape != (SEGMENT_LEN,):
        raise DataError(f"{path}: expected {SEGMENT_LEN} samples, found {v.size}; the file is "
                        "truncated or malformed")
    return v


def window_starts(n: int = SEGMENT_LEN) -> np.ndarray:
    """Raw start indices of the windows of a segment of n samples."""
    return np.arange(0, n - WINDOW + 1, HOP, dtype=np.int64)


def scale_windows(segment: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Inputs (len(starts), 1, 256) uint8 from a raw integer segment."""
    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(WINDOW)
    sums = np.asarray(segment, dtype=np.int64)[idx].reshape(len(starts), -1, FACTOR).sum(-1)
    return scale(sums)[:, None, :]


def scale(sums: np.ndarray) -> np.ndarray:
    """uint8 inputs from integer block sums (see PREPROCESS['scaling'])."""
    sums = np.asarray(sums, dtype=np.int64)
    return np.clip(np.floor_divide(sums, DIVISOR) + OFFSET, 0, 255).astype(np.uint8)


def all_windows(folder: Path, progress: bool = False) -> Windows:
    """Windows of all 500 segments, in set, file and start order."""
    files = segment_files(folder)
    it = files
    if progress:
        from tqdm import tqdm
        it = tqdm(files, desc="bonn segments", unit="file")
    starts = window_starts()
    xs, ys, fs, ss, sets = [], [], [], [], []
    for letter, rel in it:
        xs.append(scale_windows(read_segment(Path(folder) / rel), starts))
        n = len(starts)
        ys.append(np.full(n, int(letter == SEIZURE_SET), dtype=np.int64))
        fs.append(np.full(n, rel, dtype=object))
        ss.append(starts)
        sets.append(np.full(n, letter, dtype="<U1"))
    return Windows(np.concatenate(xs), np.concatenate(ys), np.concatenate(fs).astype(str),
                   np.concatenate(ss), np.concatenate(sets))


def split_mask(w: Windows, split: str, part: str, seed: int = SEED) -> np.ndarray:
    """Boolean mask of windows in part 'train'/'test' of protocol 'inter' or 'intra'.

    inter: 20% of the segment files of every set (chosen with `seed`) are test; no file has
    windows in both parts. intra: 20% of the windows of each class, drawn at random.
    """
    if part not in ("train", "test"):
        raise ValueError(f"part must be 'train' or 'test', not {part!r}")
    rng = np.random.default_rng(seed)
    if split == "inter":
        test_files: list[str] = []
        for letter in SETS:
            files = np.unique(w.file[w.set_ == letter])
            n_test = int(round(TEST_FRACTION * len(files)))
            test_files += list(rng.permutation(files)[:n_test])
        test = np.isin(w.file, test_files)
    elif split == "intra":
        test = np.zeros(len(w.labels), dtype=bool)
        for c in np.unique(w.labels):
            idx = np.flatnonzero(w.labels == c)
            test[rng.permutation(idx)[:int(round(TEST_FRACTION * len(idx)))]] = True
    else:
        raise ValueError(f"split must be 'intra' or 'inter', not {split!r}")
    return test if part == "test" else ~test
