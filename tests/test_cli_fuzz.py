"""Property-based: malformed bundles, input arrays and dataset folders fed to the ``sparrow``
entry points (``golden.cli.main`` in-process) never escape as a traceback. Each call either
succeeds (the mutation happened to stay legal: status 0, nothing on stderr) or fails with status
1 and exactly one ``sparrow: error: ...`` line, leaving no output file behind."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden import cli
from golden.randbundle import build_bundle

BASE = build_bundle(7, 2, 8, [{"kind": "conv1d", "out": 3, "kernel": 3, "stride": 1,
                               "padding": 1, "T": 4},
                              {"kind": "dense", "out": 3, "act": "none"}])
GOOD_X = np.arange(2 * 2 * 8, dtype=np.uint8).reshape(2, 2, 8)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# JSON values a careless or hostile user might put anywhere in a bundle
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70),
    st.sampled_from([10**9, -1, 0, 2**63, float("nan"), float("inf"), 1.5, 1e308]),
    st.text(max_size=5))
json_values = st.recursive(json_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=4), kids, max_size=3)),
    max_leaves=8)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a JSON object (lists up to their first three items)."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _paths(v, prefix + (i,))
    return out


BASE_PATHS = _paths(BASE)


def _mutate(bundle: dict, path: tuple, value: Any, delete: bool) -> dict:
    out = json.loads(json.dumps(bundle))
    node = out
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def run_cli(argv: list[str]) -> tuple[int, str]:
    """main(argv) with stdout and stderr captured; an escaping exception fails the test."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        rc = cli.main(argv)
    return rc, err.getvalue()


def assert_clean(rc: int, err: str, out: Path | None = None) -> None:
    """Success with a silent stderr, or status 1 with one error line and no output file."""
    assert "Traceback" not in err, err
    if rc == 0:
        assert err == "", err
        return
    assert rc == 1, (rc, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sparrow: error: ") and len(lines[0]) > 20, err
    if out is not None:
        assert not out.exists(), out
        assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


@SETTINGS
@given(path=st.sampled_from(BASE_PATHS), value=json_values, delete=st.booleans())
def test_mutated_bundles(path: tuple, value: Any, delete: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        model, x, out = d / "m.json", d / "x.npy", d / "y.npz"
        model.write_text(json.dumps(_mutate(BASE, path, value, delete)))
        np.save(x, GOOD_X)
        assert_clean(*run_cli(["check", "--model", str(model)]))
        assert_clean(*run_cli(["infer", "--model", str(model), "--inputs", str(x),
                               "--out", str(out)]), out)


@SETTINGS
@given(cut=st.integers(0, 4000), junk=st.binary(max_size=8), depth=st.integers(0, 3000))
def test_damaged_bundle_text(cut: int, junk: bytes, depth: int) -> None:
    text = json.dumps(BASE).encode()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        model = d / "m.json"
        model.write_bytes(text[:cut] + junk + b"[" * depth + text[cut:])
        assert_clean(*run_cli(["check", "--model", str(model)]))


dtypes = st.sampled_from(["u1", "i1", "<i8", "<f8", "?", "<U2", "<c8", ">u2"])
shapes = st.lists(st.integers(0, 9), max_size=4).map(tuple)


@SETTINGS
@given(dtype=dtypes, shape=shapes, cut=st.integers(0, 200), header=st.booleans())
def test_malformed_input_arrays(dtype: str, shape: tuple, cut: int, header: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        model, x, out = d / "m.json", d / "x.npy", d / "y.npz"
        model.write_text(json.dumps(BASE))
        np.save(x, np.zeros(shape, dtype=dtype))
        raw = x.read_bytes()
        if header:      # the header declares a huge batch over the same few bytes
            raw = raw.replace(b"'shape': (", b"'shape': (99999999999, ", 1)
        x.write_bytes(raw[:len(raw) - cut] if cut < len(raw) else raw)
        assert_clean(*run_cli(["infer", "--model", str(model), "--inputs", str(x),
                               "--out", str(out)]), out)


@SETTINGS
@given(n=st.integers(0, 3), xdtype=dtypes, ldtype=dtypes, nlab=st.integers(0, 4),
       info=st.one_of(st.none(), json_values.map(json.dumps), st.text(max_size=10),
                      st.integers(1, 3000).map(lambda k: "[" * k)),
       files=st.sets(st.sampled_from(["inputs", "labels"]), max_size=2))
def test_malformed_dataset_folders(n: int, xdtype: str, ldtype: str, nlab: int,
                                   info: str | None, files: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        model, ds = d / "m.json", d / "ds"
        model.write_text(json.dumps(BASE))
        ds.mkdir()
        if "inputs" not in files:
            np.save(ds / "inputs.npy", np.zeros((n, 2, 8), dtype=xdtype))
        if "labels" not in files:
            np.save(ds / "labels.npy", np.ones(nlab, dtype=ldtype))
        if info is not None:
            (ds / "dataset.json").write_text(info)
        png = d / "cm.png"
        rc, err = run_cli(["eval", "--model", str(model), "--dataset", str(ds),
                           "--png", str(png)])
        assert_clean(rc, err, png)
