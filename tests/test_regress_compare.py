"""tb/regress (compare, report) without a simulator: batched golden expectations, the checker
(every check can fail and names the right event / layer / neuron), harness file parsing,
mismatch reports, JUnit merge and the wave window."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.randbundle import random_bundle, random_inputs
from golden.timing import trace
from tb.regress import (
    RESULT_COLS,
    Golden,
    Job,
    RtlBatch,
    batch_from_rows,
    compare,
    golden_batch,
    merge_junit,
    render_report,
    wave_window,
    write_report,
)


def _case(seed: int, n: int = 5):
    rng = np.random.default_rng(seed)
    b = load_bundle(random_bundle(rng, max_layers=4, max_ch=10, max_len=24, max_cycles=3000))
    x = random_inputs(rng, (b.in_channels, b.in_length), n)
    return b, x


def perfect_rtl(gold: Golden, n_layers: int) -> RtlBatch:
    """An RtlBatch that agrees with the golden model in every field."""
    n = len(gold.classes)
    logits = np.zeros((n, 16), np.int64)
    logits[:, :gold.logits.shape[1]] = gold.logits
    start = np.arange(n, dtype=np.int64) * 100_000
    last = start + 200
    return RtlBatch(events=[e.copy() for e in gold.events], start_cycle=start,
                    last_byte_cycle=last, done_cycle=np.full(n, gold.cycles),
                    timeout=np.zeros(n, np.int64), lfsr=np.arange(1, n + 1),
                    status=np.full(n, 2), classes=gold.classes.copy(), logits=logits,
                    cycles=np.full(n, gold.cycles), wreads=gold.wreads.copy(),
                    macs=gold.macs.copy(), skips=gold.skips.copy(), load=last - start)


@pytest.mark.parametrize("seed", range(6))
def test_golden_batch_equals_trace(seed: int) -> None:
    """The batched expectations equal golden.timing.trace input by input."""
    b, x = _case(seed)
    g = golden_batch(b, x)
    for n in range(len(x)):
        t = trace(b, x[n])
        assert np.array_equal(g.events[n], t.events)
        assert g.cycles == t.cycles
        assert {k: int(getattr(g, k)[n]) for k in ("wreads", "macs", "skips")} == t.counters
    assert g.taps == int(g.wreads[0] + g.skips[0])


def test_compare_clean_and_every_check_fails() -> None:
    """A perfect batch passes; each corrupted field is reported for exactly that input."""
    b, x = _case(7, n=6)
    g = golden_batch(b, x)
    assert compare(b, g, perfect_rtl(g, len(b.layers))) == []
    corruptions = {
        "timeout": lambda r, k: r.timeout.__setitem__(k, 1),
        "STATUS": lambda r, k: r.status.__setitem__(k, 6),
        "done cycle": lambda r, k: r.done_cycle.__setitem__(k, r.done_cycle[k] + 1),
        "CNT_CYCLES": lambda r, k: r.cycles.__setitem__(k, r.cycles[k] - 1),
        "CNT_WREADS": lambda r, k: r.wreads.__setitem__(k, r.wreads[k] + 1),
        "CNT_MACS": lambda r, k: r.macs.__setitem__(k, r.macs[k] + 8),
        "CNT_SKIPS": lambda r, k: r.skips.__setitem__(k, r.skips[k] + 1),
        "CNT_LOAD": lambda r, k: r.load.__setitem__(k, r.load[k] + 3),
        "CLASS": lambda r, k: r.classes.__setitem__(k, (r.classes[k] + 1) % 16),
        "LOGIT": lambda r, k: r.logits.__setitem__((k, 15), 99),
    }
    for k, (what, corrupt) in enumerate(corruptions.items()):
        rtl = perfect_rtl(g, len(b.layers))
        corrupt(rtl, k % len(x))
        fails = compare(b, g, rtl)
        assert [f.n for f in fails] == [k % len(x)], what
        assert fails[0].event is None
        assert any(c.startswith(what) for c in fails[0].checks), (what, fails[0].checks)


@pytest.mark.parametrize("col", [0, 1, 2, 3])
def test_compare_trace_divergence_names_event_layer_neuron(col: int) -> None:
    """A corrupted event field is the first divergence, with its layer and neuron (channel
    = index // Lout for conv, index for dense)."""
    b, x = _case(11 + col)
    g = golden_batch(b, x)
    rng = np.random.default_rng(col)
    rtl = perfect_rtl(g, len(b.layers))
    n = int(rng.integers(0, len(x)))
    i = int(rng.integers(0, g.events.shape[1]))
    rtl.events[n][i, col] += 1
    fails = compare(b, g, rtl)
    assert [f.n for f in fails] == [n]
    d = fails[0].event
    assert d is not None and d["i"] == i
    e = g.events[n][i]
    assert d["expected"] == {"cycle": e[0], "layer": e[1], "index": e[2], "value": e[3]}
    assert d["actual"][["cycle", "layer", "index", "value"][col]] == e[col] + 1
    L = b.layers[int(e[1])]
    exp_neuron = int(e[2]) if L.kind == "dense" else int(e[2]) // L.out_len
    assert (d["layer"], d["neuron"]) == (int(e[1]), exp_neuron)
    assert d["cycle"] == min(int(e[0]), int(e[0]) + (1 if col == 0 else 0))
    assert fails[0].around["expected"][i - fails[0].around["first"][0]] == e.tolist()


def test_compare_missing_and_extra_events() -> None:
    b, x = _case(21)
    g = golden_batch(b, x)
    rtl = perfect_rtl(g, len(b.layers))
    rtl.events[1] = rtl.events[1][:-1]                        # last event never came
    extra = np.array([[g.cycles + 5, 0, 0, 0]])
    rtl.events[3] = np.concatenate([rtl.events[3], extra])    # one event too many
    fails = compare(b, g, rtl)
    assert [f.n for f in fails] == [1, 3]
    assert fails[0].event["actual"] is None and fails[0].event["i"] == g.events.shape[1] - 1
    assert fails[1].event["expected"] is None
    assert fails[1].event["actual"]["cycle"] == g.cycles + 5


def test_batch_from_rows() -> None:
    """Harness rows: events relative to the cycle after the last byte, signed logits, order."""
    res = np.zeros((2, len(RESULT_COLS)), np.int64)
    col = {c: i for i, c in enumerate(RESULT_COLS)}
    res[:, col["k"]] = [1, 0]
    res[:, col["e"]] = [500, 100]
    res[:, col["s"]] = [480, 80]
    res[:, col["irq"]] = [530, 0]
    res[:, col["logit0"]] = [(1 << 32) - 5, 7]
    ev = np.array([[1, 505, 0, 3, -2], [0, 103, 1, 0, 4], [1, 507, 1, 1, 9]], np.int64)
    r = batch_from_rows(ev, res, 2)
    assert r.events[0].tolist() == [[2, 1, 0, 4]]
    assert r.events[1].tolist() == [[4, 0, 3, -2], [6, 1, 1, 9]]
    assert r.logits[:, 0].tolist() == [7, -5]
    assert r.done_cycle.tolist() == [-1, 29]
    with pytest.raises(ValueError):
        batch_from_rows(ev, res[:1], 2)


def test_report_files(tmp_path: Path) -> None:
    """The JSON/Markdown report names the input, first divergence, neighbours, seed, the
    commands to reproduce, and the replay case holds everything a replay needs."""
    b, x = _case(31, n=3)
    g = golden_batch(b, x)
    rtl = perfect_rtl(g, len(b.layers))
    rtl.events[2][4, 3] += 1
    fails = compare(b, g, rtl)
    job = Job(name="unit", bundle=b.raw, origin="unit test", x=x,
              refs=[{"dataset": "ecg", "split": "intra", "part": "test", "index": 10 + i,
                     "source": "100", "sample": 1234 + i, "annotation": "V", "label": "V"}
                    for i in range(3)], kind="real", vmode="stalls", vprob=99, seed=5)
    cfg = {"run": "unit-run", "level": "smoke", "sim": "icarus", "seed": 77, "shard": "0/1"}
    path = write_report("unit-run-unit", cfg, job, b, g, rtl, fails, out_dir=tmp_path)
    r = json.loads(path.read_text())
    assert r["input"]["index"] == 12 and r["input"]["source"] == "100"
    assert r["first_divergence"]["i"] == 4 and r["seed"] == 77
    assert "make regress SIM=icarus SEED=77" in r["reproduce"]["run"]
    assert "scripts/regress.py replay" in r["reproduce"]["input"]
    case = json.loads(Path(r["case"]).read_text())
    assert np.array_equal(np.load(case["input"]), x[2:3])
    assert case["lfsr"] == int(rtl.lfsr[2]) and case["vmode"] == "stalls"
    assert load_bundle(case["bundle"]).name == b.name
    md = path.with_suffix(".md").read_text()
    for needle in ("First divergence", "sample 1236", "annotation V", "SEED=77", "**<-**",
                   f"layer **{r['first_divergence']['layer']}**"):
        assert needle in md, needle
    r["waves"] = {"simulator": "icarus", "fst": "x.fst", "gtkw": None, "reproduced": True,
                  "cycles": [1, 2], "time_ns": [3, 4], "origin_cycle": 9}
    path.write_text(json.dumps(r))
    assert "x.fst" in render_report(path).read_text()


def test_wave_window() -> None:
    """Compute cycle c of an inference whose compute cycle 0 is absolute cycle o ends at the
    rising edge at 5 + 10 (o + c) ns (first edge at 5 ns ends cycle 0)."""
    cycles, times = wave_window(100, 1000, width=10)
    assert cycles == [90, 110]
    assert times == [5 + 10 * (1000 + 90 - 1), 5 + 10 * (1000 + 110)]


def test_merge_junit(tmp_path: Path) -> None:
    src = tmp_path / "junit"
    src.mkdir()
    (src / "a.xml").write_text('<testsuites><testsuite name="a"><testcase name="t1"/>'
                               '<testcase name="t2"><failure message="x"/></testcase>'
                               '</testsuite></testsuites>')
    (src / "b.xml").write_text('<testsuite name="b"><testcase name="t3"><skipped/></testcase>'
                               '</testsuite>')
    (src / "broken.xml").write_text("<testsuite")
    out = merge_junit(tmp_path / "results.xml", src)
    import xml.etree.ElementTree as ET

    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    assert [s.get("name") for s in root] == ["a", "b"]


def test_harness_hex_files() -> None:
    """The $readmemh files written for the harness hold exactly the values (13-digit APB
    program words, 2-digit input bytes)."""
    from tb.top.harness import _hex_lines

    rng = np.random.default_rng(0)
    words = rng.integers(0, 1 << 52, size=500, dtype=np.uint64)
    lines = _hex_lines(words, 13).decode().splitlines()
    assert [int(v, 16) for v in lines] == words.tolist()
    assert all(len(v) == 13 for v in lines)
    x = rng.integers(0, 256, size=(3, 2, 7), dtype=np.uint8)
    assert [int(v, 16) for v in _hex_lines(x.reshape(-1), 2).decode().split()] == \
        x.reshape(-1).tolist()


def test_first_divergence_finds_each_kind_of_difference() -> None:
    """tb.core.first_divergence: identical tables pass; a changed field, a missing tail and an
    extra event are each reported at the right row with both sides."""
    from tb.core import first_divergence

    b, x = _case(11, n=1)
    ev = trace(b, x[0]).events
    assert len(ev) >= 3
    assert first_divergence(ev, ev.copy()) is None
    for col in range(4):
        bad = ev.copy()
        bad[2, col] += 1
        i, text = first_divergence(ev, bad)
        assert i == 2 and f"expected (cycle {ev[2, 0]}," in text and f"got (cycle {bad[2, 0]}," in text
    i, text = first_divergence(ev, ev[:-1])
    assert i == len(ev) - 1 and "no further event" in text
    i, text = first_divergence(ev[:-1], ev)
    assert i == len(ev) - 1 and "unexpected extra event" in text
