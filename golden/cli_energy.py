"""``sparrow energy --model M.json --inputs X.npy [--out R.json] [--table T.json] [--gls]``.

Default: the fast estimate. The golden model predicts every input's event counts and the bit
toggles of the datapath's buses and registers (:mod:`silicon.events`; the inputs run back to
back, each after the previous one) and the per-event energies fitted on the gate-level runs
(``silicon/event_energies.json``, :mod:`silicon.energyfit`) turn them into energy per inference
at the table's node (0.18 µm) and scaled to 22 nm (:data:`silicon.energyfit.SCALE_22NM`).
Prints one line per input (up to ``--show``), the mean and spread, and the breakdown by energy
component and by event; ``--out`` writes all of it as JSON. ``--gls`` runs the full gate-level
flow of the silicon package on the same inputs instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from golden.cli import CliError
from golden.cli_infer import check_writable, load_inputs, load_model


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``energy`` subcommand."""
    p = sub.add_parser("energy", help="energy per inference of a bundle on a batch of inputs",
                       description="Estimate the energy per inference of the RTL core on each "
                       "input of X.npy (uint8, (N, C0, L0)): golden-model event counts times "
                       "per-event energies fitted on gate-level runs (default), or the full "
                       "gate-level flow (--gls).")
    p.add_argument("--model", required=True, type=Path, metavar="M.json", help="bundle file")
    p.add_argument("--inputs", required=True, type=Path, metavar="X.npy",
                   help="uint8 array (N, C0, L0)")
    p.add_argument("--out", type=Path, metavar="R.json", help="write the report as JSON")
    p.add_argument("--table", type=Path, metavar="T.json", default=None,
                   help="per-event energy table (default silicon/event_energies.json)")
    p.add_argument("--gls", action="store_true", help="run the gate-level flow instead")
    p.add_argument("--show", type=int, default=20, metavar="K",
                   help="print at most K per-input lines (default 20; all are in --out)")
    p.set_defaults(func=run)


def estimate(bundle: object, x: np.ndarray, table_doc: dict) -> dict:
    """The fast estimate of every input as a JSON-ready report."""
    from golden.model import infer
    from silicon.energyfit import (SCALE_22NM, SCALE_22NM_HIGH, SCALE_22NM_LOW, SCALE_22NM_SOURCE,
                                   by_event, estimate_features, predict)

    res = infer(bundle, x)
    ev, feats = estimate_features(bundle, x, res.outputs)
    tab = table_doc["energies_pj"]
    comp = predict(tab, feats)
    evt = by_event(tab, feats)
    total_pj = np.sum(np.stack(list(comp.values())), axis=0)
    nj = total_pj / 1000.0
    clock = float(table_doc.get("clock_mhz", 4.0))
    all_cyc = ev["cycles"] + ev["load_cycles"]
    latency_us = all_cyc / clock

    def stats(v: np.ndarray) -> dict:
        return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()),
                "max": float(v.max())}

    return {
        "model": bundle.name, "n": int(len(x)), "node_nm": table_doc.get("node_nm"),
        "clock_mhz": clock, "scale_22nm": SCALE_22NM, "scale_22nm_source": SCALE_22NM_SOURCE,
        "energy_nj": stats(nj), "energy_nj_22nm": stats(nj * SCALE_22NM),
        "energy_nj_22nm_band": [float(nj.mean() * SCALE_22NM_LOW),
                                float(nj.mean() * SCALE_22NM_HIGH)],
        "latency_us": stats(latency_us),
        "power_uw_continuous": float(total_pj.sum() / (all_cyc.sum() / clock)),
        "breakdown_nj": {c: float(v.mean() / 1000.0) for c, v in comp.items()},
        "by_event_nj": {f: float(v.mean() / 1000.0) for f, v in evt.items()},
        "events_mean": {k: float(v.mean()) for k, v in ev.items()},
        "features_mean": {k: float(v.mean()) for k, v in feats.items()},
        "per_input": {"class": res.classes.astype(int).tolist(),
                      "energy_nj": [round(float(v), 6) for v in nj],
                      "energy_nj_22nm": [round(float(v), 6) for v in nj * SCALE_22NM],
                      "cycles": ev["cycles"].astype(int).tolist(),
                      "wreads": ev["wreads"].astype(int).tolist(),
                      "macs": ev["macs"].astype(int).tolist()},
    }


def _write_json_atomic(out: Path, doc: dict) -> None:
    from golden.safeio import write_atomic

    write_atomic(out, lambda fh: fh.write(json.dumps(doc, indent=1).encode()))


def _gls(args: argparse.Namespace) -> int:
    """``--gls``: hand over to the silicon package's gate-level flow."""
    try:
        from silicon import gls  # provided by the gate-level flow (docs/energy.md)
        run_gls = gls.energy_cli
    except Exception:  # noqa: BLE001 - absent, or present without the hook: one line
        raise CliError("--gls: the gate-level flow is not in this build (needs "
                       "silicon.gls.energy_cli(model, inputs, out) -> int); use 'make gls' or "
                       "the default estimate") from None
    try:
        return int(run_gls(args.model, args.inputs, args.out))
    except Exception as exc:  # noqa: BLE001 - a failing flow step: one line naming it
        raise CliError(f"--gls: gate-level flow failed: {' '.join(str(exc).split())[:300]}") \
            from None


def run(args: argparse.Namespace) -> int:
    """Handler of ``sparrow energy``."""
    from silicon.energyfit import TABLE, EnergyModelError, load_table

    bundle = load_model(args.model)
    x = load_inputs(args.inputs, bundle)
    if x.shape[0] == 0:
        raise CliError(f"inputs '{args.inputs}' hold no example (N = 0)")
    if args.out is not None:
        check_writable(args.out)
    if args.show < 0:
        raise CliError("--show must be >= 0")
    if args.gls:
        return _gls(args)
    if args.table is None and not TABLE.is_file():
        raise CliError(f"no per-event energy table at {TABLE}: fit it on the gate-level runs "
                       "with 'make gls' then 'make energy-fit', or pass --table T.json")
    try:
        table_doc = load_table(args.table or TABLE)
    except EnergyModelError as exc:
        raise CliError(str(exc)) from None
    rep = estimate(bundle, x, table_doc)
    rep["table"] = str(args.table or TABLE)
    rep["table_provenance"] = table_doc.get("provenance", {})
    node = rep["node_nm"]
    print(f"sparrow energy: {rep['n']} inputs of {args.inputs} on '{bundle.name}', per-event "
          f"energies {rep['table']} ({node} nm, {rep['clock_mhz']:g} MHz)")
    pi = rep["per_input"]
    for i in range(min(args.show, rep["n"])):
        print(f"  input {i:5d}  class {pi['class'][i]:2d}  {pi['energy_nj'][i]:9.3f} nJ  "
              f"({pi['energy_nj_22nm'][i]:7.3f} nJ at 22 nm)  wreads {pi['wreads'][i]}  "
              f"macs {pi['macs'][i]}")
    if rep["n"] > args.show:
        print(f"  ... {rep['n'] - args.show} more" + (f" in {args.out}" if args.out else ""))
    e, e22 = rep["energy_nj"], rep["energy_nj_22nm"]
    print(f"energy per inference: {e['mean']:.3f} nJ (std {e['std']:.3f}, {e['min']:.3f}.."
          f"{e['max']:.3f}) at {node} nm; {e22['mean']:.3f} nJ at 22 nm "
          f"(x1/{1 / rep['scale_22nm']:.0f}, band {rep['energy_nj_22nm_band'][0]:.3f}.."
          f"{rep['energy_nj_22nm_band'][1]:.3f}); latency {rep['latency_us']['mean']:.1f} us, "
          f"{rep['power_uw_continuous']:.1f} uW continuous at {rep['clock_mhz']:g} MHz")
    tot = sum(rep["breakdown_nj"].values())
    print("by component: " + ", ".join(
        f"{c} {v:.3f} nJ ({100 * v / tot:.0f} %)" for c, v in rep["breakdown_nj"].items()))
    print("by event: " + ", ".join(
        f"{f} {v:.3f} nJ" for f, v in sorted(rep["by_event_nj"].items(), key=lambda kv: -kv[1])))
    if args.out is not None:
        _write_json_atomic(args.out, rep)
        print(f"report -> {args.out}")
    return 0
