"""Fault injection (tb/faults.py, ``make regress FAULT=<kind>``): the inverse memory map, the
choice of visible faults, and, on both simulators, that every fault kind makes the regression
FAIL with a mismatch report naming the layer and neuron computed from the injection point."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.hwimage import build_image
from golden.model import infer
from golden.randbundle import random_bundle, random_inputs
from golden.timing import trace
from tb.faults import (
    KINDS,
    Fault,
    choose_fault,
    expected_site,
    group_owner,
    schedule_owner,
    weight_word_owner,
)


def _bundle(seed: int):
    rng = np.random.default_rng(seed)
    b = load_bundle(random_bundle(rng, max_layers=4, max_ch=20, max_len=24, max_cycles=6000,
                                  max_words=512))
    return b, random_inputs(rng, (b.in_channels, b.in_length), 6)


@pytest.mark.parametrize("seed", range(8))
def test_inverse_memory_map(seed: int) -> None:
    """Every (word, lane) / (group, lane) of the image maps back to the layer and channel whose
    weight / θ the image put there (docs §5)."""
    b, _ = _bundle(seed)
    img = build_image(b)
    for L in b.layers:
        w3 = L.weights3
        for o in range(L.out_ch):
            g, m = divmod(o, L.lanes)
            for i in range(L.in_ch):
                for k in range(L.kernel):
                    word = L.w_base + (g * L.in_ch + i) * L.kernel + k
                    assert weight_word_owner(b, word, m) == (L.index, o)
                    byte = (int(img.wmem[word]) >> (8 * m)) & 0xFF
                    assert (byte - 256 if byte >= 128 else byte) == int(w3[o, i, k])
            assert group_owner(b, L.b_base + g, m) == (L.index, o)
            assert int(img.theta[L.b_base + g][m]) == int(L.theta_or_ones[o])
    with pytest.raises(ValueError):
        weight_word_owner(b, b.n_words, 0)
    with pytest.raises(ValueError):
        group_owner(b, b.n_groups, 0)


def _corrupted(b, fault: Fault) -> dict:
    raw = copy.deepcopy(b.raw)
    site = fault.site
    if fault.kind == "weight_bit":
        w = raw["layers"][fault.layer]["weights"][fault.neuron]
        if b.layers[fault.layer].kind == "conv1d":
            w[site["input_channel"]][site["tap"]] = site["new"]
        else:
            w[site["input_channel"]] = site["new"]
    else:
        raw["layers"][fault.layer]["activation"]["theta"][fault.neuron] = site["new"]
    return raw


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["weight_bit", "threshold"])
def test_memory_faults_are_visible_where_named(kind: str, seed: int) -> None:
    """The APB write really changes the named weight / θ, and the golden model of the corrupted
    bundle differs from the clean one first in the named layer, only in the named channel."""
    b, x = _bundle(seed)
    if kind == "threshold" and not any(L.is_ssf for L in b.layers):
        pytest.skip("no ssf layer")
    f = choose_fault(kind, b, x, seed)
    assert expected_site(f, b) == (f.layer, f.neuron)
    (addr, data), = f.apb
    if kind == "weight_bit":
        img = build_image(b)
        word, half = f.site["word"], f.site["half"]
        old = (int(img.wmem[word]) >> (32 * half)) & 0xFFFF_FFFF
        assert bin(old ^ data).count("1") == 1               # exactly one bit flipped
        assert addr == 0x4000 + 8 * word + 4 * half
    else:
        assert data == f.site["new"] and data != f.site["old"]
    clean = infer(b, x).outputs
    bad = infer(load_bundle(_corrupted(b, f)), x).outputs
    for li in range(f.layer):
        assert np.array_equal(clean[li], bad[li])
    diff = clean[f.layer] != bad[f.layer]
    assert diff.any()
    assert set(np.argwhere(diff)[:, 1].tolist()) == {f.neuron}


@pytest.mark.parametrize("seed", range(6))
def test_stuck_valid_site(seed: int) -> None:
    """The stuck cycle is not a write cycle and the named output is the next scheduled write."""
    b, x = _bundle(seed)
    f = choose_fault("stuck_valid", b, x, seed)
    ev = trace(b, x[0]).events
    c = f.stuck_from
    assert c not in set(ev[:, 0].tolist())
    nxt = ev[ev[:, 0] > c][0]
    assert int(nxt[1]) == f.layer
    assert schedule_owner(b, ev, c)[:2] == (f.layer, f.neuron) == expected_site(f, b, ev)


def test_unknown_kind() -> None:
    b, x = _bundle(0)
    with pytest.raises(ValueError):
        choose_fault("stuck_ready", b, x, 0)


# ---------------------------------------------------------------------------------------------
# the regression catches every fault kind (simulation)

SMALL = {"SPARROW_REGRESS_PER_CLASS": "1", "SPARROW_REGRESS_RANDOM": "2"}


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
@pytest.mark.parametrize("kind", KINDS)
def test_regress_catches_fault(kind: str, sim: str) -> None:
    """`make regress FAULT=<kind>` at a reduced size: the run fails, exactly the faulted job has
    a mismatch report, and its first divergence names the layer and neuron recomputed here from
    the injection point (memory address, or stuck cycle + golden schedule)."""
    from tb.regress import golden_batch, run_level

    waves = kind == "weight_bit" and sim == "icarus"
    res = run_level("quick", sim, fault=kind, waves=waves, extra_env=SMALL,
                    name=f"test-fault-{kind}-{sim}")
    assert not res.ok, "a faulty core passed the regression"
    assert len(res.reports) == 1, res.message
    r = json.loads(res.reports[0].read_text())
    fault = Fault.from_dict(r["fault"])
    assert fault.kind == kind
    bundle = load_bundle(json.loads(Path(r["bundle"]["file"]).read_text()))
    x1 = np.load(json.loads(Path(r["case"]).read_text())["input"])
    events = golden_batch(bundle, x1).events[0]
    layer, neuron = expected_site(fault, bundle, events)
    d = r["first_divergence"]
    assert (d["layer"], d["neuron"]) == (layer, neuron), (d, fault)
    if kind == "stuck_valid":
        assert d["actual"]["cycle"] == fault.stuck_from
        assert d["actual"] == {"cycle": fault.stuck_from, "layer": 0, "index": 0, "value": 0}
    else:
        assert d["expected"]["cycle"] == d["actual"]["cycle"]
        assert d["expected"]["value"] != d["actual"]["value"]
    md = res.reports[0].with_suffix(".md").read_text()
    assert f"layer **{layer}**" in md and f"channel) **{neuron}**" in md
    assert f"FAULT={kind}" in r["reproduce"]["run"] or f"--fault {kind}" in r["reproduce"]["run"]
    if waves:
        w = r["waves"]
        assert w and Path(w["fst"]).is_file() and Path(w["fst"]).stat().st_size > 0
        assert w["reproduced"] is True
        assert w["time_ns"][0] < w["time_ns"][1]
