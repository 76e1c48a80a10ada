"""DEAP (preprocessed Python release) loader: valence / arousal windows as uint8 inputs.

DEAP is distributed only under its end-user license agreement: use your own licensed copy
(`data_preprocessed_python/sXX.dat`); nothing of it is, or may be, in this repository.

Each participant file is a pickle holding `data` (40 trials x 40 channels x 8064 samples at
128 Hz; channels 0-31 are EEG, the first 3 s = 384 samples are a pre-trial baseline) and
`labels` (40 x 4: valence, arousal, dominance, liking on 1..9). Examples are made the same way
as for Bonn: fixed-length windows (1 s = 128 samples, hop 128) cut from the 60 s after the
baseline, every EEG channel minus its own baseline mean, scaled with a fixed step:
x = clamp(floor((v - baseline_mean) / 1.0 uV) + 128, 0, 255), shape (32, 128) so that
C * L = 4096 fits the activation buffer. Label: 1 ("high") if the rating is > 5, else 0.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASSES = ["low", "high"]
DIMENSIONS = {"valence": 0, "arousal": 1, "dominance": 2, "liking": 3}
N_TRIALS, N_CHANNELS, N_SAMPLES = 40, 40, 8064
EEG_CHANNELS = 32
RATE = 128
BASELINE = 3 * RATE
WINDOW = 128
HOP = 128
STEP_UV = 1.0
OFFSET = 128
THRESHOLD = 5.0

PREPROCESS = {
    "dataset": "DEAP preprocessed Python release (data_preprocessed_python/sXX.dat), "
               "user's own licensed copy",
    "signal": "channels 0..31 (EEG) of `data`, microvolts, 128 Hz",
    "baseline": "first 384 samples (3 s) of each trial; each channel's baseline mean is "
                "subtracted; windows are cut from samples 384..8063",
    "windows": {"length": WINDOW, "hop": HOP, "per_trial": (N_SAMPLES - BASELINE) // HOP},
    "scaling": "x = min(255, max(0, floor((v - baseline_mean) / 1.0) + 128)) in float64",
    "labels": "1 (high) if the rating of the chosen dimension is > 5, else 0 (low)",
    "layout": f"x shape ({EEG_CHANNELS}, {WINDOW}), uint8",
}


@dataclass
class DeapWindows:
    """Windows of some participants: inputs (N,32,128) uint8, labels, and provenance."""

    inputs: np.ndarray
    labels: np.ndarray
    participant: np.ndarray
    trial: np.ndarray
    start: np.ndarray
    rating: np.ndarray


#: The only globals a DEAP participant pickle may name: numpy's array and scalar
#: reconstructors (module names of numpy 1.x and 2.x) and the codec Python 2 pickles use for
#: byte strings. Anything else (os.system, builtins.eval, ...) is refused before it is called.
SAFE_GLOBALS = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
})


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds dicts, lists and numpy arrays and nothing else."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in SAFE_GLOBALS:
            raise pickle.UnpicklingError(f"refused to load global '{module}.{name}'")
        return super().find_class(module, name)


def load_pickle(path: Path) -> object:
    """Unpickle a DEAP file with :class:`_NumpyOnlyUnpickler`; ValueError when it is not a
    pickle of numpy data (including a pickle that would run code)."""
    try:
        with open(path, "rb") as f:
            return _NumpyOnlyUnpickler(f, encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise ValueError(f"{path}: not a DEAP participant file ({exc})") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OverflowError, MemoryError) as exc:
        raise ValueError(f"{path}: not a DEAP participant file (corrupt pickle: "
                         f"{type(exc).__name__})") from None


def load_participant(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(data (40,40,8064) as stored, labels (40,4) float64) of one `sXX.dat` pickle."""
    obj = load_pickle(path)
    try:
        data = np.asarray(obj["data"])
        labels = np.asarray(obj["labels"], dtype=np.float64)
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise ValueError(f"{path}: not a DEAP participant file (no 'data'/'labels')") from exc
    if data.shape != (N_TRIALS, N_CHANNELS, N_SAMPLES) or labels.shape != (N_TRIALS, 4):
        raise ValueError(f"{path}: expected data {(N_TRIALS, N_CHANNELS, N_SAMPLES)} and labels "
                         f"{(N_TRIALS, 4)}, found {data.shape} and {labels.shape}")
    if data.dtype.kind not in "fiu":
        raise ValueError(f"{path}: 'data' holds {data.dtype} values, expected numbers")
    return data, labels


def trial_windows(trial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (W,32,128) uint8, window starts) of one trial (40, 8064)."""
    eeg = np.asarray(trial[:EEG_CHANNELS], dtype=np.float64)
    base = eeg[:, :BASELINE].mean(axis=1, keepdims=True)
    starts = np.arange(BASELINE, N_SAMPLES - WINDOW + 1, HOP, dtype=np.int64)
    idx = starts[:, None] + np.arange(WINDOW)
    win = eeg[:, idx].transpose(1, 0, 2) - base[None]
    x = np.clip(np.floor(win / STEP_UV) + OFFSET, 0, 255).astype(np.uint8)
    return x, starts


def participant_windows(path: Path, dimension: str = "valence") -> DeapWindows:
    """All windows of one participant, labelled on `dimension`."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {list(DIMENSIONS)}, not {dimension!r}")
    data, labels = load_participant(path)
    xs, starts = zip(*(trial_windows(data[t]) for t in range(N_TRIALS)))
    per = len(starts[0])
    rating = np.repeat(labels[:, DIMENSIONS[dimension]], per)
    return DeapWindows(np.concatenate(xs), (rating > THRESHOLD).astype(np.int64),
                       np.full(len(rating), Path(path).stem), np.repeat(np.arange(N_TRIALS), per),
                       np.concatenate(starts), rating)


def all_windows(folder: Path, dimension: str = "valence") -> DeapWindows:
    """Windows of every `s*.dat` participant file in folder, sorted by file name."""
    files = sorted(Path(folder).glob("s*.dat"))
    if not files:
        raise FileNotFoundError(f"{folder}: no DEAP participant files s*.dat (DEAP needs your "
                                "own licensed copy of data_preprocessed_python)")
    parts = [participant_windows(f, dimension) for f in files]
    return DeapWindows(*(np.concatenate([getattr(p, k) for p in parts])
                         for k in ("inputs", "labels", "participant", "trial", "start", "rating")))


def split_mask(w: DeapWindows, split: str, part: str, seed: int = 0) -> np.ndarray:
    """'inter': 20% of participants are test; 'intra': 20% of windows of each class are test."""
    rng = np.random.default_rng(seed)
    if split == "inter":
        people = np.unique(w.participant)
        n_test = max(1, int(round(0.2 * len(people))))
        test = np.isin(w.participant, rng.permutation(people)[:n_test])
    elif split == "intra":
        test = np.zeros(len(w.labels), dtype=bool)
        for c in np.unique(w.labels):
            idx = np.flatnonzero(w.labels == c)
            test[rng.permutation(idx)[:int(round(0.2 * len(idx)))]] = True
    else:
        raise ValueError(f"split must be 'intra' or 'inter', not {split!r}")
    if part not in ("train", "test"):
        raise ValueError(f"part must be 'train' or 'test', not {part!r}")
    return test if part == "test" else ~test
