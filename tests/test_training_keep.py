"""TrainConfig.keep: the best validation epoch or the last one (training on every record)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.qnn import QNet
from training.train import ECG_ARCH, CONFIGS, _run_phase, _val_score, train

TINY = [{"kind": "dense", "out": 8, "T": 7}, {"kind": "dense", "out": 2}]


def _task() -> tuple[torch.Tensor, torch.Tensor]:
    """512 random uint8 inputs (1 x 16) and a learnable rule: first half heavier than the second."""
    x = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (512, 1, 16), dtype=np.uint8))
    return x, (x[:, 0, :8].sum(1) > x[:, 0, 8:].sum(1)).long()


def _phase(keep: str):
    """Three epochs on _task, validated on the opposite rule, so the validation score falls as
    training proceeds and the best epoch is not the last."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, y = _task()
    net = QNet(1, 16, TINY)
    cfg = CONFIGS["ecg-intra"].with_(arch=TINY, batch=32, select="accuracy", keep=keep)
    hist: list[dict] = []
    _, state = _run_phase(net, x.float(), y, x.float(), (1 - y).numpy(), cfg, 3, 3e-2, None,
                          gen, "t", False, hist)
    return net, state, [h["val_accuracy"] for h in hist]


def test_keep_last_returns_the_final_state_and_best_the_best_epoch() -> None:
    net, state, scores = _phase("last")
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in state.items())
    assert scores[-1] < max(scores)            # the best epoch is not the last: a real choice
    net_b, state_b, scores_b = _phase("best")
    assert scores_b == scores                  # same seeds, same run
    assert not all(torch.equal(v, net_b.state_dict()[k]) for k, v in state_b.items())
    net_b.load_state_dict(state_b)
    x, y = _task()
    cfg = CONFIGS["ecg-intra"].with_(arch=TINY, select="accuracy")
    assert _val_score(net_b, x.float(), (1 - y).numpy(), cfg) == pytest.approx(max(scores))


def test_no_validation_records_needs_keep_last_and_no_offsets() -> None:
    cfg = CONFIGS["ecg-inter"].with_(val_records=(), readout_offsets=False)
    with pytest.raises(ValueError, match="keep='best' needs validation records"):
        train(cfg, None, progress=False, evaluate_test=False)
    with pytest.raises(ValueError, match="readout offsets"):
        train(cfg.with_(keep="last", readout_offsets=True), None, progress=False,
              evaluate_test=False)
    with pytest.raises(ValueError, match="keep must be"):
        train(cfg.with_(keep="first"), None, progress=False, evaluate_test=False)
    net = QNet(2, 187, ECG_ARCH)
    assert np.isnan(_val_score(net, torch.zeros(0, 2, 187), np.zeros(0, np.int64), cfg))


def test_select_refuses_to_score_a_candidate_trained_on_every_record(tmp_path, capsys) -> None:
    from training.ecg_select import CANDIDATES, main

    assert not CANDIDATES["rhythm2-sqrt-warp-wd-all"].val_records
    assert main(["rhythm2-sqrt-warp-wd-all", "--out", str(tmp_path / "s.json")]) == 1
    assert "nothing to validate on" in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()
