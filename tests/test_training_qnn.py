"""QAT network: STE activations, exact integer forward, BN folding, export, golden agreement."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from training.export import acc_bounds, check_bundle, export_bundle
from training.qnn import LayerSpec, QNet, clip_floor, round_ste, ssf_ste

SMALL = [
    {"kind": "conv1d", "out": 6, "kernel": 5, "stride": 2, "padding": 2, "T": 15},
    {"kind": "conv1d", "out": 9, "kernel": 3, "stride": 1, "padding": 1, "T": 3},
    {"kind": "dense", "out": 10, "T": 7},
    {"kind": "dense", "out": 4},
]


def _trained_like(seed: int, arch: list[dict] = SMALL, c0: int = 1, l0: int = 24) -> QNet:
    """A QNet with random BN statistics and affine parameters, folded."""
    torch.manual_seed(seed)
    net = QNet(c0, l0, arch)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in net.layers:
            if layer.bn is not None:
                n = layer.bn.num_features
                layer.bn.running_mean.copy_(torch.randn(n, generator=g) * 50)
                layer.bn.running_var.copy_(torch.rand(n, generator=g) * 900 + 10)
                layer.bn.weight.copy_(torch.rand(n, generator=g) * 4 + 0.5)
                layer.bn.bias.copy_(torch.randn(n, generator=g) * 2 + 2)
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=g))
    return net


def test_clip_floor_forward_and_ste() -> None:
    z = torch.tensor([-2.5, -0.1, 0.0, 0.99, 1.0, 3.7, 7.0, 7.99, 8.0, 9.5, 100.0],
                     requires_grad=True)
    y = clip_floor(z, 7)
    assert y.tolist() == [0, 0, 0, 0, 1, 3, 7, 7, 7, 7, 7]
    y.sum().backward()
    # straight-through inside [0, T+1], zero outside
    assert z.grad.tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    r = torch.tensor([0.4, 0.5, 1.5, -2.6], requires_grad=True)
    out = round_ste(r)
    out.sum().backward()
    assert out.tolist() == [0, 0, 2, -3] and r.grad.tolist() == [1, 1, 1, 1]


def test_ssf_ste_equals_python_integer_floor(rng: np.random.Generator) -> None:
    acc = rng.integers(-(2 ** 31), 2 ** 31, size=20000)
    acc[:50] = rng.integers(-5, 6, size=50) * 37          # exact multiples of theta 37
    theta = rng.integers(1, 65536, size=20000)
    theta[:50] = 37
    for T in (1, 7, 255):
        got = ssf_ste(torch.tensor(acc, dtype=torch.float64),
                      torch.tensor(theta, dtype=torch.float64), T).numpy()
        want = [min(T, max(0, int(a) // int(t))) for a, t in zip(acc, theta)]
        assert got.astype(np.int64).tolist() == want


def _numpy_forward(layers: list[dict], x: np.ndarray) -> np.ndarray:
    """Straightforward int64 loops over the spec formulas (independent of torch)."""
    a = x.astype(np.int64)
    for L in layers:
        W, b = L["weights"], L["bias"]
        if L["kind"] == "conv1d":
            n, cin, lin = a.shape
            K, S, P = L["kernel"], L["stride"], L["padding"]
            lout = (lin + 2 * P - K) // S + 1
            acc = np.zeros((n, W.shape[0], lout), dtype=np.int64) + b[None, :, None]
            for t in range(lout):
                for k in range(K):
                    src = t * S + k - P
                    if 0 <= src < lin:
                        acc[:, :, t] += a[:, :, src] @ W[:, :, k].T
            th = L["theta"][None, :, None]
        else:
            acc = a.reshape(len(a), -1) @ W.T + b[None, :]
            th = L["theta"][None, :]
        a = acc if L["T"] is None else np.clip(np.floor_divide(acc, th), 0, L["T"])
    return a


def test_integer_forward_equals_numpy_loops(rng: np.random.Generator) -> None:
    net = _trained_like(3)
    net.fold_bn()
    x = rng.integers(0, 256, size=(64, 1, 24)).astype(np.uint8)
    cls, logits = net.deployed(x)
    ref = _numpy_forward(net.integer_layers(), x)
    assert np.array_equal(logits, ref)
    assert np.array_equal(cls, np.argmax(ref, axis=1))


def test_bn_folding_is_exact() -> None:
    net = _trained_like(5)
    net.eval()
    x = torch.randint(0, 256, (32, 1, 24)).double()
    pre = []
    h = x
    for layer in net.layers:
        z = layer._linear(h, layer.weight.double(), layer.bias.double())
        if layer.bn is not None:
            bn = layer.bn
            z = (z - bn.running_mean.double().view(1, -1, *([1] * (z.dim() - 2)))) / torch.sqrt(
                bn.running_var.double() + bn.eps).view(1, -1, *([1] * (z.dim() - 2)))
            z = z * bn.weight.double().view(1, -1, *([1] * (z.dim() - 2))) + bn.bias.double().view(
                1, -1, *([1] * (z.dim() - 2)))
        pre.append(z)
        h = torch.clamp(torch.floor(z), 0, layer.spec.T) if layer.spec.T else z
    folded = copy.deepcopy(net)
    folded.fold_bn()
    h = x
    for layer, want in zip(folded.layers, pre):
        z = layer._linear(h, layer.weight.double(), layer.bias.double())
        assert torch.allclose(z, want, rtol=1e-5, atol=1e-4), "folded pre-activation differs"
        h = torch.clamp(torch.floor(want), 0, layer.spec.T) if layer.spec.T else want


def test_threshold_and_weight_ranges() -> None:
    net = _trained_like(11)
    net.fold_bn()
    with torch.no_grad():
        net.layers[1].weight[2].zero_()                    # a dead channel: theta saturates
        net.layers[0].weight[0, 0, 0] = 500.0              # one huge weight: theta = 1
    for L in net.integer_layers():
        assert L["weights"].min() >= -128 and L["weights"].max() <= 127
        assert L["theta"].min() >= 1 and L["theta"].max() <= 65535
    layers = net.integer_layers()
    assert layers[1]["theta"][2] == 65535 and not layers[1]["weights"][2].any()
    assert layers[0]["theta"][0] == 1
    # the readout uses one threshold for all outputs, so arg-max of acc is arg-max of acc/theta
    assert len(set(layers[-1]["theta"].tolist())) == 1


def test_qat_step_keeps_exactness(rng: np.random.Generator) -> None:
    net = _trained_like(7)
    net.fold_bn()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.tensor(rng.integers(0, 256, size=(128, 1, 24)), dtype=torch.float64)
    y = torch.tensor(rng.integers(0, 4, size=128))
    before = [p.detach().clone() for p in net.parameters()]
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(net.float_logits(x).float(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))
    xs = x[:16].numpy().astype(np.uint8)
    assert np.array_equal(net.deployed(xs)[1], _numpy_forward(net.integer_layers(), xs))


def test_export_validates_and_matches_golden(rng: np.random.Generator) -> None:
    from golden.bundle import BundleError, acc_bounds as golden_bounds, load_bundle
    from golden.model import infer

    net = _trained_like(13)
    net.fold_bn()
    bundle = export_bundle(net, "t", list("abcd"), {"note": "synthetic"}, {"seed": 13})
    json.loads(json.dumps(bundle))                            # plain JSON types only
    b = load_bundle(bundle)
    assert [L.kind for L in b.layers] == ["conv1d", "conv1d", "dense", "dense"]
    assert bundle["layers"][2]["in_features"] == 9 * 12
    ours = acc_bounds(bundle)
    for i, L in enumerate(b.layers):
        lo, hi = golden_bounds(L)
        assert ours[i] == (int(lo.min()), int(hi.max()))
    x = rng.integers(0, 256, size=(500, 1, 24)).astype(np.uint8)
    cls, logits = net.deployed(x)
    res = infer(b, x)
    assert np.array_equal(res.logits, logits) and np.array_equal(res.classes, cls)
    # a bundle loaded back into PyTorch runs the same integers
    back = QNet.from_bundle(bundle)
    assert np.array_equal(back.deployed(x)[1], logits)
    # the checkers can fail: a corrupted threshold is rejected by both validators
    bad = copy.deepcopy(bundle)
    bad["layers"][1]["activation"]["theta"][0] = 0
    with pytest.raises(ValueError, match="theta"):
        check_bundle(bad)
    with pytest.raises(BundleError, match="theta"):
        load_bundle(bad)
    big = copy.deepcopy(bundle)
    big["layers"][2]["bias"][0] = 2 ** 31 - 10
    with pytest.raises(ValueError, match="accumulator"):
        check_bundle(big)


def test_layer_spec_errors() -> None:
    with pytest.raises(ValueError, match="last layer"):
        QNet(1, 16, [LayerSpec("dense", 4, T=3)])
    with pytest.raises(ValueError, match="kind"):
        QNet(1, 16, [{"kind": "pool", "out": 2}])
    with pytest.raises(ValueError, match="no output"):
        QNet(1, 4, [{"kind": "conv1d", "out": 2, "kernel": 9, "T": 1}, {"kind": "dense", "out": 2}])
    with pytest.raises(ValueError, match="fold"):
        export_bundle(QNet(1, 8, [{"kind": "dense", "out": 2}]), "x", ["a", "b"], {})
