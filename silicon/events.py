"""Per-inference event counts of the RTL, predicted from the golden model (integer, vectorised).

Every count follows the cycle schedule of docs/architecture.md §7 and the memory enables of
rtl/sparrow_top.v / rtl/ctrl.v, so each one is what the gate-level run of the same inference
toggles:

* ``cycles``: compute cycles, CNT_CYCLES (shape only);
* ``load_cycles``: CNT_LOAD without stream stalls = NUM_LAYERS (descriptor check) + C0·L0;
* ``wreads``: weight-word reads, CNT_WREADS (the wmem ``ce`` while busy);
* ``macs``: lane multiply-accumulates, CNT_MACS (active lanes × non-zero taps);
* ``skips``: taps whose input count is zero, CNT_SKIPS;
* ``act_reads``: activation-buffer reads, one per TAP cycle (``act_rd_o``) = wreads + skips;
* ``act_writes``: activation-buffer writes by the layers (WRITE cycles of every layer but the
  last, ``act_wr_o``);
* ``input_writes``: activation-buffer writes by the input stream (C0·L0 bytes);
* ``logit_writes``: last-layer outputs written to the logit registers;
* ``bias_reads`` / ``theta_reads``: one bias word and one θ word per block (INIT, ``bmem_rd_o``);
* ``fires``: FIRE cycles, one per block (all 8 ``ssf_fire`` units evaluate);
* ``outputs``: trace events = outputs written (WRITE cycles) over all layers.

All activation accesses are one byte each. The counters ``wreads``, ``macs``, ``skips``,
``cycles`` and ``load_cycles`` are also RTL registers (``sparrow sim`` returns them), which is how
tests/test_energy_events.py holds this module to the RTL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle
from golden.model import infer
from golden.timing import _layer_counters, layer_cycles, taps_per_position

EVENTS: tuple[str, ...] = ("cycles", "load_cycles", "wreads", "macs", "skips", "act_reads",
                           "act_writes", "input_writes", "logit_writes", "bias_reads",
                           "theta_reads", "fires", "outputs")
"""Names of the events, in the column order of :func:`event_matrix`."""


def _layer_static(layer: Layer) -> dict[str, int]:
    """Data-independent counts of one layer (per inference)."""
    blocks = layer.groups * layer.out_len
    taps = layer.groups * int(taps_per_position(layer).sum())
    return {"cycles": layer_cycles(layer), "taps": taps, "blocks": blocks,
            "outputs": layer.out_size}


def count_events(bundle: Bundle | dict | str | Path, x: np.ndarray,
                 outputs: list[np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Event counts of each input of x (uint8 (N, C0, L0)): {name: (N,) int64} for every name
    of :data:`EVENTS`.

    ``outputs`` (per-layer outputs of golden.model.infer on x) avoids recomputing them.
    """
    bundle = load_bundle(bundle)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1:] != bundle.in_shape:
        raise ValueError(f"count_events: inputs must have shape (N, {bundle.in_shape[0]}, "
                         f"{bundle.in_shape[1]}), got {x.shape}")
    n = x.shape[0]
    if outputs is None:
        outputs = infer(bundle, x).outputs
    ev = {k: np.zeros(n, dtype=np.int64) for k in EVENTS}
    c0, l0 = bundle.in_shape
    ev["load_cycles"] += len(bundle.layers) + c0 * l0
    ev["input_writes"] += c0 * l0
    xin = x.reshape(n, -1)
    last = len(bundle.layers) - 1
    for li, (layer, out) in enumerate(zip(bundle.layers, outputs)):
        st = _layer_static(layer)
        w, m, s = _layer_counters(layer, xin)
        ev["cycles"] += st["cycles"]
        ev["wreads"] += w
        ev["macs"] += m
        ev["skips"] += s
        ev["act_reads"] += st["taps"]
        ev["bias_reads"] += st["blocks"]
        ev["theta_reads"] += st["blocks"]
        ev["fires"] += st["blocks"]
        ev["outputs"] += st["outputs"]
        if li == last:
            ev["logit_writes"] += st["outputs"]
        else:
            ev["act_writes"] += st["outputs"]
        xin = out.reshape(n, -1)
    return ev


def event_matrix(events: dict[str, np.ndarray], names: tuple[str, ...] = EVENTS) -> np.ndarray:
    """(N, len(names)) float64 matrix of the named event columns."""
    return np.stack([np.asarray(events[k], dtype=np.float64) for k in names], axis=1)
