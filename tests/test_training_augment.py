"""ECG training-time augmentations (training/train.py AUGMENTATIONS) and the DS1 folds of the
inter-patient model selection: what each promises, checked on small tensors."""

from __future__ import annotations

import torch

from training import ecg
from training.ecg_select import FOLDS
from training.train import AUGMENTATIONS


def _beats(n: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 2, 187), generator=g).to(torch.float32)


def test_ecg_augmentations_leave_the_rhythm_channel_and_stay_uint8() -> None:
    x = _beats()
    for name in ("warp", "ecgnoise"):
        y = AUGMENTATIONS[name](x, torch.Generator().manual_seed(1))
        assert torch.equal(y[:, 1], x[:, 1]), name              # rhythm features untouched
        assert torch.equal(y, torch.round(y)) and y.min() >= 0 and y.max() <= 255, name
        assert not torch.equal(y[:, 0], x[:, 0]), name          # the morphology did change


def test_ecgnoise_is_a_ramp_plus_small_noise() -> None:
    x = torch.full((2000, 2, 187), 128.0)
    y = AUGMENTATIONS["ecgnoise"](x, torch.Generator().manual_seed(2))
    d = y[:, 0] - 128
    rise = d[:, -8:].mean(1) - d[:, :8].mean(1)           # end-to-end rise of each beat
    assert rise.abs().max() < 24 + 4 and rise.std() > 10   # U(-24, 24), noise averaged out
    resid = d - (d[:, :1] + torch.outer(rise, torch.linspace(0, 1, 187)))
    assert 2.0 < float((d[:, 1:] - d[:, :-1]).std()) / 2 ** 0.5 < 4.5   # sigma 3 (+ rounding)
    assert float(resid.abs().mean()) < 6


def test_folds_partition_ds1() -> None:
    flat = [r for f in FOLDS for r in f]
    assert sorted(flat) == sorted(ecg.DS1) and len(flat) == len(set(flat))
    assert not any({201, 203} <= set(f) for f in FOLDS)   # the AF records never share a fold
