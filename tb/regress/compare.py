"""Golden expectations of a batch and their comparison with the RTL's results.

:func:`golden_batch` computes, with one batched golden inference, every trace event, counter,
class and logit the RTL must produce; :func:`batch_from_rows` turns the harness's files into an
:class:`RtlBatch`; :func:`compare` checks every inference and returns one :class:`Failure` per
input that differs, with its first diverging event (:func:`divergence`). No simulator needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from golden.bundle import Bundle
from golden.model import infer
from golden.timing import counters_batch, layer_cycles, total_cycles, write_schedule
from tb.core import first_divergence
from tb.faults import neuron_of

ST_DONE = 2
N_CLASS_REGS = 16
EVENT_CONTEXT = 5             # events shown before / after the first divergence


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
# timing


def timeout_cycles(bundle: Bundle) -> int:
    """Cycles the harness waits for the load and for the compute of one inference."""
    nbytes = bundle.in_channels * bundle.in_length
    return 2 * total_cycles(bundle) + 100 * nbytes + 2000

