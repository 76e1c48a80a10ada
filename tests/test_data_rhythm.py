"""Rhythm input channel (training/rhythm.py) and the patient split, against plain re-implementations
written from the text of `input.preprocess.rhythm`."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from training import DataError, ecg, rhythm


def _q(a: Fraction) -> int:
    """Round-half-up of 64 * a, capped at 255 (the documented encoding)."""
    v = 64 * a
    return min(255, int((v + Fraction(1, 2)).__floor__()))


def _slow_features(r: list[int], amp: list[int]) -> list[list[int]]:
    """The seven features by the definitions in the docstring, with exact fractions."""
    n = len(r)
    pre = [r[1] - r[0]] + [r[i] - r[i - 1] for i in range(1, n)]
    post = [r[i + 1] - r[i] for i in range(n - 1)] + [r[-1] - r[-2]]
    out = []
    for i in range(n):
        loc = list(range(max(0, i - 9), i + 1))
        lng = [j for j in range(i + 1) if r[j] > r[i] - 108000]
        m_loc = Fraction(sum(pre[j] for j in loc), len(loc))
        m_lng = Fraction(sum(pre[j] for j in lng), len(lng))
        a_loc = Fraction(sum(amp[j] for j in loc), len(loc))
        a_lng = Fraction(sum(amp[j] for j in lng), len(lng))

        def ratio(a: Fraction, b: Fraction) -> int:
            return 0 if b == 0 else _q(Fraction(a) / b)
        out.append([ratio(pre[i], m_lng), ratio(post[i], m_lng), ratio(m_loc, m_lng),
                    ratio(pre[i], m_loc), ratio(post[i], pre[i]), ratio(amp[i], a_loc),
                    ratio(amp[i], a_lng)])
    return out


def test_features_equal_the_definition_on_a_synthetic_rhythm() -> None:
    rng = np.random.default_rng(0)
    rr = rng.integers(200, 400, 700)
    rr[[50, 51, 300]] = [120, 700, 90]            # a premature beat with a pause, a short one
    r = np.cumsum(rr) + 17
    amp = rng.integers(0, 600, len(r))
    amp[:3] = 0                                   # B = 0 -> q = 0
    got = rhythm.features(r, amp, 1)
    assert got.dtype == np.uint8 and got.shape == (len(r), 7)
    assert got.tolist() == _slow_features(r.tolist(), amp.tolist())
    assert got[0, 5] == 0 and got[3, 5] > 0


def _slow_v2(r: list[int], amp: list[int]) -> list[list[int]]:
    """Version 2: the seven features plus the two of the previous window, by the docstring's
    definitions with exact fractions (lower median, the S/32 floor, 128 + 8 z)."""
    n = len(r)
    pre = [r[1] - r[0]] + [r[i] - r[i - 1] for i in range(1, n)]
    out = []
    for i, row in enumerate(_slow_features(r, amp)):
        prev = list(range(max(0, i - 8), i))
        s, c = (sum(pre[j] for j in prev), len(prev)) if prev else (pre[0], 1)
        d = sorted(abs(pre[j] - pre[j - 1]) for j in range(max(1, i - 8), i))
        med = d[(len(d) - 1) // 2] if d else 0
        mean = Fraction(s, c)
        irr = min(255, int((256 * Fraction(med) / mean + Fraction(1, 2)).__floor__()))
        z = (mean - pre[i]) / (med + mean / 32)
        q8 = min(255, max(0, 128 + int((8 * z + Fraction(1, 2)).__floor__())))
        out.append(row + [irr, q8])
    return out


def test_version_2_features_equal_the_definition() -> None:
    rng = np.random.default_rng(3)
    rr = rng.integers(280, 320, 400)
    rr[100:200] = rng.integers(150, 450, 100)     # an irregular (AF-like) stretch
    rr[[50, 51, 300]] = [200, 420, 100]           # premature beats in a regular rhythm
    rr[320:330] = 300                              # perfectly regular: med = 0
    r = np.cumsum(rr) + 5
    amp = rng.integers(1, 600, len(r))
    got = rhythm.features(r, amp, version=2)
    assert got.shape == (len(r), 9) and got.dtype == np.uint8
    assert got.tolist() == _slow_v2(r.tolist(), amp.tolist())
    assert got[:, :7].tolist() == rhythm.features(r, amp, 1).tolist()
    # what the two features are for: a premature beat in a regular rhythm stands out, the same
    # RR shortening inside the irregular stretch does not, and the irregular stretch reads high
    assert got[50, 8] > 160 and got[300, 8] == 255
    assert np.median(got[110:200, 7]) > 4 * np.median(got[10:50, 7])
    assert np.median(got[110:200, 8]) < 150


def test_version_2_channel_layout_and_preprocess() -> None:
    f = np.arange(18, dtype=np.uint8).reshape(2, 9) + 1
    ch = rhythm.channel(f, 2)
    for k in range(9):
        assert (ch[:, 0, 20 * k:20 * k + 20] == f[:, k:k + 1]).all()
    assert (ch[:, 0, 180:] == 0).all()
    assert rhythm.version_of(rhythm.preprocess(2)) == 2
    assert rhythm.version_of(rhythm.preprocess(1)) == 1
    assert rhythm.version_of({}) == 0
    with pytest.raises(DataError, match="unknown rhythm version"):
        rhythm.features(np.array([1, 5, 9]), np.array([1, 1, 1]), version=5)


def test_a_premature_beat_scores_below_one_and_its_pause_above() -> None:
    r = np.arange(20) * 300
    r[10:] -= 120                                  # beat 10 comes 120 samples early
    f = rhythm.features(r, np.full(20, 100), 1)
    assert f[9, 0] == 64 and f[10, 0] == round(64 * 180 * 11 / (300 * 10 + 180))
    assert f[10, 4] == round(64 * 300 / 180)       # post / pre
    assert f[10, 5] == 64                          # amplitude ratio 1


def test_encoding_rounds_half_up_and_saturates() -> None:
    q = rhythm._ratio_q(np.array([1, 3, 1, 5, 7]), np.array([128, 128, 0, 1, 1]))
    assert q.tolist() == [1, 2, 0, 255, 255]       # 0.5 -> 1, 1.5 -> 2, B=0, caps


def test_features_reject_bad_peaks() -> None:
    with pytest.raises(DataError, match="at least 2 beats"):
        rhythm.features(np.array([5]), np.array([1]), 1)
    with pytest.raises(DataError, match="strictly increasing"):
        rhythm.features(np.array([5, 5, 9]), np.array([1, 1, 1]), 1)


def test_channel_layout() -> None:
    f = np.arange(14, dtype=np.uint8).reshape(2, 7) + 1
    ch = rhythm.channel(f, 1)
    assert ch.shape == (2, 1, 187)
    for k in range(7):
        assert (ch[:, 0, 26 * k:26 * k + 26] == f[:, k:k + 1]).all()
    assert (ch[:, 0, 182:] == 0).all()


def _data_or_skip():
    try:
        return rhythm.build("patient", "tune", record=100, rhythm=1)
    except DataError as exc:
        pytest.skip(f"data not available: {exc}")


def test_record_100_against_a_direct_read() -> None:
    _data_or_skip()
    import wfdb

    from training.fetch import dataset_dir
    folder = dataset_dir("mitdb")
    rec = wfdb.rdrecord(str(folder / "100"), physical=False, channel_names=["MLII"])
    sig = rec.d_signal[:, 0].astype(np.int64)
    ann = wfdb.rdann(str(folder / "100"), "atr")
    keep = [i for i, s in enumerate(ann.symbol) if s in ecg.SYMBOL_TO_CLASS]
    r = np.asarray(ann.sample)[keep][:400]
    amp = [int(sig[max(0, p - 36):p + 37].max() - sig[max(0, p - 36):p + 37].min()) for p in r]
    want = _slow_features(r.tolist(), amp)
    ds = rhythm.build("inter", "test", rhythm=1)
    m = ds.meta["source"].astype(int) == 100
    got = ds.inputs[m][:400, 1, ::26][:, :7]
    # the first 399 beats: the last of the 400 needs the 401st peak for its post-RR
    assert got[:399].tolist() == [w for w in want[:399]]
    assert (ds.inputs[m][:, 0] == rhythm.build("inter", "test", rhythm=False)
            .inputs[m][:, 0]).all()


def _slow_template(signal: list[int], peaks: list[int]) -> list[list[int]]:
    """Version 3's channel 2 from the text of `rhythm.template`, with exact fractions."""
    n = len(signal)
    u = []
    for r in peaks:
        w = [signal[min(max(r - 280 + k, 0), n - 1)] for k in range(561)]
        s = [w[3 * j] + w[3 * j + 1] + w[3 * j + 2] for j in range(187)]
        b = sorted(s)[93]
        u.append([v - b for v in s])
    out = []
    for i in range(len(peaks)):
        win = u[max(0, i - 16):i] or [u[0]]
        t = [sorted(row[j] for row in win)[(len(win) - 1) // 2] for j in range(187)]
        p = max(t) - min(t)
        if p == 0:
            out.append([128] * 187)
            continue
        out.append([min(255, max(0, (Fraction(128) + Fraction(128 * (u[i][j] - t[j]), p)
                                     + Fraction(1, 2)).__floor__())) for j in range(187)])
    return out


def _beats_signal(shapes: list[int], period: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """A signal of beats every `period` samples: shape 0 a narrow spike, shape 1 a wide, tall
    and inverted one (an ectopic beat), over a slow baseline drift."""
    n = period * (len(shapes) + 2)
    sig = (np.arange(n) // 50).astype(np.int64)          # baseline wander
    peaks = period * (np.arange(len(shapes)) + 1)
    for r, k in zip(peaks, shapes):
        if k == 0:
            sig[r - 6:r + 7] += 200 - 30 * np.abs(np.arange(-6, 7))
        else:
            sig[r - 30:r + 31] -= 500 - 15 * np.abs(np.arange(-30, 31))
    return sig, peaks


def test_template_channel_equals_the_definition() -> None:
    shapes = [0] * 20 + [1] + [0] * 5 + [1, 0] * 3
    sig, peaks = _beats_signal(shapes)
    got = rhythm.template_channel(sig, peaks)
    assert got.shape == (len(peaks), 1, 187) and got.dtype == np.uint8
    assert got[:, 0].tolist() == _slow_template(sig.tolist(), peaks.tolist())


def test_template_channel_marks_the_ectopic_beat_and_forgets_it() -> None:
    shapes = [0] * 20 + [1] + [0] * 5
    sig, peaks = _beats_signal(shapes, period=400)      # no window reaches a neighbour beat
    got = rhythm.template_channel(sig, peaks)[:, 0].astype(int)
    dev = np.abs(got - 128).max(axis=1)
    assert dev[20] >= 100                   # the ectopic beat stands out of its template
    # the beats before and after it match theirs (the median ignores one ectopic beat; the
    # baseline drift is removed by each window's median)
    assert dev[1:20].max() <= 2 and dev[21:].max() <= 2
    # and one beat's deviation is channel 0's shape change, not its scale: the same beats
    # scaled by 3 give the same channel (the encoding is relative to the template amplitude)
    assert (rhythm.template_channel(3 * sig, peaks)[:, 0].astype(int) == got).all()


def test_version_3_layout_and_rebuild_rules() -> None:
    pre = rhythm.preprocess(3)
    assert rhythm.version_of(pre) == 3 and rhythm.channels(3) == 3
    assert pre["rhythm"]["template"]["channel"] == 2 and "(3, 187)" in pre["layout"]
    with pytest.raises(DataError, match="does not fit its rhythm version 3"):
        rhythm.for_bundle({"channels": 2, "length": 187, "preprocess": pre}, "inter", "test")
    with pytest.raises(DataError, match="version 3 has 9 features"):
        rhythm.channel(np.zeros((2, 7), np.uint8), 3)


def test_version_3_inputs_of_record_100() -> None:
    _data_or_skip()
    v2 = rhythm.build("patient", "tune", record=100, rhythm=2)
    v3 = rhythm.build("patient", "tune", record=100, rhythm=3)
    assert v3.inputs.shape[1:] == (3, 187)
    assert (v3.inputs[:, :2] == v2.inputs).all()
    import wfdb

    from training.fetch import dataset_dir
    folder = dataset_dir("mitdb")
    rec = wfdb.rdrecord(str(folder / "100"), physical=False, channel_names=["MLII"])
    ann = wfdb.rdann(str(folder / "100"), "atr")
    peaks = [p for p, s in zip(ann.sample, ann.symbol) if s in ecg.SYMBOL_TO_CLASS][:40]
    want = _slow_template(rec.d_signal[:, 0].astype(int).tolist(), [int(p) for p in peaks])
    assert v3.inputs[:40, 2].tolist() == want


def test_version_4_layout_and_rebuild_rules() -> None:
    pre = rhythm.preprocess(4)
    assert rhythm.version_of(pre) == 4 and rhythm.channels(4) == 2
    assert pre["rhythm"]["template"]["channel"] == 0 and "(2, 187)" in pre["layout"]
    # the scaled morphology window is not an input of version 4, so its scaling is not part of
    # how the inputs are rebuilt; the window and block sums the template channel uses are
    assert "scaling" not in pre and "resampling" in pre and "window_raw" in pre
    # a version-4 bundle and a version-1/2 bundle have the same shape: only the preprocess
    # tells them apart, and a version-4 preprocess with the morphology's scaling is refused
    with pytest.raises(DataError, match="does not fit its rhythm version 4"):
        rhythm.for_bundle({"channels": 3, "length": 187, "preprocess": pre}, "inter", "test")
    bad = dict(pre, scaling=ecg.PREPROCESS["scaling"])
    with pytest.raises(DataError, match="differs from the ECG preprocessing"):
        rhythm.for_bundle({"channels": 2, "length": 187, "preprocess": bad}, "inter", "test")


def test_version_4_inputs_of_record_100() -> None:
    _data_or_skip()
    v3 = rhythm.build("patient", "tune", record=100, rhythm=3)
    v4 = rhythm.build("patient", "tune", record=100, rhythm=4)
    assert v4.inputs.shape[1:] == (2, 187) and v4.inputs.dtype == np.uint8
    # channel 0 = version 3's template channel (tested against the text above), channel 1 =
    # the rhythm features; the absolute morphology is gone
    assert (v4.inputs[:, 0] == v3.inputs[:, 2]).all() and (v4.inputs[:, 1] == v3.inputs[:, 1]).all()
    assert not (v4.inputs[:, 0] == v3.inputs[:, 0]).all()
    assert (v4.labels == v3.labels).all() and v4.preprocess["rhythm"]["version"] == 4
    d = rhythm.for_bundle({"channels": 2, "length": 187, "preprocess": rhythm.preprocess(4)},
                          "patient", "tune", record=100)
    assert (d.inputs == v4.inputs).all()


def test_patient_split_is_first_five_minutes_and_the_rest() -> None:
    tune = _data_or_skip()
    test = rhythm.build("patient", "test", record=100, rhythm=1)
    inter = rhythm.build("inter", "test", rhythm=False)
    n100 = int((inter.meta["source"].astype(int) == 100).sum())
    assert len(tune) + len(test) == n100
    assert (tune.meta["sample"] < 108000).all() and (test.meta["sample"] >= 108000).all()
    assert tune.inputs.shape[1:] == (2, 187)
    assert tune.preprocess["patient"]["record"] == 100
    with pytest.raises(DataError, match="not a DS2 record"):
        rhythm.build("patient", "test", record=101, rhythm=1)
    with pytest.raises(DataError, match="tune or test"):
        rhythm.build("patient", "train", record=100, rhythm=1)


def test_for_bundle_refuses_an_unknown_preprocess() -> None:
    inp = {"channels": 2, "length": 187, "preprocess": rhythm.preprocess(1)}
    bad = json.loads(json.dumps(inp))
    bad["preprocess"]["rhythm"]["version"] = 99
    with pytest.raises(DataError, match="rhythm is not a version"):
        rhythm.for_bundle(bad, "inter", "test")
    bad = json.loads(json.dumps(inp))
    bad["preprocess"]["filtering"] = "bandpass 0.5-40 Hz"
    with pytest.raises(DataError, match="differs from the ECG preprocessing"):
        rhythm.for_bundle(bad, "inter", "test")
    with pytest.raises(DataError, match="not an ECG format"):
        rhythm.for_bundle({"channels": 3, "length": 187, "preprocess": {}}, "inter", "test")


def test_cli_dataset_with_model_and_patient_split(tmp_path: Path) -> None:
    _data_or_skip()
    from training import cli_dataset
    from training._cli import CliError

    from training.paths import REPO_ROOT

    model = REPO_ROOT / "models" / "ecg" / "model-inter.json"   # a bundle with the rhythm channel
    assert rhythm.version_of(json.loads(model.read_text())["input"]["preprocess"]) == 4

    def ns(**kw: object) -> argparse.Namespace:
        d = dict(name="ecg", split="patient", part="test", record=100, model=model,
                 out=tmp_path / "out", seed=None, no_cache=False, dimension="valence",
                 source=None, quiet=True)
        d.update(kw)
        return argparse.Namespace(**d)
    assert cli_dataset.run(ns()) == 0
    x = np.load(tmp_path / "out" / "inputs.npy")
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert x.shape[1:] == (2, 187) and info["split"] == "patient"
    for kw, msg in ((dict(record=None), "needs --record"), (dict(part="train"), "tune and test"),
                    (dict(split="inter", part="tune"), "only with --split patient"),
                    (dict(name="eeg"), "ECG only"), (dict(seed=3), "--seed is not supported"),
                    (dict(model=tmp_path / "missing.json"), "missing.json' does not exist")):
        with pytest.raises(CliError, match=msg):
            cli_dataset.run(ns(out=tmp_path / "bad", **kw))


def test_template_plot_shows_one_beat_per_class(tmp_path: Path) -> None:
    _data_or_skip()
    from training.fetch import dataset_dir

    out = tmp_path / "t.png"
    shown = rhythm.plot_template(dataset_dir("mitdb"), 223, out)
    _, symbols = ecg.read_beats(dataset_dir("mitdb"), 223)
    classes = [ecg.SYMBOL_TO_CLASS[symbols[i]] for i in shown]
    assert classes == [0, 1, 2, 3] and min(shown) >= rhythm.TEMPLATE_BEATS
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rhythm.main(["plot", "--record", "999", "--out", str(tmp_path / "x.png")]) == 1
