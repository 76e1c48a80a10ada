"""A fair integrate-and-fire (IF) baseline: the same trained weights as an IF network, integer
exact, with its accuracy and its event counts on the same datapath as SSF.

Conversion (docs/energy-model.md §IF). A SSF layer with input levels T_in and own levels T_out
computes y = clip(floor((b + Σ W·c) / θ), 0, T_out) on input counts c = T_in·a (a ∈ [0, 1]). Its
IF counterpart runs ``t_sim`` timesteps on spike trains of rate a and keeps a membrane V scaled
by T_in, so that everything stays integer:

    V(0) = v0·θ·T_out;  each step: V += T_in·Σ W·s(t) + b;  if V ≥ θ·T_out: spike, V -= θ·T_out

(reset by subtraction, at most one spike per step). Its rate n/t_sim then approximates
acc/(θ·T_out) without SSF's floor, and the next layer sees a spike train of that rate; a bias
shift of −θ/2 (``bias_shift=-0.5``) makes the rate estimate floor(acc/θ)/T_out on average. An activation ``none`` last layer integrates
only; its logits are V(t_sim) ≈ t_sim × the SSF logits. Input encodings of layer 0 (T_in = 255):

* ``rate``: x ∈ 0..255 becomes the evenly spaced train s(t) = ⌊(t+1)x/255⌋ − ⌊tx/255⌋
  (⌊t_sim·x/255⌋ spikes), a pure IF network end to end;
* ``direct``: layer 0 receives the 8-bit value every step (current W·x + b each step), the usual
  analog first layer of converted SNNs; its weights are read at every step.

Event counts follow the hardware schedule of docs/architecture.md §7 run once per timestep
(every tap walked, zero inputs skipped: one weight-word read and a(g) MACs per non-zero tap,
bias and θ read and a fire per block, one output write per neuron), so they price with the same
per-event energies as SSF (:mod:`silicon.energyfit`). The IF membranes (one 32-bit word per
neuron, read and written every step) are counted separately as ``membrane_accesses``; the
default energy leaves them out, which favours IF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle
from golden.timing import layer_cycles, tap_multiplicity, taps_per_position
from silicon.events import EVENTS

INPUT_LEVELS = 255
ENCODINGS = ("rate", "direct")


@dataclass
class IfResult:
    """One IF run on a batch."""

    classes: np.ndarray                 # (N,) int64
    logits: np.ndarray                  # (N, n_classes) int64 (V at the end, or spike counts)
    events: dict[str, np.ndarray]       # silicon.events names + membrane_accesses, (N,) int64
    counts: list[np.ndarray]            # per-layer spike counts over the run (N, out_size)


def rate_spikes(x: np.ndarray, t: int) -> np.ndarray:
    """Spikes at step t (0-based) of the evenly spaced rate code of x ∈ 0..255 (int64 0/1)."""
    x = np.asarray(x, dtype=np.int64)
    return (t + 1) * x // INPUT_LEVELS - t * x // INPUT_LEVELS


def _torch_weights(layer: Layer) -> "torch.Tensor":
    """Weights as a float32 tensor: (O, Cin, K) for conv1d, (O, F) for dense."""
    import torch

    w = layer.weights3 if layer.kind == "conv1d" else layer.weights
    return torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))


def _current(layer: Layer, s: "torch.Tensor", w: "torch.Tensor") -> "torch.Tensor":
    """Σ W·s (no bias) of input s (N, in_size) as float64 (N, out_size).

    The products run in float32, exact: s is a spike (0/1) or an 8-bit value and every partial
    sum is an integer of magnitude below 2^24 (checked by :func:`_check_exact`), so no summation
    order can round.
    """
    import torch.nn.functional as F

    n = s.shape[0]
    s32 = s.to(dtype=w.dtype)
    if layer.kind == "dense":
        acc = s32 @ w.T
    else:
        acc = F.conv1d(s32.reshape(n, layer.in_ch, layer.in_len), w, stride=layer.stride,
                       padding=layer.padding)
    return acc.reshape(n, -1).double()


def _check_exact(layer: Layer, xmax: int) -> None:
    """Refuse a layer whose float32 partial sums could exceed 2^24 for inputs up to xmax."""
    bound = xmax * int(np.abs(layer.weights3.reshape(layer.out_ch, -1)).sum(axis=1).max())
    if bound >= 1 << 24:
        raise ValueError(f"if_infer: {layer.label} partial sums may reach {bound} >= 2^24")


def _nz_taps(layer: Layer, c: np.ndarray) -> np.ndarray:
    """Σ over the run of non-zero taps walked by one group, from per-input counts c (N, in_size)
    of the steps at which each input value was non-zero: (N,) int64."""
    n = c.shape[0]
    if layer.kind == "dense":
        return c.sum(axis=1).astype(np.int64)
    mult = tap_multiplicity(layer).astype(np.float64)
    per = c.reshape(n, layer.in_ch, layer.in_len).astype(np.float64) @ mult
    return np.rint(per.sum(axis=1)).astype(np.int64)


def _levels_in(bundle: Bundle, li: int) -> int:
    """T_in of layer li: 255 for the 8-bit input, else the previous layer's T."""
    return INPUT_LEVELS if li == 0 else int(bundle.layers[li - 1].T)


def if_infer(bundle: Bundle | dict | str, x: np.ndarray, t_sim: int, encoding: str = "rate",
             v0: float = 0.0, bias_shift: float = 0.0, chunk: int = 4096) -> IfResult:
    """Run the IF network for ``t_sim`` steps on x (uint8 (N, C0, L0)), in chunks of inputs.

    ``v0``: initial membrane in units of the threshold θ·T_out. ``bias_shift``: added to every
    SSF layer's bias in units of θ (floor(shift·θ), an integer): −0.5 turns the IF rate, which
    approximates acc/θ without the floor, into an estimate of floor(acc/θ) on average.
    """
    bundle = load_bundle(bundle)
    if encoding not in ENCODINGS:
        raise ValueError(f"if_infer: encoding must be one of {ENCODINGS}, got {encoding!r}")
    if t_sim < 1:
        raise ValueError("if_infer: t_sim must be >= 1")
    x = np.asarray(x)
    parts = [_if_chunk(bundle, x[i:i + chunk], t_sim, encoding, v0, bias_shift)
             for i in range(0, len(x), chunk)]
    cat = lambda k: np.concatenate([getattr(p, k) for p in parts])  # noqa: E731
    events = {k: np.concatenate([p.events[k] for p in parts]) for k in parts[0].events}
    counts = [np.concatenate([p.counts[i] for p in parts]) for i in range(len(bundle.layers))]
    return IfResult(cat("classes"), cat("logits"), events, counts)


def _if_chunk(bundle: Bundle, x: np.ndarray, t_sim: int, encoding: str, v0: float,
              bias_shift: float) -> IfResult:
    import torch

    n = x.shape[0]
    layers = bundle.layers
    last = len(layers) - 1
    ws = [_torch_weights(L) for L in layers]
    thr, bias, scale, v = [], [], [], []
    for li, L in enumerate(layers):
        direct = li == 0 and encoding == "direct"
        _check_exact(L, INPUT_LEVELS if direct else 1)
        scale.append(1 if direct else _levels_in(bundle, li))
        b = L.bias.astype(np.float64)
        if L.is_ssf:
            b = b + np.floor(bias_shift * L.theta.astype(np.float64))
        bias.append(torch.from_numpy(np.repeat(b, L.out_len))[None, :])
        if L.is_ssf:
            th = torch.from_numpy(np.repeat(L.theta.astype(np.float64) * int(L.T), L.out_len))
            thr.append(th[None, :])
            v.append(torch.floor(th * v0)[None, :].repeat(n, 1))
        else:
            thr.append(None)
            v.append(torch.zeros((n, L.out_size), dtype=torch.float64))
    counts = [torch.zeros((n, L.out_size), dtype=torch.float64) for L in layers]
    xin = x.reshape(n, -1).astype(np.int64)
    direct0 = (_current(layers[0], torch.from_numpy(xin), ws[0]) + bias[0]
               if encoding == "direct" else None)
    for t in range(t_sim):
        s = None if encoding == "direct" else torch.from_numpy(rate_spikes(xin, t))
        for li, L in enumerate(layers):
            if li == 0 and direct0 is not None:
                cur = direct0
            else:
                cur = scale[li] * _current(L, s, ws[li]) + bias[li]
            v[li] += cur
            if thr[li] is not None:
                fire = (v[li] >= thr[li]).double()
                v[li] -= fire * thr[li]
                counts[li] += fire
                s = fire
    cnt = [c.numpy().astype(np.int64) for c in counts]
    logits = cnt[last] if layers[last].is_ssf else np.rint(v[last].numpy()).astype(np.int64)
    classes = np.argmax(logits, axis=1).astype(np.int64)   # lowest index on ties
    return IfResult(classes, logits, _events(bundle, xin, cnt, t_sim, encoding), cnt)


def _events(bundle: Bundle, xin: np.ndarray, cnt: list[np.ndarray], t_sim: int,
            encoding: str) -> dict[str, np.ndarray]:
    """Event counts of the run: the §7 schedule once per timestep, priced per spike."""
    n = xin.shape[0]
    layers = bundle.layers
    last = len(layers) - 1
    ev = {k: np.zeros(n, dtype=np.int64) for k in (*EVENTS, "membrane_accesses")}
    c0, l0 = bundle.in_shape
    ev["load_cycles"] += len(layers) + c0 * l0
    ev["input_writes"] += c0 * l0
    if encoding == "direct":
        c_in = t_sim * (xin != 0).astype(np.int64)
    else:
        c_in = t_sim * xin // INPUT_LEVELS           # Σ_t rate_spikes(x, t)
    for li, L in enumerate(layers):
        nz = _nz_taps(L, c_in)
        taps = L.groups * int(taps_per_position(L).sum())
        blocks = L.groups * L.out_len
        ev["cycles"] += t_sim * layer_cycles(L)
        ev["wreads"] += L.groups * nz
        ev["macs"] += L.out_ch * nz
        ev["skips"] += t_sim * taps - L.groups * nz
        ev["act_reads"] += t_sim * taps
        ev["bias_reads"] += t_sim * blocks
        ev["theta_reads"] += t_sim * blocks
        ev["fires"] += t_sim * blocks
        ev["outputs"] += t_sim * L.out_size
        ev["membrane_accesses"] += 2 * t_sim * L.out_size
        ev["logit_writes" if li == last else "act_writes"] += t_sim * L.out_size
        c_in = cnt[li]
    return ev
