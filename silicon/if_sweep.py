"""SSF against IF on equal terms: sweep T_sim of the fair IF baseline, accuracy against energy.

``python -m silicon.if_sweep`` (``make if-baseline``). For each committed bundle (ECG on MIT-BIH
``intra``, EEG on Bonn ``inter``) and each T_sim of the grid:

1. the IF configuration (input encoding, initial membrane v0, bias shift; see
   :mod:`silicon.ifbaseline_fair`) is chosen by accuracy on a tune subset of the *train* part,
   never on the test data;
2. that IF network runs on the test subset: accuracy, agreement with the SSF class and its event
   counts, priced with the same per-event energies as SSF (``silicon/event_energies.json``):
   ``same datapath`` (the §7 schedule once per timestep), an ``event-driven`` lower bound (zero
   taps cost neither a cycle nor an activation read) and, on top, the IF membranes (a 32-bit
   word read and written per neuron and step, priced as 4 activation-byte accesses).

The IF/SSF energy ratio is reported at the smallest T_sim whose test accuracy is within
``tol`` (0.5) points of SSF's on the same inputs; ``reports/energy/if_baseline.json`` and
``if_baseline.png`` hold the sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from golden.bundle import load_bundle
from golden.model import infer
from silicon.energyfit import TABLE, features_of, load_table, predict
from silicon.events import count_events
from silicon.ifbaseline_fair import if_infer

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "reports" / "energy" / "if_baseline.json"
FAMILIES = {"ecg": ("models/ecg/model.json", "intra"), "eeg": ("models/eeg/model.json", "inter")}
T_GRID = (4, 8, 12, 16, 24, 32, 48, 64, 128)
CONFIGS = (("rate", 0.0, 0.0), ("rate", 0.0, -0.5), ("direct", 0.0, 0.0),
           ("direct", 0.0, -0.5))
"""(encoding, v0, bias_shift) candidates; the first best on the tune subset wins."""


def energy_pj(table: dict, events: dict[str, np.ndarray]) -> np.ndarray:
    """Energy of each input (pJ) from event counts and per-event energies."""
    pred = predict(table, features_of(events))
    return np.sum(np.stack(list(pred.values())), axis=0)


def event_driven(events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same counts on an ideal event-driven schedule: skipped taps cost no cycle and no
    activation read."""
    ev = dict(events)
    ev["cycles"] = events["cycles"] - events["skips"]
    ev["act_reads"] = events["act_reads"] - events["skips"]
    ev["skips"] = np.zeros_like(events["skips"])
    return ev


def membrane_pj(table: dict, events: dict[str, np.ndarray]) -> np.ndarray:
    """IF membrane traffic: half reads, half writes of 32-bit words = 4 activation bytes each."""
    act = table.get("mem_act", {})
    per = 4.0 * (act.get("act_read", 0.0) + act.get("act_write", 0.0)) / 2.0
    return per * np.asarray(events.get("membrane_accesses", 0), np.float64)


def smallest_within(points: list[dict], ssf_acc: float, tol: float) -> dict | None:
    """The point of smallest T_sim whose accuracy is at least ssf_acc - tol (points in %)."""
    ok = [p for p in points if p["accuracy_pct"] >= ssf_acc - tol - 1e-9]
    return min(ok, key=lambda p: p["T_sim"]) if ok else None


def _subset(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted random subset of size min(n, len) (all indices when n <= 0)."""
    if n <= 0 or n >= len(labels):
        return np.arange(len(labels))
    return np.sort(rng.choice(len(labels), n, replace=False))


RATIO_EVENTS = ("cycles", "wreads", "macs", "act_reads", "act_writes", "bias_reads", "fires")


def sweep_family(fam: str, grid: tuple[int, ...], n_test: int, n_tune: int, seed: int,
                 tol: float, log=print) -> dict:
    """Sweep one committed bundle: accuracies and mean event counts (unpriced)."""
    from training.datasets import build

    path, split = FAMILIES[fam]
    bundle = load_bundle(REPO / path)
    rng = np.random.default_rng(seed)
    test, tune = build(fam, split, "test"), build(fam, split, "train")
    ti, ui = _subset(test.labels, n_test, rng), _subset(tune.labels, n_tune, rng)
    x, y = test.inputs[ti], test.labels[ti].astype(np.int64)
    xu, yu = tune.inputs[ui], tune.labels[ui].astype(np.int64)
    res = infer(bundle, x)
    ssf_acc = 100.0 * float(np.mean(res.classes == y))
    ssf_ev = {k: float(v.mean()) for k, v in count_events(bundle, x, res.outputs).items()}
    full_acc = 100.0 * float(np.mean(infer(bundle, test.inputs).classes == test.labels))
    log(f"[{fam}] SSF: {ssf_acc:.2f} % on {len(y)} test inputs ({full_acc:.2f} % on all "
        f"{len(test.labels)}), {ssf_ev['cycles']:.0f} cycles, {ssf_ev['wreads']:.0f} weight "
        f"reads per inference")
    points = []
    for t_sim in grid:
        t0 = time.time()
        tune_acc = {}
        for cfg in CONFIGS:
            r = if_infer(bundle, xu, t_sim, *cfg)
            tune_acc[cfg] = 100.0 * float(np.mean(r.classes == yu))
        best = max(CONFIGS, key=lambda c: (tune_acc[c], -CONFIGS.index(c)))
        r = if_infer(bundle, x, t_sim, *best)
        p = {"T_sim": t_sim, "encoding": best[0], "v0": best[1], "bias_shift": best[2],
             "tune_accuracy_pct": {f"{c[0]},v0={c[1]},shift={c[2]}": a
                                   for c, a in tune_acc.items()},
             "accuracy_pct": 100.0 * float(np.mean(r.classes == y)),
             "agreement_with_ssf": float(np.mean(r.classes == res.classes)),
             "events_mean": {k: float(v.mean()) for k, v in r.events.items()}}
        points.append(p)
        ev = p["events_mean"]
        log(f"[{fam}] T_sim {t_sim:4d}: {best[0]:6s} v0 {best[1]:g} shift {best[2]:g}  "
            f"acc {p['accuracy_pct']:.2f} % (SSF {ssf_acc:.2f})  "
            f"agree {p['agreement_with_ssf']:.3f}  weight reads x"
            f"{ev['wreads'] / ssf_ev['wreads']:.1f}, cycles x{ev['cycles'] / ssf_ev['cycles']:.0f}"
            f"  {time.time() - t0:.0f} s")
    return {
        "bundle": path, "split": split, "n_test": int(len(y)), "n_tune": int(len(yu)),
        "test_indices_seed": seed, "ssf": {
            "accuracy_pct": ssf_acc, "accuracy_pct_full_test": full_acc,
            "n_full_test": int(len(test.labels)), "events_mean": ssf_ev},
        "points": points, "tol_points": tol,
        "best_if_accuracy_pct": max(p["accuracy_pct"] for p in points),
    }


def price(doc: dict, table_doc: dict | None, table_path: str | None) -> dict:
    """Fill in the energies of a sweep from its stored mean event counts (every energy is
    linear in the counts, so the mean energy is the energy of the mean counts), the equal-
    accuracy point and the headline ratio. ``table_doc`` None: energies are null and only the
    table-independent event-count ratios are reported."""
    # event counts only (no bit toggles of an IF schedule): the table's count-only variant
    tab = (table_doc.get("energies_pj_events") or table_doc["energies_pj"]) if table_doc else None

    def nj(ev: dict, kind: str = "") -> float | None:
        if tab is None:
            return None
        e = {k: np.array([v]) for k, v in ev.items()}
        val = energy_pj(tab, event_driven(e) if kind == "event_driven" else e)[0]
        if kind == "membrane":
            val += membrane_pj(tab, e)[0]
        return float(val / 1e3)

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a / b

    for d in doc["families"].values():
        s = d["ssf"]
        s["energy_nj"] = nj(s["events_mean"])
        for p in d["points"]:
            p["energy_nj"] = nj(p["events_mean"])
            p["energy_nj_event_driven"] = nj(p["events_mean"], "event_driven")
            p["energy_nj_with_membrane"] = nj(p["events_mean"], "membrane")
            p["ratio"] = ratio(p["energy_nj"], s["energy_nj"])
            p["ratio_event_driven"] = ratio(p["energy_nj_event_driven"], s["energy_nj"])
            p["ratio_with_membrane"] = ratio(p["energy_nj_with_membrane"], s["energy_nj"])
            p["event_count_ratios"] = {k: p["events_mean"][k] / s["events_mean"][k]
                                       for k in RATIO_EVENTS if s["events_mean"].get(k)}
        at = smallest_within(d["points"], s["accuracy_pct"], d["tol_points"])
        d["equal_accuracy"] = None if at is None else {
            k: at[k] for k in ("T_sim", "accuracy_pct", "ratio", "ratio_event_driven",
                               "ratio_with_membrane", "event_count_ratios")}
    doc["table"] = table_path
    doc["table_provenance"] = table_doc.get("provenance", {}) if table_doc else None
    doc["node_nm"] = table_doc.get("node_nm") if table_doc else None
    ecg = doc["families"].get("ecg")
    eq = ecg["equal_accuracy"] if ecg else None
    doc["if_energy_ratio"] = eq["ratio"] if eq else None
    doc["if_energy_ratio_event_driven"] = eq["ratio_event_driven"] if eq else None
    doc["if_energy_ratio_T_sim"] = eq["T_sim"] if eq else None
    # any non-negative per-event table puts the compute-phase ratio between these
    r = list(eq["event_count_ratios"].values()) if eq else []
    doc["if_energy_ratio_bounds"] = [min(r), max(r)] if r else None
    return doc


def plot(doc: dict, out: Path) -> Path:
    """Accuracy against energy per inference (weight reads when unpriced), one panel per
    bundle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    priced = doc.get("table") is not None
    fams = list(doc["families"])
    fig, axes = plt.subplots(1, len(fams), figsize=(6 * len(fams), 4.5), squeeze=False)
    for ax, fam in zip(axes[0], fams):
        d = doc["families"][fam]
        pts, s = d["points"], d["ssf"]
        if priced:
            series = (("energy_nj", "o-", "IF, same datapath"),
                      ("energy_nj_event_driven", "s--", "IF, event-driven bound"))
            xs = {k: [p[k] for p in pts] for k, _, _ in series}
            xssf = s["energy_nj"]
            ax.set_xlabel(f"energy per inference (nJ, {doc.get('node_nm') or 180} nm)")
        else:
            series = (("wreads", "o-", "IF, same datapath"),)
            xs = {"wreads": [p["events_mean"]["wreads"] for p in pts]}
            xssf = s["events_mean"]["wreads"]
            ax.set_xlabel("weight-word reads per inference (unpriced: no gate-level table)")
        for key, style, lab in series:
            ax.plot(xs[key], [p["accuracy_pct"] for p in pts], style, label=lab)
        first = xs[series[0][0]]
        for p, xv in zip(pts, first):
            ax.annotate(f"T={p['T_sim']}", (xv, p["accuracy_pct"]), fontsize=7,
                        textcoords="offset points", xytext=(3, -9))
        ax.plot([xssf], [s["accuracy_pct"]], "r*", ms=14, label="SSF (this design)")
        ax.axhline(s["accuracy_pct"] - d["tol_points"], color="gray", lw=0.8, ls=":",
                   label=f"SSF - {d['tol_points']} points")
        ax.set_xscale("log")
        ax.set_ylabel("test accuracy (%)")
        lo = min(p["accuracy_pct"] for p in pts)
        ax.set_ylim(max(lo - 2, 0), min(100.5, s["accuracy_pct"] + 2))
        eq = d["equal_accuracy"]
        title = f"{fam.upper()} ({d['n_test']} test inputs)"
        if eq and eq["ratio"] is not None:
            title += f": IF/SSF = {eq['ratio']:.0f}x at T_sim={eq['T_sim']}"
        elif eq:
            title += f": SSF accuracy reached at T_sim={eq['T_sim']}"
        else:
            title += ": no T_sim within tolerance"
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def _write(doc: dict, out: Path) -> Path:
    """Write the JSON report (atomically) and its plot beside it; returns the plot path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    png = plot(doc, out.with_suffix(".png"))
    doc["plot"] = str(png)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, out)
    return png


def _summary(doc: dict) -> str:
    parts = []
    for fam, d in doc["families"].items():
        eq = d["equal_accuracy"]
        if eq is None:
            parts.append(f"{fam}: no T_sim within {d['tol_points']} points of SSF")
        elif eq["ratio"] is None:
            r = eq["event_count_ratios"]
            parts.append(f"{fam}: T_sim {eq['T_sim']} (cycles x{r['cycles']:.0f}, weight reads "
                         f"x{r['wreads']:.1f}; unpriced)")
        else:
            parts.append(f"{fam}: IF/SSF x{eq['ratio']:.1f} at T_sim {eq['T_sim']} "
                         f"(event-driven x{eq['ratio_event_driven']:.1f})")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Command line of the sweep; returns the exit status."""
    ap = argparse.ArgumentParser(prog="python -m silicon.if_sweep", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--families", default="ecg,eeg", help="comma list of ecg, eeg")
    ap.add_argument("--grid", default=",".join(map(str, T_GRID)), help="T_sim values")
    ap.add_argument("--n-test", type=int, default=0, help="test inputs (default 0 = all)")
    ap.add_argument("--n-tune", type=int, default=1000, help="train-part inputs to choose the "
                    "IF configuration")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=0.5, help="accuracy tolerance in points")
    ap.add_argument("--table", type=Path, default=None, help="per-event energy table (default "
                    "silicon/event_energies.json; unpriced when it does not exist)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--reprice", type=Path, metavar="IF.json", help="price an existing sweep "
                    "with --table instead of running it (energies are linear in the counts)")
    a = ap.parse_args(argv)
    try:
        fams = [f for f in a.families.split(",") if f]
        bad = [f for f in fams if f not in FAMILIES]
        grid = tuple(int(t) for t in a.grid.split(","))
        if bad or not fams:
            raise ValueError(f"unknown families {bad}; choose from {sorted(FAMILIES)}")
        if not grid or min(grid) < 1:
            raise ValueError("--grid must list T_sim values >= 1")
        table = a.table if a.table is not None else (TABLE if TABLE.is_file() else None)
        table_doc = load_table(table) if table is not None else None
        old = None
        if a.reprice is not None:
            old = json.loads(a.reprice.read_text())
            if not isinstance(old, dict) or old.get("format") != "sparrow-if-baseline":
                raise ValueError(f"'{a.reprice}' is not an if_sweep report")
    except (OSError, ValueError) as exc:
        print(f"if_sweep: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    if table_doc is None:
        print(f"if_sweep: no per-event energy table ({TABLE} absent): accuracies and event "
              "counts only; price later with --reprice")
    if old is not None:
        doc = price(old, table_doc, None if table is None else str(table))
        doc["repriced"] = {"from": str(a.reprice), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    else:
        import torch

        torch.set_num_threads(max(1, a.threads))
        t0 = time.time()
        doc = {"format": "sparrow-if-baseline", "version": 1,
               "command": "python -m silicon.if_sweep " + " ".join(
                   argv if argv is not None else sys.argv[1:]),
               "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "families": {}}
        for fam in fams:
            doc["families"][fam] = sweep_family(fam, grid, a.n_test, a.n_tune, a.seed, a.tol)
        doc["seconds"] = round(time.time() - t0, 1)
        price(doc, table_doc, None if table is None else str(table))
    png = _write(doc, a.out)
    print(f"if_sweep: {_summary(doc)} -> {a.out}, {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
