"""golden.bundle: every rejection class names the layer and the field; round trips."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from golden.bundle import BundleError, dump_bundle, load_bundle, save_bundle
from golden.limits import DEFAULT_LIMITS

ACC_MAX = (1 << 31) - 1
ACC_MIN = -(1 << 31)


def base() -> dict:
    """A small legal bundle: conv1d 2x6 -> 3x3 (k3 s2 p1, ssf T7), conv1d 3x3 -> 2x2, dense -> 2."""
    return {
        "format": "sparrow-bundle", "version": 1, "name": "base", "classes": ["a", "b"],
        "input": {"channels": 2, "length": 6, "preprocess": {"fs": 360}},
        "layers": [
            {"kind": "conv1d", "in_channels": 2, "out_channels": 3, "kernel": 3, "stride": 2,
             "padding": 1,
             "weights": [[[1, -2, 3], [0, 4, -5]], [[6, 7, -8], [9, 0, 1]],
                         [[-1, -1, -1], [2, 2, 2]]],
             "bias": [10, -20, 30], "activation": {"type": "ssf", "T": 7, "theta": [50, 60, 70]}},
            {"kind": "conv1d", "in_channels": 3, "out_channels": 2, "kernel": 2, "stride": 1,
             "padding": 0, "weights": [[[1, 2], [3, 4], [5, 6]], [[-1, -2], [-3, -4], [-5, -6]]],
             "bias": [0, 100], "activation": {"type": "ssf", "T": 3, "theta": [5, 6]}},
            {"kind": "dense", "in_features": 4, "out_features": 2,
             "weights": [[1, 2, 3, 4], [-4, -3, -2, -1]], "bias": [7, -7],
             "activation": {"type": "none"}},
        ],
    }


def reject(d: dict, *parts: str) -> str:
    with pytest.raises(BundleError) as ei:
        load_bundle(d)
    msg = str(ei.value)
    assert "\n" not in msg
    for p in parts:
        assert p in msg, f"{p!r} not in {msg!r}"
    return msg


def test_base_is_legal() -> None:
    b = load_bundle(base())
    assert [L.out_len for L in b.layers] == [3, 2, 1]
    assert [L.w_base for L in b.layers] == [0, 6, 12]      # G*Cin*K: 1*2*3, 1*3*2, 1*4
    assert [L.b_base for L in b.layers] == [0, 1, 2]
    assert [L.in_max for L in b.layers] == [255, 7, 3]


def _set(path: str, value) -> Callable[[dict], None]:
    def mut(d: dict) -> None:
        obj = d
        keys = path.split("/")
        for k in keys[:-1]:
            obj = obj[int(k)] if isinstance(obj, list) else obj[k]
        last = keys[-1]
        if value is _DEL:
            del obj[int(last) if isinstance(obj, list) else last]
        elif isinstance(obj, list):
            obj[int(last)] = value
        else:
            obj[last] = value
    return mut


_DEL = object()

CASES = [
    # missing fields
    ("missing-top", _set("classes", _DEL), ["bundle: field 'classes' is missing"]),
    ("missing-input-len", _set("input/length", _DEL), ["bundle: field 'input.length' is missing"]),
    ("missing-stride", _set("layers/1/stride", _DEL),
     ["layer 1 (conv1d): field 'stride' is missing"]),
    ("missing-theta", _set("layers/0/activation/theta", _DEL),
     ["layer 0 (conv1d): field 'activation.theta' is missing"]),
    ("missing-T", _set("layers/1/activation/T", _DEL),
     ["layer 1 (conv1d): field 'activation.T' is missing"]),
    ("missing-kind", _set("layers/2/kind", _DEL), ["layer 2: field 'kind' is missing"]),
    ("missing-weights", _set("layers/2/weights", _DEL),
     ["layer 2 (dense): field 'weights' is missing"]),
    # wrong types
    ("float-weight", _set("layers/0/weights/1/0/2", 1.0),
     ["layer 0 (conv1d): field 'weights[1][0][2]' = 1.0 is not an integer (float)"]),
    ("bool-kernel", _set("layers/0/kernel", True),
     ["layer 0 (conv1d): field 'kernel' = true is not an integer (bool)"]),
    ("float-T", _set("layers/1/activation/T", 3.0),
     ["layer 1 (conv1d): field 'activation.T' = 3.0 is not an integer (float)"]),
    ("string-bias", _set("layers/2/bias/1", "7"),
     ["layer 2 (dense): field 'bias[1]' = \"7\" is not an integer (string)"]),
    ("bool-theta", _set("layers/0/activation/theta/2", False),
     ["layer 0 (conv1d): field 'activation.theta[2]' = false is not an integer (bool)"]),
    ("float-channels", _set("input/channels", 2.5), ["bundle: field 'input.channels'", "float"]),
    ("layer-not-object", _set("layers/1", [1, 2]), ["layer 1: must be an object, got list"]),
    ("activation-not-object", _set("layers/0/activation", "ssf"),
     ["layer 0 (conv1d): field 'activation' must be an object"]),
    ("class-not-string", _set("classes/1", 3), ["bundle: field 'classes[1]' = 3 is not a string"]),
    # ragged nesting
    ("ragged-kernel", _set("layers/0/weights/2/1", [2, 2]),
     ["layer 0 (conv1d): field 'weights[2][1]' has length 2, expected 3 (kernel)"]),
    ("ragged-in", _set("layers/1/weights/0", [[1, 2], [3, 4]]),
     ["layer 1 (conv1d): field 'weights[0]' has length 2, expected 3 (in_channels)"]),
    ("ragged-out", _set("layers/2/weights", [[1, 2, 3, 4]]),
     ["layer 2 (dense): field 'weights' has length 1, expected 2 (out_features)"]),
    ("scalar-in-nest", _set("layers/0/weights/0/0", 5),
     ["layer 0 (conv1d): field 'weights[0][0]' must be a list (kernel), got int"]),
    ("bias-length", _set("layers/1/bias", [0]),
     ["layer 1 (conv1d): field 'bias' has length 1, expected 2 (out_channels)"]),
    ("theta-length", _set("layers/0/activation/theta", [1, 2, 3, 4]),
     ["layer 0 (conv1d): field 'activation.theta' has length 4, expected 3"]),
    # shapes that do not chain
    ("in-channels", _set("layers/1/in_channels", 4),
     ["layer 1 (conv1d): field 'in_channels' = 4 disagrees", "layer 0"]),
    ("in-channels-0", _set("layers/0/in_channels", 1),
     ["layer 0 (conv1d): field 'in_channels' = 1 disagrees", "bundle input"]),
    ("in-features", _set("layers/2/in_features", 5),
     ["layer 2 (dense): field 'in_features' = 5 disagrees", "2 x 2 = 4"]),
    ("kernel-too-long", _set("layers/1/kernel", 4),
     ["layer 1 (conv1d): field 'kernel' = 4 is longer than the padded input"]),
    # values out of range
    ("weight-128", _set("layers/0/weights/0/1/1", 128),
     ["layer 0 (conv1d): field 'weights[0][1][1]' = 128 is out of range -128..127"]),
    ("weight--129", _set("layers/2/weights/1/3", -129),
     ["layer 2 (dense): field 'weights[1][3]' = -129 is out of range -128..127"]),
    ("T-0", _set("layers/0/activation/T", 0),
     ["layer 0 (conv1d): field 'activation.T' = 0 is out of range 1..255"]),
    ("T-256", _set("layers/1/activation/T", 256),
     ["layer 1 (conv1d): field 'activation.T' = 256 is out of range 1..255"]),
    ("theta-0", _set("layers/0/activation/theta/2", 0),
     ["layer 0 (conv1d): field 'activation.theta[2]' = 0 is out of range 1..65535"]),
    ("theta-65536", _set("layers/1/activation/theta/0", 65536),
     ["layer 1 (conv1d): field 'activation.theta[0]' = 65536 is out of range 1..65535"]),
    ("stride-0", _set("layers/0/stride", 0),
     ["layer 0 (conv1d): field 'stride' = 0 is out of range 1..32"]),
    ("padding-32", _set("layers/0/padding", 32),
     ["layer 0 (conv1d): field 'padding' = 32 is out of range 0..31"]),
    ("kernel-33", _set("layers/0/kernel", 33),
     ["layer 0 (conv1d): field 'kernel' = 33 is out of range 1..32"]),
    ("bias-int32", _set("layers/2/bias/0", 1 << 31),
     ["layer 2 (dense): field 'bias[0]' = 2147483648 is out of range"]),
    ("bias-huge", _set("layers/2/bias/0", -(1 << 70)), ["layer 2 (dense): field 'bias[0]'"]),
    ("channels-0", _set("input/channels", 0),
     ["bundle: field 'input.channels' = 0 is out of range 1..256"]),
    # kinds and activations
    ("unknown-kind", _set("layers/1/kind", "lstm"),
     ["layer 1: field 'kind' = \"lstm\" is not one of \"conv1d\", \"dense\""]),
    ("unknown-activation", _set("layers/0/activation/type", "relu"),
     ["layer 0 (conv1d): field 'activation.type' = \"relu\" is not one of"]),
    ("none-not-last", _set("layers/1/activation", {"type": "none"}),
     ["layer 1 (conv1d): field 'activation.type' = \"none\" is allowed on the last layer only"]),
    # classes
    ("classes-count", _set("classes", ["a", "b", "c"]),
     ["bundle: field 'classes' has 3 names but the last layer (layer 2) has 2 outputs"]),
    ("classes-dup", _set("classes", ["a", "a"]), ["bundle: field 'classes' names \"a\" more"]),
    # top level
    ("format", _set("format", "onnx"), ["bundle: field 'format' = \"onnx\""]),
    ("version", _set("version", 2), ["bundle: field 'version' = 2 is not supported"]),
    ("layers-empty", _set("layers", []), ["bundle: field 'layers' has 0 layers, allowed 1..8"]),
]


@pytest.mark.parametrize("mutate, parts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejection(mutate: Callable[[dict], None], parts: list[str]) -> None:
    d = base()
    mutate(d)
    reject(d, *parts)


def test_rejection_does_not_modify_the_source() -> None:
    d = base()
    d["layers"][0]["weights"][0][0][0] = 999
    snapshot = copy.deepcopy(d)
    reject(d, "weights[0][0][0]")
    assert d == snapshot


def test_bad_json_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    p.write_text('{"format": "sparrow-bundle", "version": 1,,}')
    reject(str(p), "is not valid JSON", "line 1")
    p.write_text("[1, 2]")
    reject(p, "must hold a JSON object, got list")
    p.write_text(json.dumps(base()).replace('"bias": [7, -7]', '"bias": [NaN, -7]'))
    reject(p, "layer 2 (dense): field 'bias[0]' = NaN is not an integer (float)")
    reject(tmp_path / "missing.json", "does not exist")


# --- accumulator bound: exact, per output, padding taps excluded -----------------------------

def dense1(F: int, w: int, bias: int, c0: int = 1) -> dict:
    return {"format": "sparrow-bundle", "version": 1, "name": "acc", "classes": ["x"],
            "input": {"channels": c0, "length": F // c0},
            "layers": [{"kind": "dense", "in_features": F, "out_features": 1,
                        "weights": [[w] * F], "bias": [bias], "activation": {"type": "none"}}]}


def test_acc_bound_is_exact_positive() -> None:
    F = 1000
    top = ACC_MAX - 127 * 255 * F
    b = load_bundle(dense1(F, 127, top))
    assert int(b.layers[0].acc_hi[0]) == ACC_MAX
    reject(dense1(F, 127, top + 1), "layer 0 (dense): accumulator bound exceeded for output 0",
           "'bias[0]'", "'weights[0]'", str(ACC_MAX + 1), "ACC_W = 32")


def test_acc_bound_is_exact_negative() -> None:
    F = 1000
    bot = ACC_MIN + 128 * 255 * F
    assert int(load_bundle(dense1(F, -128, bot)).layers[0].acc_lo[0]) == ACC_MIN
    reject(dense1(F, -128, bot - 1), "layer 0 (dense): accumulator bound exceeded",
           str(ACC_MIN - 1))


def test_acc_bound_ignores_taps_that_are_always_padding() -> None:
    # Lin = 1, K = 3, P = 1: the only output position uses tap k = 1; k = 0, 2 are padding
    d = {"format": "sparrow-bundle", "version": 1, "name": "pad", "classes": ["x"],
         "input": {"channels": 1, "length": 1},
         "layers": [{"kind": "conv1d", "in_channels": 1, "out_channels": 1, "kernel": 3,
                     "stride": 1, "padding": 1, "weights": [[[127, 1, 127]]],
                     "bias": [ACC_MAX - 255], "activation": {"type": "none"}}]}
    assert int(load_bundle(d).layers[0].acc_hi[0]) == ACC_MAX
    d["layers"][0]["weights"] = [[[127, 2, 127]]]
    reject(d, "layer 0 (conv1d): accumulator bound exceeded for output 0")


def test_acc_bound_uses_previous_T() -> None:
    # layer 1 inputs are counts 0..T0 = 3, not 0..255
    d = base()
    d["layers"][1]["activation"] = {"type": "ssf", "T": 3, "theta": [5, 6]}
    L1 = d["layers"][2]
    pos = sum(v for v in L1["weights"][0] if v > 0)        # 10
    L1["bias"][0] = ACC_MAX - 3 * pos
    assert int(load_bundle(d).layers[2].acc_hi[0]) == ACC_MAX
    L1["bias"][0] += 1
    reject(d, "layer 2 (dense): accumulator bound exceeded for output 0", "inputs 0..3")


# --- build limits ------------------------------------------------------------------------------

def conv_chain(chs: list[int], length: int = 1) -> dict:
    layers = []
    for i, (a, b) in enumerate(zip(chs[:-1], chs[1:])):
        last = i == len(chs) - 2
        layers.append({"kind": "conv1d", "in_channels": a, "out_channels": b, "kernel": 1,
                       "stride": 1, "padding": 0, "weights": [[[0]] * a for _ in range(b)],
                       "bias": [0] * b,
                       "activation": {"type": "none"} if last else
                       {"type": "ssf", "T": 1, "theta": [1] * b}})
    return {"format": "sparrow-bundle", "version": 1, "name": "chain",
            "classes": [str(i) for i in range(chs[-1] * length)],
            "input": {"channels": chs[0], "length": length}, "layers": layers}


def test_limit_layers() -> None:
    assert len(load_bundle(conv_chain([1] * 9)).layers) == 8
    reject(conv_chain([1] * 10), "bundle: field 'layers' has 9 layers, allowed 1..8 (MAX_LAYERS)")


def test_limit_channels() -> None:
    reject(conv_chain([1, 257, 4]), "layer 0 (conv1d): field 'out_channels' = 257 is out of "
           "range 1..256")


def test_limit_length_and_act_depth() -> None:
    d = dense1(2048, 0, 0, c0=2)
    d["input"]["length"] = 1025
    reject(d, "bundle: field 'input.length' = 1025 is out of range 1..1024")
    d = conv_chain([5, 1], length=1000)
    reject(d, "bundle: fields 'input.channels' x 'input.length' = 5 x 1000 = 5000 exceed",
           "ACT_DEPTH")
    d = conv_chain([4, 5, 1], length=1000)
    d["classes"] = [str(i) for i in range(1000)]
    reject(d, "layer 0 (conv1d): output size 5 x 1000 = 5000 (field 'out_channels') exceeds")


def test_limit_output_length() -> None:
    d = conv_chain([1, 1], length=1000)
    d["layers"][0].update({"padding": 31})
    d["classes"] = ["x"] * 1
    reject(d, "layer 0 (conv1d): output length 1062", "MAX_LEN")


def test_limit_dense_out_features() -> None:
    d = dense1(4, 0, 0)
    d["layers"][0]["out_features"] = 257
    reject(d, "layer 0 (dense): field 'out_features' = 257 is out of range 1..256")


def test_limit_classes() -> None:
    d = conv_chain([1, 17])
    reject(d, "layer 0 (conv1d): the last layer has 17 outputs (field 'out_channels'), more "
           "than 16 (MAX_CLASSES)")
    d = conv_chain([1, 4], length=5)   # conv last layer: outputs are Cout*Lout = 20
    reject(d, "layer 0 (conv1d): the last layer has 20 outputs")


def test_limit_weight_memory_exact() -> None:
    ok = dense1(2048, 1, 0, c0=2)                      # G*F = 2048 words: exactly full
    assert load_bundle(ok).n_words == DEFAULT_LIMITS.wmem_depth
    bad = dense1(4096, 1, 0, c0=4)
    bad["layers"][0]["weights"] = "not parsed"         # rejected before the weights are read
    reject(bad, "layer 0 (dense): weights need 4096 words at word 0 (field 'weights')",
           "WMEM_DEPTH")


def test_limit_bias_groups() -> None:
    chs = [1, 256, 8, 256, 8, 256, 8, 256, 8]
    reject(conv_chain(chs), "layer 6 (conv1d): bias/theta need 32 groups at group 99",
           "BMEM_DEPTH")
    b = load_bundle(conv_chain(chs[:7] + [8]))
    assert b.n_groups == 99 + 1


# --- round trips --------------------------------------------------------------------------------

def test_round_trip_dict_and_file(make_bundle, tmp_path: Path) -> None:
    for _ in range(20):
        d = make_bundle()
        d["training"] = {"seed": 3}                    # unknown keys survive
        d["layers"][0]["note"] = "kept"
        b = load_bundle(d)
        out = dump_bundle(b)
        assert out == d
        p = tmp_path / "b.json"
        save_bundle(b, p)
        b2 = load_bundle(p)
        assert dump_bundle(b2) == d
        for L, L2 in zip(b.layers, b2.layers):
            assert np.array_equal(L.weights, L2.weights) and np.array_equal(L.bias, L2.bias)


def test_dump_reflects_edits() -> None:
    b = load_bundle(base())
    b.layers[2].bias = np.array([1, 2])
    assert dump_bundle(b)["layers"][2]["bias"] == [1, 2]
    assert load_bundle(dump_bundle(b)).layers[2].bias.tolist() == [1, 2]


def test_numpy_integers_accepted() -> None:
    d = base()
    d["layers"][2]["bias"] = [np.int64(7), np.int32(-7)]
    assert load_bundle(d).layers[2].bias.tolist() == [7, -7]
    d["layers"][2]["bias"] = [np.float64(7), 1]
    reject(d, "layer 2 (dense): field 'bias[0]' = 7.0 is not an integer (float)")
