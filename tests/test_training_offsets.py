"""Readout offsets chosen on validation data (training.train.choose_offsets / apply_offsets)."""

from __future__ import annotations

import numpy as np
import torch

from training.qnn import QNet
from training.train import ECG_ARCH, apply_offsets, choose_offsets


def test_choose_offsets_undoes_a_biased_class() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 3000)
    logits = rng.integers(-40, 40, (3000, 5))
    logits[np.arange(3000), y] += 200                  # separable by 200 ...
    logits[:, 1] -= 250                                # ... but class 1 pushed under everything
    off = choose_offsets(logits, y, "macro_f1_nsvf")
    assert off[0] == 0 and off[4] == 0                 # N fixed, Q not searched
    assert 90 < off[1] < 370                           # class 1 restored
    pred = np.argmax(logits + off, axis=1)
    assert np.mean(pred[y == 1] == 1) > 0.95


def test_choose_offsets_leaves_a_good_readout_alone() -> None:
    y = np.repeat(np.arange(5), 10)
    logits = np.eye(5, dtype=np.int64)[y] * 100
    assert choose_offsets(logits, y, "macro_f1_nsvf").tolist() == [0] * 5


def test_apply_offsets_moves_the_integer_bias_exactly() -> None:
    torch.manual_seed(0)
    net = QNet(2, 187, ECG_ARCH)
    net.fold_bn()
    x = torch.randint(0, 256, (7, 2, 187), dtype=torch.uint8).numpy()
    _, before = net.deployed(x)
    off = np.array([0, 5, -3, 17, 0])
    apply_offsets(net, off)
    _, after = net.deployed(x)
    assert np.array_equal(after - before, np.broadcast_to(off, before.shape))
