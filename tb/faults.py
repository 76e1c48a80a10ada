"""Fault injection for the top-level regression (``make regress FAULT=<kind>``).

A fault corrupts the core *after* the normal, correct load of a bundle, so that the regression
must catch it as a mismatch against the golden model and name where it happened:

* ``weight_bit``: one bit of one int8 weight flipped in the weight memory (an APB write of the
  32-bit half-word that holds it);
* ``threshold``: one output channel's θ replaced by a wrong value in the θ memory (APB write);
* ``stuck_valid``: the core's ``trace_valid`` output stuck at 1 from a chosen compute cycle of
  every inference (the harness's ``h_stuck_en`` hook forces the port as seen by the recorder).

:func:`choose_fault` picks a fault *site* from a seeded generator and keeps only sites whose
effect is visible on the given inputs (checked with the golden model on a corrupted copy of the
bundle); a weight or θ fault that no input can reveal would prove nothing. The layer and neuron
a report must name are then computed from the injection point alone, by the inverse memory map
(:func:`weight_word_owner`, :func:`group_owner`) or, for the stuck valid, from the schedule
(:func:`schedule_owner`: the output whose write is due next when the valid gets stuck).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from golden.bundle import Bundle, BundleError, load_bundle
from golden.hwimage import build_image, theta_addr, wmem_addr
from golden.model import infer

KINDS = ("weight_bit", "threshold", "stuck_valid")
MASK32 = 0xFFFF_FFFF


@dataclass
class Fault:
    """One injected fault and what a mismatch report must name."""

    kind: str
    layer: int                       # layer of the first diverging trace event
    neuron: int                      # its output channel
    description: str
    apb: list[list[int]] = field(default_factory=list)   # [address, data] writes after the load
    stuck_from: int | None = None    # stuck_valid: first compute cycle with valid stuck at 1
    site: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> "Fault":
        """Inverse of :meth:`to_dict`."""
        return Fault(**d)


# ---------------------------------------------------------------------------------------------
# inverse memory map and schedule


def weight_word_owner(bundle: Bundle, word: int, lane: int) -> tuple[int, int]:
    """(layer, output channel) whose weight sits in byte lane ``lane`` of weight word ``word``
    (docs §5: word w_base + (g·Cin + i)·K + k, or w_base + g·F + j; lane m: channel 8g + m)."""
    for layer in bundle.layers:
        if layer.w_base <= word < layer.w_base + layer.n_words:
            g = (word - layer.w_base) // (layer.in_ch * layer.kernel)
            channel = g * layer.lanes + lane
            if channel >= layer.out_ch:
                raise ValueError(f"weight word {word} lane {lane} is a padding lane of "
                                 f"layer {layer.index}")
            return layer.index, channel
    raise ValueError(f"weight word {word} is not used by the bundle")


def group_owner(bundle: Bundle, group: int, lane: int) -> tuple[int, int]:
    """(layer, output channel) of bias/θ group ``group``, lane ``lane`` (docs §5)."""
    for layer in bundle.layers:
        if layer.b_base <= group < layer.b_base + layer.groups:
            channel = (group - layer.b_base) * layer.lanes + lane
            if channel >= layer.out_ch:
                raise ValueError(f"group {group} lane {lane} is a padding lane of layer "
                                 f"{layer.index}")
            return layer.index, channel
    raise ValueError(f"group {group} is not used by the bundle")


def neuron_of(bundle: Bundle, layer: int, index: int) -> tuple[int, int]:
    """(output channel, position) of trace index ``index`` of ``layer`` (o·Lout + t; dense o)."""
    L = bundle.layers[layer]
    if L.kind == "dense":
        return index, 0
    return index // L.out_len, index % L.out_len


def schedule_owner(bundle: Bundle, events: np.ndarray, cycle: int) -> tuple[int, int, int]:
    """(layer, channel, event number) of the first scheduled trace event at or after ``cycle``
    (``events``: one inference's golden (E, 4) rows, cycle order)."""
    i = int(np.searchsorted(events[:, 0], cycle, side="left"))
    if i >= len(events):
        raise ValueError(f"no trace event is scheduled at or after compute cycle {cycle}")
    layer, index = int(events[i, 1]), int(events[i, 2])
    return layer, neuron_of(bundle, layer, index)[0], i


# ---------------------------------------------------------------------------------------------
# choosing a visible fault


def _visible(bundle: Bundle, faulty_raw: dict, x: np.ndarray, layer: int,
             channel: int) -> bool:
    """True when the corrupted bundle changes channel ``channel`` of ``layer`` on some input."""
    try:
        bad = load_bundle(faulty_raw)
    except BundleError:
        return False
    good = infer(bundle, x).outputs[layer]
    out = infer(bad, x).outputs[layer]
    return bool(np.any(good[:, channel] != out[:, channel]))


def _weight_fault(bundle: Bundle, x: np.ndarray, rng: np.random.Generator) -> Fault:
    img = build_image(bundle)
    for _ in range(400):
        li = int(rng.integers(0, len(bundle.layers)))
        L = bundle.layers[li]
        o = int(rng.integers(0, L.out_ch))
        i = int(rng.integers(0, L.in_ch))
        k = int(rng.integers(0, L.kernel))
        bit = int(rng.choice([7, 6, 5, 4, 3, 2, 1, 0], p=[.3, .25, .15, .1, .08, .05, .04, .03]))
        w_old = int(L.weights3[o, i, k])
        b8 = (w_old & 0xFF) ^ (1 << bit)
        w_new = b8 - 256 if b8 >= 128 else b8
        raw = copy.deepcopy(bundle.raw)
        lw = raw["layers"][li]["weights"]
        if L.kind == "conv1d":
            lw[o][i][k] = w_new
        else:
            lw[o][i] = w_new
        if not _visible(bundle, raw, x, li, o):
            continue
        g, m = divmod(o, L.lanes)
        word = L.w_base + (g * L.in_ch + i) * L.kernel + k
        half = m // 4
        data = (int(img.wmem[word]) >> (32 * half)) & MASK32
        data ^= 1 << (8 * (m % 4) + bit)
        layer, channel = weight_word_owner(bundle, word, m)      # from the address alone
        assert (layer, channel) == (li, o)
        return Fault(
            kind="weight_bit", layer=layer, neuron=channel,
            description=(f"weight memory word {word} (APB 0x{wmem_addr(word, bool(half)):04x}), "
                         f"byte lane {m}, bit {bit} flipped: weight {w_old} -> {w_new}"),
            apb=[[wmem_addr(word, bool(half)), data]],
            site={"word": word, "lane": m, "bit": bit, "half": half, "old": w_old,
                  "new": w_new, "input_channel": i, "tap": k})
    raise ValueError("no weight bit flip visible on these inputs was found")


def _threshold_fault(bundle: Bundle, x: np.ndarray, rng: np.random.Generator) -> Fault:
    ssf_layers = [L.index for L in bundle.layers if L.is_ssf]
    if not ssf_layers:
        raise ValueError("the bundle has no ssf layer: a threshold fault cannot show")
    for _ in range(400):
        li = int(rng.choice(ssf_layers))
        L = bundle.layers[li]
        o = int(rng.integers(0, L.out_ch))
        assert L.theta is not None
        th = int(L.theta[o])
        cands = [v for v in (th + 1, th - 1, 2 * th, th // 2, th + th // 3 + 1, 1, 65535)
                 if 1 <= v <= 65535 and v != th]
        new = int(rng.choice(cands))
        raw = copy.deepcopy(bundle.raw)
        raw["layers"][li]["activation"]["theta"][o] = new
        if not _visible(bundle, raw, x, li, o):
            continue
        g, m = divmod(o, L.lanes)
        group = L.b_base + g
        layer, channel = group_owner(bundle, group, m)            # from the address alone
        assert (layer, channel) == (li, o)
        return Fault(
            kind="threshold", layer=layer, neuron=channel,
            description=(f"theta memory group {group} lane {m} (APB 0x{theta_addr(group, m):04x})"
                         f" written {new} instead of {th}"),
            apb=[[theta_addr(group, m), new]],
            site={"group": group, "lane": m, "old": th, "new": new})
    raise ValueError("no threshold change visible on these inputs was found")


def _stuck_fault(bundle: Bundle, events: np.ndarray, rng: np.random.Generator) -> Fault:
    """Stuck valid from a cycle without a scheduled write, before the last write of a layer."""
    busy = set(int(c) for c in events[:, 0])
    for _ in range(400):
        li = int(rng.integers(0, len(bundle.layers)))
        rows = events[events[:, 1] == li]
        if not len(rows):
            continue
        lo, hi = int(rows[0, 0]) - 8, int(rows[-1, 0])
        c = int(rng.integers(max(0, lo), hi))
        if c in busy:
            continue
        layer, channel, _ = schedule_owner(bundle, events, c)     # from the schedule alone
        return Fault(
            kind="stuck_valid", layer=layer, neuron=channel, stuck_from=c,
            description=f"trace_valid stuck at 1 from compute cycle {c} of every inference",
            site={"cycle": c})
    raise ValueError("no cycle for a stuck-valid fault was found")


def choose_fault(kind: str, bundle: Bundle | dict, x: np.ndarray,
                 rng: np.random.Generator | int) -> Fault:
    """A fault of ``kind`` whose effect is visible on inputs ``x`` (N, C0, L0)."""
    from golden.timing import trace

    bundle = load_bundle(bundle)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if kind == "weight_bit":
        return _weight_fault(bundle, x, rng)
    if kind == "threshold":
        return _threshold_fault(bundle, x, rng)
    if kind == "stuck_valid":
        return _stuck_fault(bundle, trace(bundle, x[0]).events, rng)
    raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(KINDS)}")


def expected_site(fault: Fault, bundle: Bundle | dict,
                  events: np.ndarray | None = None) -> tuple[int, int]:
    """(layer, channel) recomputed from the fault's injection point only (for tests)."""
    bundle = load_bundle(bundle)
    if fault.kind == "weight_bit":
        return weight_word_owner(bundle, fault.site["word"], fault.site["lane"])
    if fault.kind == "threshold":
        return group_owner(bundle, fault.site["group"], fault.site["lane"])
    if fault.kind == "stuck_valid":
        if events is None:
            raise ValueError("stuck_valid needs the golden events of the input")
        layer, channel, _ = schedule_owner(bundle, events, int(fault.site["cycle"]))
        return layer, channel
    raise ValueError(f"unknown fault kind {fault.kind!r}")
