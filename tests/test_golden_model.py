"""golden.model: SSF semantics, conv1d / dense against loops, whole-network inference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.bundle import load_bundle
from golden.model import conv1d, dense, fire, infer, infer_reference, ssf


def staircase(acc: int, theta: int, T: int) -> int:
    """(T+1)-level clip-floor quantised ReLU as a staircase: levels l <= T with acc >= l*theta."""
    return sum(1 for level in range(1, T + 1) if acc >= level * theta)


@settings(max_examples=400, deadline=None)
@given(acc=st.integers(-(1 << 33), (1 << 33) - 1), theta=st.integers(1, 65535),
       T=st.integers(1, 255))
def test_ssf_is_clip_floor_quantised_relu(acc: int, theta: int, T: int) -> None:
    y = int(ssf(acc, theta, T))
    assert y == staircase(acc, theta, T)
    assert y == min(T, max(0, acc) // theta)          # ReLU first, then floor, then clip
    assert int(fire(acc - 17, 17, theta, T, True)) == y


@settings(max_examples=200, deadline=None)
@given(sum_=st.integers(-(1 << 32), (1 << 32) - 1), bias=st.integers(-(1 << 31), (1 << 31) - 1),
       theta=st.integers(0, 65535), T=st.integers(1, 255))
def test_fire_none_passes_the_sum(sum_: int, bias: int, theta: int, T: int) -> None:
    assert int(fire(sum_, bias, theta, T, False)) == sum_ + bias


def test_ssf_vectorised_and_floor_towards_minus_infinity() -> None:
    acc = np.array([-7, -6, -1, 0, 1, 5, 6, 11, 12, 1000])
    assert ssf(acc, 6, 2).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]
    # per-channel theta broadcast along axis 1
    a = np.array([[[10, 20], [10, 20]]])
    th = np.array([5, 10])[None, :, None]
    assert ssf(a, th, 255).tolist() == [[[2, 4], [1, 2]]]
    y = fire(np.array([-3, 3, 9]), np.array([1, 1, 1]), np.array([2, 2, 0]), 7,
             np.array([True, True, False]))
    assert y.tolist() == [0, 2, 10]
    with pytest.raises(ValueError):
        ssf(3, 0, 1)
    with pytest.raises(ValueError):
        fire(3, 0, 0, 1, True)


def conv_loops(x: np.ndarray, W: np.ndarray, b: np.ndarray, S: int, P: int) -> np.ndarray:
    N, Cin, Lin = x.shape
    O, _, K = W.shape
    Lout = (Lin + 2 * P - K) // S + 1
    out = np.zeros((N, O, Lout), dtype=object)
    for n in range(N):
        for o in range(O):
            for t in range(Lout):
                acc = int(b[o])
                for i in range(Cin):
                    for k in range(K):
                        pos = t * S + k - P
                        if 0 <= pos < Lin:
                            acc += int(W[o, i, k]) * int(x[n, i, pos])
                out[n, o, t] = acc
    return out


def test_conv1d_matches_loops(rng: np.random.Generator) -> None:
    for _ in range(40):
        N, Cin, Lin = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 20))
        K, S, P = int(rng.integers(1, 8)), int(rng.integers(1, 6)), int(rng.integers(0, 5))
        if Lin + 2 * P < K:
            continue
        O = int(rng.integers(1, 11))
        x = rng.integers(0, 256, size=(N, Cin, Lin)).astype(np.uint8)
        W = rng.integers(-128, 128, size=(O, Cin, K))
        b = rng.integers(-10**6, 10**6, size=O)
        got = conv1d(x, W, b, S, P)
        assert got.dtype == np.int64
        assert got.tolist() == conv_loops(x, W, b, S, P).tolist(), (Lin, K, S, P)


def test_dense_matches_loops(rng: np.random.Generator) -> None:
    for _ in range(20):
        N, C, L, O = (int(v) for v in rng.integers(1, 9, size=4))
        x = rng.integers(0, 256, size=(N, C, L)).astype(np.uint8)
        W = rng.integers(-128, 128, size=(O, C * L))
        b = rng.integers(-10**6, 10**6, size=O)
        want = [[int(b[o]) + sum(int(W[o, c * L + l]) * int(x[n, c, l])
                                 for c in range(C) for l in range(L)) for o in range(O)]
                for n in range(N)]
        assert dense(x, W, b).tolist() == want
        assert dense(x.reshape(N, -1), W, b).tolist() == want


def test_exact_paths_for_large_operands(rng: np.random.Generator) -> None:
    # bound 255*128*1100 > 2^24 -> float64 path; still exact
    x = np.full((2, 1, 1100), 255, dtype=np.uint8)
    W = np.full((1, 1, 1100), -128)
    assert conv1d(x, W, np.array([5]), 1, 0).tolist() == [[[5 - 255 * 128 * 1100]]] * 2
    # operands beyond 2^53 -> int64 path; compare with Python integers
    big = rng.integers(1 << 44, 1 << 45, size=(1, 2, 9))
    Wb = rng.integers(-128, 128, size=(3, 2, 4))
    assert conv1d(big, Wb, np.zeros(3, np.int64), 2, 1).tolist() == \
        conv_loops(big, Wb, np.zeros(3, np.int64), 2, 1).tolist()
    xd = rng.integers(1 << 44, 1 << 45, size=(2, 30))
    Wd = rng.integers(-128, 128, size=(4, 30))
    want = [[sum(int(Wd[o, j]) * int(xd[n, j]) for j in range(30)) for o in range(4)]
            for n in range(2)]
    assert dense(xd, Wd, np.zeros(4, np.int64)).tolist() == want


def naive_infer(bundle: dict, x1: np.ndarray) -> list[int]:
    """Spec §2 straight from the JSON lists with Python integers (independent of golden)."""
    a = [[int(v) for v in row] for row in x1]            # (C, L)
    for layer in bundle["layers"]:
        W, b = layer["weights"], layer["bias"]
        if layer["kind"] == "conv1d":
            K, S, P = layer["kernel"], layer["stride"], layer["padding"]
            Lin = len(a[0])
            Lout = (Lin + 2 * P - K) // S + 1
            acc = [[b[o] + sum(W[o][i][k] * a[i][t * S + k - P] for i in range(len(a))
                               for k in range(K) if 0 <= t * S + k - P < Lin)
                    for t in range(Lout)] for o in range(len(W))]
        else:
            flat = [v for row in a for v in row]
            acc = [[b[o] + sum(w * v for w, v in zip(W[o], flat))] for o in range(len(W))]
        act = layer["activation"]
        if act["type"] == "ssf":
            acc = [[min(act["T"], max(0, v // act["theta"][o])) for v in row]
                   for o, row in enumerate(acc)]
        a = acc
    return [v for row in a for v in row]


def test_infer_matches_naive_python(make_bundle, make_inputs) -> None:
    for _ in range(12):
        d = make_bundle(max_len=24, max_ch=8)
        b = load_bundle(d)
        x = make_inputs(b.in_shape, 3)
        res = infer(b, x)
        for n in range(3):
            logits = naive_infer(d, x[n])
            assert res.logits[n].tolist() == logits
            assert res.classes[n] == logits.index(max(logits))


def test_naive_check_can_fail(make_bundle, make_inputs) -> None:
    """One changed threshold makes the naive comparison fail (the checker is not vacuous)."""
    d = make_bundle(last_act="ssf", n_layers=1, max_len=24, T=255, corner=0.0)
    b = load_bundle(d)
    x = make_inputs(b.in_shape, 8)
    good = infer(b, x).logits
    d["layers"][0]["activation"]["theta"] = [t + 1 for t in d["layers"][0]["activation"]["theta"]]
    assert any(naive_infer(d, x[n]) != good[n].tolist() for n in range(8))


def test_infer_matches_reference_and_chunking(make_bundle, make_inputs) -> None:
    for _ in range(30):
        b = load_bundle(make_bundle())
        x = make_inputs(b.in_shape, 9)
        res = infer(b, x)
        ref = infer_reference(b, x)
        assert res.logits.dtype == np.int64 and res.classes.dtype == np.int64
        assert res.logits.shape == (9, b.n_classes)
        assert np.array_equal(res.logits, ref.logits)
        for L, o, r in zip(b.layers, res.outputs, ref.outputs):
            assert o.shape == ((9, L.out_ch) if L.kind == "dense" else (9, L.out_ch, L.out_len))
            assert np.array_equal(o, r.reshape(o.shape))
            if L.is_ssf:
                assert o.min() >= 0 and o.max() <= L.T
        for chunk in (1, 4):
            assert np.array_equal(infer(b, x, chunk=chunk, keep_outputs=False).logits,
                                  res.logits)


def test_ties_go_to_the_lowest_index() -> None:
    d = {"format": "sparrow-bundle", "version": 1, "name": "tie", "classes": ["a", "b", "c"],
         "input": {"channels": 1, "length": 2},
         "layers": [{"kind": "dense", "in_features": 2, "out_features": 3,
                     "weights": [[1, 0], [2, 2], [2, 2]], "bias": [0, -1, -1],
                     "activation": {"type": "none"}}]}
    x = np.array([[[0, 0]], [[1, 0]], [[3, 1]]], dtype=np.uint8)
    res = infer(d, x)
    assert res.logits.tolist() == [[0, -1, -1], [1, 1, 1], [3, 7, 7]]
    assert res.classes.tolist() == [0, 0, 1]


@pytest.mark.parametrize("bad, msg", [
    (np.zeros((2, 1, 187), dtype=np.int64), "dtype uint8"),
    (np.zeros((2, 1, 187), dtype=np.float32), "dtype uint8"),
    (np.zeros((1, 187), dtype=np.uint8), "3 dimensions"),
    (np.zeros((2, 2, 187), dtype=np.uint8), "expected (N, 1, 187)"),
    (np.zeros((2, 1, 186), dtype=np.uint8), "expected (N, 1, 187)"),
    ([[[0] * 187]], "numpy array"),
])
def test_infer_rejects_bad_inputs(ecg_bundle: dict, bad, msg: str) -> None:
    with pytest.raises(ValueError, match=None) as ei:
        infer(ecg_bundle, bad)
    assert msg in str(ei.value)


def test_empty_batch(ecg_bundle: dict) -> None:
    res = infer(ecg_bundle, np.zeros((0, 1, 187), dtype=np.uint8))
    assert res.classes.shape == (0,) and res.logits.shape == (0, 5)


def test_ecg_network_matches_torch(ecg_bundle: dict, make_inputs) -> None:
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    b = load_bundle(ecg_bundle)
    x = make_inputs(b.in_shape, 64)
    a = torch.from_numpy(x).to(torch.int64)
    for L in b.layers:
        w, bias = torch.from_numpy(L.weights), torch.from_numpy(L.bias)
        if L.kind == "conv1d":
            acc = F.conv1d(a, w, bias, stride=L.stride, padding=L.padding)
            th = torch.from_numpy(L.theta_or_ones)[None, :, None]
        else:
            acc = F.linear(a.reshape(a.shape[0], -1), w, bias)
            th = torch.from_numpy(L.theta_or_ones)[None, :]
        a = torch.clamp(torch.div(acc, th, rounding_mode="floor"), 0, L.T) if L.is_ssf else acc
    assert np.array_equal(infer(b, x).logits, a.numpy())


def test_blas_thread_limit_is_restored(ecg_bundle: dict, make_inputs,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """infer() runs with one BLAS thread (threadpoolctl) and restores the pool afterwards; the
    limit does not change the results."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    x = make_inputs((1, 187), 300)
    infer(ecg_bundle, x[:1])              # the BLAS library is loaded by now
    if not blas_threads():
        pytest.skip("numpy is not linked to a BLAS library threadpoolctl can control")
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        seen: list[list[int]] = []
        import golden.model as gm

        real = gm._run_chunk

        def spy(*args, **kwargs):
            seen.append(blas_threads())
            return real(*args, **kwargs)

        monkeypatch.setattr(gm, "_run_chunk", spy)
        limited = infer(ecg_bundle, x).logits
        monkeypatch.undo()
        assert seen and all(t == [1] * len(t) for t in seen), seen
        assert blas_threads() == before
        assert np.array_equal(limited, infer(ecg_bundle, x, blas_threads=None).logits)