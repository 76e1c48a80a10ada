"""Integer-exact, batch-vectorised inference of a bundle (spec §2, docs/architecture.md §1).

Every result is exact integer arithmetic. The matrix products may run in float32 / float64
BLAS, but only when a bound computed beforehand proves that every product and every partial sum
is an integer below 2^24 / 2^53 in magnitude, so that no rounding can occur in any summation
order; otherwise they run in int64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import threadpool_limits

from golden.bundle import Bundle, Layer, load_bundle

F32_EXACT = 1 << 24
F64_EXACT = 1 << 53
CHUNK_VALUES = 1 << 19  # im2col elements per chunk (about 2 MiB in float32)


@dataclass
class Inference:
    """Result of :func:`infer` on a batch of N inputs."""

    classes: np.ndarray                 # (N,) int64, argmax of logits, lowest index on ties
    logits: np.ndarray                  # (N, n_classes) int64 (last layer outputs, flattened)
    outputs: list[np.ndarray] = field(default_factory=list)  # per layer (N, C, L) / (N, O)


# ---------------------------------------------------------------------------------------------
# elementwise golden functions


def ssf(acc: np.ndarray | int, theta: np.ndarray | int, T: np.ndarray | int) -> np.ndarray:
    """SSF: min(T, max(0, floor(acc / theta))), floor towards minus infinity; int64."""
    acc = np.asarray(acc, dtype=np.int64)
    theta = np.asarray(theta, dtype=np.int64)
    if np.any(theta < 1):
        raise ValueError("ssf: theta must be >= 1")
    return np.clip(np.floor_divide(acc, theta), 0, np.asarray(T, dtype=np.int64))


def fire(sum_: np.ndarray | int, bias: np.ndarray | int, theta: np.ndarray | int,
         T: np.ndarray | int, is_ssf: np.ndarray | bool) -> np.ndarray:
    """Golden function of rtl/ssf_fire: y = ssf(sum_ + bias) if is_ssf else sum_ + bias."""
    acc = np.asarray(sum_, dtype=np.int64) + np.asarray(bias, dtype=np.int64)
    is_ssf = np.asarray(is_ssf, dtype=bool)
    theta = np.asarray(theta, dtype=np.int64)
    if np.any(is_ssf & (theta < 1)):
        raise ValueError("fire: theta must be >= 1 where is_ssf")
    safe_theta = np.where(is_ssf, theta, 1)
    return np.where(is_ssf, np.clip(np.floor_divide(acc, safe_theta), 0,
                                    np.asarray(T, dtype=np.int64)), acc)


# ---------------------------------------------------------------------------------------------
# layers (accumulators without activation)


def _matmul_dtype(xmax: int, wabs_rowsum_max: int) -> type:
    """Narrowest dtype whose matmul is provably exact for these operand bounds."""
    bound = int(xmax) * int(wabs_rowsum_max)
    if bound < F32_EXACT:
        return np.float32
    if bound < F64_EXACT:
        return np.float64
    return np.int64


def _exact_matmul(a: np.ndarray, b: np.ndarray, dtype: type) -> np.ndarray:
    """a @ b computed in ``dtype`` (chosen by _matmul_dtype), returned as int64."""
    if dtype is np.int64:
        return a.astype(np.int64) @ b.astype(np.int64)
    return (a.astype(dtype, copy=False) @ b.astype(dtype, copy=False)).astype(np.int64)


def _out_len(lin: int, k: int, s: int, p: int) -> int:
    lout = (lin + 2 * p - k) // s + 1
    if lout < 1:
        raise ValueError(f"conv1d: kernel {k} longer than padded input {lin} + 2*{p}")
    return lout


def conv1d(x: np.ndarray, W: np.ndarray, bias: np.ndarray, stride: int = 1,
           padding: int = 0) -> np.ndarray:
    """acc[n,o,t] = bias[o] + sum_{i,k} W[o,i,k] x[n,i,t*S+k-P] (zero padding); int64 (N,O,Lout)."""
    x = np.asarray(x)
    W = np.asarray(W, dtype=np.int64)
    bias = np.asarray(bias, dtype=np.int64)
    if x.ndim != 3 or W.ndim != 3 or x.shape[1] != W.shape[1] or bias.shape != (W.shape[0],):
        raise ValueError(f"conv1d: incompatible shapes x {x.shape}, W {W.shape}, "
                         f"bias {bias.shape}")
    n, cin, lin = x.shape
    o, _, k = W.shape
    lout = _out_len(lin, k, stride, padding)
    xmax = int(np.abs(x).max()) if x.size else 0
    dtype = _matmul_dtype(xmax, int(np.abs(W).reshape(o, -1).sum(axis=1).max()))
    w2 = W.reshape(o, cin * k).T
    xl = np.moveaxis(x, 1, 2)                                   # (N, Lin, Cin)
    acc = _conv_cl(xl, w2, k, stride, padding, lout, dtype)     # (N, Lout, O)
    return np.moveaxis(acc, 2, 1) + bias[None, :, None]


def _conv_cl(xl: np.ndarray, w2: np.ndarray, k: int, s: int, p: int, lout: int,
             dtype: type) -> np.ndarray:
    """Channel-last conv without bias: xl (N, Lin, Cin), w2 (Cin*K, O) -> int64 (N, Lout, O)."""
    n, lin, cin = xl.shape
    if p:
        xp = np.zeros((n, lin + 2 * p, cin), dtype=xl.dtype)
        xp[:, p:p + lin] = xl
    else:
        xp = xl
    win = sliding_window_view(xp, k, axis=1)[:, ::s][:, :lout]  # (N, Lout, Cin, K)
    cols = win.reshape(n * lout, cin * k)
    return _exact_matmul(cols, w2, dtype).reshape(n, lout, -1)


def dense(x: np.ndarray, W: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """acc[n,o] = bias[o] + sum_j W[o,j] x[n,j]; x (N,F) or (N,C,L) flattened channel-major."""
    x = np.asarray(x)
    x2 = x.reshape(x.shape[0], -1)
    W = np.asarray(W, dtype=np.int64)
    bias = np.asarray(bias, dtype=np.int64)
    if W.ndim != 2 or W.shape[1] != x2.shape[1] or bias.shape != (W.shape[0],):
        raise ValueError(f"dense: incompatible shapes x {x.shape}, W {W.shape}, "
                         f"bias {bias.shape}")
    xmax = int(np.abs(x2).max()) if x2.size else 0
    dtype = _matmul_dtype(xmax, int(np.abs(W).sum(axis=1).max()))
    return _exact_matmul(x2, W.T, dtype) + bias[None, :]


# ---------------------------------------------------------------------------------------------
# whole network


class _Plan:
    """Per-layer operands prepared once per bundle for the channel-last fast path."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        o = layer.out_ch
        wabs = int(np.abs(layer.weights3).reshape(o, -1).sum(axis=1).max())
        self.dtype = _matmul_dtype(layer.in_max, wabs)
        if self.dtype is np.int64:  # impossible for a validated bundle (|acc| < 2^31)
            raise ValueError(f"{layer.label}: operand bound too large for the exact fast path")
        if layer.kind == "conv1d":
            w = layer.weights                                   # (O, Cin, K)
            w2 = w.reshape(o, -1).T                             # rows i*K + k
        else:
            w2 = layer.weights.T                                # (F, O), rows c*L + l
            # (_run_chunk flattens the channel-last activations channel-major to match)
        self.w2 = w2.astype(self.dtype)
        self.bias = layer.bias.astype(np.float64)
        self.theta = layer.theta_or_ones.astype(np.float64)
        # |acc| < 2^33 for legal bundles, so bias add and division are exact in float64 and
        # floor(fl(acc / theta)) == floor(acc / theta) (the gap to the next integer is
        # >= 1/theta, larger than half an ulp of the quotient).


def _check_input(bundle: Bundle, x: np.ndarray) -> None:
    if not isinstance(x, np.ndarray):
        raise ValueError(f"inputs must be a numpy array, got {type(x).__name__}")
    if x.dtype != np.uint8:
        raise ValueError(f"inputs must have dtype uint8, got {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"inputs must have 3 dimensions (N, C0, L0), got {x.ndim} "
                         f"(shape {x.shape})")
    if x.shape[1:] != bundle.in_shape:
        raise ValueError(f"inputs have shape {x.shape}, expected (N, {bundle.in_channels}, "
                         f"{bundle.in_length}) for bundle '{bundle.name}'")


def _run_chunk(plans: list[_Plan], xc: np.ndarray,
               outs: list[np.ndarray] | None) -> np.ndarray:
    """Run one chunk (N, C0, L0) uint8 through the network, channel-last inside; write the
    per-layer outputs into ``outs`` (views of the chunk's rows) and return the logits."""
    n = xc.shape[0]
    a = np.ascontiguousarray(np.moveaxis(xc, 1, 2))             # (N, L, C)
    for li, plan in enumerate(plans):
        L = plan.layer
        dt = plan.dtype
        a = a.astype(dt, copy=False)
        if L.kind == "conv1d":
            if L.padding:
                xp = np.zeros((n, L.in_len + 2 * L.padding, L.in_ch), dtype=dt)
                xp[:, L.padding:L.padding + L.in_len] = a
            else:
                xp = a
            win = sliding_window_view(xp, L.kernel, axis=1)[:, ::L.stride][:, :L.out_len]
            cols = win.reshape(n * L.out_len, L.in_ch * L.kernel)
        else:
            cols = np.moveaxis(a, 1, 2).reshape(n, L.in_ch)     # channel-major flatten
        s = cols @ plan.w2                                      # exact (see _Plan)
        acc = s.astype(np.float64, copy=False) + plan.bias      # (N*Lout, O)
        if L.is_ssf:
            y = np.floor(acc / plan.theta)
            np.clip(y, 0, L.T, out=y)
        else:
            y = acc
        a = y.reshape(n, L.out_len, L.out_ch)                   # channel-last
        if outs is not None:
            dst = outs[li]
            np.copyto(dst, a[:, 0, :] if L.kind == "dense" else np.moveaxis(a, 2, 1),
                      casting="unsafe")
    return np.moveaxis(a, 2, 1).reshape(n, -1).astype(np.int64)


def infer(bundle: Bundle | dict | str | Path, x: np.ndarray, *, keep_outputs: bool = True,
          chunk: int | None = None, blas_threads: int | None = 1) -> Inference:
    """Run the bundle on x (uint8, (N, C0, L0)); exact integer results.

    keep_outputs=False skips collecting the per-layer outputs (faster, less memory); chunk is
    the number of inputs per pass (default: about 2 MiB of im2col data); blas_threads limits
    the BLAS thread pool during the call (threadpoolctl; None: leave it alone).
    """
    bundle = load_bundle(bundle)
    _check_input(bundle, x)
    plans = [_Plan(layer) for layer in bundle.layers]
    n = x.shape[0]
    if chunk is None:
        widest = max(L.out_len * L.in_ch * L.kernel for L in bundle.layers)
        chunk = max(1, CHUNK_VALUES // max(1, widest))
    logits = np.empty((n, bundle.layers[-1].out_size), dtype=np.int64)
    outs: list[np.ndarray] = []
    if keep_outputs:
        outs = [np.empty((n, L.out_ch) if L.kind == "dense" else (n, L.out_ch, L.out_len),
                         dtype=np.int64) for L in bundle.layers]
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            logits[lo:hi] = _run_chunk(plans, x[lo:hi],
                                       [o[lo:hi] for o in outs] if keep_outputs else None)
    classes = np.argmax(logits, axis=1).astype(np.int64) if n else np.zeros(0, np.int64)
    return Inference(classes=classes, logits=logits, outputs=outs)


def infer_reference(bundle: Bundle | dict | str | Path, x: np.ndarray) -> Inference:
    """Slow straightforward int64 evaluation with :func:`conv1d` / :func:`dense` / :func:`ssf`.

    Used by the tests as an independent path to cross-check :func:`infer`.
    """
    bundle = load_bundle(bundle)
    _check_input(bundle, x)
    a = x.astype(np.int64)
    outs = []
    for L in bundle.layers:
        if L.kind == "conv1d":
            acc = conv1d(a.reshape(a.shape[0], L.in_ch, L.in_len), L.weights, L.bias, L.stride,
                         L.padding)
            th = L.theta_or_ones[None, :, None]
        else:
            acc = dense(a, L.weights, L.bias)
            th = L.theta_or_ones[None, :]
        a = ssf(acc, th, L.T) if L.is_ssf else acc
        outs.append(a)
    logits = a.reshape(a.shape[0], -1)
    return Inference(classes=np.argmax(logits, axis=1).astype(np.int64), logits=logits,
                     outputs=outs)
