"""Top-level RTL regression: plans, golden expectations, comparison, mismatch reports, runner.

The cocotb side (tb/top/test_top.py with the HDL harness tb/top/top_harness.v, driven by
tb/top/harness.py) runs a *plan*: a list of :class:`Job` (a bundle, a batch of inputs and how to
stream them). For every job the RTL results (:class:`RtlBatch`) are compared, input by input and
event by event, with the golden model (:func:`golden_batch`, :func:`compare`); every divergence
produces ``reports/mismatch/<name>.json`` and ``.md`` (:func:`write_report`) plus a *case* file
that replays that one input (:func:`replay`), with waves.

The pytest / make side (:func:`run_level`, used by scripts/regress.py and the pytest runners)
builds the simulator once per configuration, runs the levels (``quick``, ``smoke``, ``full``,
``bench``, ``demo``) in one or more shards, reruns the first mismatching input of each failing
job with waves on, and writes ``reports/results.xml`` (JUnit, merged) and
``reports/summary.md``. Nothing here needs a running simulator except the functions marked so.
See docs/regression.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import shutil
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from golden.bundle import Bundle, load_bundle
from golden.model import infer
from golden.randbundle import (
    ECG_CLASSES,
    ECG_DEFAULT_LAYERS,
    build_bundle,
    ecg_default_bundle,
    random_bundle,
    random_inputs,
)
from golden.timing import counters_batch, layer_cycles, total_cycles, write_schedule
from tb.faults import Fault, choose_fault, neuron_of
from tb.core import ECG_CYCLE_BUDGET, RTL_FILES, first_divergence

REPO_ROOT = Path(__file__).resolve().parents[1]
REPORTS = REPO_ROOT / "reports"
MISMATCH_DIR = REPORTS / "mismatch"
REGRESS_DIR = REPORTS / "regress"
JUNIT_DIR = REPORTS / "junit"
SIM_BUILD = REPO_ROOT / "sim_build" / "top"
TOP_DIR = REPO_ROOT / "tb" / "top"
HARNESS_V = TOP_DIR / "top_harness.v"
MODELS = {"ecg": REPO_ROOT / "models" / "ecg" / "model.json",
          "eeg": REPO_ROOT / "models" / "eeg" / "model.json"}
LEVELS = ("quick", "smoke", "full", "bench", "demo")
SIMULATORS = ("icarus", "verilator")
CLK_PERIOD_NS = 10
ST_DONE = 2
N_CLASS_REGS = 16
EVENT_CONTEXT = 5             # events shown before / after the first divergence
WAVE_WINDOW = 40              # cycles either side of the divergence in the wave window
DEFAULT_SEED = 20_260_607
# Verilator: C++ optimisation and --timing (the harness makes its own clock)
VERILATOR_ARGS = ["--timing", "-O3", "-CFLAGS", "-O2"]
LOG_PREFIX = "sparrow.tb.top"

EEG_FALLBACK_LAYERS: list[dict[str, Any]] = [
    {"kind": "conv1d", "out": 8, "kernel": 7, "stride": 2, "padding": 3, "T": 15},
    *[{"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7}] * 4,
    {"kind": "dense", "out": 16, "T": 7},
    {"kind": "dense", "out": 2, "act": "none"},
]
EEG_CLASSES = ["non-seizure", "seizure"]


# ---------------------------------------------------------------------------------------------
# RTL results


@dataclass
class RtlBatch:
    """What the RTL produced for a batch of N inferences (int64 numpy arrays).

    ``events[n]`` is (E_n, 4): compute cycle (relative to the cycle after the last input byte),
    layer, index, value. The other fields are (N,), ``logits`` (N, 16) signed.
    """

    events: list[np.ndarray]
    start_cycle: np.ndarray
    last_byte_cycle: np.ndarray
    done_cycle: np.ndarray         # first cycle with irq high, relative to compute cycle 0
    timeout: np.ndarray
    lfsr: np.ndarray               # valid-pattern LFSR state at each start
    status: np.ndarray
    classes: np.ndarray
    logits: np.ndarray
    cycles: np.ndarray
    wreads: np.ndarray
    macs: np.ndarray
    skips: np.ndarray
    load: np.ndarray
    stray_events: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.int64))

    def __len__(self) -> int:
        return len(self.classes)


RESULT_COLS = ("k", "s", "e", "irq", "timeout", "lfsr", "status", "class",
               *[f"logit{i}" for i in range(N_CLASS_REGS)],
               "cycles", "wreads", "macs", "skips", "load")


def batch_from_rows(ev: np.ndarray, res: np.ndarray, n: int) -> RtlBatch:
    """RtlBatch from the harness files: ``ev`` (M, 5) rows (inference, absolute cycle, layer,
    index, value) and ``res`` (n, len(RESULT_COLS)) rows."""
    col = {c: i for i, c in enumerate(RESULT_COLS)}
    res = res[np.argsort(res[:, 0], kind="stable")]
    if len(res) != n or not np.array_equal(res[:, 0], np.arange(n)):
        raise ValueError(f"harness results: expected inferences 0..{n - 1}, got {res[:, 0]}")
    origin = res[:, col["e"]] + 1
    ev = ev[np.argsort(ev[:, 0], kind="stable")]
    bounds = np.searchsorted(ev[:, 0], np.arange(n + 1))
    events = []
    for k in range(n):
        e = ev[bounds[k]:bounds[k + 1], 1:5].copy()
        e[:, 0] -= origin[k]
        events.append(e)
    irq = res[:, col["irq"]]
    logits = res[:, col["logit0"]:col["logit0"] + N_CLASS_REGS].astype(np.int64)
    logits = np.where(logits >= 1 << 31, logits - (1 << 32), logits)
    return RtlBatch(
        events=events, start_cycle=res[:, col["s"]], last_byte_cycle=res[:, col["e"]],
        done_cycle=np.where(irq > 0, irq - origin, -1), timeout=res[:, col["timeout"]],
        lfsr=res[:, col["lfsr"]], status=res[:, col["status"]], classes=res[:, col["class"]],
        logits=logits, cycles=res[:, col["cycles"]], wreads=res[:, col["wreads"]],
        macs=res[:, col["macs"]], skips=res[:, col["skips"]], load=res[:, col["load"]],
        stray_events=ev[(ev[:, 0] < 0) | (ev[:, 0] >= n)])


# ---------------------------------------------------------------------------------------------
# golden expectations of a batch


@dataclass
class Golden:
    """Golden results of a batch: schedule, events, counters, classes and logits."""

    events: np.ndarray          # (N, E, 4) cycle, layer, index, value (the schedule is shared)
    cycles: int
    wreads: np.ndarray
    macs: np.ndarray
    skips: np.ndarray
    classes: np.ndarray
    logits: np.ndarray          # (N, n_classes)
    taps: int                   # taps walked per inference (wreads + skips)

    def trace(self, n: int) -> Any:
        """golden.timing.Trace of input n."""
        from golden.timing import Trace

        return Trace(events=self.events[n], cycles=self.cycles,
                     counters={"wreads": int(self.wreads[n]), "macs": int(self.macs[n]),
                               "skips": int(self.skips[n])})


def golden_batch(bundle: Bundle, x: np.ndarray) -> Golden:
    """Expected trace events, cycles, counters, classes and logits of every input of x, computed
    with one batched golden inference (equal to golden.timing.trace input by input)."""
    x = np.asarray(x, dtype=np.uint8)
    n = x.shape[0]
    res = infer(bundle, x)
    parts = []
    start = 0
    for li, (layer, out) in enumerate(zip(bundle.layers, res.outputs)):
        cyc, idx = write_schedule(layer, start)
        vals = out.reshape(n, -1)[:, idx]
        e = np.empty((n, len(cyc), 4), dtype=np.int64)
        e[:, :, 0] = cyc
        e[:, :, 1] = li
        e[:, :, 2] = idx
        e[:, :, 3] = vals
        parts.append(e)
        start += layer_cycles(layer)
    cnt = counters_batch(bundle, x, res.outputs)
    return Golden(events=np.concatenate(parts, axis=1), cycles=int(start),
                  wreads=cnt["wreads"], macs=cnt["macs"], skips=cnt["skips"],
                  classes=res.classes.astype(np.int64), logits=res.logits.astype(np.int64),
                  taps=int(cnt["wreads"][0] + cnt["skips"][0]) if n else 0)


# ---------------------------------------------------------------------------------------------
# comparison


@dataclass
class Failure:
    """Everything that went wrong with one input."""

    n: int                                  # input number in the job
    checks: list[str]                       # one line per failed check
    event: dict[str, Any] | None = None     # first diverging trace event (structured)
    around: dict[str, list[list[int]]] = field(default_factory=dict)


def _event_dict(row: np.ndarray | None) -> dict[str, int] | None:
    if row is None:
        return None
    return {"cycle": int(row[0]), "layer": int(row[1]), "index": int(row[2]),
            "value": int(row[3])}


def divergence(bundle: Bundle, exp: np.ndarray, act: np.ndarray) -> dict[str, Any] | None:
    """Structured first divergence of two (E, 4) event tables (None when equal).

    Layer and neuron (output channel, position) are those of the expected event at the first
    diverging position; when the RTL produced fewer events, the first missing one.
    """
    found = first_divergence(exp, act)
    if found is None:
        return None
    i, text = found
    e = exp[i] if i < len(exp) else None
    a = act[i] if i < len(act) else None
    ref = e if e is not None else a
    assert ref is not None
    layer = int(ref[1])
    neuron = position = None
    if 0 <= layer < len(bundle.layers):
        neuron, position = neuron_of(bundle, layer, int(ref[2]))
    cycle = min(int(r[0]) for r in (e, a) if r is not None)     # first cycle they disagree
    return {"i": int(i), "cycle": cycle, "layer": layer, "neuron": neuron,
            "position": position, "index": int(ref[2]), "expected": _event_dict(e),
            "actual": _event_dict(a), "text": text}


def compare(bundle: Bundle, gold: Golden, rtl: RtlBatch,
            expected_events: np.ndarray | None = None) -> list[Failure]:
    """Check every inference of a batch: trace events (cycle, layer, index, value), done cycle,
    CNT_CYCLES / WREADS / MACS / SKIPS, CNT_LOAD (= last-byte cycle - start cycle), STATUS,
    CLASS and LOGIT[0..15]. ``expected_events`` overrides the golden events (checker tests)."""
    n = len(rtl)
    exp_ev = gold.events if expected_events is None else expected_events
    nc = gold.logits.shape[1]
    exp_logits = np.zeros((n, N_CLASS_REGS), dtype=np.int64)
    exp_logits[:, :nc] = gold.logits
    scalar = [
        ("timeout", np.zeros(n, np.int64), rtl.timeout),
        ("STATUS", np.full(n, ST_DONE), rtl.status),
        ("done cycle", np.full(n, gold.cycles), rtl.done_cycle),
        ("CNT_CYCLES", np.full(n, gold.cycles), rtl.cycles),
        ("CNT_WREADS", gold.wreads, rtl.wreads),
        ("CNT_MACS", gold.macs, rtl.macs),
        ("CNT_SKIPS", gold.skips, rtl.skips),
        ("CNT_LOAD", rtl.last_byte_cycle - rtl.start_cycle, rtl.load),
        ("CLASS", gold.classes, rtl.classes),
    ]
    bad = np.zeros(n, dtype=bool)
    for _, e, a in scalar:
        bad |= np.asarray(e) != np.asarray(a)
    bad |= np.any(exp_logits != rtl.logits, axis=1)
    same_len = all(len(ev) == exp_ev.shape[1] for ev in rtl.events)
    if same_len and n:
        act = np.stack(rtl.events) if exp_ev.shape[1] else np.zeros_like(exp_ev)
        bad |= np.any(act != exp_ev, axis=(1, 2))
    else:
        bad |= np.array([not np.array_equal(ev, exp_ev[k]) for k, ev in enumerate(rtl.events)])
    failures = []
    for k in np.flatnonzero(bad):
        k = int(k)
        checks = []
        ev = divergence(bundle, exp_ev[k], rtl.events[k])
        around: dict[str, list[list[int]]] = {}
        if ev is not None:
            checks.append(f"trace: {ev['text']}")
            i = ev["i"]
            lo, hi = max(0, i - EVENT_CONTEXT), i + EVENT_CONTEXT + 1
            around = {"first": [lo], "expected": exp_ev[k][lo:hi].tolist(),
                      "actual": rtl.events[k][lo:hi].tolist()}
        for what, e, a in scalar:
            if int(np.asarray(e)[k]) != int(np.asarray(a)[k]):
                checks.append(f"{what}: expected {int(np.asarray(e)[k])}, got "
                              f"{int(np.asarray(a)[k])}")
        if not np.array_equal(exp_logits[k], rtl.logits[k]):
            checks.append(f"LOGIT: expected {exp_logits[k].tolist()}, got "
                          f"{rtl.logits[k].tolist()}")
        failures.append(Failure(k, checks, ev, around))
    return failures


# ---------------------------------------------------------------------------------------------
# plans


@dataclass
class Job:
    """One bundle and a batch of inputs to run on it."""

    name: str
    bundle: dict
    origin: str                      # where the bundle comes from (file, or generator + seed)
    x: np.ndarray                    # (N, C0, L0) uint8
    refs: list[dict[str, Any]]       # provenance of every input (for reports)
    labels: np.ndarray | None = None
    classes: list[str] | None = None  # class names of the labels
    kind: str = "random"             # "real" or "random"
    vmode: str = "random"
    vprob: int = 180
    seed: int = 1                    # valid-pattern LFSR seed
    load: str = "front"
    fault: dict[str, Any] | None = None


def default_bundle(name: str, seed: int = 0) -> tuple[dict, str]:
    """The committed default bundle (models/<name>/model.json) or, until it exists, a stand-in
    with random legal weights on the default network shape; returns (bundle dict, origin)."""
    path = MODELS[name]
    if path.is_file():
        return json.loads(path.read_text()), str(path.relative_to(REPO_ROOT))
    if name == "ecg":
        return ecg_default_bundle(seed), f"stand-in: golden.randbundle.ecg_default_bundle({seed})"
    bd = build_bundle(seed, 1, 256, EEG_FALLBACK_LAYERS, name="eeg-default-shape-random",
                      classes=EEG_CLASSES)
    return bd, f"stand-in: random weights on the EEG default shape (seed {seed})"


def committed_bundles(name: str) -> list[tuple[dict, str, str]]:
    """Every committed bundle of a family (``models/<name>/*.json``, the default first) as
    (bundle dict, origin, protocol it was trained for). Until none is committed: the stand-in of
    :func:`default_bundle` on the family's default protocol."""
    files = sorted(MODELS[name].parent.glob("*.json"), key=lambda p: (p != MODELS[name], p.name))
    out = []
    for path in files:
        bd = json.loads(path.read_text())
        if bd.get("format") != "sparrow-bundle":
            continue  # e.g. sweep.json, *.metrics.json
        out.append((bd, str(path.relative_to(REPO_ROOT)), bundle_split(bd, name)))
    if not out:
        bd, origin = default_bundle(name)
        out.append((bd, origin, bundle_split(bd, name)))
    return out


def bundle_split(bundle: dict, dataset: str) -> str:
    """Protocol the bundle was trained for (its ``training`` key), else ecg intra / eeg inter."""
    tr = bundle.get("training") if isinstance(bundle.get("training"), dict) else {}
    split = tr.get("split") or tr.get("protocol")
    if split in ("intra", "inter"):
        return split
    return "intra" if dataset == "ecg" else "inter"


def _dataset(name: str, split: str, part: str = "test") -> Any:
    from training.datasets import build

    return build(name, split, part)


def _real_refs(ds: Any, idx: np.ndarray) -> list[dict[str, Any]]:
    meta = ds.meta
    return [{"dataset": ds.name, "split": ds.split, "part": ds.part, "index": int(i),
             "source": str(meta["source"][i]), "sample": int(meta["sample"][i]),
             "annotation": str(meta["annotation"][i]), "label": ds.classes[int(ds.labels[i])]}
            for i in idx]


def real_job(name: str, bundle: dict, origin: str, ds: Any, idx: np.ndarray,
             rng: np.random.Generator, vmode: str | None = None) -> Job:
    """A job of dataset examples ``idx`` (real inputs, labels and provenance)."""
    return Job(name=name, bundle=bundle, origin=origin, x=ds.inputs[idx], refs=_real_refs(ds, idx),
               labels=ds.labels[idx].astype(np.int64), classes=list(ds.classes), kind="real",
               vmode=vmode or str(rng.choice(["random", "bursty", "stalls", "full"])),
               vprob=int(rng.integers(96, 250)), seed=int(rng.integers(1, 2**31)))


def per_class_sample(labels: np.ndarray, n_per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of min(n_per_class, count) random examples of every class."""
    out = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        out.append(rng.choice(idx, size=min(n_per_class, len(idx)), replace=False))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)


def _theta_corner(rng: np.random.Generator) -> dict:
    """A 2-layer bundle whose first layer has θ = 1 on one channel and θ = 65535 on another."""
    bd = build_bundle(rng, 2, 12, [
        {"kind": "conv1d", "out": 4, "kernel": 3, "stride": 1, "padding": 1, "T": 15},
        {"kind": "dense", "out": 3, "act": "none"}], name="corner-theta")
    th = bd["layers"][0]["activation"]["theta"]
    th[0], th[1] = 1, 65535
    load_bundle(bd)
    return bd


def corner_bundles(rng: np.random.Generator) -> list[tuple[str, dict]]:
    """Directed corner bundles (always part of the random regression)."""
    def bb(name: str, c0: int, l0: int, specs: list[dict]) -> tuple[str, dict]:
        return name, build_bundle(rng, c0, l0, specs, name=name)
    return [
        ("corner-T1", random_bundle(rng, T=1, n_layers=3, max_ch=10, max_len=24,
                                    max_cycles=2500, name="corner-T1")),
        ("corner-T255", random_bundle(rng, T=255, n_layers=3, max_ch=10, max_len=24,
                                      max_cycles=2500, name="corner-T255")),
        bb("corner-kernel-eq-len", 2, 9, [
            {"kind": "conv1d", "out": 5, "kernel": 9, "stride": 1, "padding": 0, "T": 7},
            {"kind": "dense", "out": 4, "act": "none"}]),
        bb("corner-stride-gt-kernel", 1, 23, [
            {"kind": "conv1d", "out": 6, "kernel": 2, "stride": 5, "padding": 1, "T": 3},
            {"kind": "conv1d", "out": 3, "kernel": 1, "stride": 3, "padding": 0, "act": "none"}]),
        bb("corner-pad-ge-kernel", 1, 4, [
            {"kind": "conv1d", "out": 3, "kernel": 1, "stride": 1, "padding": 2, "T": 7},
            {"kind": "dense", "out": 4, "T": 3}]),
        ("corner-theta", _theta_corner(rng)),
        bb("corner-dense-first-ssf-last", 3, 5, [
            {"kind": "dense", "out": 11, "T": 255},
            {"kind": "dense", "out": 3, "T": 15}]),
        bb("corner-groups-16-classes", 2, 9, [
            {"kind": "conv1d", "out": 19, "kernel": 3, "stride": 1, "padding": 1, "T": 1},
            {"kind": "conv1d", "out": 9, "kernel": 2, "stride": 3, "padding": 0, "T": 15},
            {"kind": "dense", "out": 16, "act": "none"}]),
        bb("corner-8-layers", 1, 16, [
            {"kind": "conv1d", "out": 3, "kernel": 3, "stride": 1, "padding": 1, "T": 3}] * 6
           + [{"kind": "dense", "out": 4, "T": 7}, {"kind": "dense", "out": 2, "act": "none"}]),
        bb("corner-dense-conv", 2, 3, [
            {"kind": "dense", "out": 6, "T": 7},
            {"kind": "conv1d", "out": 2, "kernel": 1, "stride": 1, "padding": 0, "T": 5}]),
    ]


def random_jobs(n_random: int, seed: int, inputs_per_bundle: int = 3) -> list[Job]:
    """The directed corner bundles plus ``n_random`` random legal bundles (golden.randbundle),
    each with an all-zero input and random inputs, streamed with varied valid patterns; every
    fifth bundle is loaded through the backdoor."""
    rng = np.random.default_rng([seed, 1])
    named = corner_bundles(rng)
    for k in range(n_random):
        named.append((f"rand{k:03d}", random_bundle(
            rng, max_layers=4, max_ch=10, max_len=28, max_words=256, max_cycles=2000,
            name=f"rand{k:03d}")))
    jobs = []
    modes = ["full", "random", "bursty", "stalls"]
    for j, (name, bd) in enumerate(named):
        b = load_bundle(bd)
        shape = (b.in_channels, b.in_length)
        xs = np.concatenate([np.zeros((1, *shape), np.uint8),
                             random_inputs(rng, shape, inputs_per_bundle - 1)])
        refs = [{"generator": "golden.randbundle", "plan_seed": seed, "bundle": name,
                 "bundle_index": j, "input": i,
                 "kind": "all-zero" if i == 0 else "random_inputs"} for i in range(len(xs))]
        jobs.append(Job(name=name, bundle=bd, origin=f"random: plan seed {seed}, bundle {j} "
                        f"({name})", x=xs, refs=refs, kind="random", vmode=modes[j % 4],
                        vprob=int(rng.integers(64, 250)), seed=int(rng.integers(1, 2**31)),
                        load="backdoor" if j % 5 == 4 else "front"))
    return jobs


def corner_report(jobs: list[Job]) -> dict[str, int]:
    """How many jobs exercise each required corner (checked by the plan)."""
    hits = dict.fromkeys(["T=1", "T=255", "kernel=length", "stride>kernel", "padding>=kernel",
                          "theta=1", "theta=65535", "all-zero input", "dense first",
                          "ssf last", "multi-group", "8 layers", "backdoor load"], 0)
    for job in jobs:
        b = load_bundle(job.bundle)
        ls = b.layers
        flags = {
            "T=1": any(L.T == 1 for L in ls), "T=255": any(L.T == 255 for L in ls),
            "kernel=length": any(L.kind == "conv1d" and L.kernel == L.in_len for L in ls),
            "stride>kernel": any(L.kind == "conv1d" and L.stride > L.kernel for L in ls),
            "padding>=kernel": any(L.kind == "conv1d" and L.padding >= L.kernel for L in ls),
            "theta=1": any(L.theta is not None and int(L.theta.min()) == 1 for L in ls),
            "theta=65535": any(L.theta is not None and int(L.theta.max()) == 65535 for L in ls),
            "all-zero input": bool(np.any(~job.x.reshape(len(job.x), -1).any(axis=1))),
            "dense first": ls[0].kind == "dense", "ssf last": ls[-1].is_ssf,
            "multi-group": any(L.groups > 1 for L in ls), "8 layers": len(ls) == 8,
            "backdoor load": job.load == "backdoor",
        }
        for k, v in flags.items():
            hits[k] += int(v)
    return hits


def _chunks(idx: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for lo in range(0, len(idx), size):
        yield idx[lo:lo + size]


def make_plan(level: str, seed: int = DEFAULT_SEED, *, fault: str | None = None,
              shard: int = 0, nshards: int = 1, n_random: int | None = None,
              per_class: int | None = None) -> list[Job]:
    """The jobs of a regression level (deterministic for a seed); shard k of n gets every n-th
    job. Levels: ``quick`` (a few real examples, 20 random bundles), ``smoke`` (>= 50 real test
    examples per class of both default bundles, 200 random bundles + corners), ``full`` (every
    committed ECG and EEG bundle on every test example of its own protocol: ECG intra and inter,
    EEG inter), ``bench`` / ``demo`` (ECG real beats)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    rng = np.random.default_rng([seed, 0])
    jobs: list[Job] = []
    if level in ("quick", "smoke", "bench", "demo"):
        pc = per_class if per_class is not None else {"quick": 2, "smoke": 50, "bench": 40,
                                                      "demo": 50}[level]
        names = ["ecg"] if level in ("bench", "demo") else ["ecg", "eeg"]
        for name in names:
            bd, origin = default_bundle(name)
            ds = _dataset(name, bundle_split(bd, name))
            idx = per_class_sample(ds.labels, pc, rng)
            jobs.append(real_job(f"{name}-default", bd, origin, ds, idx, rng,
                                 vmode="full" if level in ("bench", "demo") else None))
        if level in ("quick", "smoke"):
            nr = n_random if n_random is not None else (20 if level == "quick" else 200)
            rand = random_jobs(nr, seed)
            jobs += rand
    elif level == "full":
        # each committed bundle on the whole test part of the protocol it was trained for (a
        # bundle on another protocol's test part would score examples it was trained on)
        for name in ("ecg", "eeg"):
            for bd, origin, split in committed_bundles(name):
                ds = _dataset(name, split)
                for part in _chunks(np.arange(len(ds)), 2000):
                    jobs.append(real_job(f"{name}-{split}-test[{part[0]}:{part[-1] + 1}]", bd,
                                         origin, ds, part, rng))
    if fault:
        target = jobs[0]
        f = choose_fault(fault, target.bundle, target.x, np.random.default_rng([seed, 2]))
        target.fault = f.to_dict()
    return jobs[shard::nshards]


# ---------------------------------------------------------------------------------------------
# mismatch reports


def safe_name(text: str) -> str:
    """File-name-safe version of a run or job name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def repro_commands(cfg: dict[str, Any], case_path: Path | None) -> dict[str, str]:
    """Commands that reproduce a run (the whole level) and one input (the replay)."""
    level, sim, seed = cfg["level"], cfg["sim"], cfg["seed"]
    target = {"smoke": "regress", "full": "regress-full"}.get(level)
    extra = f" FAULT={cfg['fault']}" if cfg.get("fault") else ""
    if target:
        run = f"make {target} SIM={sim} SEED={seed}{extra}"
    else:
        run = (f".venv/bin/python scripts/regress.py {level} --sim {sim} --seed {seed}"
               + (f" --fault {cfg['fault']}" if cfg.get("fault") else ""))
    out = {"run": run}
    if case_path is not None:
        rel = case_path.relative_to(REPO_ROOT) if case_path.is_relative_to(REPO_ROOT) \
            else case_path
        out["input"] = f".venv/bin/python scripts/regress.py replay {rel} --sim {sim}"
        out["input_waves"] = out["input"] + " --waves"
    return out


def write_report(name: str, cfg: dict[str, Any], job: Job, bundle: Bundle, gold: Golden,
                 rtl: RtlBatch, failures: list[Failure], out_dir: Path = MISMATCH_DIR) -> Path:
    """Write the mismatch report of a job (first failing input in detail) and its replay case;
    returns the JSON path. The Markdown twin is rendered by :func:`render_report`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    f = failures[0]
    n = f.n
    bundle_path = out_dir / f"{name}.bundle.json"
    input_path = out_dir / f"{name}.input.npy"
    case_path = out_dir / f"{name}.case.json"
    bundle_path.write_text(json.dumps(job.bundle, separators=(",", ":")) + "\n")
    np.save(input_path, job.x[n:n + 1])
    case = {"name": name, "bundle": str(bundle_path), "input": str(input_path),
            "vmode": job.vmode, "vprob": job.vprob, "lfsr": int(rtl.lfsr[n]),
            "load": job.load, "fault": job.fault, "timeout": timeout_cycles(bundle),
            "ref": job.refs[n], "first": f.event}
    case_path.write_text(json.dumps(case, indent=1) + "\n")
    first = dict(f.event) if f.event else None
    report = {
        "test": name, "run": cfg.get("run"), "level": cfg["level"], "simulator": cfg["sim"],
        "seed": cfg["seed"], "shard": cfg.get("shard", "0/1"),
        "job": job.name, "bundle": {"name": bundle.name, "origin": job.origin,
                                    "file": str(bundle_path)},
        "input": {"number_in_job": n, **job.refs[n]},
        "valid_pattern": {"mode": job.vmode, "p": job.vprob, "lfsr_at_start": int(rtl.lfsr[n]),
                          "job_seed": job.seed},
        "load": job.load, "fault": job.fault,
        "first_divergence": first, "events_around": f.around, "checks": f.checks,
        "failing_inputs": len(failures), "inputs": len(rtl),
        "other_failures": [{"input": g.n, "ref": job.refs[g.n], "first": g.checks[0]}
                           for g in failures[1:20]],
        "expected_counters": {"cycles": gold.cycles, "wreads": int(gold.wreads[n]),
                              "macs": int(gold.macs[n]), "skips": int(gold.skips[n])},
        "reproduce": repro_commands(cfg, case_path),
        "case": str(case_path), "waves": None,
    }
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    render_report(path)
    return path


def _fmt_ref(ref: dict[str, Any]) -> str:
    if "dataset" in ref:
        return (f"{ref['dataset']} {ref['split']}/{ref['part']} example {ref['index']}: "
                f"record/file {ref['source']}, sample {ref['sample']}, annotation "
                f"{ref['annotation']} (class {ref['label']})")
    return ", ".join(f"{k} {v}" for k, v in ref.items())


def render_report(path: Path) -> Path:
    """(Re)write the Markdown twin of a mismatch report JSON; returns its path."""
    r = json.loads(Path(path).read_text())
    lines = [f"# Mismatch: {r['test']}", "",
             f"* run: `{r.get('run')}` (level {r['level']}, {r['simulator']}, seed {r['seed']}, "
             f"shard {r['shard']})",
             f"* job: {r['job']}; bundle `{r['bundle']['name']}` from {r['bundle']['origin']}",
             f"* input: {_fmt_ref(r['input'])} (input {r['input']['number_in_job']} of the job)",
             f"* valid pattern: {r['valid_pattern']['mode']} (p = {r['valid_pattern']['p']}/256, "
             f"LFSR {r['valid_pattern']['lfsr_at_start']}); load: {r['load']}",
             f"* failing inputs in this job: {r['failing_inputs']} of {r['inputs']}"]
    if r.get("fault"):
        f = r["fault"]
        lines.append(f"* injected fault: **{f['kind']}**: {f['description']} (expected to show "
                     f"at layer {f['layer']}, neuron {f['neuron']})")
    lines += ["", "## First divergence", ""]
    d = r.get("first_divergence")
    if d:
        lines.append(f"Compute cycle **{d['cycle']}**, layer **{d['layer']}**, neuron (output "
                     f"channel) **{d['neuron']}**, position {d['position']} (trace index "
                     f"{d['index']}), event {d['i']}:")
        lines.append("")
        lines.append(f"* expected: {d['expected']}")
        lines.append(f"* actual:   {d['actual']}")
        around = r.get("events_around") or {}
        if around.get("expected") is not None:
            lines += ["", "| event | expected (cycle, layer, index, value) | actual |",
                      "|---|---|---|"]
            lo = around["first"][0]
            exp, act = around["expected"], around["actual"]
            for j in range(max(len(exp), len(act))):
                e = exp[j] if j < len(exp) else "-"
                a = act[j] if j < len(act) else "-"
                mark = " **<-**" if lo + j == d["i"] else ""
                lines.append(f"| {lo + j} | {e} | {a}{mark} |")
    else:
        lines.append("The trace matched; other checks failed (below).")
    lines += ["", "## Failed checks", ""] + [f"* {c}" for c in r["checks"]]
    if r.get("other_failures"):
        lines += ["", "## Other failing inputs (first 20)", ""]
        lines += [f"* input {o['input']}: {_fmt_ref(o['ref'])}: {o['first']}"
                  for o in r["other_failures"]]
    lines += ["", "## Reproduce", ""]
    lines += [f"* {k}: `{v}`" for k, v in r["reproduce"].items()]
    lines += ["", "## Waves", ""]
    w = r.get("waves")
    if w:
        lines.append(f"* FST: `{w['fst']}` ({w['simulator']}, replay of this input alone; "
                     f"replay reproduced the divergence: {w['reproduced']})")
        lines.append(f"* window: compute cycles {w['cycles'][0]}..{w['cycles'][1]} = simulation "
                     f"time {w['time_ns'][0]}..{w['time_ns'][1]} ns (compute cycle 0 = absolute "
                     f"cycle {w['origin_cycle']}, clock {CLK_PERIOD_NS} ns)")
        if w.get("gtkw"):
            lines.append(f"* GTKWave save file (opens at the window): `{w['gtkw']}`")
    else:
        lines.append("No waves were recorded for this report (the replay runs for the first "
                     "reports of a run; use the input_waves command above).")
    md = Path(path).with_suffix(".md")
    md.write_text("\n".join(lines) + "\n")
    return md


def wave_window(first_cycle: int, origin_abs: int,
                width: int = WAVE_WINDOW) -> tuple[list[int], list[int]]:
    """(compute-cycle range, simulation-time range in ns) of the window around a divergence.

    Compute cycle c is absolute cycle origin + c, which ends at the rising edge at
    CLK/2 + CLK·(origin + c) ns; the window shows whole cycles.
    """
    c0, c1 = first_cycle - width, first_cycle + width
    t0 = CLK_PERIOD_NS // 2 + CLK_PERIOD_NS * (origin_abs + c0 - 1)
    t1 = CLK_PERIOD_NS // 2 + CLK_PERIOD_NS * (origin_abs + c1)
    return [c0, c1], [max(0, t0), t1]


def write_gtkw(path: Path, fst: Path, t0_ns: int, t1_ns: int) -> Path:
    """A GTKWave save file that opens ``fst`` on the window with the trace port and stream."""
    sigs = ["top_harness.clk", "top_harness.in_valid", "top_harness.in_ready",
            "top_harness.trace_valid", "top_harness.trace_layer[2:0]",
            "top_harness.trace_index[11:0]", "top_harness.trace_value[31:0]",
            "top_harness.irq", "top_harness.u_top.u_ctrl.state_q"]
    lines = [f'[dumpfile] "{fst}"', f"[timestart] {t0_ns * 1000}",
             f"*{math.log2(max(1, (t1_ns - t0_ns) * 1000) / 1000):.6f} {t0_ns * 1000} "
             f"{t1_ns * 1000}", "@28"] + sigs[:4] + ["@22"] + sigs[4:]
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# timing


def timeout_cycles(bundle: Bundle) -> int:
    """Cycles the harness waits for the load and for the compute of one inference."""
    nbytes = bundle.in_channels * bundle.in_length
    return 2 * total_cycles(bundle) + 100 * nbytes + 2000


# ---------------------------------------------------------------------------------------------
# running simulations (pytest / make side)


@dataclass
class SimRun:
    """Result of one simulator invocation."""

    name: str
    sim: str
    ok: bool
    tests: int
    failed: int
    seconds: float
    log: Path
    junit: Path
    stats: dict[str, Any] | None = None
    error: str = ""


def _ensure_path() -> None:
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


def coverage_on() -> bool:
    """SPARROW_COVERAGE=1: Verilator line/toggle coverage build (docs/regression.md)."""
    return os.environ.get("SPARROW_COVERAGE", "0") == "1"


def build_dir(sim: str, waves: bool = False, coverage: bool = False) -> Path:
    """Build directory of one configuration of the harness."""
    tag = sim + ("-cov" if coverage else "") + ("-waves" if waves else "")
    return SIM_BUILD / tag


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(sim: str, waves: bool = False, coverage: bool | None = None,
          log: Path | None = None) -> Path:
    """Build the harness for ``sim`` (once; concurrent callers wait on a lock); returns the
    build directory. Verilator gets --timing and optimisation, plus --coverage when
    SPARROW_COVERAGE=1 (or ``coverage``), and --trace-fst with ``waves``."""
    from cocotb_tools.runner import get_runner

    _ensure_path()
    coverage = coverage_on() if coverage is None else coverage
    bdir = build_dir(sim, waves, coverage and sim == "verilator")
    args: list[str] = []
    if sim == "verilator":
        args += VERILATOR_ARGS
        if coverage:
            args += ["--coverage", "--coverage-underscore"]
        if waves:
            args += ["--trace-fst", "--trace-structs"]
    if log is None:
        log = REGRESS_DIR / "logs" / f"build-{bdir.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with _locked(bdir.with_suffix(".lock")):
        runner = get_runner(sim)
        runner.build(sources=[REPO_ROOT / "rtl" / f for f in RTL_FILES] + [HARNESS_V],
                     includes=[REPO_ROOT / "rtl"],
                     hdl_toplevel="top_harness", build_dir=bdir, build_args=args,
                     timescale=("1ns", "1ps"), waves=waves, log_file=log)
    return bdir


def run_sim(sim: str, name: str, test: str, env: dict[str, str], *, waves: bool = False,
            wave_file: Path | None = None, seed: int | None = None, quiet: bool = True,
            progress: bool = False, keep_failed: bool = True) -> SimRun:
    """Run one cocotb test of tb/top/test_top.py on a fresh working directory.

    The log goes to reports/regress/logs/<name>.log (``progress`` echoes the regression's
    progress lines while it runs); JUnit to reports/junit/top-<name>.xml.
    """
    from cocotb_tools.runner import get_results, get_runner

    _ensure_path()
    coverage = coverage_on() and sim == "verilator"
    logs = REGRESS_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    log.unlink(missing_ok=True)
    bdir = build(sim, waves=waves, coverage=coverage)
    test_dir = SIM_BUILD / "runs" / f"{name}-{os.getpid()}"   # unique per invocation
    shutil.rmtree(test_dir, ignore_errors=True)
    test_dir.mkdir(parents=True)
    JUNIT_DIR.mkdir(parents=True, exist_ok=True)
    junit = JUNIT_DIR / f"top-{name}.xml"
    plusargs: list[str] = []
    test_args: list[str] = []
    if waves and wave_file is not None:
        if sim == "icarus":
            plusargs.append(f"+dumpfile_path={wave_file}")
        else:
            test_args += ["--trace-file", str(wave_file)]
    if coverage:
        dat = REPORTS / "coverage" / "dat" / f"top-{name}.dat"
        dat.parent.mkdir(parents=True, exist_ok=True)
        plusargs.append(f"+verilator+coverage+file+{dat}")
    for p in (str(REPO_ROOT), str(TOP_DIR)):      # the runner passes sys.path to the sim
        if p not in sys.path:
            sys.path.insert(0, p)
    full_env = {"COCOTB_REWRITE_ASSERTION_FILES": "test_*.py", "SPARROW_RUN_NAME": name, **env}
    runner = get_runner(sim)
    stop = threading.Event()
    tail = threading.Thread(target=_tail, args=(log, stop, name), daemon=True)
    if progress:
        tail.start()
    t0 = time.time()
    error = ""
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)   # keep the runner from sys.exit()ing
    try:
        runner.test(test_module="test_top", hdl_toplevel="top_harness",
                    hdl_toplevel_lang="verilog", build_dir=bdir,
                    test_dir=test_dir, results_xml=str(junit), test_filter=rf"(^|\.){test}$",
                    extra_env=full_env, seed=seed, waves=waves, plusargs=plusargs,
                    test_args=test_args, timescale=("1ns", "1ps"), log_file=log)
    except (RuntimeError, SystemExit) as exc:
        error = f"simulator exited abnormally: {exc}"
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
        stop.set()
    seconds = time.time() - t0
    if progress:
        tail.join(timeout=2)
    tests = failed = 0
    try:
        tests, failed = get_results(junit)
    except (RuntimeError, OSError, ET.ParseError) as exc:
        error = error or f"no results: {exc}"
    stats_path = REGRESS_DIR / f"{name}.json"
    stats = json.loads(stats_path.read_text()) if stats_path.is_file() else None
    ok = not error and tests > 0 and failed == 0
    if ok or not keep_failed:
        shutil.rmtree(test_dir, ignore_errors=True)       # kept after a failure, for debugging
    if not quiet and not ok:
        sys.stdout.write(_log_tail(log))
    return SimRun(name, sim, ok, tests, failed, seconds, log, junit, stats, error)


def _tail(log: Path, stop: threading.Event, name: str) -> None:
    """Echo the regression's progress lines of a running simulation."""
    pos = 0
    pat = re.compile(r"(sparrow\.tb\.top\S*\s+)(.*)$")
    while True:
        done = stop.is_set()
        if log.exists():
            with open(log, "rb") as fh:
                fh.seek(pos)
                data = fh.read()
            cut = data.rfind(b"\n") + 1
            pos += cut
            for line in data[:cut].decode(errors="replace").splitlines():
                m = pat.search(line)
                if m:
                    print(f"[{name}] {m.group(2)}", flush=True)
        if done:
            return
        time.sleep(1.0)


def _log_tail(log: Path, n: int = 40) -> str:
    if not log.exists():
        return ""
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(lines[-n:]) + "\n"


def replay(case_path: Path, sim: str, waves: bool = True, name: str | None = None) -> dict:
    """Rerun one input of a mismatch case alone (same bundle, load, fault, valid gaps); with
    ``waves`` record an FST. Returns the replay result (divergence, wave window)."""
    case_path = Path(case_path)
    name = name or safe_name(f"replay-{case_path.stem.removesuffix('.case')}-{sim}")
    wave_dir = MISMATCH_DIR / "waves"
    wave_dir.mkdir(parents=True, exist_ok=True)
    fst = wave_dir / f"{case_path.stem.removesuffix('.case')}-{sim}.fst"
    out = REGRESS_DIR / f"{name}.replay.json"
    out.unlink(missing_ok=True)
    run = run_sim(sim, name, "test_replay", {"SPARROW_REPLAY": str(case_path),
                                             "SPARROW_REPLAY_OUT": str(out)},
                  waves=waves, wave_file=fst if waves else None, keep_failed=False)
    if not out.is_file():
        raise RuntimeError(f"replay of {case_path} produced no result (log: {run.log})")
    res = json.loads(out.read_text())
    if waves and fst.is_file():
        res["fst"] = str(fst)
        if res.get("window"):
            res["gtkw"] = str(write_gtkw(fst.with_suffix(".gtkw"), fst, *res["window"]["time_ns"]))
    return res


def attach_waves(report_path: Path, sim: str) -> dict | None:
    """Replay the first failing input of a report with waves and add the wave window to it."""
    r = json.loads(report_path.read_text())
    res = replay(Path(r["case"]), sim, waves=True)
    if res.get("fst") and res.get("window"):
        r["waves"] = {"simulator": sim, "fst": res["fst"], "gtkw": res.get("gtkw"),
                      "reproduced": res["reproduced"], **res["window"]}
        report_path.write_text(json.dumps(r, indent=1) + "\n")
        render_report(report_path)
    return res


# ---------------------------------------------------------------------------------------------
# levels, JUnit merge, summary


@dataclass
class LevelResult:
    """Outcome of :func:`run_level` for one simulator."""

    level: str
    sim: str
    ok: bool
    seconds: float
    runs: list[SimRun]
    reports: list[Path]
    message: str = ""


def run_level(level: str, sim: str, *, seed: int = DEFAULT_SEED, fault: str | None = None,
              shards: int = 1, waves: bool = True, max_wave_replays: int = 2,
              progress: bool = False, name: str | None = None,
              extra_env: dict[str, str] | None = None) -> LevelResult:
    """Run a regression level on one simulator in ``shards`` parallel simulations, attach waves
    to the first mismatch reports, and return the outcome (also in reports/regress/)."""
    base = name or safe_name(f"{level}-{sim}" + (f"-{fault}" if fault else ""))
    t0 = time.time()
    build(sim)                                   # once, before the shards share it
    runs: list[SimRun] = []
    names = [base if shards == 1 else f"{base}-shard{k}" for k in range(shards)]
    for n in names:
        (REGRESS_DIR / f"{n}.json").unlink(missing_ok=True)
        for old in MISMATCH_DIR.glob(f"{n}-*"):
            if old.is_file():
                old.unlink()

    def one(k: int) -> None:
        env = {"SPARROW_REGRESS_LEVEL": level, "SPARROW_REGRESS_SEED": str(seed),
               "SPARROW_REGRESS_SHARD": f"{k}/{shards}", "SPARROW_REGRESS_SIM": sim,
               **({"SPARROW_FAULT": fault} if fault else {}), **(extra_env or {})}
        try:
            runs.append(run_sim(sim, names[k], "test_regress", env, seed=seed,
                                progress=progress, keep_failed=not fault))
        except Exception as exc:  # noqa: BLE001 - reported as a failed run
            runs.append(SimRun(names[k], sim, False, 0, 0, 0.0, REGRESS_DIR / "logs" /
                               f"{names[k]}.log", JUNIT_DIR / f"top-{names[k]}.xml",
                               error=f"{type(exc).__name__}: {exc}"))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(shards)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs.sort(key=lambda r: r.name)
    reports: list[Path] = []
    for r in runs:
        if r.stats:
            reports += [Path(p) for p in r.stats.get("reports", [])]
    if waves:
        for rp in reports[:max_wave_replays]:
            try:
                attach_waves(rp, sim)
            except Exception as exc:  # noqa: BLE001 - a failed replay must not hide the report
                print(f"waves for {rp.name} failed: {exc}", file=sys.stderr)
    ok = len(runs) == shards and all(r.ok for r in runs)
    msgs = []
    for r in runs:
        if not r.ok:
            msgs.append(f"{r.name}: {r.error or f'{r.failed} of {r.tests} cocotb tests failed'}"
                        f" (log {r.log})")
    for rp in reports[:5]:
        rr = json.loads(rp.read_text())
        d = rr.get("first_divergence")
        where = (f"layer {d['layer']} neuron {d['neuron']} cycle {d['cycle']}" if d else
                 rr["checks"][0])
        msgs.append(f"mismatch report {rp.relative_to(REPO_ROOT)}: {where}")
    return LevelResult(level, sim, ok, time.time() - t0, runs, reports, "\n".join(msgs))


def merge_junit(out: Path = REPORTS / "results.xml", src: Path = JUNIT_DIR) -> Path:
    """Merge every JUnit file under ``src`` into one ``<testsuites>`` document."""
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in sorted(src.glob("*.xml")):
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            continue
        r = tree.getroot()
        suites = [r] if r.tag == "testsuite" else list(r.iter("testsuite"))
        for s in suites:
            s.set("file", path.name)
            cases = list(s.iter("testcase"))
            s.set("tests", str(len(cases)))
            fails = sum(1 for c in cases if c.find("failure") is not None)
            errs = sum(1 for c in cases if c.find("error") is not None)
            skips = sum(1 for c in cases if c.find("skipped") is not None)
            s.set("failures", str(fails))
            s.set("errors", str(errs))
            s.set("skipped", str(skips))
            totals["tests"] += len(cases)
            totals["failures"] += fails
            totals["errors"] += errs
            totals["skipped"] += skips
            root.append(s)
    for k, v in totals.items():
        root.set(k, str(v))
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out


def write_summary(results: list[LevelResult], out: Path = REPORTS / "summary.md",
                  junit: Path | None = None) -> Path:
    """One-page Markdown summary of regression levels (and the merged JUnit totals)."""
    lines = ["# SparrowSNN verification summary", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M:%S')} by `scripts/regress.py`.", "",
             "## Top-level RTL regression", "",
             "| level | simulator | result | inputs | bundles | mismatching inputs | wall (s) | "
             "simulator CPU (s) |", "|---|---|---|---|---|---|---|---|"]
    job_rows = []
    for res in results:
        n_in = n_b = n_bad = 0
        cpu = 0.0
        for r in res.runs:
            st = r.stats or {}
            cpu += st.get("cpu_seconds", 0.0)
            n_in += st.get("inputs", 0)
            n_b += st.get("jobs", 0)
            n_bad += st.get("failing_inputs", 0)
            for j in st.get("job_stats", []):
                if j.get("kind") == "real":
                    job_rows.append((res.sim, j))
        lines.append(f"| {res.level} | {res.sim} | {'PASS' if res.ok else 'FAIL'} | {n_in} | "
                     f"{n_b} | {n_bad} | {res.seconds:.0f} | {cpu:.0f} |")
    if job_rows:
        lines += ["", "## Real data through the RTL", "",
                  "| simulator | job | bundle | inputs | RTL accuracy | golden accuracy | "
                  "RTL = golden (class) | cycles / inference |",
                  "|---|---|---|---|---|---|---|---|"]
        for sim, j in job_rows:
            acc = "-" if j.get("accuracy_rtl") is None else f"{100 * j['accuracy_rtl']:.2f} %"
            gacc = "-" if j.get("accuracy_golden") is None else \
                f"{100 * j['accuracy_golden']:.2f} %"
            lines.append(f"| {sim} | {j['name']} | {j['bundle']} | {j['inputs']} | {acc} | "
                         f"{gacc} | {j['agree']}/{j['inputs']} | "
                         f"{', '.join(f'{c:,}' for c in j['cycles'])} |")
    reports = [p for res in results for p in res.reports]
    lines += ["", "## Mismatch reports", ""]
    if reports:
        for p in reports:
            rr = json.loads(p.read_text())
            d = rr.get("first_divergence")
            where = (f"layer {d['layer']}, neuron {d['neuron']}, cycle {d['cycle']}" if d
                     else rr["checks"][0])
            lines.append(f"* [{p.name}]({p.relative_to(REPORTS).with_suffix('.md')}): {where}")
    else:
        lines.append("None.")
    if junit is not None and junit.is_file():
        r = ET.parse(junit).getroot()
        lines += ["", "## All JUnit results (`reports/results.xml`)", "",
                  f"{r.get('tests')} test cases, {r.get('failures')} failures, "
                  f"{r.get('errors')} errors, {r.get('skipped')} skipped, from "
                  f"{len(list(r.iter('testsuite')))} suites (every file of reports/junit/)."]
    out.write_text("\n".join(lines) + "\n")
    return out


__all__ = [
    "ECG_CLASSES", "ECG_CYCLE_BUDGET", "ECG_DEFAULT_LAYERS", "Fault", "Failure", "Golden", "Job",
    "LevelResult", "RtlBatch", "SimRun", "batch_from_rows", "build", "compare", "corner_report",
    "default_bundle", "divergence", "golden_batch", "make_plan", "merge_junit", "random_jobs",
    "render_report", "replay", "run_level", "run_sim", "timeout_cycles", "write_report",
    "write_summary",
]
