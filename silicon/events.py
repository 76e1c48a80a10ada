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

:func:`switching` (second half of the module) adds the bit toggles of the datapath's buses and
registers (:data:`ACTIVITY`), from the same golden run; tests/test_energy_activity.py holds them
to a cycle-by-cycle reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle
from golden.model import infer
from golden.timing import (_layer_counters, block_taps, blocks, layer_cycles,
                           taps_per_position)

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


# ---------------------------------------------------------------------------------------------
# switching activity of the datapath buses and registers, from the golden schedule

ACTIVITY: tuple[str, ...] = ("x_toggles", "w_toggles", "pp_toggles", "sum_toggles",
                             "add_toggles", "carry_toggles", "acc_toggles", "div_toggles",
                             "y_toggles", "out_toggles", "theta_toggles", "bias_toggles")
"""Bit toggles of one inference window (zero-delay, as the gate-level run counts them), from
the golden schedule by :func:`switching`. The tap pipeline of rtl/ctrl.v presents tap j's
activation (``p2_x_q``, loaded from the activation read data in every cycle) and, for a
non-zero activation, its weight word (the weight memory's read data, held between reads) to
the 8 lanes of rtl/mac_array.v in the same cycle:

* ``x_toggles``: the MAC activation register (8 bits), over every tap in issue order;
* ``w_toggles``: the weight read data (64 bits), which changes only on weight reads;
* ``pp_toggles``: partial-product bits x_i·w_j (8 × 8 per lane) that change, the multiplier
  array's inputs: Σ |A| + |B| − 2|A ∧ B| with |A| = popcount(x)·popcount(w byte);
* ``sum_toggles``: the lane accumulators ``sum_q`` (33 bits) including the clear at INIT;
* ``add_toggles``: the lane adders' output ``sum_q + term_d`` (33 bits; ``term_d`` = x·w
  sign-extended, 0 on a zero tap), cycle by cycle: the running sums s_1 … s_n of a block's n
  taps, then s_n + p_n while the last product p_n is still presented (DRAIN … WRITE), then p_n
  once INIT clears the sum, then the next block's s_1;
* ``carry_toggles``: the carry vector (a + b) ⊕ a ⊕ b of that adder, cycle by cycle;
* ``acc_toggles``: ssf_fire's operand-isolated ``acc_d = sum + bias`` (34 bits): 0 → acc in
  the FIRE cycle and back (2 × popcount per lane and block);
* ``div_toggles``: the bits of ssf_fire's restoring divider that differ between the isolated
  state and the FIRE cycle, both ways (:func:`_divider_toggles`);
* ``y_toggles``: the fire output registers ``y_q`` (32 bits per lane), loaded at every FIRE;
* ``out_toggles``: the written output (``y_sel_d``, 32 bits: the lane output selected in each
  WRITE cycle, to the activation buffer, the trace and the logit registers), in write order;
* ``theta_toggles`` / ``bias_toggles``: the θ (8 × 16 bits) and bias (8 × 32 bits) memory
  read data, which change at every INIT.

Registers keep their value from one inference to the next (the core is not reset between
inferences), so an inference's window also holds the transitions from the state the previous
inference left: the clear of its last accumulator values, the first activation and weight
after its last ones, and so on (:func:`boundary_toggles`). Measured against the gate-level
flip-flop toggle counts of ``mac_array`` (campaign of 205 inferences), ``sum_toggles`` with
those transitions is exact on every inference.
"""

_M33 = np.int64((1 << 33) - 1)
_M34 = np.int64((1 << 34) - 1)
_M32 = np.int64((1 << 32) - 1)
_M16 = np.int64((1 << 16) - 1)
LANES = 8

EDGE_KEYS: tuple[str, ...] = ("x_first", "x_last", "w0_first", "w_last_tap", "wr_first",
                              "wr_last", "final", "add_tail", "carry_tail", "y_first",
                              "y_last", "out_first", "out_last", "th_first", "th_last",
                              "b_first", "b_last", "has_read")
"""First and last state of an inference that the next one's window sees change (:func:`edges`):
activation of the first / last tap, lane weights of the first / last tap, first / last weight
word read (lane bytes; 0 for an inference without weight reads), last block's
lane sums and the toggles of the adder output and carries when the next inference's first INIT
clears them, first / last fire outputs, first / last written output, θ and bias words of the first / last block, whether it
read a weight."""


def _popcount(v: np.ndarray) -> np.ndarray:
    """Bits set of each element (int64 viewed as uint64)."""
    return np.bitwise_count(np.asarray(v).astype(np.int64).view(np.uint64)).astype(np.int64)


def _layer_plan(layer: Layer) -> dict[str, np.ndarray]:
    """Static tap sequence of a layer in issue order (docs §7): input index, the 8 lane weights
    of the word read (signed, 0 past Cout), the block of each tap; per block the 8 lane biases
    and θ (padded lanes: bias 0, θ 1, as in golden.hwimage)."""
    lanes, G = layer.lanes, layer.groups
    w3 = np.zeros((G * lanes,) + layer.weights3.shape[1:], dtype=np.int64)
    w3[:layer.out_ch] = layer.weights3
    bias = np.zeros(G * lanes, dtype=np.int64)
    bias[:layer.out_ch] = layer.bias
    theta = np.ones(G * lanes, dtype=np.int64)
    theta[:layer.out_ch] = layer.theta_or_ones
    blk = blocks(layer)
    ins, wts, bid = [], [], []
    for b, (g, t) in enumerate(blk[:, :2]):
        bt = block_taps(layer, int(g), int(t))
        chan = bt[:, 0] if layer.kind == "dense" else bt[:, 0] // layer.in_len
        ins.append(bt[:, 0])
        wts.append(w3[lanes * g:lanes * (g + 1)][:, chan, bt[:, 2]].T)
        bid.append(np.full(len(bt), b))
    g = blk[:, 0]
    active = np.arange(lanes)[None, :] < blk[:, 4][:, None]       # lanes written per block
    return {"in_idx": np.concatenate(ins).astype(np.int64), "active": active,
            "w": np.concatenate(wts).reshape(-1, lanes), "block": np.concatenate(bid),
            "bias": bias.reshape(G, lanes)[g], "theta": theta.reshape(G, lanes)[g]}


def _divider_toggles(acc: np.ndarray, theta: np.ndarray, cnt_w: int = 8, th_w: int = 16
                     ) -> np.ndarray:
    """Bits of the ssf_fire restoring divider (per stage: the partial remainder out, the always
    computed difference ``shift − θ`` and the quotient bit) that differ between the isolated
    state (acc = 0) and the FIRE cycle with this acc, with the exact bit semantics of
    rtl/ssf_fire.v (a negative acc's bit pattern goes through the divider too)."""
    m_th = (1 << th_w) - 1
    a = acc & _M34
    rem = (a >> cnt_w) & m_th                                      # rem0_d: acc_hi truncated
    neg_th = (-theta) & m_th                                       # shift − θ when isolated
    tog = np.zeros(np.broadcast(acc, theta).shape, dtype=np.int64)
    for s in range(cnt_w):
        shift = (rem << 1) | ((a >> (cnt_w - 1 - s)) & 1)
        ge = shift >= theta
        sub = (shift - theta) & m_th
        tog += _popcount(sub ^ neg_th) + ge
        rem = np.where(ge, sub, shift & m_th)
        if s < cnt_w - 1:
            tog += _popcount(rem)
    return tog


def _pp_ones(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Partial-product bits set, per lane: popcount(x) · popcount(w byte)."""
    return _popcount(x)[..., None] * _popcount(w & 0xFF)


def _chunk(bundle: Bundle, plans: list[dict], ins: list[np.ndarray]
           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Toggles inside the window of each input of one chunk (no transition from the previous
    inference) and its :data:`EDGE_KEYS` state; ``ins`` are the layers' inputs (n, size)."""
    n = ins[0].shape[0]
    res = {k: np.zeros(n, dtype=np.int64) for k in ACTIVITY}
    xs, finals, ys, outs = [], [], [], []
    p_carry = None                                                 # last product so far
    tails = (np.zeros(n, np.int64), np.zeros(n, np.int64))        # last block's clear
    for layer, p, xin in zip(bundle.layers, plans, ins):
        xl = xin[:, p["in_idx"]]                                   # (n, T) activations read
        prod = xl[:, :, None] * p["w"][None]                       # (n, T, lanes)
        nblk = len(p["theta"])
        ntap = np.bincount(p["block"], minlength=nblk)
        cs = np.cumsum(prod, axis=1)
        ends = np.cumsum(ntap) - 1                                 # last tap of every block
        z = np.zeros((n, 1, LANES), np.int64)
        before = np.concatenate([z, cs], axis=1)[:, np.concatenate([[0], ends[:-1] + 1])]
        s = cs - np.repeat(before, ntap, axis=1)                   # lane sums after each tap
        prev = np.concatenate([np.zeros((n, 1, LANES), np.int64), s[:, :-1]], axis=1)
        prev[:, ends[ntap > 0] - ntap[ntap > 0] + 1] = 0           # cleared at INIT
        final = np.where((ntap > 0)[None, :, None], np.concatenate([z, s], axis=1)[:, ends + 1], 0)
        d_in = _popcount((s ^ prev) & _M33)
        res["sum_toggles"] += d_in.sum(axis=(1, 2))
        # adder output: s_j -> s_j+1 inside a block as the sums; at a block's first tap from
        # the previous block's last product (not from 0); after its last tap s_n -> s_n + p_n
        # -> p_n
        full = ntap > 0
        st = (ends - ntap + 1)[full]
        p_last = prod[:, ends[full]]                               # (n, B', lanes)
        s_last = s[:, ends[full]]
        pre = np.concatenate([p_last[:, :1] if p_carry is None else p_carry[:, None],
                              p_last[:, :-1]], axis=1)
        first = s[:, st]
        add = d_in.sum(axis=(1, 2)) - _popcount(first & _M33).sum(axis=(1, 2))
        add += _popcount((first ^ pre) & _M33).sum(axis=(1, 2))
        if p_carry is None and first.shape[1]:                     # boundary_toggles' part
            add -= _popcount((first[:, 0] ^ pre[:, 0]) & _M33).sum(axis=1)
        add += _popcount((s_last ^ (s_last + p_last)) & _M33).sum(axis=(1, 2))
        tail_add = _popcount(((s_last + p_last) ^ p_last) & _M33)  # at the next INIT + 1
        add += tail_add.sum(axis=(1, 2))
        res["add_toggles"] += add
        # carries of the adder sum_q + term: per block (0, p_1), (s_1, p_2) ... (s_n-1, p_n),
        # (s_n, p_n), then (0, p_n) = no carry
        cin = prev                                                 # sum_q before each tap
        car = ((cin + prod) ^ cin ^ prod) & _M33
        cpre = np.concatenate([np.zeros((n, 1, LANES), np.int64), car[:, :-1]], axis=1)
        cpre[:, st] = 0
        res["carry_toggles"] += _popcount(car ^ cpre).sum(axis=(1, 2))
        car_end = ((s_last + p_last) ^ s_last ^ p_last) & _M33     # (s_n, p_n) until INIT
        tail_car = _popcount(car_end)                              # -> 0 at the next INIT + 1
        res["carry_toggles"] += (_popcount(car[:, ends[full]] ^ car_end)
                                 + tail_car).sum(axis=(1, 2))
        if p_last.shape[1]:
            p_carry = p_last[:, -1]
            tails = (tail_add[:, -1].sum(axis=1), tail_car[:, -1].sum(axis=1))
        if ntap[-1] == 0:                           # cleared by a later block of this window
            tails = (np.zeros(n, np.int64), np.zeros(n, np.int64))
        res["sum_toggles"] += _popcount(final[:, :-1] & _M33).sum(axis=(1, 2))  # next INIT
        acc = final + p["bias"][None]
        res["acc_toggles"] += 2 * _popcount(acc & _M34).sum(axis=(1, 2))
        res["div_toggles"] += 2 * _divider_toggles(acc, p["theta"][None]).sum(axis=(1, 2))
        if layer.is_ssf:
            y = np.clip(np.floor_divide(acc, p["theta"][None]), 0, layer.T)
        else:
            y = acc & _M32
        res["y_toggles"] += _popcount(y[:, 1:] ^ y[:, :-1]).sum(axis=(1, 2))
        res["theta_toggles"] += int(_popcount((p["theta"][1:] ^ p["theta"][:-1]) & _M16).sum())
        res["bias_toggles"] += int(_popcount((p["bias"][1:] ^ p["bias"][:-1]) & _M32).sum())
        outs.append(y[:, p["active"]])                             # (n, outputs) write order
        xs.append(xl)
        finals.append(final[:, -1])
        ys.append((y[:, 0], y[:, -1]))
    # the last (non-empty) block's clear happens in the next inference's window
    # (boundary_toggles) unless an empty block follows it
    res["add_toggles"] -= tails[0]
    res["carry_toggles"] -= tails[1]
    # the layer boundaries: the first block of a layer clears the last one of the previous
    for li in range(1, len(plans)):
        res["sum_toggles"] += _popcount(finals[li - 1] & _M33).sum(axis=1)
        res["y_toggles"] += _popcount(ys[li - 1][1] ^ ys[li][0]).sum(axis=1)
        for key, name, m in (("theta", "theta_toggles", _M16), ("bias", "bias_toggles", _M32)):
            res[name] += int(_popcount((plans[li - 1][key][-1] ^ plans[li][key][0]) & m).sum())
    ya = np.concatenate(outs, axis=1)                              # (n, outputs)
    res["out_toggles"] += _popcount((ya[:, 1:] ^ ya[:, :-1]) & _M32).sum(axis=1)
    xa = np.concatenate(xs, axis=1)                                # (n, T_all)
    wt = np.concatenate([p["w"] for p in plans], axis=0)           # (T_all, lanes)
    res["x_toggles"] += _popcount(xa[:, 1:] ^ xa[:, :-1]).sum(axis=1)
    ones = _pp_ones(xa, wt[None])
    both = _popcount(xa[:, 1:] & xa[:, :-1])[:, :, None] * _popcount(wt[1:] & wt[:-1] & 0xFF)
    res["pp_toggles"] += (ones[:, 1:] + ones[:, :-1] - 2 * both).sum(axis=(1, 2))
    wb = wt & 0xFF
    if xa.shape[1] == 0:                            # no tap at all: nothing presented
        xa, wt = np.zeros((n, 1), np.int64), np.zeros((1, LANES), np.int64)
    edges = {"x_first": xa[:, 0], "x_last": xa[:, -1],
             "w0_first": np.broadcast_to(wt[0], (n, LANES)),
             "w_last_tap": np.broadcast_to(wt[-1], (n, LANES)),
             "wr_first": np.zeros((n, LANES), np.int64), "wr_last": np.zeros((n, LANES), np.int64),
             "final": finals[-1], "add_tail": tails[0], "carry_tail": tails[1],
             "y_first": ys[0][0], "y_last": ys[-1][1],
             "out_first": ya[:, 0], "out_last": ya[:, -1],
             "th_first": np.broadcast_to(plans[0]["theta"][0], (n, LANES)),
             "th_last": np.broadcast_to(plans[-1]["theta"][-1], (n, LANES)),
             "b_first": np.broadcast_to(plans[0]["bias"][0], (n, LANES)),
             "b_last": np.broadcast_to(plans[-1]["bias"][-1], (n, LANES))}
    has_rd = np.zeros(n, bool)
    for i in range(n):
        rd = np.flatnonzero(xa[i])                                 # taps that read a word
        if rd.size:
            words = wb[rd]
            res["w_toggles"][i] = _popcount(words[1:] ^ words[:-1]).sum()
            edges["wr_first"][i], edges["wr_last"][i] = words[0], words[-1]
            has_rd[i] = True
    edges["has_read"] = has_rd
    return res, edges


def activity(bundle: Bundle | dict | str | Path, x: np.ndarray,
             outputs: list[np.ndarray] | None = None, chunk: int = 32
             ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Toggles inside each input's window ({name of :data:`ACTIVITY`: (N,) int64}, without the
    transition from the previous inference) and its first / last state (:data:`EDGE_KEYS`),
    ``chunk`` inputs at a time (memory ≈ chunk × taps × 8 lanes × 8 bytes × 6)."""
    bundle = load_bundle(bundle)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1:] != bundle.in_shape or x.shape[0] == 0:
        raise ValueError(f"switching: inputs must have shape (N >= 1, {bundle.in_shape[0]}, "
                         f"{bundle.in_shape[1]}), got {x.shape}")
    n = x.shape[0]
    if outputs is None:
        outputs = infer(bundle, x).outputs
    plans = [_layer_plan(L) for L in bundle.layers]
    res: dict[str, np.ndarray] = {}
    edges: dict[str, np.ndarray] = {}
    for lo in range(0, n, chunk):
        sl = slice(lo, min(n, lo + chunk))
        m = sl.stop - lo
        ins = [x[sl].reshape(m, -1).astype(np.int64)]
        ins += [o[sl].reshape(m, -1).astype(np.int64) for o in outputs[:-1]]
        r, e = _chunk(bundle, plans, ins)
        for d_out, d_in in ((res, r), (edges, e)):
            for k, v in d_in.items():
                d_out.setdefault(k, []).append(np.array(v))
    return ({k: np.concatenate(v) for k, v in res.items()},
            {k: np.concatenate(v) for k, v in edges.items()})


def predecessors(edges: dict[str, np.ndarray], prev: np.ndarray) -> dict[str, np.ndarray]:
    """The state each inference starts from: row ``prev[i]`` of ``edges`` (:data:`EDGE_KEYS`
    of every inference), except that the weight read data come from the latest inference
    along the ``prev`` chain that read a weight (a row without reads leaves them as they
    were; none at all: 0)."""
    out = {k: v[prev] for k, v in edges.items()}
    wr = edges["wr_last"].copy()
    has = edges["has_read"].copy()
    for _ in range(len(prev)):                      # follow the chain until every row is set
        todo = ~has
        if not todo.any():
            break
        wr[todo] = wr[prev[todo]]
        has[todo] = has[prev[todo]]
    out["wr_last"] = wr[prev]
    return out


def boundary_toggles(prev: dict[str, np.ndarray] | None, cur: dict[str, np.ndarray]
                     ) -> dict[str, np.ndarray]:
    """Toggles, in each window, of the transitions from the state the previous inference left
    (``prev``: :data:`EDGE_KEYS` of the predecessors, row for row) to this one's first state
    (``cur``). ``prev`` None: the state after reset (registers 0; the memories' read data
    unknown, whose first value is not counted, as the gate-level count ignores X)."""
    n = len(cur["x_first"])
    out = {k: np.zeros(n, dtype=np.int64) for k in ACTIVITY}
    z8 = np.zeros((n, LANES), np.int64)
    p = prev if prev is not None else {"x_last": np.zeros(n, np.int64), "w_last_tap": z8,
                                       "final": z8, "y_last": z8,
                                       "out_last": np.zeros(n, np.int64)}
    out["x_toggles"] = _popcount(p["x_last"] ^ cur["x_first"])
    prod_a = p["x_last"][:, None] * p["w_last_tap"]
    prod_b = cur["x_first"][:, None] * cur["w0_first"]
    # adder: s_n + p_n -> p_n when the first INIT clears the sum, then p_n -> s_1 = p_1
    out["add_toggles"] = _popcount((prod_a ^ prod_b) & _M33).sum(axis=1)
    if prev is not None:
        out["add_toggles"] += p["add_tail"]
        out["carry_toggles"] = p["carry_tail"].astype(np.int64)
    both = (_popcount(p["x_last"] & cur["x_first"])[:, None]
            * _popcount(p["w_last_tap"] & cur["w0_first"] & 0xFF))
    out["pp_toggles"] = (_pp_ones(p["x_last"], p["w_last_tap"])
                         + _pp_ones(cur["x_first"], cur["w0_first"]) - 2 * both).sum(axis=1)
    out["sum_toggles"] = _popcount(p["final"] & _M33).sum(axis=1)   # the first INIT clears it
    out["y_toggles"] = _popcount(p["y_last"] ^ cur["y_first"]).sum(axis=1)
    out["out_toggles"] = _popcount((p["out_last"] ^ cur["out_first"]) & _M32)
    if prev is not None:
        ok = cur["has_read"]
        out["w_toggles"] = np.where(ok, _popcount((p["wr_last"] ^ cur["wr_first"]) & 0xFF)
                                    .sum(axis=1), 0)
        out["theta_toggles"] = _popcount((p["th_last"] ^ cur["th_first"]) & _M16).sum(axis=1)
        out["bias_toggles"] = _popcount((p["b_last"] ^ cur["b_first"]) & _M32).sum(axis=1)
    return out


def switching(bundle: Bundle | dict | str | Path, x: np.ndarray,
              outputs: list[np.ndarray] | None = None, chunk: int = 32
              ) -> dict[str, np.ndarray]:
    """Toggles of :data:`ACTIVITY` of each input of x (uint8 (N, C0, L0)) run back to back as
    a stream: each inference follows the previous input of x, the first one follows the last
    (the steady state of a repeated batch; one input follows itself)."""
    inner, edges = activity(bundle, x, outputs, chunk)
    n = len(edges["x_first"])
    prev = predecessors(edges, (np.arange(n) - 1) % n)
    b = boundary_toggles(prev, edges)
    return {k: inner[k] + b[k] for k in ACTIVITY}
