"""MIT-BIH beats: AAMI labels, fixed windows around the annotated R peak, uint8 scaling, splits.

One example per reference beat annotation (`atr` symbols of the AAMI map; non-beat annotations
are skipped). The window is raw samples r-280 .. r+280 (561 samples, 1.558 s at 360 Hz) of lead
MLII as stored (digital ADC units, no filtering); samples beyond the record's ends repeat the
nearest sample. It is decimated by 3 with block sums (boxcar, equivalent to block means), giving
187 samples at 120 Hz with the R peak in sample 93, and min-max scaled to 0..255 per beat with
exact integer round-half-up. `PREPROCESS` states the same in the bundle.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training import DataError

CLASSES = ["N", "S", "V", "F", "Q"]
AAMI = {"N": "NLRej", "S": "AaJS", "V": "VE", "F": "F", "Q": "/fQ"}
SYMBOL_TO_CLASS = {sym: CLASSES.index(c) for c, syms in AAMI.items() for sym in syms}

RECORDS = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112, 113, 114, 115, 116, 117,
           118, 119, 121, 122, 123, 124, 200, 201, 202, 203, 205, 207, 208, 209, 210, 212, 213,
           214, 215, 217, 219, 220, 221, 222, 223, 228, 230, 231, 232, 233, 234]
DS1 = [101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122, 124, 201, 203, 205, 207, 208, 209,
       215, 220, 223, 230]
DS2 = [100, 103, 105, 111, 113, 117, 121, 123, 200, 202, 210, 212, 213, 214, 219, 221, 222, 228,
       231, 232, 233, 234]
PACED = [102, 104, 107, 217]

LEAD = "MLII"
RAW_RATE = 360
PRE = 280          # raw samples before the R peak
LENGTH = 561       # raw samples in the window (r-280 .. r+280)
FACTOR = 3         # decimation factor (block sums)
OUT_LEN = LENGTH // FACTOR
TEST_FRACTION = 0.2
SEED = 20240506

PREPROCESS = {
    "dataset": "MIT-BIH Arrhythmia Database v1.0.0 (PhysioNet mitdb), reference annotations 'atr'",
    "examples": "one per beat annotation whose symbol is in the AAMI map; other annotations "
                "skipped",
    "classes_aami": {c: list(s) for c, s in AAMI.items()},
    "signal": "lead MLII, digital ADC units as stored (wfdb rdrecord physical=False); records "
              "without MLII (102, 104) use their first signal (V5)",
    "sampling_rate_hz": RAW_RATE,
    "fiducial": "annotation sample index r (the R peak as annotated)",
    "window_raw": {"first": -PRE, "last": LENGTH - PRE - 1, "length": LENGTH,
                   "note": "raw samples r-280..r+280 inclusive; indices outside the record are "
                           "replaced by the nearest valid index (edge replication)"},
    "filtering": "none",
    "resampling": {"method": "decimation by block sums of 3 consecutive raw samples "
                             "(boxcar, no overlap): s[j] = w[3j] + w[3j+1] + w[3j+2]",
                   "factor": FACTOR, "target_rate_hz": RAW_RATE // FACTOR, "length": OUT_LEN,
                   "r_peak_sample": PRE // FACTOR},
    "scaling": "per beat: lo = min_j s[j], hi = max_j s[j]; x[j] = floor((510*(s[j]-lo) + "
               "(hi-lo)) / (2*(hi-lo))), i.e. round-half-up of 255*(s[j]-lo)/(hi-lo); "
               "x = 0 everywhere if hi == lo",
    "layout": "x shape (1, 187), uint8",
}


@dataclass
class Beats:
    """All beats of some records: inputs (N,1,187) uint8, labels (N,), and provenance."""

    inputs: np.ndarray
    labels: np.ndarray
    record: np.ndarray
    sample: np.ndarray
    symbol: np.ndarray


def read_lead(folder: Path, record: int) -> tuple[np.ndarray, str]:
    """Digital samples (int64) of lead MLII of a record (first signal if it has no MLII)."""
    import wfdb

    path = str(Path(folder) / str(record))
    header = wfdb.rdheader(path)
    name = LEAD if LEAD in header.sig_name else header.sig_name[0]
    rec = wfdb.rdrecord(path, physical=False, channel_names=[name])
    return rec.d_signal[:, 0].astype(np.int64), name


def read_beats(folder: Path, record: int) -> tuple[np.ndarray, np.ndarray]:
    """(sample indices, symbols) of a record's beat annotations in the AAMI map."""
    import wfdb

    path = Path(folder) / f"{record}.atr"
    with open(path, "rb") as f:                 # MIT format: the file ends with a zero word
        f.seek(max(0, path.stat().st_size - 2))
        if f.read() != b"\x00\x00":
            raise DataError(f"{path}: no end-of-annotations marker; the file is truncated")
    with warnings.catch_warnings():      # wfdb 4.3.1 trips pandas deprecation warnings
        warnings.simplefilter("ignore")
        ann = wfdb.rdann(str(Path(folder) / str(record)), "atr")
    symbols = np.asarray(ann.symbol, dtype="<U2")
    keep = np.isin(symbols, list(SYMBOL_TO_CLASS))
    return np.asarray(ann.sample, dtype=np.int64)[keep], symbols[keep]


def scale_uint8(s: np.ndarray) -> np.ndarray:
    """Exact per-row min-max scaling of integer rows to 0..255 with round-half-up."""
    s = np.asarray(s, dtype=np.int64)
    lo = s.min(axis=-1, keepdims=True)
    span = s.max(axis=-1, keepdims=True) - lo
    den = np.where(span > 0, 2 * span, 1)
    x = (510 * (s - lo) + span) // den
    return np.where(span > 0, x, 0).astype(np.uint8)


def block_sums(signal: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """(N, 187) int64 block sums of the raw windows r-280 .. r+280 (edge replication) around
    R peaks `samples` of a raw 1-D integer signal: the morphology before its scaling."""
    idx = np.asarray(samples, dtype=np.int64)[:, None] + np.arange(-PRE, LENGTH - PRE)
    idx = np.clip(idx, 0, len(signal) - 1)
    raw = np.asarray(signal, dtype=np.int64)[idx]
    return raw.reshape(len(idx), OUT_LEN, FACTOR).sum(axis=-1)


def windows(signal: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Inputs (N, 1, 187) uint8 for R peaks `samples` of a raw 1-D integer signal."""
    return scale_uint8(block_sums(signal, samples))[:, None, :]


def record_beats(folder: Path, record: int) -> Beats:
    """Every AAMI beat of one record; DataError when the record cannot be read or is shorter
    than its annotations (a truncated or corrupt file, even one whose checksum was updated)."""
    where = Path(folder) / str(record)
    try:
        signal, _ = read_lead(folder, record)
        samples, symbols = read_beats(folder, record)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - wfdb raises many exception types on corrupt files
        raise DataError(f"{where}: cannot read MIT-BIH record {record} ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())[:200]}); the file may be truncated or "
                        "corrupt") from None
    if samples.size and (samples.min() < 0 or samples.max() >= len(signal)):
        raise DataError(f"{where}: annotation at sample {int(samples.max())} lies outside the "
                        f"signal's {len(signal)} samples; the record is truncated or corrupt")
    labels = np.array([SYMBOL_TO_CLASS[s] for s in symbols], dtype=np.int64)
    return Beats(windows(signal, samples), labels, np.full(len(labels), record, dtype=np.int64),
                 samples, symbols)


def all_beats(folder: Path, records: list[int] | None = None, progress: bool = False) -> Beats:
    """Concatenated beats of `records` (default: all 48), in record then sample order."""
    records = RECORDS if records is None else records
    it = records
    if progress:
        from tqdm import tqdm
        it = tqdm(records, desc="mitdb records", unit="rec")
    parts = [record_beats(folder, r) for r in it]
    return Beats(*(np.concatenate([getattr(p, f) for p in parts])
                   for f in ("inputs", "labels", "record", "sample", "symbol")))


def stratified_test_mask(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask choosing round(fraction * n_c) random examples of every class c as test."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_test = int(round(fraction * len(idx)))
        mask[rng.permutation(idx)[:n_test]] = True
    return mask


def split_mask(beats: Beats, split: str, part: str, seed: int = SEED) -> np.ndarray:
    """Boolean mask of `beats` in part 'train'/'test' of protocol 'intra'/'inter'."""
    if part not in ("train", "test"):
        raise ValueError(f"part must be 'train' or 'test', not {part!r}")
    if split == "intra":
        test = stratified_test_mask(beats.labels, TEST_FRACTION, seed)
        return test if part == "test" else ~test
    if split == "inter":
        return np.isin(beats.record, DS1 if part == "train" else DS2)
    raise ValueError(f"split must be 'intra' or 'inter', not {split!r}")
