"""The sparrow CLI: infer / check round trips and every error class (exit code, one line, no
output file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from golden import cli
from golden.bundle import load_bundle, save_bundle
from golden.model import infer
from golden.timing import counters_batch, total_cycles

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path: Path, ecg_bundle: dict, make_inputs) -> dict[str, Path]:
    model = tmp_path / "model.json"
    save_bundle(ecg_bundle, model)
    x = make_inputs((1, 187), 40)
    inputs = tmp_path / "x.npy"
    np.save(inputs, x)
    return {"model": model, "inputs": inputs, "out": tmp_path / "y.npz", "dir": tmp_path}


def run_main(capsys, argv: list[str]) -> tuple[int, str, str]:
    rc = cli.main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def assert_one_line_error(err: str, *parts: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sparrow: error: "), err
    assert "Traceback" not in err
    for p in parts:
        assert p in lines[0], (p, lines[0])


def no_output(files: dict[str, Path]) -> None:
    assert not files["out"].exists()
    assert [p.name for p in files["dir"].iterdir() if p.name.endswith(".tmp")] == []


def test_infer_round_trip_subprocess(files: dict[str, Path]) -> None:
    """The installed console entry (python -m golden.cli) end to end."""
    cmd = [sys.executable, "-m", "golden.cli", "infer", "--model", str(files["model"]),
           "--inputs", str(files["inputs"]), "--out", str(files["out"])]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    b = load_bundle(files["model"])
    x = np.load(files["inputs"])
    res = infer(b, x)
    with np.load(files["out"]) as y:
        assert set(y.files) >= {"classes", "logits", "cycles", "wreads", "macs", "skips"}
        for k in y.files:
            assert y[k].dtype == np.int64, k
        assert np.array_equal(y["classes"], res.classes)
        assert np.array_equal(y["logits"], res.logits)
        assert y["logits"].shape == (40, 5)
        assert y["cycles"].tolist() == [total_cycles(b)] * 40
        cnt = counters_batch(b, x)
        for k in ("wreads", "macs", "skips"):
            assert np.array_equal(y[k], cnt[k])


def test_module_entry_reports_errors(files: dict[str, Path]) -> None:
    np.save(files["inputs"], np.zeros((2, 1, 187), dtype=np.float32))
    cmd = [sys.executable, "-m", "golden.cli", "infer", "--model", str(files["model"]),
           "--inputs", str(files["inputs"]), "--out", str(files["out"])]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 1
    assert_one_line_error(p.stderr, "dtype float32, expected uint8")
    no_output(files)


def test_console_script_exists_and_reports_errors(tmp_path: Path) -> None:
    exe = ROOT / ".venv" / "bin" / "sparrow"
    if not exe.exists():
        pytest.skip("console script not installed")
    p = subprocess.run([str(exe), "check", "--model", str(tmp_path / "none.json")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert_one_line_error(p.stderr, "does not exist")


def test_check(capsys, files: dict[str, Path]) -> None:
    rc, out, err = run_main(capsys, ["check", "--model", str(files["model"])])
    assert rc == 0 and err == ""
    b = load_bundle(files["model"])
    assert f"cycles per inference {total_cycles(b)}" in out
    assert "1x187 -> 8x94" in out and "192 -> 32" in out
    assert f"weights {b.n_weights}" in out


def test_overwrites_existing_output(capsys, files: dict[str, Path]) -> None:
    files["out"].write_bytes(b"old")
    rc, _, err = run_main(capsys, ["infer", "--model", str(files["model"]), "--inputs",
                                   str(files["inputs"]), "--out", str(files["out"])])
    assert rc == 0, err
    with np.load(files["out"]) as y:
        assert y["classes"].shape == (40,)


def _bad_json(f: dict[str, Path]) -> None:
    f["model"].write_text('{"format": ')


def _invalid_bundle(f: dict[str, Path]) -> None:
    d = json.loads(f["model"].read_text())
    d["layers"][2]["activation"]["theta"][5] = 0
    f["model"].write_text(json.dumps(d))


def _missing_model(f: dict[str, Path]) -> None:
    f["model"].unlink()


def _missing_inputs(f: dict[str, Path]) -> None:
    f["inputs"].unlink()


def _dtype(f: dict[str, Path]) -> None:
    np.save(f["inputs"], np.zeros((3, 1, 187), dtype=np.int16))


def _ndim(f: dict[str, Path]) -> None:
    np.save(f["inputs"], np.zeros((3, 187), dtype=np.uint8))


def _shape(f: dict[str, Path]) -> None:
    np.save(f["inputs"], np.zeros((3, 1, 180), dtype=np.uint8))


def _not_npy(f: dict[str, Path]) -> None:
    f["inputs"].write_text("hello")


def _pickled(f: dict[str, Path]) -> None:
    np.save(f["inputs"], np.array([{"a": 1}], dtype=object), allow_pickle=True)


def _npz(f: dict[str, Path]) -> None:
    with open(f["inputs"], "wb") as fh:
        np.savez(fh, x=np.zeros((1, 1, 187), np.uint8))


def _out_dir_missing(f: dict[str, Path]) -> None:
    f["out"] = f["dir"] / "nodir" / "y.npz"


def _out_is_dir(f: dict[str, Path]) -> None:
    f["out"] = f["dir"] / "outdir"
    f["out"].mkdir()


ERRORS = [
    ("bad-json", _bad_json, ["is not valid JSON"]),
    ("invalid-bundle", _invalid_bundle,
     ["invalid bundle", "layer 2 (conv1d): field 'activation.theta[5]' = 0 is out of range "
      "1..65535"]),
    ("missing-model", _missing_model, ["does not exist"]),
    ("missing-inputs", _missing_inputs, ["inputs file", "does not exist"]),
    ("dtype", _dtype, ["dtype int16, expected uint8"]),
    ("ndim", _ndim, ["2 dimensions", "expected 3"]),
    ("shape", _shape, ["shape (3, 1, 180), expected (N, 1, 187)"]),
    ("not-npy", _not_npy, ["cannot read inputs"]),
    ("pickled", _pickled, ["cannot read inputs"]),
    ("npz", _npz, ["not a .npy array file"]),
    ("out-dir-missing", _out_dir_missing, ["cannot write", "does not exist"]),
    ("out-is-dir", _out_is_dir, ["is a directory"]),
]


@pytest.mark.parametrize("breaker, parts", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_infer_errors(capsys, files: dict[str, Path], breaker, parts: list[str]) -> None:
    breaker(files)
    rc, out, err = run_main(capsys, ["infer", "--model", str(files["model"]), "--inputs",
                                     str(files["inputs"]), "--out", str(files["out"])])
    assert rc == 1
    assert_one_line_error(err, *parts)
    assert out == ""
    if files["out"].name == "y.npz":
        no_output(files)


@pytest.mark.parametrize("argv, part", [
    ([], "required: COMMAND"),
    (["infer", "--model", "m.json"], "required: --inputs, --out"),
    (["frobnicate"], "invalid choice"),
    (["check"], "required: --model"),
])
def test_usage_errors(capsys, argv: list[str], part: str) -> None:
    rc, out, err = run_main(capsys, argv)
    assert rc == 2
    assert_one_line_error(err, part)


def test_write_failure_leaves_no_file(capsys, files: dict[str, Path],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fh, **arrays):
        fh.write(b"PK partial")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", broken)
    rc, _, err = run_main(capsys, ["infer", "--model", str(files["model"]), "--inputs",
                                   str(files["inputs"]), "--out", str(files["out"])])
    assert rc == 1
    assert_one_line_error(err, "cannot write", "No space left on device")
    no_output(files)


def test_subcommand_registration(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("fake_cli_hello")

    def register(sub):
        p = sub.add_parser("hello")
        p.add_argument("--fail", action="store_true")

        def handler(args):
            if args.fail:
                raise cli.CliError("hello failed\nwith a second line")
            print("hi")
            return 0
        p.set_defaults(func=handler)
    mod.register = register
    monkeypatch.setitem(sys.modules, "fake_cli_hello", mod)
    monkeypatch.setattr(cli, "SUBCOMMANDS",
                        cli.SUBCOMMANDS + ["fake_cli_hello", "nosuchpkg.cli_frobnicate"])
    assert run_main(capsys, ["hello"])[:2] == (0, "hi\n")
    rc, _, err = run_main(capsys, ["hello", "--fail"])
    assert rc == 1
    assert_one_line_error(err, "hello failed with a second line")
    rc, _, err = run_main(capsys, ["frobnicate"])
    assert rc == 1
    assert_one_line_error(err, "subcommand 'frobnicate' is unavailable", "nosuchpkg")


def test_broken_subcommand_module_is_not_hidden(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A module that exists but fails to import (a bug, a missing dependency) must raise."""
    (tmp_path / "fake_cli_broken.py").write_text("import nosuchdependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "SUBCOMMANDS", ["fake_cli_broken"])
    with pytest.raises(ModuleNotFoundError, match="nosuchdependency"):
        cli.build_parser()
