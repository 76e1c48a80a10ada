"""Export a folded QNet as a `sparrow-bundle` (spec §3) and check it against the build limits."""

from __future__ import annotations

import numpy as np

from training.qnn import QNet

ACC_MIN, ACC_MAX = -(2 ** 31), 2 ** 31 - 1


def export_bundle(net: QNet, name: str, classes: list[str], preprocess: dict,
                  training: dict | None = None) -> dict:
    """The bundle dict of a folded network: integer weights, biases, thresholds, T."""
    if not net.folded:
        raise ValueError("export needs the folded (integer) network: call fold_bn() first")
    if len(classes) != net.n_classes:
        raise ValueError(f"{len(classes)} class names for {net.n_classes} outputs")
    layers = []
    for L in net.integer_layers():
        if L["T"] is None:
            act: dict = {"type": "none"}
        else:
            act = {"type": "ssf", "T": int(L["T"]), "theta": L["theta"].tolist()}
        if L["kind"] == "conv1d":
            d = {"kind": "conv1d", "in_channels": L["in_ch"], "out_channels": L["out"],
                 "kernel": L["kernel"], "stride": L["stride"], "padding": L["padding"]}
        else:
            d = {"kind": "dense", "in_features": L["in_ch"] * L["in_len"],
                 "out_features": L["out"]}
        d.update({"weights": L["weights"].tolist(), "bias": L["bias"].tolist(),
                  "activation": act})
        layers.append(d)
    bundle = {"format": "sparrow-bundle", "version": 1, "name": name, "classes": list(classes),
              "input": {"channels": net.in_ch, "length": net.in_len,
                        "preprocess": preprocess},
              "layers": layers}
    if training is not None:
        bundle["training"] = dict(training, n_weights=net.n_weights())
    check_bundle(bundle)
    return bundle


def acc_bounds(bundle: dict) -> list[tuple[int, int]]:
    """Per layer: exact (min, max) of acc over all legal inputs (docs/architecture.md §1)."""
    out = []
    in_max = 255
    ch, ln = bundle["input"]["channels"], bundle["input"]["length"]
    for layer in bundle["layers"]:
        w = np.asarray(layer["weights"], dtype=np.int64)
        b = np.asarray(layer["bias"], dtype=np.int64)
        pos = np.where(w > 0, w, 0)
        neg = np.where(w < 0, w, 0)
        if layer["kind"] == "conv1d":
            K, S, P = layer["kernel"], layer["stride"], layer["padding"]
            lout = (ln + 2 * P - K) // S + 1
            t = np.arange(lout)[:, None] * S + np.arange(K)[None, :] - P
            valid = ((t >= 0) & (t < ln)).astype(np.int64)        # (Lout, K)
            hi = b[:, None] + in_max * np.einsum("oik,tk->ot", pos, valid)
            lo = b[:, None] + in_max * np.einsum("oik,tk->ot", neg, valid)
            ch, ln = layer["out_channels"], lout
        else:
            hi = b + in_max * pos.sum(axis=1)
            lo = b + in_max * neg.sum(axis=1)
            ch, ln = layer["out_features"], 1
        out.append((int(lo.min()), int(hi.max())))
        act = layer["activation"]
        in_max = act["T"] if act["type"] == "ssf" else 0
    return out


def check_bundle(bundle: dict) -> None:
    """Cheap self-check of value ranges and the accumulator bound (the golden validator is the
    authority); raises ValueError naming the layer and field."""
    for i, layer in enumerate(bundle["layers"]):
        w = np.asarray(layer["weights"], dtype=np.int64)
        if w.min() < -128 or w.max() > 127:
            raise ValueError(f"layer {i}: weights outside int8")
        act = layer["activation"]
        if act["type"] == "ssf":
            th = np.asarray(act["theta"], dtype=np.int64)
            if th.min() < 1 or th.max() > 65535:
                raise ValueError(f"layer {i}: activation.theta outside 1..65535")
            if not 1 <= act["T"] <= 255:
                raise ValueError(f"layer {i}: activation.T outside 1..255")
    for i, (lo, hi) in enumerate(acc_bounds(bundle)):
        if lo < ACC_MIN or hi > ACC_MAX:
            raise ValueError(f"layer {i}: accumulator range [{lo}, {hi}] exceeds 32 bits")
