"""Reference-only T-timestep integrate-and-fire (IF) run of a bundle, to count what SSF saves.

Spec §2 "Reference only": soft reset, V(0) = 0, the bias added once per timestep as bias/T
(float), so this is not integer-exact and is never the deployed semantics. Conventions:

* All spiking layers run the same number of timesteps ``T_sim`` = the largest T of the bundle.
* Layer 0 takes the 8-bit input (the ANN half of the hybrid network) and is identical in both
  runs: its outputs are the SSF counts and its accesses are counted once, as in SSF.
* A count c feeding a spiking layer becomes a spike train with spikes in the *first c
  timesteps* (c <= T_sim) and none after.
* An IF neuron of a layer with levels T: each timestep V += sum_i W_i s_i(t) + bias / T_sim;
  if V >= theta and it has fired fewer than T spikes, it spikes and V -= theta (at most one
  spike per timestep). A layer with activation ``none`` integrates only; its logits are V at
  the end.
* Access counting uses the same granularity as the SSF datapath (docs §7): one weight-word read
  per (group, output position, tap) whose input spikes in that timestep (event-driven), and
  one lane accumulate per active lane. ``clock_driven`` counts every tap at every timestep.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle
from golden.model import conv1d, dense, infer
from golden.timing import _layer_counters, tap_multiplicity, taps_per_position


def _current(layer: Layer, s: np.ndarray) -> np.ndarray:
    """Integer weighted input of one timestep's spikes s (N, in_size) -> (N, O, Lout)."""
    n = s.shape[0]
    if layer.kind == "conv1d":
        z = np.zeros(layer.out_ch, np.int64)
        return conv1d(s.reshape(n, layer.in_ch, layer.in_len), layer.weights, z, layer.stride,
                      layer.padding)
    return dense(s, layer.weights, np.zeros(layer.out_ch, np.int64))[:, :, None]


def if_run(bundle: Bundle, x: np.ndarray) -> tuple[list[np.ndarray], int]:
    """Per-layer outputs of the IF network (counts as int64, last 'none' layer: float logits)
    and T_sim."""
    ssf_res = infer(bundle, x)
    t_sim = max(L.T for L in bundle.layers if L.T is not None) if any(
        L.is_ssf for L in bundle.layers) else 1
    n = x.shape[0]
    outs: list[np.ndarray] = [ssf_res.outputs[0].reshape(n, -1)]
    c = outs[0]
    for layer in bundle.layers[1:]:
        shape = (n, layer.out_ch, layer.out_len)
        v = np.zeros(shape)
        spikes = np.zeros(shape, dtype=np.int64)
        theta = layer.theta_or_ones.astype(np.float64)[None, :, None]
        b_step = (layer.bias.astype(np.float64) / t_sim)[None, :, None]
        cmax = int(c.max()) if c.size else 0
        zero_cur = None
        for tau in range(t_sim):
            if tau < cmax:
                cur = _current(layer, (c > tau).astype(np.int64))
            else:
                if zero_cur is None:
                    zero_cur = np.zeros(shape)
                cur = zero_cur
            v += cur + b_step
            if layer.is_ssf:
                fire = (v >= theta) & (spikes < layer.T)
                spikes += fire
                v -= fire * theta
        if layer.is_ssf:
            c = spikes.reshape(n, -1)
            outs.append(c)
        else:
            outs.append(v.reshape(n, -1))
    return outs, t_sim


def _if_counts(layer: Layer, counts: np.ndarray, t_sim: int) -> dict[str, int]:
    """Event-driven and clock-driven IF accesses of a spiking layer fed with counts."""
    n = counts.shape[0]
    if layer.kind == "dense":
        spikes = counts.reshape(n, -1).sum(axis=1)
    else:
        spikes = counts.reshape(n, layer.in_ch, layer.in_len) @ tap_multiplicity(layer)
        spikes = spikes.sum(axis=1)
    total = int(spikes.sum())
    taps = int(taps_per_position(layer).sum())
    return {"wreads": layer.groups * total, "accs": layer.out_ch * total,
            "wreads_clock_driven": t_sim * layer.groups * taps * n,
            "accs_clock_driven": t_sim * layer.out_ch * taps * n}


def compare(bundle: Bundle | dict | str | Path, x: np.ndarray) -> dict:
    """Weight reads and accumulates of SSF vs the IF baseline on inputs x (uint8 (N, C0, L0)).

    Returns totals over the batch: 'ssf' (wreads, macs), 'if' (the IF run's own activity:
    wreads, accs, and the clock-driven variants), 'if_same_activity' (the IF access pattern fed
    with SSF's counts, a like-for-like comparison), per-layer lists, the read-saving factors and
    the fraction of inputs whose IF class equals the SSF class.
    """
    bundle = load_bundle(bundle)
    res = infer(bundle, x)
    if_outs, t_sim = if_run(bundle, x)
    n = x.shape[0]
    per_layer = []
    tot = {"ssf": {"wreads": 0, "macs": 0}, "if": {"wreads": 0, "accs": 0,
                                                   "wreads_clock_driven": 0,
                                                   "accs_clock_driven": 0},
           "if_same_activity": {"wreads": 0, "accs": 0}}
    ssf_in = x.reshape(n, -1)
    if_in = x.reshape(n, -1)
    for li, layer in enumerate(bundle.layers):
        w, m, _ = _layer_counters(layer, ssf_in)
        s = {"wreads": int(w.sum()), "macs": int(m.sum())}
        if li == 0:
            f = {"wreads": s["wreads"], "accs": s["macs"], "wreads_clock_driven": s["wreads"],
                 "accs_clock_driven": s["macs"]}
            same = {"wreads": s["wreads"], "accs": s["macs"]}
        else:
            f = _if_counts(layer, if_in, t_sim)
            sa = _if_counts(layer, ssf_in, t_sim)
            same = {"wreads": sa["wreads"], "accs": sa["accs"]}
        per_layer.append({"layer": li, "ssf": s, "if": f, "if_same_activity": same})
        for key in tot["ssf"]:
            tot["ssf"][key] += s[key]
        for key in tot["if"]:
            tot["if"][key] += f[key]
        for key in tot["if_same_activity"]:
            tot["if_same_activity"][key] += same[key]
        ssf_in = res.outputs[li].reshape(n, -1)
        if_in = if_outs[li].reshape(n, -1)
    if_classes = np.argmax(if_outs[-1], axis=1)
    sw = max(1, tot["ssf"]["wreads"])
    return {
        "n": n, "T_sim": t_sim, **tot, "per_layer": per_layer,
        "read_saving_event_driven": tot["if"]["wreads"] / sw,
        "read_saving_same_activity": tot["if_same_activity"]["wreads"] / sw,
        "read_saving_clock_driven": tot["if"]["wreads_clock_driven"] / sw,
        "class_agreement": float(np.mean(if_classes == res.classes)) if n else 1.0,
    }
