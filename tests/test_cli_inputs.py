"""Bad inputs named in issue 9 and the ones tried beyond it: every one ends in exactly one
``sparrow: error: ...`` line, status 1 and no output file (or no half-written one)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from golden import cli
from golden.randbundle import build_bundle
from golden.safeio import UserFileError, read_npy

ROOT = Path(__file__).resolve().parents[1]
BASE = build_bundle(3, 2, 8, [{"kind": "conv1d", "out": 3, "kernel": 3, "stride": 1,
                               "padding": 1, "T": 4},
                              {"kind": "dense", "out": 3, "act": "none"}])


@pytest.fixture
def f(tmp_path: Path) -> dict[str, Path]:
    """A legal bundle, inputs, a legal dataset folder and output paths in tmp_path."""
    model = tmp_path / "m.json"
    model.write_text(json.dumps(BASE))
    x = np.arange(4 * 2 * 8, dtype=np.uint8).reshape(4, 2, 8)
    np.save(tmp_path / "x.npy", x)
    ds = tmp_path / "ds"
    ds.mkdir()
    np.save(ds / "inputs.npy", x)
    np.save(ds / "labels.npy", np.array([0, 1, 2, 0]))
    return {"model": model, "x": tmp_path / "x.npy", "out": tmp_path / "y.npz", "ds": ds,
            "png": tmp_path / "cm.png", "dir": tmp_path}


def fails(capsys: pytest.CaptureFixture, argv: list[str], *parts: str) -> str:
    """Run main(argv): status 1, one error line containing every part; return the line."""
    rc = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert rc == 1 and len(lines) == 1 and lines[0].startswith("sparrow: error: "), (rc, err)
    for p in parts:
        assert p in lines[0], (p, lines[0])
    return lines[0]


def infer(f: dict[str, Path], model: Path | None = None, x: Path | None = None) -> list:
    return ["infer", "--model", model or f["model"], "--inputs", x or f["x"], "--out", f["out"]]


def evaluate(f: dict[str, Path], ds: Path | None = None, model: Path | None = None) -> list:
    return ["eval", "--model", model or f["model"], "--dataset", ds or f["ds"],
            "--png", f["png"]]


def test_good_files_pass(capsys, f: dict[str, Path]) -> None:
    """The fixture itself is legal: the failures below come from the one thing changed."""
    assert cli.main([str(a) for a in infer(f)]) == 0 and f["out"].is_file()
    f["png"] = f["dir"] / "new" / "cm.png"            # a new folder for the PNG is created
    assert cli.main([str(a) for a in evaluate(f)]) == 0 and f["png"].is_file()
    assert capsys.readouterr().err == ""


# --- the cases named in the issue ------------------------------------------------------------

def test_infer_with_no_inputs_mirrors_sim(capsys, f: dict[str, Path]) -> None:
    np.save(f["x"], np.zeros((0, 2, 8), dtype=np.uint8))
    fails(capsys, infer(f), "hold no example (N = 0)")
    assert not f["out"].exists()


@pytest.mark.parametrize("command", ["check", "infer", "eval"])
def test_deeply_nested_model_json(capsys, f: dict[str, Path], command: str) -> None:
    f["model"].write_text("[" * 100_000 + "]" * 100_000)
    argv = {"check": ["check", "--model", f["model"]], "infer": infer(f),
            "eval": evaluate(f)}[command]
    fails(capsys, argv, "m.json", "nested too deeply")


@pytest.mark.parametrize("text, part", [
    ("{bad", "is not valid JSON"),
    ("[" * 50_000, "nested too deeply"),
    ("[1, 2]", "expected a JSON object, got list"),
    ('{"classes": 5}', "'classes' must be a list of names"),
    ('{"n": ' + "9" * 5000 + "}", "not usable JSON"),
])
def test_eval_malformed_dataset_json(capsys, f: dict[str, Path], text: str, part: str) -> None:
    (f["ds"] / "dataset.json").write_text(text)
    fails(capsys, evaluate(f), "dataset.json", part)
    assert not f["png"].exists()


def test_eval_empty_dataset(capsys, f: dict[str, Path]) -> None:
    np.save(f["ds"] / "inputs.npy", np.zeros((0, 2, 8), dtype=np.uint8))
    np.save(f["ds"] / "labels.npy", np.zeros(0, dtype=np.int64))
    fails(capsys, evaluate(f), "holds no example (N = 0)")
    assert not f["png"].exists()


class _ClosedPipe(io.StringIO):
    """A stdout whose reader has gone away."""

    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("command", ["check", "eval"])
def test_broken_pipe_in_process(capsys, monkeypatch, f: dict[str, Path], command: str) -> None:
    argv = ["check", "--model", f["model"]] if command == "check" else evaluate(f)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    rc = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert rc == 1 and err.splitlines() == [
        "sparrow: error: standard output was closed before the output was complete "
        "(broken pipe)"], err


def test_broken_pipe_subprocess() -> None:
    """`sparrow check ... | (reader that exits at once)`: one line, no traceback, no
    'Exception ignored' at interpreter exit."""
    cmd = [sys.executable, "-m", "golden.cli", "check", "--model",
           str(ROOT / "models" / "ecg" / "model.json")]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()                     # closed before the interpreter has even started
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 1
    assert err.splitlines() == ["sparrow: error: standard output was closed before the output "
                                "was complete (broken pipe)"], err


# --- beyond the list -------------------------------------------------------------------------

def _npy_declaring(path: Path, shape: str) -> None:
    """A .npy file whose header declares `shape` over 10 bytes of uint8 data."""
    hdr = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}".encode()
    hdr += b" " * (63 - len(hdr) % 64) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr + bytes(10))


def test_huge_declared_shape_is_rejected_before_allocating(capsys, f: dict[str, Path]) -> None:
    _npy_declaring(f["x"], "(1000000000, 2, 8)")
    fails(capsys, infer(f), "truncated or malformed", "16000000000 bytes", "10 bytes")
    _npy_declaring(f["ds"] / "labels.npy", "(1000000000000,)")
    fails(capsys, evaluate(f), "labels.npy", "truncated or malformed")


@pytest.mark.parametrize("make, part", [
    (lambda p: np.save(p, np.zeros((4, 2, 8), dtype=np.float32)), "dtype float32"),
    (lambda p: np.save(p, np.zeros((4, 16), dtype=np.uint8)), "2 dimensions"),
    (lambda p: np.save(p, np.zeros((4, 3, 8), dtype=np.uint8)), "expected (N, 2, 8)"),
    (lambda p: np.save(p, np.array([{"a": 1}]), allow_pickle=True), "Python objects"),
    (lambda p: p.write_text("hello"), "not a .npy array file"),
    (lambda p: np.savez(open(p, "wb"), a=np.zeros(3)), "got an .npz archive"),
    (lambda p: p.write_bytes(p.read_bytes()[:-5]), "truncated or malformed"),
    (lambda p: p.write_bytes(p.read_bytes()[:30]), "cannot read inputs"),
    (lambda p: (p.unlink(), p.mkdir()), "is a directory"),
    (lambda p: p.unlink(), "does not exist"),
])
def test_bad_inputs_file(capsys, f: dict[str, Path], make, part: str) -> None:
    make(f["x"])
    fails(capsys, infer(f), part)
    assert not f["out"].exists()


@pytest.mark.parametrize("edit, part", [
    (lambda b: b["input"].update(channels=10**9), "'input.channels' = 1000000000 is out of"),
    (lambda b: b["layers"][0].update(out_channels=10**9), "'out_channels' = 1000000000"),
    (lambda b: b["layers"][0]["weights"][0][0].__setitem__(0, 10**30), "out of range -128..127"),
    (lambda b: b["layers"][0]["activation"].update(T=float("nan")), "is not an integer"),
    (lambda b: b["layers"][0].pop("bias"), "'bias' is missing"),
    (lambda b: b.update(layers={}), "'layers' must be a list"),
    (lambda b: b.update(layers=[{}] * 1_000_000), "1000000 layers, allowed"),
    # a duplicate at the end of a long list: found in linear time (it once took quadratic time)
    (lambda b: b.update(classes=[f"c{i}" for i in range(300_000)] + ["c299999"]),
     "names \"c299999\" more than once"),
])
def test_bad_bundle_fields(capsys, f: dict[str, Path], edit, part: str) -> None:
    raw = json.loads(json.dumps(BASE))
    edit(raw)
    f["model"].write_text(json.dumps(raw))
    fails(capsys, ["check", "--model", f["model"]], part)


@pytest.mark.parametrize("text, part", [
    ('{"format": ' + "9" * 5000 + "}", "not usable JSON"),
    ("", "is not valid JSON"),
    ("[1]", "must hold a JSON object"),
])
def test_bad_bundle_text(capsys, f: dict[str, Path], text: str, part: str) -> None:
    f["model"].write_text(text)
    fails(capsys, ["check", "--model", f["model"]], part)


def test_bundle_path_is_a_directory_binary_or_endless(capsys, f: dict[str, Path]) -> None:
    fails(capsys, ["check", "--model", f["dir"]], "is a directory")
    f["model"].write_bytes(b"\xff\xfe\x00")
    fails(capsys, ["check", "--model", f["model"]], "cannot read", "not UTF-8")
    fails(capsys, ["check", "--model", "/dev/zero"], "larger than 64 MiB")


def test_unwritable_outputs(capsys, f: dict[str, Path]) -> None:
    (f["dir"] / "afile").write_text("")
    for out in (f["dir"], f["dir"] / "afile" / "y.npz", f["dir"] / "nodir" / "y.npz"):
        fails(capsys, ["infer", "--model", f["model"], "--inputs", f["x"], "--out", out],
              str(out))
    fails(capsys, ["eval", "--model", f["model"], "--dataset", f["ds"], "--png", f["dir"]],
          "is a directory")
    fails(capsys, evaluate(f) + ["--json", f["dir"] / "afile" / "r.json"], "r.json")
    assert not f["png"].exists()            # nothing written when the second output would fail


@pytest.mark.parametrize("breaker, part", [
    (lambda ds: ds.rename(ds.with_name("gone")), "it does not exist"),
    (lambda ds: np.save(ds / "labels.npy", np.zeros(4)), "expected integer (N,)"),
    (lambda ds: np.save(ds / "labels.npy", np.array([0, 1])), "N = 4"),
    (lambda ds: np.save(ds / "labels.npy", np.array([0, 1, 7, 0])), "labels outside 0..2"),
    (lambda ds: np.save(ds / "inputs.npy", np.zeros((4, 1, 8), np.uint8)), "expects (2, 8)"),
    (lambda ds: (ds / "inputs.npy").unlink(), "inputs.npy' does not exist"),
    (lambda ds: (ds / "dataset.json").write_text('{"classes": ["a", "b", "c"]}'),
     "differ from bundle classes"),
])
def test_bad_dataset_folders(capsys, f: dict[str, Path], breaker, part: str) -> None:
    breaker(f["ds"])
    fails(capsys, evaluate(f), part)
    assert not f["png"].exists()


def test_eval_on_a_file_instead_of_a_folder(capsys, f: dict[str, Path]) -> None:
    fails(capsys, evaluate(f, ds=f["x"]), "not a dataset directory (it is a file)")


def test_read_npy_checks_the_header_before_loading(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.arange(6, dtype=np.int16).reshape(2, 3))
    assert read_npy(tmp_path / "a.npy", "a").tolist() == [[0, 1, 2], [3, 4, 5]]
    _npy_declaring(tmp_path / "b.npy", "(2, 5)")
    assert read_npy(tmp_path / "b.npy", "b").shape == (2, 5)       # exactly 10 bytes: fine
    _npy_declaring(tmp_path / "c.npy", "(2, 6)")
    with pytest.raises(UserFileError, match="12 bytes.*holds 10 bytes"):
        read_npy(tmp_path / "c.npy", "c")


@pytest.mark.parametrize("argv, part", [
    (["dataset", "eeg", "--split", "inter", "--part", "test", "--seed", "-1", "--out", "o"],
     "-1 is negative"),
    (["train", "eeg-inter", "--seed", "x"], "invalid integer 'x'"),
    (["train", "eeg-inter", "--epochs-qat", "-3"], "-3 is negative"),
])
def test_negative_or_non_integer_seeds_are_usage_errors(capsys, argv: list[str],
                                                        part: str) -> None:
    assert cli.main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sparrow: error: ") and part in lines[0]


def test_dataset_out_below_a_file(capsys, f: dict[str, Path]) -> None:
    (f["dir"] / "afile").write_text("")
    fails(capsys, ["dataset", "deap", "--split", "inter", "--part", "test", "--source", f["dir"],
                   "--out", f["dir"] / "afile" / "sub"], "afile")
