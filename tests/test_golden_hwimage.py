"""golden.hwimage: descriptor table, memory images and APB write list (docs §5, §6)."""

from __future__ import annotations

import numpy as np

from golden.bundle import load_bundle
from golden.hwimage import build_image, descriptor

W0 = [[[1, -1], [2, -128]], [[127, 0], [3, 4]], [[-2, 5], [6, -7]]]


def two_layer() -> dict:
    # conv 2x3 -> 3x2 (k2 s1 p0, ssf T7), dense 6 -> 9 (none): G = 1 then 2
    return {"format": "sparrow-bundle", "version": 1, "name": "hw",
            "classes": [str(i) for i in range(9)], "input": {"channels": 2, "length": 3},
            "layers": [
                {"kind": "conv1d", "in_channels": 2, "out_channels": 3, "kernel": 2,
                 "stride": 1, "padding": 0, "weights": W0, "bias": [-1, 5, 0x7FFF0000],
                 "activation": {"type": "ssf", "T": 7, "theta": [1, 300, 65535]}},
                {"kind": "dense", "in_features": 6, "out_features": 9,
                 "weights": [[o * 10 + j - 40 for j in range(6)] for o in range(9)],
                 "bias": list(range(-4, 5)), "activation": {"type": "none"}}]}


def test_descriptors_hand_packed() -> None:
    img = build_image(two_layer())
    assert img.num_layers == 2
    assert img.descriptors[0] == [0x0702, 0x0003_0002, 0x0002_0003, 0x0000_0102, 0, 0, 0, 0]
    assert img.descriptors[1] == [0x0001, 0x0001_0006, 0x0001_0009, 0x0000_0101, 4, 1, 0, 0]


def test_weight_words_hand_packed() -> None:
    img = build_image(two_layer())
    assert len(img.wmem) == 4 + 2 * 6
    assert img.wmem[:4] == [0x00FE_7F01, 0x0005_00FF, 0x0006_0302, 0x00F9_0480]
    # dense g0, j0: lanes W[m][0] = 10m - 40 = -40 -30 -20 -10 0 10 20 30
    assert img.wmem[4] == 0x1E14_0A00_F6EC_E2D8
    # dense g1: only lane 0 (o = 8) is active: W[8][j] = 40 + j
    assert img.wmem[10:16] == [40 + j for j in range(6)]


def test_bias_theta_padding() -> None:
    img = build_image(two_layer())
    assert img.bias == [[-1, 5, 0x7FFF0000, 0, 0, 0, 0, 0], [-4, -3, -2, -1, 0, 1, 2, 3],
                        [4, 0, 0, 0, 0, 0, 0, 0]]
    assert img.theta == [[1, 300, 65535, 1, 1, 1, 1, 1], [1] * 8, [1] * 8]


def test_apb_write_order_and_addresses() -> None:
    ops = build_image(two_layer()).apb_writes()
    assert ops[:8] == [(0x200, 0x702), (0x204, 0x30002), (0x208, 0x20003), (0x20C, 0x102),
                       (0x210, 0), (0x214, 0), (0x218, 0), (0x21C, 0)]
    assert ops[8:16] == [(0x220, 1), (0x224, 0x10006), (0x228, 0x10009), (0x22C, 0x101),
                         (0x230, 4), (0x234, 1), (0x238, 0), (0x23C, 0)]
    assert ops[16] == (0x0010, 2)
    bias = ops[17:17 + 24]
    assert bias[:3] == [(0x1000, 0xFFFF_FFFF), (0x1004, 5), (0x1008, 0x7FFF_0000)]
    assert bias[8] == (0x1020, 0xFFFF_FFFC) and bias[16] == (0x1040, 4)
    theta = ops[41:41 + 24]
    assert theta[:3] == [(0x2000, 1), (0x2004, 300), (0x2008, 65535)]
    assert theta[23] == (0x205C, 1)
    wm = ops[65:]
    assert len(wm) == 2 * 16
    assert wm[:2] == [(0x4000, 0x00FE_7F01), (0x4004, 0)]
    assert wm[8:10] == [(0x4020, 0xF6EC_E2D8), (0x4024, 0x1E14_0A00)]
    assert all(0 <= d <= 0xFFFF_FFFF for _, d in ops)


def test_image_decodes_back_to_the_weights(make_bundle) -> None:
    for _ in range(15):
        b = load_bundle(make_bundle())
        img = build_image(b)
        assert len(img.wmem) == b.n_words and len(img.bias) == b.n_groups
        for L, desc in zip(b.layers, img.descriptors):
            assert descriptor(L) == desc
            assert desc[4] == L.w_base and desc[5] == L.b_base
            w3 = L.weights3
            for g in range(L.groups):
                for i in range(L.in_ch):
                    for k in range(L.kernel):
                        word = img.wmem[L.w_base + (g * L.in_ch + i) * L.kernel + k]
                        for m in range(8):
                            byte = (word >> (8 * m)) & 0xFF
                            val = byte - 256 if byte >= 128 else byte
                            o = 8 * g + m
                            assert val == (int(w3[o, i, k]) if o < L.out_ch else 0)
                lanes_b = img.bias[L.b_base + g]
                lanes_t = img.theta[L.b_base + g]
                for m in range(8):
                    o = 8 * g + m
                    assert lanes_b[m] == (int(L.bias[o]) if o < L.out_ch else 0)
                    want_t = int(L.theta[o]) if (o < L.out_ch and L.theta is not None) else 1
                    assert lanes_t[m] == want_t
        ops = img.apb_writes()
        assert len(ops) == 8 * len(b.layers) + 1 + 16 * b.n_groups + 2 * b.n_words
        assert len({a for a, _ in ops}) == len(ops)            # no address written twice
        hi = {a: d for a, d in ops if a >= 0x4000}
        for w, word in enumerate(img.wmem):
            assert hi[0x4000 + 8 * w] | (hi[0x4004 + 8 * w] << 32) == word


def test_wrong_packing_is_detected() -> None:
    # the decoder above must fail on a corrupted image (proves the check can fail)
    b = load_bundle(two_layer())
    img = build_image(b)
    img.wmem[0] ^= 1 << 8                              # flip a bit of lane 1
    byte = (img.wmem[0] >> 8) & 0xFF
    assert (byte - 256 if byte >= 128 else byte) != int(np.asarray(W0)[1, 0, 0])
