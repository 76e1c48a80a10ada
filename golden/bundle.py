"""Bundle reader, validator and writer (spec §3, limits of docs/architecture.md §4).

``load_bundle`` accepts a path, a JSON text file or an already parsed ``dict`` and returns a
validated :class:`Bundle`; every problem raises :class:`BundleError` with one message that names
the layer and the field. Nothing is clipped or coerced: a float or a bool where an integer is
needed, a ragged list, a value out of range or a bundle that does not fit the build is an error.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from golden.limits import DEFAULT_LIMITS, INPUT_MAX, WEIGHT_MAX, WEIGHT_MIN, Limits
from golden.safeio import UserFileError, parse_json, read_text

FORMAT = "sparrow-bundle"
VERSION = 1
KINDS = ("conv1d", "dense")
ACTIVATIONS = ("ssf", "none")
#: Largest bundle file read: a bundle filling every memory of the build is well under 1 MiB.
MAX_BUNDLE_BYTES = 64 << 20


class BundleError(ValueError):
    """A bundle is malformed, out of range or does not fit the build."""


@dataclass(eq=False)
class Layer:
    """One validated layer. Dense layers use in_ch = F, in_len = 1, out_len = 1, kernel 1."""

    index: int
    kind: str
    in_ch: int
    in_len: int
    out_ch: int
    out_len: int
    kernel: int
    stride: int
    padding: int
    weights: np.ndarray
    bias: np.ndarray
    act: str
    T: int | None
    theta: np.ndarray | None
    w_base: int = 0
    b_base: int = 0
    lanes: int = 8
    in_max: int = INPUT_MAX
    acc_lo: np.ndarray | None = field(default=None, repr=False)
    acc_hi: np.ndarray | None = field(default=None, repr=False)

    @property
    def groups(self) -> int:
        """G = ceil(out_ch / lanes): lane groups, i.e. bias/theta words of the layer."""
        return -(-self.out_ch // self.lanes)

    @property
    def n_words(self) -> int:
        """64-bit weight words: G*Cin*K (conv1d) or G*F (dense)."""
        return self.groups * self.in_ch * self.kernel

    @property
    def n_weights(self) -> int:
        """Number of int8 weights of the layer."""
        return int(self.weights.size)

    @property
    def is_ssf(self) -> bool:
        """True when the activation is SSF."""
        return self.act == "ssf"

    @property
    def in_size(self) -> int:
        """Values read by the layer (Cin*Lin; dense: F)."""
        return self.in_ch * self.in_len

    @property
    def out_size(self) -> int:
        """Values written by the layer (Cout*Lout; dense: O)."""
        return self.out_ch * self.out_len

    @property
    def weights3(self) -> np.ndarray:
        """Weights as (O, Cin, K); a dense layer is viewed as a conv with K = 1 over F channels."""
        if self.kind == "dense":
            return self.weights.reshape(self.out_ch, self.in_ch, 1)
        return self.weights

    @property
    def theta_or_ones(self) -> np.ndarray:
        """theta, or ones for an activation ``none`` (the fire unit ignores it)."""
        if self.theta is None:
            return np.ones(self.out_ch, dtype=np.int64)
        return self.theta

    @property
    def label(self) -> str:
        """``layer i (kind)`` as used in messages."""
        return f"layer {self.index} ({self.kind})"


@dataclass(eq=False)
class Bundle:
    """A validated bundle."""

    name: str
    classes: list[str]
    in_channels: int
    in_length: int
    layers: list[Layer]
    preprocess: dict
    raw: dict = field(repr=False, default_factory=dict)
    limits: Limits = field(repr=False, default=DEFAULT_LIMITS)

    @property
    def n_classes(self) -> int:
        """Number of classes (= outputs of the last layer)."""
        return len(self.classes)

    @property
    def in_shape(self) -> tuple[int, int]:
        """(C0, L0)."""
        return (self.in_channels, self.in_length)

    @property
    def n_words(self) -> int:
        """Weight-memory words used by all layers."""
        return sum(layer.n_words for layer in self.layers)

    @property
    def n_groups(self) -> int:
        """Bias/theta groups used by all layers."""
        return sum(layer.groups for layer in self.layers)

    @property
    def n_weights(self) -> int:
        """int8 weights of all layers."""
        return sum(layer.n_weights for layer in self.layers)


# ---------------------------------------------------------------------------------------------
# field checkers


def _is_int(v: Any) -> bool:
    return (isinstance(v, (int, np.integer))) and not isinstance(v, (bool, np.bool_))


def _type_name(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (float, np.floating)):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "object"
    if v is None:
        return "null"
    return type(v).__name__


def _show(v: Any) -> str:
    s = json.dumps(v) if isinstance(v, (str, bool, float, int, type(None))) else repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


class _Ctx:
    """Names the place of a problem: 'bundle' or 'layer i (kind)'."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, msg: str) -> None:
        raise BundleError(f"{self.where}: {msg}")

    def get(self, obj: dict, key: str, path: str) -> Any:
        if key not in obj:
            self.fail(f"field '{path}' is missing")
        return obj[key]

    def get_dict(self, obj: dict, key: str, path: str) -> dict:
        v = self.get(obj, key, path)
        if not isinstance(v, dict):
            self.fail(f"field '{path}' must be an object, got {_type_name(v)}")
        return v

    def check_int(self, v: Any, path: str, lo: int | None, hi: int | None) -> int:
        if not _is_int(v):
            self.fail(f"field '{path}' = {_show(v)} is not an integer ({_type_name(v)})")
        v = int(v)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            self.fail(f"field '{path}' = {v} is out of range {_range(lo, hi)}")
        return v

    def get_int(self, obj: dict, key: str, path: str, lo: int | None, hi: int | None) -> int:
        return self.check_int(self.get(obj, key, path), path, lo, hi)

    def int_array(self, v: Any, path: str, shape: tuple[int, ...], dims: tuple[str, ...],
                  lo: int, hi: int) -> np.ndarray:
        """Parse a nested list of JSON integers with exactly ``shape``; range-checked."""
        flat: list = []
        self._collect(v, path, shape, dims, 0, flat)
        try:
            arr = np.array(flat, dtype=np.int64)
            ok = bool(arr.min() >= lo and arr.max() <= hi)
        except OverflowError:
            ok = False
        if not ok:
            idx = next(n for n, e in enumerate(flat) if not lo <= int(e) <= hi)
            sub = "".join(f"[{c}]" for c in np.unravel_index(idx, shape))
            self.fail(f"field '{path}{sub}' = {int(flat[idx])} is out of range {_range(lo, hi)}")
        return arr.reshape(shape)

    def _collect(self, v: Any, path: str, shape: tuple[int, ...], dims: tuple[str, ...],
                 depth: int, out: list) -> None:
        if not isinstance(v, list):
            self.fail(f"field '{path}' must be a list ({dims[depth]}), got {_type_name(v)}")
        if len(v) != shape[depth]:
            self.fail(f"field '{path}' has length {len(v)}, expected {shape[depth]} "
                      f"({dims[depth]})")
        if depth == len(shape) - 1:
            if not all(type(e) is int for e in v):
                for n, e in enumerate(v):
                    if not _is_int(e):
                        self.fail(f"field '{path}[{n}]' = {_show(e)} is not an integer "
                                  f"({_type_name(e)})")
            out.extend(v)
            return
        for n, e in enumerate(v):
            self._collect(e, f"{path}[{n}]", shape, dims, depth + 1, out)


def _range(lo: int | None, hi: int | None) -> str:
    if hi is None:
        return f">= {lo}"
    if lo is None:
        return f"<= {hi}"
    return f"{lo}..{hi}"


# ---------------------------------------------------------------------------------------------
# loading


def _read_source(src: str | Path | dict) -> dict:
    if isinstance(src, dict):
        return src
    if not isinstance(src, (str, Path)):
        raise BundleError(f"bundle: cannot read a bundle from {type(src).__name__}")
    path = Path(src)
    if path.is_dir():
        raise BundleError(f"bundle: '{path}' is a directory, expected a JSON file")
    if not path.exists():
        raise BundleError(f"bundle: file '{path}' does not exist")
    try:
        data = parse_json(read_text(path, f"'{path}'", MAX_BUNDLE_BYTES), f"'{path}'")
    except UserFileError as exc:
        raise BundleError(f"bundle: {exc}") from None
    if not isinstance(data, dict):
        raise BundleError(f"bundle: '{path}' must hold a JSON object, got {_type_name(data)}")
    return data


def load_bundle(src: str | Path | dict | Bundle, limits: Limits = DEFAULT_LIMITS) -> Bundle:
    """Read and validate a bundle (path to model.json, or its parsed dict).

    Raises BundleError naming the layer and field of the first problem found.
    """
    if isinstance(src, Bundle):
        return src
    data = _read_source(src)
    top = _Ctx("bundle")
    fmt = top.get(data, "format", "format")
    if fmt != FORMAT:
        top.fail(f"field 'format' = {_show(fmt)} is not {json.dumps(FORMAT)}")
    ver = top.get(data, "version", "version")
    if not _is_int(ver) or int(ver) != VERSION:
        top.fail(f"field 'version' = {_show(ver)} is not supported (expected {VERSION})")
    name = top.get(data, "name", "name")
    if not isinstance(name, str):
        top.fail(f"field 'name' must be a string, got {_type_name(name)}")
    inp = top.get_dict(data, "input", "input")
    c0 = top.get_int(inp, "channels", "input.channels", 1, limits.max_ch)
    l0 = top.get_int(inp, "length", "input.length", 1, limits.max_len)
    if c0 * l0 > limits.act_depth:
        top.fail(f"fields 'input.channels' x 'input.length' = {c0} x {l0} = {c0 * l0} exceed "
                 f"the activation buffer ({limits.act_depth}, ACT_DEPTH)")
    preprocess = inp.get("preprocess", {})
    if not isinstance(preprocess, dict):
        top.fail(f"field 'input.preprocess' must be an object, got {_type_name(preprocess)}")
    layers_raw = top.get(data, "layers", "layers")
    if not isinstance(layers_raw, list):
        top.fail(f"field 'layers' must be a list, got {_type_name(layers_raw)}")
    if not 1 <= len(layers_raw) <= limits.max_layers:
        top.fail(f"field 'layers' has {len(layers_raw)} layers, allowed 1..{limits.max_layers} "
                 f"(MAX_LAYERS)")

    layers: list[Layer] = []
    shape = (c0, l0)
    in_max = INPUT_MAX
    w_base = 0
    b_base = 0
    for idx, lraw in enumerate(layers_raw):
        last = idx == len(layers_raw) - 1
        layer = _parse_layer(idx, lraw, shape, in_max, last, w_base, b_base, limits)
        layers.append(layer)
        w_base += layer.n_words
        b_base += layer.groups
        shape = (layer.out_ch, layer.out_len)
        in_max = layer.T if layer.T is not None else 0

    classes = top.get(data, "classes", "classes")
    if not isinstance(classes, list):
        top.fail(f"field 'classes' must be a list, got {_type_name(classes)}")
    for n, c in enumerate(classes):
        if not isinstance(c, str):
            top.fail(f"field 'classes[{n}]' = {_show(c)} is not a string ({_type_name(c)})")
    seen: set[str] = set()
    for c in classes:                      # linear: a list of a million names stays fast
        if c in seen:
            top.fail(f"field 'classes' names {json.dumps(c)} more than once")
        seen.add(c)
    lastl = layers[-1]
    if len(classes) != lastl.out_size:
        top.fail(f"field 'classes' has {len(classes)} names but the last layer (layer "
                 f"{lastl.index}) has {lastl.out_size} outputs")
    return Bundle(name=name, classes=list(classes), in_channels=c0, in_length=l0, layers=layers,
                  preprocess=preprocess, raw=data, limits=limits)


def _parse_layer(idx: int, lraw: Any, in_shape: tuple[int, int], in_max: int, last: bool,
                 w_base: int, b_base: int, lim: Limits) -> Layer:
    ctx = _Ctx(f"layer {idx}")
    if not isinstance(lraw, dict):
        ctx.fail(f"must be an object, got {_type_name(lraw)}")
    kind = ctx.get(lraw, "kind", "kind")
    if kind not in KINDS:
        ctx.fail(f"field 'kind' = {_show(kind)} is not one of " + ", ".join(
            json.dumps(k) for k in KINDS))
    ctx.where = f"layer {idx} ({kind})"
    cin, lin = in_shape
    if kind == "conv1d":
        c_in = ctx.get_int(lraw, "in_channels", "in_channels", 1, lim.max_ch)
        if c_in != cin:
            ctx.fail(f"field 'in_channels' = {c_in} disagrees with the input of the layer "
                     f"({cin} channels x {lin} from " + _prev(idx) + ")")
        c_out = ctx.get_int(lraw, "out_channels", "out_channels", 1, lim.max_ch)
        k = ctx.get_int(lraw, "kernel", "kernel", 1, lim.max_k)
        s = ctx.get_int(lraw, "stride", "stride", 1, lim.max_s)
        p = ctx.get_int(lraw, "padding", "padding", 0, lim.max_p)
        if lin + 2 * p < k:
            ctx.fail(f"field 'kernel' = {k} is longer than the padded input "
                     f"(length {lin} + 2 x padding {p} = {lin + 2 * p})")
        l_out = (lin + 2 * p - k) // s + 1
        if l_out > lim.max_len:
            ctx.fail(f"output length {l_out} (fields 'kernel', 'stride', 'padding') exceeds "
                     f"{lim.max_len} (MAX_LEN)")
        wshape: tuple[int, ...] = (c_out, c_in, k)
        wdims: tuple[str, ...] = ("out_channels", "in_channels", "kernel")
        in_ch, in_len = c_in, lin
    else:
        f = ctx.get_int(lraw, "in_features", "in_features", 1, lim.max_in_features)
        if f != cin * lin:
            ctx.fail(f"field 'in_features' = {f} disagrees with the input of the layer "
                     f"({cin} x {lin} = {cin * lin} values from " + _prev(idx) + ")")
        c_out = ctx.get_int(lraw, "out_features", "out_features", 1, lim.max_out_features)
        k, s, p, l_out = 1, 1, 0, 1
        wshape = (c_out, f)
        wdims = ("out_features", "in_features")
        in_ch, in_len = f, 1
    oname = "out_channels" if kind == "conv1d" else "out_features"
    if c_out * l_out > lim.act_depth:
        ctx.fail(f"output size {c_out} x {l_out} = {c_out * l_out} (field '{oname}') exceeds "
                 f"the activation buffer ({lim.act_depth}, ACT_DEPTH)")
    if last and c_out * l_out > lim.max_classes:
        ctx.fail(f"the last layer has {c_out * l_out} outputs (field '{oname}'), more than "
                 f"{lim.max_classes} (MAX_CLASSES)")
    groups = -(-c_out // lim.lanes)
    words = groups * in_ch * k
    if w_base + words > lim.wmem_depth:
        ctx.fail(f"weights need {words} words at word {w_base} (field 'weights'), past the "
                 f"weight memory ({lim.wmem_depth} words, WMEM_DEPTH)")
    if b_base + groups > lim.bmem_depth:
        ctx.fail(f"bias/theta need {groups} groups at group {b_base} (field 'bias'), past the "
                 f"bias memory ({lim.bmem_depth} groups, BMEM_DEPTH)")

    act = ctx.get_dict(lraw, "activation", "activation")
    atype = ctx.get(act, "type", "activation.type")
    if atype not in ACTIVATIONS:
        ctx.fail(f"field 'activation.type' = {_show(atype)} is not one of " + ", ".join(
            json.dumps(a) for a in ACTIVATIONS))
    T: int | None = None
    theta: np.ndarray | None = None
    if atype == "none":
        if not last:
            ctx.fail("field 'activation.type' = \"none\" is allowed on the last layer only")
    else:
        T = ctx.get_int(act, "T", "activation.T", 1, lim.max_t)
        theta = ctx.int_array(ctx.get(act, "theta", "activation.theta"), "activation.theta",
                              (c_out,), (oname,), 1, lim.max_theta)

    weights = ctx.int_array(ctx.get(lraw, "weights", "weights"), "weights", wshape, wdims,
                            WEIGHT_MIN, WEIGHT_MAX)
    bias = ctx.int_array(ctx.get(lraw, "bias", "bias"), "bias", (c_out,), (oname,),
                         lim.acc_min, lim.acc_max)

    layer = Layer(index=idx, kind=kind, in_ch=in_ch, in_len=in_len, out_ch=c_out, out_len=l_out,
                  kernel=k, stride=s, padding=p, weights=weights, bias=bias, act=atype, T=T,
                  theta=theta, w_base=w_base, b_base=b_base, lanes=lim.lanes, in_max=in_max)
    layer.acc_lo, layer.acc_hi = acc_bounds(layer)
    bad = np.flatnonzero((layer.acc_lo < lim.acc_min) | (layer.acc_hi > lim.acc_max))
    if bad.size:
        o = int(bad[0])
        lo, hi = int(layer.acc_lo[o]), int(layer.acc_hi[o])
        ctx.fail(f"accumulator bound exceeded for output {o} (fields 'bias[{o}]', "
                 f"'weights[{o}]'): acc ranges over {lo}..{hi} for inputs 0..{in_max}, outside "
                 f"{lim.acc_min}..{lim.acc_max} (ACC_W = {lim.acc_w})")
    return layer


def _prev(idx: int) -> str:
    return "the bundle input" if idx == 0 else f"layer {idx - 1}"


def valid_tap_mask(layer: Layer) -> np.ndarray:
    """(Lout, K) bool: tap k of output position t reads a real input (not the padding)."""
    t = np.arange(layer.out_len)[:, None]
    k = np.arange(layer.kernel)[None, :]
    pos = t * layer.stride + k - layer.padding
    return (pos >= 0) & (pos < layer.in_len)


def acc_bounds(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-output (min, max) of acc over all inputs in 0..layer.in_max (docs §1)."""
    w = layer.weights3
    mask = valid_tap_mask(layer).astype(np.int64)                  # (Lout, K)
    pos = np.clip(w, 0, None).sum(axis=1)                          # (O, K)
    neg = np.clip(w, None, 0).sum(axis=1)
    hi = (pos @ mask.T).max(axis=1) * layer.in_max + layer.bias    # (O,)
    lo = (neg @ mask.T).min(axis=1) * layer.in_max + layer.bias
    return lo.astype(np.int64), hi.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# writing


def dump_bundle(bundle: Bundle) -> dict:
    """The spec §3 dict of a bundle; keys the reader does not know are carried over from raw."""
    raw = bundle.raw if isinstance(bundle.raw, dict) else {}
    out = copy.deepcopy(raw)
    out["format"] = FORMAT
    out["version"] = VERSION
    out["name"] = bundle.name
    out["classes"] = list(bundle.classes)
    inp = dict(raw.get("input", {})) if isinstance(raw.get("input"), dict) else {}
    inp.update({"channels": bundle.in_channels, "length": bundle.in_length,
                "preprocess": copy.deepcopy(bundle.preprocess)})
    out["input"] = inp
    raw_layers = raw.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) != len(bundle.layers):
        raw_layers = [{} for _ in bundle.layers]
    layers = []
    for layer, lraw in zip(bundle.layers, raw_layers):
        d = copy.deepcopy(lraw) if isinstance(lraw, dict) else {}
        for key in ("in_channels", "out_channels", "kernel", "stride", "padding", "in_features",
                    "out_features"):
            d.pop(key, None)
        d["kind"] = layer.kind
        if layer.kind == "conv1d":
            d.update({"in_channels": layer.in_ch, "out_channels": layer.out_ch,
                      "kernel": layer.kernel, "stride": layer.stride,
                      "padding": layer.padding})
        else:
            d.update({"in_features": layer.in_ch, "out_features": layer.out_ch})
        d["weights"] = np.asarray(layer.weights).tolist()
        d["bias"] = np.asarray(layer.bias).tolist()
        act = dict(d.get("activation", {})) if isinstance(d.get("activation"), dict) else {}
        for key in ("type", "T", "theta"):
            act.pop(key, None)
        if layer.act == "ssf":
            assert layer.theta is not None
            act = {"type": "ssf", "T": int(layer.T or 0),
                   "theta": np.asarray(layer.theta).tolist(), **act}
        else:
            act = {"type": "none", **act}
        d["activation"] = act
        layers.append(d)
    out["layers"] = layers
    return out


def save_bundle(bundle: Bundle | dict, path: str | Path) -> None:
    """Write a bundle (validated Bundle or spec dict) as JSON."""
    data = dump_bundle(bundle) if isinstance(bundle, Bundle) else bundle
    Path(path).write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


def summary_lines(bundle: Bundle) -> list[str]:
    """Human-readable per-layer summary (shapes, weights, memory, accumulator range)."""
    lines = [f"bundle '{bundle.name}': input {bundle.in_channels}x{bundle.in_length}, "
             f"{len(bundle.layers)} layers, classes {bundle.classes}"]
    for L in bundle.layers:
        if L.kind == "conv1d":
            geo = f"{L.in_ch}x{L.in_len} -> {L.out_ch}x{L.out_len}  k{L.kernel} s{L.stride} " \
                  f"p{L.padding}"
        else:
            geo = f"{L.in_ch} -> {L.out_ch}"
        act = f"ssf T={L.T}" if L.is_ssf else "none"
        acc = f"acc {int(L.acc_lo.min())}..{int(L.acc_hi.max())}" \
            if L.acc_lo is not None and L.acc_hi is not None else ""
        lines.append(f"  {L.index}: {L.kind:6s} {geo:32s} {act:9s} weights {L.n_weights:6d} "
                     f"words {L.n_words:5d} @ {L.w_base:<5d} groups {L.groups:3d} @ "
                     f"{L.b_base:<3d} {acc}")
    lim = bundle.limits
    lines.append(f"  weights {bundle.n_weights} ({bundle.n_weights} bytes int8), weight memory "
                 f"{bundle.n_words}/{lim.wmem_depth} words ({bundle.n_words * 8} bytes), "
                 f"bias/theta {bundle.n_groups}/{lim.bmem_depth} groups")
    return lines

