"""DEAP loader on synthetic participant files of the official preprocessed Python format."""

from __future__ import annotations

import argparse
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from training import DataError, deap


def _write_participant(path: Path, rng: np.random.Generator,
                       protocol: int = 4) -> tuple[np.ndarray, np.ndarray]:
    data = rng.standard_normal((40, 40, 8064), dtype=np.float32) * np.float32(30)
    labels = rng.uniform(1, 9, size=(40, 4)).astype(np.float32)
    labels[0, 0], labels[1, 0], labels[2, 1] = 5.0, 5.01, 5.0   # threshold edge cases
    with open(path, "wb") as f:   # the official files are Python 2 pickles (protocol 2)
        pickle.dump({"data": data, "labels": labels}, f, protocol=protocol)
    return data, labels


@pytest.fixture(scope="module")
def deap_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("deap")
    rng = np.random.default_rng(1234)
    for i in (1, 2, 3):
        _write_participant(d / f"s{i:02d}.dat", rng, protocol=2 if i == 2 else 4)
    return d


def test_participant_windows_exact(deap_dir: Path) -> None:
    with open(deap_dir / "s02.dat", "rb") as f:
        raw = pickle.load(f, encoding="latin1")
    data, labels = raw["data"].astype(np.float64), raw["labels"]
    w = deap.participant_windows(deap_dir / "s02.dat", "valence")
    per = (8064 - 384) // 128
    assert per == 60
    assert w.inputs.shape == (40 * per, 32, 128) and w.inputs.dtype == np.uint8
    # spot-check windows element by element against the documented formula
    for trial, k in ((0, 0), (7, 31), (39, 59)):
        i = trial * per + k
        start = 384 + 128 * k
        assert w.trial[i] == trial and w.start[i] == start
        for ch in (0, 13, 31):
            base = sum(float(v) for v in data[trial, ch, :384]) / 384
            want = [min(255, max(0, math.floor(float(v) - base) + 128))
                    for v in data[trial, ch, start:start + 128]]
            got = w.inputs[i, ch].tolist()
            assert got == want
    assert w.labels[:per].tolist() == [0] * per                   # valence 5.0 -> low
    assert w.labels[per:2 * per].tolist() == [1] * per            # 5.01 -> high
    assert np.array_equal(w.labels, np.repeat((labels[:, 0] > 5).astype(np.int64), per))
    a = deap.participant_windows(deap_dir / "s02.dat", "arousal")
    assert a.labels[2 * per] == 0 and np.array_equal(
        a.labels, np.repeat((labels[:, 1] > 5).astype(np.int64), per))


def test_only_eeg_channels_are_used(deap_dir: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    data, labels = _write_participant(tmp_path / "s01.dat", rng)
    before = deap.participant_windows(tmp_path / "s01.dat").inputs
    data[:, 32:, :] = 1e6                                          # peripheral channels
    with open(tmp_path / "s01.dat", "wb") as f:
        pickle.dump({"data": data, "labels": labels}, f, protocol=4)
    assert np.array_equal(before, deap.participant_windows(tmp_path / "s01.dat").inputs)


def test_participant_split_disjoint(deap_dir: Path) -> None:
    w = deap.all_windows(deap_dir)
    assert len(w.labels) == 3 * 40 * 60
    tr = deap.split_mask(w, "inter", "train")
    te = deap.split_mask(w, "inter", "test")
    assert not (tr & te).any() and (tr | te).all()
    assert len(set(w.participant[te])) == 1 and not set(w.participant[te]) & set(
        w.participant[tr])
    intra = deap.split_mask(w, "intra", "test")
    assert len(set(w.participant[intra])) == 3


def test_malformed_files(tmp_path: Path) -> None:
    with open(tmp_path / "s01.dat", "wb") as f:
        pickle.dump({"data": np.zeros((40, 40, 100)), "labels": np.zeros((40, 4))}, f)
    with pytest.raises(ValueError, match="expected data"):
        deap.load_participant(tmp_path / "s01.dat")
    with open(tmp_path / "s02.dat", "wb") as f:
        pickle.dump([1, 2, 3], f)
    with pytest.raises(ValueError, match="not a DEAP participant file"):
        deap.load_participant(tmp_path / "s02.dat")
    with pytest.raises(FileNotFoundError, match="licensed copy"):
        deap.all_windows(tmp_path / "nothing")


def test_dataset_cli_deap(deap_dir: Path, tmp_path: Path) -> None:
    from training import cli_dataset
    from training._cli import CliError

    args = argparse.Namespace(name="deap", split="inter", part="test", out=tmp_path / "o",
                              seed=None, no_cache=False, dimension="arousal", source=deap_dir,
                              quiet=True)
    assert cli_dataset.run(args) == 0
    x = np.load(tmp_path / "o" / "inputs.npy")
    assert x.shape == (2400, 32, 128) and x.dtype == np.uint8
    args.source = tmp_path / "missing"
    with pytest.raises(CliError, match="licensed copy"):
        cli_dataset.run(args)
    with pytest.raises(DataError):
        from training.datasets import build
        build("deap", "inter", "test", source=tmp_path / "missing")


class _RunsCommand:
    """Pickles to `os.system(<touch marker>)`: what a crafted sXX.dat would do to plain pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        import os
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_crafted_pickle_never_runs_code(tmp_path: Path, protocol: int) -> None:
    """A participant file whose pickle would run a shell command is a clean data error and the
    command never runs (neither from the loader nor through `sparrow dataset deap`)."""
    from golden import cli

    marker = tmp_path / "pwned"
    src = tmp_path / "deap"
    src.mkdir()
    with open(src / "s01.dat", "wb") as f:
        pickle.dump({"data": _RunsCommand(marker), "labels": np.zeros((40, 4))}, f,
                    protocol=protocol)
    with pytest.raises(ValueError, match=r"s01\.dat: not a DEAP participant file .*refused to "
                                         r"load global '(posix|os)\.system'"):
        deap.load_participant(src / "s01.dat")
    with pytest.raises(DataError, match="posix.system|os.system"):
        from training.datasets import build
        build("deap", "inter", "test", source=src)
    rc = cli.main(["dataset", "deap", "--split", "inter", "--part", "test", "--source", str(src),
                   "--out", str(tmp_path / "out"), "--quiet"])
    assert rc == 1
    assert not marker.exists()
    assert not (tmp_path / "out" / "inputs.npy").exists()
    # the same file through plain pickle does run the command: the test would notice a loader
    # that went back to pickle.load
    with open(src / "s01.dat", "rb") as f:
        pickle.load(f)
    assert marker.exists()


@pytest.mark.parametrize("payload", [
    b"", b"garbage", pickle.dumps({"data": "x" * 10, "labels": [1]})[:-3],
    pickle.dumps({"data": np.array(["a"] * 3), "labels": np.zeros((40, 4))}),
    pickle.dumps(print),
])
def test_corrupt_participant_files_are_data_errors(tmp_path: Path, payload: bytes) -> None:
    (tmp_path / "s01.dat").write_bytes(payload)
    with pytest.raises(ValueError, match=r"s01\.dat"):
        deap.load_participant(tmp_path / "s01.dat")
