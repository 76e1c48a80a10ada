"""Seeded random *legal* bundles for tests, the RTL regression and the benchmark.

``random_bundle(rng, **constraints)`` draws a random network shape (with the corner cases the
RTL must handle: T = 1 and 255, kernel = input length, stride > kernel, padding >= kernel so that
some outputs have no real tap, theta 1 and 65535, dense first layer, dense -> conv, ssf last
layer, partial and multiple lane groups, accumulator right at the 32-bit bound) and random int8
weights, then picks bias and theta per output channel from a calibration run so that the counts
spread over 0..T instead of being all zero or all saturated. Every bundle returned has passed
:func:`golden.bundle.load_bundle`.

``build_bundle`` does the same for a fixed list of layer shapes; ``ecg_default_bundle`` uses the
default ECG network shape (docs/golden.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from golden.bundle import Layer, acc_bounds, load_bundle
from golden.limits import DEFAULT_LIMITS, Limits
from golden.model import conv1d, dense, ssf

ECG_DEFAULT_LAYERS: list[dict[str, Any]] = [
    {"kind": "conv1d", "out": 8, "kernel": 7, "stride": 2, "padding": 3, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7},
    {"kind": "dense", "out": 32, "T": 7},
    {"kind": "dense", "out": 5, "act": "none"},
]
ECG_CLASSES = ["N", "S", "V", "F", "Q"]

_T_CHOICES = (1, 2, 3, 4, 7, 15, 31, 255)


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def random_inputs(rng: np.random.Generator | int | None, shape: tuple[int, int],
                  n: int) -> np.ndarray:
    """n uint8 inputs of shape (C0, L0): a mix of uniform, sparse (many zeros), smooth and
    extreme (0 / 255) signals, so that zero skipping and saturation are exercised."""
    rng = _rng(rng)
    c, length = shape
    x = rng.integers(0, 256, size=(n, c, length))
    kind = rng.integers(0, 4, size=n)
    sparse = rng.random((n, c, length)) < 0.6
    x = np.where((kind == 1)[:, None, None] & sparse, 0, x)
    t = np.arange(length)[None, None, :]
    phase = rng.random((n, c, 1)) * 2 * np.pi
    freq = rng.uniform(0.05, 0.5, size=(n, c, 1))
    smooth = np.round(127.5 + 127.5 * np.sin(freq * t + phase)).astype(np.int64)
    x = np.where((kind == 2)[:, None, None], smooth, x)
    extreme = rng.choice(np.array([0, 255]), size=(n, c, length))
    x = np.where((kind == 3)[:, None, None], extreme, x)
    return x.astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# weights, bias and theta for a fixed shape


def _random_weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    mode = rng.integers(0, 4)
    if mode == 0:
        w = rng.integers(-128, 128, size=shape)
    elif mode == 1:
        w = rng.integers(-8, 9, size=shape)
    elif mode == 2:
        w = rng.integers(-128, 128, size=shape) * (rng.random(shape) < 0.3)
    else:
        w = np.clip(np.round(rng.normal(0, 40, size=shape)), -128, 127)
    return w.astype(np.int64)


def _layer_obj(spec: dict, in_ch: int, in_len: int, w: np.ndarray, bias: np.ndarray,
               in_max: int) -> Layer:
    return Layer(index=0, kind=spec["kind"], in_ch=in_ch, in_len=in_len, out_ch=spec["out"],
                 out_len=spec["out_len"], kernel=spec["kernel"], stride=spec["stride"],
                 padding=spec["padding"], weights=w, bias=bias, act="ssf", T=1, theta=None,
                 in_max=in_max)


def _fill_layer(rng: np.random.Generator, spec: dict, in_ch: int, in_len: int, in_max: int,
                calib: np.ndarray, corner: float, lim: Limits) -> tuple[dict, np.ndarray]:
    """Weights, bias, theta for one layer; returns the layer dict and the calibration output."""
    kind, o = spec["kind"], spec["out"]
    if kind == "conv1d":
        w = _random_weights(rng, (o, in_ch, spec["kernel"]))
        s = conv1d(calib.reshape(calib.shape[0], in_ch, in_len), w, np.zeros(o, np.int64),
                   spec["stride"], spec["padding"])                        # (M, O, Lout)
        per_o = np.moveaxis(s, 1, 0).reshape(o, -1)
    else:
        w = _random_weights(rng, (o, in_ch * in_len))
        s = dense(calib, w, np.zeros(o, np.int64))                         # (M, O)
        per_o = s.T
    zero = np.zeros(o, np.int64)
    lo_b, hi_b = acc_bounds(_layer_obj(spec, in_ch if kind == "conv1d" else in_ch * in_len,
                                       in_len if kind == "conv1d" else 1, w, zero, in_max))
    bmin = lim.acc_min - lo_b          # bias range that keeps acc inside ACC_W
    bmax = lim.acc_max - hi_b
    p_lo = np.percentile(per_o, 10, axis=1)
    p_hi = np.percentile(per_o, 90, axis=1)
    act = spec.get("act", "ssf")
    layer: dict[str, Any] = {"kind": kind}
    if kind == "conv1d":
        layer.update({"in_channels": in_ch, "out_channels": o, "kernel": spec["kernel"],
                      "stride": spec["stride"], "padding": spec["padding"]})
    else:
        layer.update({"in_features": in_ch * in_len, "out_features": o})
    if act == "ssf":
        T = int(spec["T"])
        theta = np.clip(np.ceil((p_hi - p_lo) / T), 1, lim.max_theta).astype(np.int64)
        bias = np.round(-p_lo).astype(np.int64) + rng.integers(-1, 2, size=o) * theta // 2
        for ch in range(o):
            u = rng.random()
            if u < corner / 6:
                theta[ch] = 1
            elif u < corner / 3:
                theta[ch] = lim.max_theta
                bias[ch] = int(round(-p_lo[ch])) + lim.max_theta * int(rng.integers(0, T + 1))
        if rng.random() < corner / 4:        # one channel right at the accumulator bound
            ch = int(rng.integers(0, o))
            bias[ch] = bmax[ch] if rng.random() < 0.5 else bmin[ch]
        bias = np.clip(bias, bmin, bmax)
        y = ssf(s + bias.reshape((1, o) + (1,) * (s.ndim - 2)),
                theta.reshape((1, o) + (1,) * (s.ndim - 2)), T)
        layer.update({"weights": w.tolist(), "bias": bias.tolist(),
                      "activation": {"type": "ssf", "T": T, "theta": theta.tolist()}})
    else:
        bias = rng.integers(-2000, 2001, size=o).astype(np.int64)
        if rng.random() < corner / 2:
            ch = int(rng.integers(0, o))
            bias[ch] = bmax[ch] if rng.random() < 0.5 else bmin[ch]
        bias = np.clip(bias, bmin, bmax)
        y = s + bias.reshape((1, o) + (1,) * (s.ndim - 2))
        layer.update({"weights": w.tolist(), "bias": bias.tolist(),
                      "activation": {"type": "none"}})
    return layer, y


def build_bundle(rng: np.random.Generator | int | None, in_channels: int, in_length: int,
                 specs: list[dict[str, Any]], *, name: str = "random", classes: list[str] | None
                 = None, corner: float = 0.0, n_calib: int = 32,
                 limits: Limits = DEFAULT_LIMITS) -> dict:
    """A legal bundle dict with the given layer shapes and random weights.

    specs: per layer {"kind": "conv1d", "out", "kernel", "stride", "padding", "T"} or
    {"kind": "dense", "out", "T"}; "act": "none" (no T) for a logit layer.
    """
    rng = _rng(rng)
    calib = random_inputs(rng, (in_channels, in_length), n_calib).astype(np.int64)
    c, length = in_channels, in_length
    in_max = 255
    layers = []
    for spec in specs:
        spec = dict(spec)
        if spec["kind"] == "conv1d":
            spec["out_len"] = (length + 2 * spec["padding"] - spec["kernel"]) // spec["stride"] + 1
        else:
            spec.update({"kernel": 1, "stride": 1, "padding": 0, "out_len": 1})
        layer, y = _fill_layer(rng, spec, c, length, in_max, calib, corner, limits)
        layers.append(layer)
        calib = y
        c, length = spec["out"], spec["out_len"]
        in_max = int(spec.get("T", 0))
    n_out = c * length
    if classes is None:
        classes = [f"c{i}" for i in range(n_out)]
    bundle = {"format": "sparrow-bundle", "version": 1, "name": name, "classes": list(classes),
              "input": {"channels": in_channels, "length": in_length,
                        "preprocess": {"source": "golden.randbundle (random test bundle)"}},
              "layers": layers}
    load_bundle(bundle, limits)   # guarantees legality (raises BundleError otherwise)
    return bundle


def ecg_default_bundle(rng: np.random.Generator | int | None = 0) -> dict:
    """Random legal weights on the default ECG network shape (1x187 ... dense 32->5)."""
    return build_bundle(rng, 1, 187, ECG_DEFAULT_LAYERS, name="ecg-default-shape-random",
                        classes=ECG_CLASSES)


# ---------------------------------------------------------------------------------------------
# random shapes


def _shape_cycles(layers: list[dict], c0: int, l0: int) -> int:
    """Total cycles of docs §7 for a list of shape specs (same formula as golden.timing)."""
    total = 0
    c, length = c0, l0
    for s in layers:
        if s["kind"] == "conv1d":
            k, st, p, lout = s["kernel"], s["stride"], s["padding"], s["out_len"]
            t = np.arange(lout)[:, None] * st + np.arange(k)[None, :] - p
            taps = c * int(((t >= 0) & (t < length)).sum())
        else:
            lout, taps = 1, c * length
        g = math.ceil(s["out"] / 8)
        total += 1 + g * (4 * lout + taps) + s["out"] * lout
        c, length = s["out"], lout
    return total


def _random_conv(rng: np.random.Generator, lin: int, corner: float, lim: Limits,
                 max_len: int) -> tuple[int, int, int]:
    u = rng.random()
    if u < corner / 4:                                      # kernel = input length
        k = min(lin, lim.max_k)
        return k, int(rng.integers(1, 4)), 0
    if u < corner / 2:                                      # stride > kernel
        k = int(rng.integers(1, min(4, lin) + 1))
        return k, int(rng.integers(k + 1, min(k + 4, lim.max_s) + 1)), int(rng.integers(0, 2))
    if u < 3 * corner / 4:                                  # padding >= kernel: empty outputs
        k = int(rng.integers(1, 4))
        return k, int(rng.integers(1, 3)), int(rng.integers(k, min(k + 2, lim.max_p) + 1))
    p = int(rng.integers(0, 4))
    k = int(rng.integers(1, min(9, lin + 2 * p, lim.max_k) + 1))
    s = int(rng.integers(1, 4))
    return k, s, p


def random_bundle(rng: np.random.Generator | int | None = None, **constraints: Any) -> dict:
    """A random legal bundle dict.

    Constraints (all optional): n_layers, max_layers (4), in_channels, in_length, max_ch (12),
    max_len (48), first_kind ('conv1d'|'dense'), last_act ('none'|'ssf'), T (every ssf layer),
    n_classes, max_words (512), max_cycles (6000), corner (0.35: probability weight of the
    corner cases), name, limits. Deterministic for a given rng state.
    """
    rng = _rng(rng)
    lim: Limits = constraints.pop("limits", DEFAULT_LIMITS)
    n_layers = constraints.pop("n_layers", None)
    max_layers = min(constraints.pop("max_layers", 4), lim.max_layers)
    c0_fix = constraints.pop("in_channels", None)
    l0_fix = constraints.pop("in_length", None)
    max_ch = min(constraints.pop("max_ch", 12), lim.max_ch)
    max_len = min(constraints.pop("max_len", 48), lim.max_len)
    first_kind = constraints.pop("first_kind", None)
    last_act = constraints.pop("last_act", None)
    t_fix = constraints.pop("T", None)
    n_classes = constraints.pop("n_classes", None)
    max_words = min(constraints.pop("max_words", 512), lim.wmem_depth)
    max_cycles = constraints.pop("max_cycles", 6000)
    corner = float(constraints.pop("corner", 0.35))
    name = constraints.pop("name", "random")
    if constraints:
        raise TypeError(f"random_bundle: unknown constraints {sorted(constraints)}")
    if n_classes is not None and not 1 <= n_classes <= lim.max_classes:
        raise ValueError(f"random_bundle: n_classes must be 1..{lim.max_classes}")

    for _attempt in range(1000):
        nl = n_layers if n_layers is not None else int(rng.integers(1, max_layers + 1))
        c0 = c0_fix if c0_fix is not None else int(rng.integers(1, min(4, max_ch) + 1))
        l0 = l0_fix if l0_fix is not None else int(rng.integers(1, max_len + 1))
        if c0 * l0 > lim.act_depth:
            raise ValueError("random_bundle: input larger than the activation buffer")
        specs = _random_specs(rng, nl, c0, l0, max_ch, max_len, first_kind, last_act, t_fix,
                              n_classes, corner, lim)
        if specs is None:
            continue
        words = sum(math.ceil(s["out"] / 8) * s["_in"] * s["kernel"] for s in specs)
        groups = sum(math.ceil(s["out"] / 8) for s in specs)
        if words > max_words or groups > lim.bmem_depth:
            continue
        if max_cycles is not None and _shape_cycles(specs, c0, l0) > max_cycles:
            continue
        clean = [{k: v for k, v in s.items() if not k.startswith("_")} for s in specs]
        return build_bundle(rng, c0, l0, clean, name=name, corner=corner, limits=lim)
    raise ValueError("random_bundle: constraints too tight, no legal bundle found in 1000 draws")


def _random_specs(rng: np.random.Generator, nl: int, c0: int, l0: int, max_ch: int,
                  max_len: int, first_kind: str | None, last_act: str | None,
                  t_fix: int | None, n_classes: int | None, corner: float,
                  lim: Limits) -> list[dict] | None:
    specs: list[dict] = []
    c, length = c0, l0
    for idx in range(nl):
        last = idx == nl - 1
        if idx == 0 and first_kind is not None:
            kind = first_kind
        else:
            kind = "dense" if rng.random() < (0.6 if last else 0.25) else "conv1d"
        act = "ssf"
        if last:
            act = last_act if last_act is not None else ("none" if rng.random() < 0.7 else "ssf")
        if t_fix is not None:
            T = int(t_fix)
        elif rng.random() < corner:
            T = int(rng.choice([1, lim.max_t]))
        else:
            T = int(rng.choice(_T_CHOICES))
        spec: dict[str, Any] = {"kind": kind, "_in": c if kind == "conv1d" else c * length}
        if kind == "conv1d":
            k, s, p = _random_conv(rng, length, corner, lim, max_len)
            if length + 2 * p < k:
                return None
            lout = (length + 2 * p - k) // s + 1
            if lout > max_len:
                return None
            spec.update({"kernel": k, "stride": s, "padding": p, "out_len": lout})
        else:
            if c * length > lim.max_in_features:
                return None
            lout = 1
            spec.update({"kernel": 1, "stride": 1, "padding": 0, "out_len": 1})
        if last:
            if n_classes is not None:
                if n_classes % lout:
                    return None
                out = n_classes // lout
            else:
                cap = lim.max_classes // lout
                if cap < 1:
                    return None
                out = int(rng.integers(1, min(cap, max_ch) + 1))
        else:
            hi = max_ch if rng.random() < 0.5 else min(max_ch, 8)
            out = int(rng.integers(1, hi + 1))
        if out * lout > lim.act_depth:
            return None
        spec["out"] = out
        if act == "ssf":
            spec["T"] = T
        else:
            spec["act"] = "none"
        specs.append(spec)
        c, length = out, lout
    return specs
