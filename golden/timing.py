"""Cycle schedule, trace events and counters of docs/architecture.md §7, from the formulas.

Per layer: SETUP (1 cycle); then for each group g, for each output position t, a block of
``4 + n(t) + a(g)`` cycles (INIT, n(t) TAP, 2 DRAIN, FIRE, a(g) WRITE) where n(t) counts the
taps that are not in the padding and a(g) the active lanes of the group. Output (o = 8g + m, t)
is written (trace event) in the m-th WRITE cycle of its block. Cycle 0 is the cycle after the
last input byte is accepted. The schedule depends on shapes only; the counters on the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle, valid_tap_mask

SETUP = 1
INIT = 1
DRAIN = 2
FIRE = 1
BLOCK_OVERHEAD = INIT + DRAIN + FIRE      # the 4 of 4 + n(t) + a(g)


@dataclass
class Trace:
    """Schedule of one inference."""

    events: np.ndarray     # (E, 4) int64: cycle, layer, index, value (cycle order)
    cycles: int            # busy cycles (done rises in cycle `cycles`)
    counters: dict         # {'wreads', 'macs', 'skips'}: ints


def taps_per_position(layer: Layer) -> np.ndarray:
    """n(t): taps issued for output position t (Cin x kernel offsets not in the padding)."""
    if layer.kind == "dense":
        return np.array([layer.in_ch], dtype=np.int64)
    return layer.in_ch * valid_tap_mask(layer).sum(axis=1).astype(np.int64)


def active_lanes(layer: Layer) -> np.ndarray:
    """a(g) = min(lanes, Cout - lanes*g) for each group g."""
    g = np.arange(layer.groups)
    return np.minimum(layer.lanes, layer.out_ch - layer.lanes * g).astype(np.int64)


def layer_cycles(layer: Layer) -> int:
    """C = 1 + G * sum_t (4 + n(t)) + Cout * Lout."""
    n = taps_per_position(layer)
    return int(SETUP + layer.groups * int((BLOCK_OVERHEAD + n).sum())
               + layer.out_ch * layer.out_len)


def layer_starts(bundle: Bundle) -> np.ndarray:
    """B_l: first cycle (SETUP) of each layer, B_0 = 0."""
    c = np.array([layer_cycles(L) for L in bundle.layers], dtype=np.int64)
    return np.concatenate([[0], np.cumsum(c)[:-1]]).astype(np.int64)


def total_cycles(bundle: Bundle | dict) -> int:
    """Compute cycles of one inference: sum of the layers' C."""
    bundle = load_bundle(bundle)
    return int(sum(layer_cycles(L) for L in bundle.layers))


def blocks(layer: Layer, start: int = 0) -> np.ndarray:
    """(G*Lout, 5) int64 rows (g, t, init_cycle, n(t), a(g)) in execution order; the layer's
    SETUP cycle is ``start``."""
    n = taps_per_position(layer)
    a = active_lanes(layer)
    G, Lout = layer.groups, layer.out_len
    g = np.repeat(np.arange(G), Lout)
    t = np.tile(np.arange(Lout), G)
    nn = np.tile(n, G)
    aa = np.repeat(a, Lout)
    length = BLOCK_OVERHEAD + nn + aa
    init = start + SETUP + np.concatenate([[0], np.cumsum(length)[:-1]])
    return np.stack([g, t, init, nn, aa], axis=1).astype(np.int64)


def write_schedule(layer: Layer, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(cycles, indices) of every output write of the layer, in cycle order.

    Output (o = 8g + m, t) is written at init(g, t) + 4 + n(t) + m; its index is o*Lout + t.
    """
    b = blocks(layer, start)
    g, t, init, n, a = b.T
    m_max = layer.lanes
    m = np.arange(m_max)[None, :]
    keep = m < a[:, None]
    cyc = (init + BLOCK_OVERHEAD + n)[:, None] + m
    o = g[:, None] * layer.lanes + m
    idx = o * layer.out_len + t[:, None]
    return cyc[keep].astype(np.int64), idx[keep].astype(np.int64)


def block_taps(layer: Layer, g: int, t: int) -> np.ndarray:
    """(n(t), 3) int64 rows (input_index, weight_word, k) of the taps of block (g, t) in issue
    order: input index into the layer's input buffer (c*Lin + l; dense j) and absolute weight
    word address (docs §5)."""
    if layer.kind == "dense":
        j = np.arange(layer.in_ch)
        return np.stack([j, layer.w_base + g * layer.in_ch + j, np.zeros_like(j)],
                        axis=1).astype(np.int64)
    k = np.arange(layer.kernel)
    pos = t * layer.stride + k - layer.padding
    ok = (pos >= 0) & (pos < layer.in_len)
    k, pos = k[ok], pos[ok]
    i = np.repeat(np.arange(layer.in_ch), k.size)
    kk = np.tile(k, layer.in_ch)
    pp = np.tile(pos, layer.in_ch)
    word = layer.w_base + (g * layer.in_ch + i) * layer.kernel + kk
    return np.stack([i * layer.in_len + pp, word, kk], axis=1).astype(np.int64)


def tap_multiplicity(layer: Layer) -> np.ndarray:
    """(in_len,) how many (t, k) taps of one input channel read input position l."""
    if layer.kind == "dense":
        return np.ones(layer.in_ch, dtype=np.int64)
    t = np.arange(layer.out_len)[:, None]
    k = np.arange(layer.kernel)[None, :]
    pos = (t * layer.stride + k - layer.padding)
    pos = pos[valid_tap_mask(layer)]
    return np.bincount(pos, minlength=layer.in_len).astype(np.int64)


def _layer_counters(layer: Layer, xin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counters of one layer for a batch of inputs xin (N, in_size) -> (wreads, macs, skips)."""
    n = xin.shape[0]
    nz = (xin.reshape(n, -1) != 0)
    if layer.kind == "dense":
        nz_taps = nz.sum(axis=1).astype(np.int64)
    else:
        mult = tap_multiplicity(layer)
        nz_taps = nz.reshape(n, layer.in_ch, layer.in_len).astype(np.int64) @ mult
        nz_taps = nz_taps.sum(axis=1)
    all_taps = int(taps_per_position(layer).sum())
    wreads = layer.groups * nz_taps
    macs = layer.out_ch * nz_taps
    skips = layer.groups * (all_taps - nz_taps)
    return wreads, macs, skips


def counters_batch(bundle: Bundle | dict, x: np.ndarray, outputs: list[np.ndarray] | None
                   = None) -> dict[str, np.ndarray]:
    """{'wreads', 'macs', 'skips'}: (N,) int64 counters of docs §7 for each input of x.

    ``outputs`` (per-layer outputs of golden.model.infer on x) avoids recomputing them.
    """
    from golden.model import infer

    bundle = load_bundle(bundle)
    if outputs is None:
        outputs = infer(bundle, x).outputs
    n = x.shape[0]
    tot = {k: np.zeros(n, dtype=np.int64) for k in ("wreads", "macs", "skips")}
    xin = x.reshape(n, -1)
    for layer, out in zip(bundle.layers, outputs):
        w, m, s = _layer_counters(layer, xin)
        tot["wreads"] += w
        tot["macs"] += m
        tot["skips"] += s
        xin = out.reshape(n, -1)
    return tot


def trace(bundle: Bundle | dict, x1: np.ndarray) -> Trace:
    """Events, cycles and counters of one inference of x1 (uint8, (C0, L0))."""
    from golden.model import infer

    bundle = load_bundle(bundle)
    x1 = np.asarray(x1)
    if x1.ndim != 2:
        raise ValueError(f"trace: x1 must have shape (C0, L0), got {x1.shape}")
    res = infer(bundle, x1[None])
    start = 0
    parts = []
    for li, (layer, out) in enumerate(zip(bundle.layers, res.outputs)):
        cyc, idx = write_schedule(layer, start)
        vals = out.reshape(-1)[idx]
        parts.append(np.stack([cyc, np.full_like(cyc, li), idx, vals], axis=1))
        start += layer_cycles(layer)
    events = np.concatenate(parts).astype(np.int64)
    cnt = counters_batch(bundle, x1[None], res.outputs)
    return Trace(events=events, cycles=int(start),
                 counters={k: int(v[0]) for k, v in cnt.items()})
