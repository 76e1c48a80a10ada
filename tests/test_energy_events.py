"""silicon.events: golden-model event counts against the golden timing model (fast) and against
the RTL's own counters on a short Verilator run of the top level (``sparrow sim``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from golden import cli
from golden.bundle import load_bundle
from golden.randbundle import random_bundle, random_inputs
from golden.timing import counters_batch, total_cycles
from silicon.events import EVENTS, count_events, event_matrix

REPO = Path(__file__).resolve().parents[1]
COMMITTED = {"ecg": REPO / "models/ecg/model.json", "eeg": REPO / "models/eeg/model.json"}
RTL_KEYS = {"cycles": "cycles", "wreads": "wreads", "macs": "macs", "skips": "skips",
            "load": "load_cycles"}


def rtl_mismatches(events: dict[str, np.ndarray], rtl: dict[str, np.ndarray]) -> list[str]:
    """One line per (counter, input) where the golden events differ from the RTL counters."""
    out = []
    for rk, ek in RTL_KEYS.items():
        bad = np.flatnonzero(np.asarray(rtl[rk]) != np.asarray(events[ek]))
        out += [f"{rk}[{i}]: RTL {int(rtl[rk][i])} != events {int(events[ek][i])}" for i in bad]
    return out


def test_events_follow_the_timing_model(make_bundle, make_inputs) -> None:
    """Counters equal golden.timing; the structural identities of the schedule hold."""
    for _ in range(20):
        b = load_bundle(make_bundle())
        x = make_inputs(b.in_shape, 5)
        ev = count_events(b, x)
        assert set(ev) == set(EVENTS)
        cnt = counters_batch(b, x)
        for k in ("wreads", "macs", "skips"):
            assert np.array_equal(ev[k], cnt[k])
        assert np.all(ev["cycles"] == total_cycles(b))
        assert np.array_equal(ev["act_reads"], ev["wreads"] + ev["skips"])
        assert np.all(ev["outputs"] == ev["act_writes"] + ev["logit_writes"])
        assert np.all(ev["logit_writes"] == b.n_classes)
        blocks = sum(L.groups * L.out_len for L in b.layers)
        assert np.all(ev["fires"] == blocks) and np.all(ev["bias_reads"] == blocks)
        # cycles = SETUPs + (INIT + DRAIN + FIRE) per block + taps + WRITE cycles
        assert np.all(ev["cycles"] == len(b.layers) + 4 * blocks + ev["act_reads"]
                      + ev["outputs"])
        assert event_matrix(ev).shape == (5, len(EVENTS))


def test_zero_input_reads_no_first_layer_weight(make_bundle) -> None:
    """An all-zero input skips every first-layer tap: no weight read there, no MAC."""
    b = load_bundle(make_bundle(n_layers=1))
    ev = count_events(b, np.zeros((1, *b.in_shape), np.uint8))
    assert ev["wreads"][0] == 0 and ev["macs"][0] == 0 and ev["skips"][0] == ev["act_reads"][0]


def test_bad_shape_is_one_clear_error(make_bundle) -> None:
    b = load_bundle(make_bundle())
    with pytest.raises(ValueError, match="count_events: inputs must have shape"):
        count_events(b, np.zeros((2, b.in_shape[0], b.in_shape[1] + 1), np.uint8))


def test_rtl_checker_can_fail() -> None:
    """The comparison used against the RTL reports a single altered counter."""
    b = load_bundle(COMMITTED["ecg"])
    x = np.random.default_rng(1).integers(0, 256, (2, *b.in_shape)).astype(np.uint8)
    ev = count_events(b, x)
    rtl = {rk: ev[ek].copy() for rk, ek in RTL_KEYS.items()}
    assert rtl_mismatches(ev, rtl) == []
    rtl["wreads"][1] += 1
    assert rtl_mismatches(ev, rtl) == [f"wreads[1]: RTL {ev['wreads'][1] + 1} != events "
                                       f"{ev['wreads'][1]}"]


def _cases(tmp: Path) -> list[tuple[str, Path, Path]]:
    """(name, model, inputs): 3 real test inputs of each committed bundle (models/*/*.json, on
    its own protocol; plus an all-zero input) and 3 random legal bundles with 3 inputs each."""
    from tb.regress import committed_bundles, dataset_part

    cases = []
    for fam in ("ecg", "eeg"):
        for k, (bd, origin, split) in enumerate(committed_bundles(fam)):
            ds = dataset_part(fam, split, bundle=bd)      # in the bundle's own input format
            rng = np.random.default_rng(7)
            idx = np.sort(rng.choice(len(ds.labels), 3, replace=False))
            x = np.concatenate([ds.inputs[idx], np.zeros((1, *ds.inputs.shape[1:]), np.uint8)])
            np.save(tmp / f"{fam}{k}.npy", x)
            cases.append((origin, REPO / origin, tmp / f"{fam}{k}.npy"))
    for seed in (21, 22, 23):
        rng = np.random.default_rng(seed)
        bd = random_bundle(rng, max_layers=4, max_ch=10, max_len=24, max_cycles=2500)
        b = load_bundle(bd)
        (tmp / f"r{seed}.json").write_text(json.dumps(bd))
        np.save(tmp / f"r{seed}.npy", random_inputs(rng, b.in_shape, 3))
        cases.append((f"random{seed}", tmp / f"r{seed}.json", tmp / f"r{seed}.npy"))
    return cases


@pytest.mark.sim
def test_events_equal_rtl_counters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Verilator run of the top level: CNT_CYCLES / WREADS / MACS / SKIPS / LOAD of every input
    equal the predicted events (about 50 s on one core)."""
    if "tb.cli_sim" not in cli.SUBCOMMANDS:
        monkeypatch.setattr(cli, "SUBCOMMANDS", [*cli.SUBCOMMANDS, "tb.cli_sim"])
    errors = []
    for name, model, inputs in _cases(tmp_path):
        out = tmp_path / f"{name.replace('/', '_')}.npz"
        code = cli.main(["sim", "--model", str(model), "--inputs", str(inputs), "--out", str(out),
                         "--sim", "verilator"])
        _, err = capsys.readouterr()
        assert code == 0, err
        with np.load(out) as z:
            rtl = {k: z[k] for k in RTL_KEYS}
        ev = count_events(load_bundle(model), np.load(inputs))
        errors += [f"{name}: {e}" for e in rtl_mismatches(ev, rtl)]
    assert errors == []
