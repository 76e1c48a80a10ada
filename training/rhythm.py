"""Rhythm inputs for MIT-BIH beats: RR and amplitude ratios as a second uint8 input channel
(and, in version 3, a third: each beat against the patient's own recent template).

Inter-patient S detection needs rhythm (de Chazal 2004; Lin & Yang 2014): how premature a beat
is relative to the patient's own recent rhythm. Each beat gets seven ratios, computed only from
what a deployed system has when it classifies the beat (its own and earlier R peaks, plus the
next R peak: the post-RR costs one beat of latency, and the morphology window, which ends
0.78 s after the R peak, already waits about that long). Ratios to the record's own running
means normalise away each patient's heart rate and gain, and need no calibration:

=== ================================================ ===============================
 k  ratio                                             what it catches
=== ================================================ ===============================
 0  pre-RR / long mean RR                             premature beats (S, V)
 1  post-RR / long mean RR                            compensatory pause (V)
 2  local mean RR / long mean RR                      runs, tachycardia episodes
 3  pre-RR / local mean RR                            prematurity against the last beats
 4  post-RR / pre-RR                                  prematurity + pause (S vs N)
 5  QRS peak-to-peak / local mean peak-to-peak        wide, tall ectopic beats (V, F)
 6  QRS peak-to-peak / long mean peak-to-peak         the same against 5 minutes
=== ================================================ ===============================

Definitions (r_i = annotated sample of beat i of the AAMI map in record order, 360 Hz):
pre_i = r_i - r_{i-1} (first beat: post_0), post_i = r_{i+1} - r_i (last beat: pre_last);
the *local* window is beats max(0, i-9)..i (the 10 most recent beats, this one included), the
*long* window is the beats j <= i with r_j > r_i - 108000 (the past 5 minutes, this one
included); a mean is sum / count of pre (or amp) over the window; amp_i = max - min of the raw
digital MLII samples r_i-36 .. r_i+36 (+-100 ms, edge replication as for the window).
Every ratio A/B is a ratio of integers, encoded as q = min(255, floor((128 A + B) / (2 B)))
(round-half-up of 64 A/B, so 1.0 -> 64 and the range is 0 .. 3.98), q = 0 when B = 0. Channel 1
of the input holds feature k in samples 26k .. 26k+25 (k = 0..6) and 0 in samples 182..186.

**Version 2** adds two features that tell atrial fibrillation and flutter (irregular rhythm whose
beats are N) from premature S beats in a regular rhythm: a short RR is premature only against
a rhythm that was regular before it. Over the *previous* window, beats max(0, i-8)..i-1 (c of
them, S = their sum of pre) and the successive differences d_j = |pre_j - pre_(j-1)| for
j = max(1, i-8)..i-1 (m of them, med = the lower median, sorted[(m-1)//2]; 0 when m = 0):

=== ================================================ ===============================
 7  irregularity med / (S / c), scale 256             AF / flutter: high; sinus: low
 8  prematurity in irregularity units                 S in sinus rhythm: high
    z = (S/c - pre) / (med + S/(32 c)), as 128 + 8 z
=== ================================================ ===============================

q7 = min(255, floor((512 med c + S) / (2 S))); q8 = clip(128 + floor((512 (S - c pre) + D) /
(2 D)), 0, 255) with D = 32 c med + S (the S/32 term keeps a perfectly regular rhythm, med = 0,
from dividing by zero and sets the smallest irregularity that counts); i = 0 (no previous beat):
S = pre_0, c = 1. Version 2 holds feature k in samples 20k .. 20k+19 (k = 0..8) and 0 in samples
180..186.

**Version 3** keeps version 2's channel 1 and adds channel 2, the beat's deviation from the
patient's own recent template, so that the network sees morphology relative to this patient
rather than the shapes of the 22 training patients, which it memorises. With s_i the 187 block
sums of beat i's window (the morphology channel before its per-beat scaling), u_i = s_i - b_i
where b_i = sorted(s_i)[93] (the window's median: removes the baseline), the template of beat i
is the per-sample lower median of u over the *previous* beats max(0, i-16)..i-1 (m of them:
t_i[j] = sorted(u_k[j])[(m-1)//2]; beat 0: t_0 = u_0), p_i = max_j t_i[j] - min_j t_i[j] and
channel 2 = clip(128 + floor((256 (u_i[j] - t_i[j]) + p_i) / (2 p_i)), 0, 255) (round-half-up of
128 + 128 (u - t) / p: 128 where the beat matches its template, one template amplitude of
deviation saturates), 128 everywhere when p_i = 0. A median over 16 beats ignores ectopic beats
as long as fewer than half of the last 16 are ectopic. It uses beat i and earlier beats only.

**Version 4** drops the absolute morphology: channel 0 is version 3's template deviation (same
definition), channel 1 version 2's rhythm features; the input is (2, 187). The network then
sees each beat only against this patient's own recent beats and rhythm, nothing it could
memorise of the 22 training patients' QRS shapes (the ablation that chose it: docs/training.md
§2). The warp augmentation of training acts on channel 0, here the deviation.

Every version is rebuilt from a bundle's `input.preprocess.rhythm`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from training import DataError, ecg

VERSIONS = (1, 2, 3, 4)     # every caller names its version
SCALE = 64                 # ratio 1.0 -> 64
BLOCKS = {1: 26, 2: 20, 3: 20, 4: 20}    # samples per feature in channel 1, per version
N_FEATURES = {1: 7, 2: 9, 3: 9, 4: 9}
TEMPLATE_BEATS = 16        # version 3: the template is the median of the previous 16 beats
PREV_BEATS = 8             # version 2: the previous window (beats i-8..i-1)
LOCAL_BEATS = 10
LONG_SAMPLES = 5 * 60 * ecg.RAW_RATE
AMP_HALF = 36              # +-100 ms at 360 Hz
TUNE_SAMPLES = 5 * 60 * ecg.RAW_RATE   # patient protocol: tune = first 5 minutes

FEATURES = ["pre_rr/long_mean_rr", "post_rr/long_mean_rr", "local_mean_rr/long_mean_rr",
            "pre_rr/local_mean_rr", "post_rr/pre_rr", "qrs_pp/local_mean_qrs_pp",
            "qrs_pp/long_mean_qrs_pp"]

FEATURES_V2 = FEATURES + ["prev_rr_irregularity", "prematurity_in_irregularity_units"]

RHYTHM = {
    "version": 1,
    "channel": 1,
    "features": FEATURES,
    "layout": f"channel 1 sample 26k..26k+25 = feature k (k = 0..6), samples 182..186 = 0",
    "rr": "pre_i = r_i - r_(i-1) (first beat of a record: post_0); post_i = r_(i+1) - r_i "
          "(last beat: pre_last); r = annotated samples of the record's AAMI-map beats",
    "windows": {"local": f"beats max(0, i-{LOCAL_BEATS - 1})..i (this beat included)",
                "long": f"beats j <= i with r_j > r_i - {LONG_SAMPLES} (past 5 minutes at 360 "
                        "Hz, this beat included)",
                "mean": "sum / count over the window (of pre, or of qrs_pp)"},
    "qrs_pp": f"max - min of the raw digital lead samples r-{AMP_HALF}..r+{AMP_HALF} "
              "(edge replication)",
    "encoding": f"ratio A/B of integers -> q = min(255, floor((2*{SCALE}*A + B) / (2*B))) "
                f"(round-half-up of {SCALE}*A/B); q = 0 if B = 0",
    "latency": "post_rr needs the next R peak: the decision for beat i is available once "
               "beat i+1 is detected (one beat, ~0.8 s; the morphology window already ends "
               "0.78 s after the R peak). Everything else uses beat i and earlier beats only.",
}


RHYTHM_V2 = dict(
    RHYTHM, version=2, features=FEATURES_V2,
    layout="channel 1 sample 20k..20k+19 = feature k (k = 0..8), samples 180..186 = 0",
    previous={"window": f"beats max(0, i-{PREV_BEATS})..i-1: c beats, S = sum of their pre "
                        "(i = 0: S = pre_0, c = 1)",
              "differences": f"d_j = |pre_j - pre_(j-1)| for j = max(1, i-{PREV_BEATS})..i-1; "
                             "med = sorted(d)[(m-1)//2] of the m differences, 0 if m = 0"},
    encoding_v2={"prev_rr_irregularity": "min(255, floor((512*med*c + S) / (2*S)))",
                 "prematurity_in_irregularity_units":
                     "clip(128 + floor((512*(S - c*pre) + D) / (2*D)), 0, 255), "
                     "D = 32*c*med + S"})

RHYTHM_V3 = dict(
    RHYTHM_V2, version=3,
    template={
        "channel": 2,
        "u": "u_i = s_i - sorted(s_i)[93], s_i = the 187 block sums of beat i's window (the "
             "morphology channel before its per-beat scaling)",
        "window": f"beats max(0, i-{TEMPLATE_BEATS})..i-1 (m beats; beat 0: its own u_0)",
        "template": "t_i[j] = sorted(u_k[j] over the window)[(m-1)//2] (per-sample lower "
                    "median)",
        "encoding": "p = max_j t_i[j] - min_j t_i[j]; x[j] = clip(128 + floor((256*(u_i[j] - "
                    "t_i[j]) + p) / (2*p)), 0, 255); x = 128 everywhere if p == 0"})

RHYTHM_V4 = dict(RHYTHM_V3, version=4, template=dict(RHYTHM_V3["template"], channel=0),
                 morphology="none: the per-beat scaled window (channel 0 of versions 0-3) is "
                            "not an input")

RHYTHMS = {1: RHYTHM, 2: RHYTHM_V2, 3: RHYTHM_V3, 4: RHYTHM_V4}


_TWO = ("x shape (2, 187), uint8: channel 0 = the morphology window above, channel 1 = rhythm "
        "features (see 'rhythm')")
#: `input.preprocess.layout` per rhythm version
LAYOUTS = {1: _TWO, 2: _TWO,
           3: "x shape (3, 187), uint8: channel 0 = the morphology window above, channel 1 = "
              "rhythm features (see 'rhythm'), channel 2 = deviation from the recent template "
              "(see 'rhythm.template')",
           4: "x shape (2, 187), uint8: channel 0 = deviation of the window's block sums from "
              "the recent template (see 'rhythm.template'), channel 1 = rhythm features (see "
              "'rhythm')"}


def channels(version: int) -> int:
    """Input channels of an ECG bundle with rhythm `version` (0: morphology only)."""
    return 3 if version == 3 else 2 if version else 1


def preprocess(version: int) -> dict:
    """The `input.preprocess` of an ECG bundle with rhythm `version` (morphology + rhythm
    channel; version 3 also the template channel; version 4 template + rhythm channel)."""
    pre = dict(ecg.PREPROCESS)
    if version == 4:
        del pre["scaling"]      # the scaled window is not an input
    pre["layout"] = LAYOUTS[version]
    pre["rhythm"] = RHYTHMS[version]
    return pre


def version_of(pre: dict) -> int:
    """Rhythm version of a bundle's `input.preprocess` (0: morphology only); DataError if the
    project cannot rebuild it."""
    if "rhythm" not in pre:
        return 0
    for v, spec in RHYTHMS.items():
        if pre["rhythm"] == spec:
            return v
    raise DataError("bundle input.preprocess.rhythm is not a version this project can rebuild "
                    f"(versions {', '.join(map(str, VERSIONS))})")


def _ratio_q(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """min(255, round-half-up(SCALE * a / b)) of integer arrays; 0 where b == 0."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    den = np.where(b > 0, 2 * b, 1)
    q = (2 * SCALE * a + b) // den
    return np.where(b > 0, np.minimum(q, 255), 0).astype(np.uint8)


def _window_sums(values: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum, count) of values[first[i] .. i] for every i."""
    c = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    i = np.arange(len(values))
    return c[i + 1] - c[first], i + 1 - first


def _previous(pre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S, c, med) of version 2's previous window for every beat (see the module docstring)."""
    n = len(pre)
    i = np.arange(n)
    lo = np.maximum(0, i - PREV_BEATS)
    c = i - lo
    cs = np.concatenate([[0], np.cumsum(pre, dtype=np.int64)])
    s = cs[i] - cs[lo]
    s = np.where(c == 0, pre[0], s)
    c = np.where(c == 0, 1, c)
    d = np.abs(np.diff(pre))            # d[j-1] = |pre_j - pre_(j-1)|
    med = np.zeros(n, dtype=np.int64)
    for k in range(2, n):
        w = np.sort(d[max(1, k - PREV_BEATS) - 1:k - 1])
        med[k] = w[(len(w) - 1) // 2]
    return s, c, med


def features(samples: np.ndarray, amp: np.ndarray, version: int) -> np.ndarray:
    """(N, F) uint8 rhythm features of one record's beats (R-peak samples ascending, QRS pp);
    F = 7 (version 1) or 9 (version 2)."""
    if version not in VERSIONS:
        raise DataError(f"unknown rhythm version {version}")
    r = np.asarray(samples, dtype=np.int64)
    amp = np.asarray(amp, dtype=np.int64)
    n = len(r)
    if n < 2:
        raise DataError(f"rhythm features need at least 2 beats in a record, got {n}")
    if np.any(np.diff(r) <= 0):
        raise DataError("rhythm features need strictly increasing R-peak samples")
    d = np.diff(r)
    pre = np.concatenate([[d[0]], d])
    post = np.concatenate([d, [d[-1]]])
    i = np.arange(n)
    first_local = np.maximum(0, i - (LOCAL_BEATS - 1))
    first_long = np.searchsorted(r, r - LONG_SAMPLES, side="right")
    s_loc, n_loc = _window_sums(pre, first_local)
    s_long, n_long = _window_sums(pre, first_long)
    a_loc, m_loc = _window_sums(amp, first_local)
    a_long, m_long = _window_sums(amp, first_long)
    f = [_ratio_q(pre * n_long, s_long), _ratio_q(post * n_long, s_long),
         _ratio_q(s_loc * n_long, n_loc * s_long), _ratio_q(pre * n_loc, s_loc),
         _ratio_q(post, pre), _ratio_q(amp * m_loc, a_loc), _ratio_q(amp * m_long, a_long)]
    if version >= 2:
        s, c, med = _previous(pre)
        f.append(np.minimum(255, (512 * med * c + s) // (2 * s)).astype(np.uint8))
        den = 32 * c * med + s
        z = 128 + (512 * (s - c * pre) + den) // (2 * den)
        f.append(np.clip(z, 0, 255).astype(np.uint8))
    return np.stack(f, axis=1)


def qrs_pp(signal: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Peak-to-peak of the raw signal in r-36..r+36 around each R peak (edge replication)."""
    idx = np.asarray(samples, dtype=np.int64)[:, None] + np.arange(-AMP_HALF, AMP_HALF + 1)
    idx = np.clip(idx, 0, len(signal) - 1)
    w = np.asarray(signal, dtype=np.int64)[idx]
    return w.max(axis=1) - w.min(axis=1)


def beats_and_templates(signal: np.ndarray,
                        samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(u, t), both (N, 187) int64: each beat's block sums less their median, and its template
    (the per-sample lower median of u over the previous TEMPLATE_BEATS beats)."""
    s = ecg.block_sums(signal, samples)
    u = s - np.sort(s, axis=1)[:, ecg.OUT_LEN // 2][:, None]
    t = np.empty_like(u)
    if len(u):
        t[0] = u[0]
    for i in range(1, len(u)):
        w = np.sort(u[max(0, i - TEMPLATE_BEATS):i], axis=0)
        t[i] = w[(len(w) - 1) // 2]
    return u, t


def template_channel(signal: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """(N, 1, 187) uint8 version-3 channel 2: each beat's deviation from the lower median of
    the previous TEMPLATE_BEATS beats (see the module docstring)."""
    return encode_deviation(*beats_and_templates(signal, samples))


def encode_deviation(u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(N, 1, 187) uint8 channel 2 from beats_and_templates' (u, t)."""
    p = (t.max(axis=1) - t.min(axis=1))[:, None] if len(u) else np.zeros((0, 1), np.int64)
    q = 128 + (256 * (u - t) + p) // np.where(p > 0, 2 * p, 1)
    return np.where(p > 0, np.clip(q, 0, 255), 128).astype(np.uint8)[:, None, :]


def channel(feats: np.ndarray, version: int) -> np.ndarray:
    """(N, 1, 187) uint8 rhythm channel from (N, F) features of `version`: block k =
    feature k."""
    if feats.shape[1] != N_FEATURES[version]:
        raise DataError(f"rhythm version {version} has {N_FEATURES[version]} features, got "
                        f"{feats.shape[1]}")
    block = BLOCKS[version]
    out = np.zeros((len(feats), 1, ecg.OUT_LEN), dtype=np.uint8)
    for k in range(feats.shape[1]):
        out[:, 0, block * k:block * (k + 1)] = feats[:, k:k + 1]
    return out


def record_channel(folder: Path, record: int, version: int) -> tuple[np.ndarray, np.ndarray]:
    """(rhythm channels (N, C - 1, 187), R-peak samples) of one record's AAMI beats: channel 1
    (and, in version 3, channel 2) of the input; version 4: the whole input (template
    deviation, rhythm features)."""
    signal, _ = ecg.read_lead(folder, record)
    samples, _ = ecg.read_beats(folder, record)
    ch = channel(features(samples, qrs_pp(signal, samples), version), version)
    if version >= 3:
        ch = np.concatenate([ch, template_channel(signal, samples)], axis=1)
    if version == 4:
        ch = ch[:, ::-1]        # channel 0 = template deviation, channel 1 = rhythm features
    return ch, samples


def _pool_path(version: int) -> Path:
    from training.paths import cache_root

    blob = json.dumps({"rhythm": RHYTHMS[version], "ecg": ecg.PREPROCESS},
                      sort_keys=True).encode()
    return cache_root() / "datasets" / f"ecg-rhythm-{hashlib.sha256(blob).hexdigest()[:12]}.npz"


def rhythm_pool(version: int, use_cache: bool = True,
                progress: bool = False) -> dict[str, np.ndarray]:
    """Rhythm channel(s) of every beat of the 48 records in `ecg.all_beats` order (cached)."""
    from training.fetch import dataset_dir

    path = _pool_path(version)
    if use_cache and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    folder = dataset_dir("mitdb")
    it = ecg.RECORDS
    if progress:
        from tqdm import tqdm
        it = tqdm(ecg.RECORDS, desc="rhythm features", unit="rec")
    chans, recs, samps = [], [], []
    for rec in it:
        ch, s = record_channel(folder, rec, version)
        chans.append(ch)
        recs.append(np.full(len(s), rec, dtype=np.int64))
        samps.append(s)
    pool = {"rhythm": np.concatenate(chans), "record": np.concatenate(recs),
            "sample": np.concatenate(samps)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **pool)
    tmp.replace(path)
    return pool


def patient_mask(record: np.ndarray, sample: np.ndarray, rec: int, part: str) -> np.ndarray:
    """Beats of DS2 record `rec` in part 'tune' (first 5 minutes) or 'test' (the rest)."""
    if rec not in ecg.DS2:
        raise DataError(f"record {rec} is not a DS2 record; the patient protocol uses "
                        f"{', '.join(map(str, ecg.DS2))}")
    if part not in ("tune", "test"):
        raise DataError(f"unknown part {part!r} for the patient split; choose tune or test")
    first = sample < TUNE_SAMPLES
    return (record == rec) & (first if part == "tune" else ~first)


def _attach(ds: "datasets.Dataset", pool: dict[str, np.ndarray]) -> np.ndarray:
    """Rhythm channel rows of the pool for the beats of `ds` (matched on record and sample)."""
    key_pool = pool["record"] * 10 ** 9 + pool["sample"]
    order = np.argsort(key_pool, kind="stable")
    key = ds.meta["source"].astype(np.int64) * 10 ** 9 + ds.meta["sample"].astype(np.int64)
    pos = np.searchsorted(key_pool[order], key)
    pos = np.minimum(pos, len(order) - 1)
    if not np.array_equal(key_pool[order][pos], key):
        raise DataError("rhythm pool does not match the beat pool (stale cache?); rerun with "
                        "--no-cache")
    return pool["rhythm"][order][pos]


def build(split: str, part: str, record: int | None = None, *, rhythm: int,
          use_cache: bool = True, progress: bool = False) -> "datasets.Dataset":
    """ECG dataset of protocol `split` ('intra', 'inter' or 'patient' with `record`), with the
    rhythm channel(s) of version `rhythm` appended unless it is 0 / False (inputs (N, 2, 187),
    version 3 (N, 3, 187); version 4 replaces the morphology: (N, 2, 187); preprocess
    `preprocess(rhythm)`)."""
    if rhythm and rhythm not in VERSIONS:
        raise DataError(f"unknown rhythm version {rhythm}")
    from training import datasets

    if split == "patient":
        if record is None:
            raise DataError("the patient split needs --record R (a DS2 record)")
        if part not in ("tune", "test"):
            raise DataError(f"unknown part {part!r} for the patient split; choose tune or test")
        if record not in ecg.DS2:
            raise DataError(f"record {record} is not a DS2 record; the patient protocol uses "
                            f"{', '.join(map(str, ecg.DS2))}")
        base = datasets.build("ecg", "inter", "test", progress=progress, use_cache=use_cache)
        mask = patient_mask(base.meta["source"].astype(np.int64),
                            base.meta["sample"].astype(np.int64), record, part)
        ds = base.subset(mask)
        ds.split, ds.part = "patient", part
    else:
        if record is not None:
            raise DataError("--record is only meaningful with --split patient")
        ds = datasets.build("ecg", split, part, progress=progress, use_cache=use_cache)
    if rhythm:
        ch = _attach(ds, rhythm_pool(int(rhythm), use_cache, progress))
        ds.inputs = ch if rhythm == 4 else np.concatenate([ds.inputs, ch], axis=1)
        ds.preprocess = preprocess(int(rhythm))
    if split == "patient":
        ds.preprocess = dict(ds.preprocess, patient={"record": record, "part": part,
                                                     "tune": "beats with r < 108000 (first "
                                                             "5 minutes)",
                                                     "test": "the other beats"})
    return ds


def for_bundle(bundle_input: dict, split: str, part: str, record: int | None = None,
               use_cache: bool = True, progress: bool = False) -> "datasets.Dataset":
    """The ECG dataset in a bundle's own input format (its `input` dict); DataError if the
    project cannot rebuild that format."""
    pre = bundle_input.get("preprocess", {})
    shape = (bundle_input.get("channels"), bundle_input.get("length"))
    version = version_of(pre)
    if version:
        if shape != (channels(version), ecg.OUT_LEN):
            raise DataError(f"bundle input shape {shape} does not fit its rhythm version "
                            f"{version} (shape ({channels(version)}, {ecg.OUT_LEN}))")
        want = preprocess(version)
    else:
        want = ecg.PREPROCESS
        if shape != (1, ecg.OUT_LEN):
            raise DataError(f"bundle input shape {shape} is not an ECG format this project "
                            "builds ((1, 187), or (2, 187) / (3, 187) with rhythm)")
    if {k: v for k, v in pre.items() if k != "patient"} != want:
        raise DataError("bundle input.preprocess differs from the ECG preprocessing this "
                        "project implements; cannot rebuild its inputs")
    return build(split, part, record, rhythm=version, use_cache=use_cache, progress=progress)


def plot_template(folder: Path, record: int, out: Path) -> list[int]:
    """PNG of the template channel (version 3's channel 2, version 4's channel 0) on one
    record: for the first beat of each class after the first TEMPLATE_BEATS beats, the beat and
    its template (top) and the channel (bottom). Returns the beat indices shown."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    signal, _ = ecg.read_lead(folder, record)
    samples, symbols = ecg.read_beats(folder, record)
    u, t = beats_and_templates(signal, samples)
    ch = encode_deviation(u, t)[:, 0]
    cls = np.array([ecg.SYMBOL_TO_CLASS[x] for x in symbols])
    after = np.arange(len(cls)) >= TEMPLATE_BEATS
    firsts = (np.flatnonzero((cls == c) & after) for c in range(len(ecg.CLASSES)))
    shown = [int(i[0]) for i in firsts if len(i)]
    if not shown:
        raise DataError(f"record {record} has no beat after its first {TEMPLATE_BEATS}")
    ms = (np.arange(ecg.OUT_LEN) - ecg.OUT_LEN // 2) * 1000 * ecg.FACTOR / ecg.RAW_RATE
    fig, axes = plt.subplots(2, len(shown), figsize=(3.2 * len(shown), 5), dpi=110,
                             sharex=True, squeeze=False)
    for k, i in enumerate(shown):
        top, bot = axes[0][k], axes[1][k]
        top.plot(ms, t[i], color="0.6", lw=2, label="template (median of previous 16)")
        top.plot(ms, u[i], color="C0", lw=1, label="this beat")
        top.set_title(f"record {record}, beat {i}: {ecg.CLASSES[cls[i]]} ({symbols[i]})",
                      fontsize=9)
        bot.plot(ms, ch[i], color="C3", lw=1)
        bot.axhline(128, color="0.7", lw=0.8)
        bot.set_ylim(-5, 260)
        bot.set_xlabel("ms from the R peak")
    axes[0][0].set_ylabel("block sums − median (ADC)")
    axes[1][0].set_ylabel("template channel (uint8)")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Each beat against the patient's own recent template (the template channel: "
                 "channel 2 of rhythm version 3, channel 0 of version 4)",
                 fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return shown


def main(argv: list[str] | None = None) -> int:
    """`python -m training.rhythm plot [--record R] [--out PNG]`: the template figure of
    docs/training.md §1.1a."""
    import argparse

    from training.fetch import dataset_dir
    from training.paths import REPO_ROOT

    ap = argparse.ArgumentParser(prog="python -m training.rhythm", description=main.__doc__)
    ap.add_argument("action", choices=["plot"])
    ap.add_argument("--record", type=int, default=223, help="MIT-BIH record (default 223: "
                    "N, S, V and F beats, DS1)")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "rhythm-template.png")
    args = ap.parse_args(argv)
    if args.record not in ecg.RECORDS:
        print(f"rhythm: error: {args.record} is not an MIT-BIH Arrhythmia record",
              file=sys.stderr)
        return 1
    try:
        shown = plot_template(dataset_dir("mitdb"), args.record, args.out)
    except DataError as exc:
        print(f"rhythm: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} (record {args.record}, beats {shown})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
