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
T_GRID = (4, 8, 12, 16, 24, 32, 48, 64, 128, 256)
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


def sweep_family(fam: str, table: dict, grid: tuple[int, ...], n_test: int, n_tune: int,
                 seed: int, tol: float, log=print) -> dict:
    """Sweep one committed bundle; returns its JSON section."""
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
    ssf_ev = count_events(bundle, x, res.outputs)
    ssf_e = energy_pj(table, ssf_ev)
    full_acc = 100.0 * float(np.mean(infer(bundle, test.inputs).classes == test.labels))
    log(f"[{fam}] SSF: {ssf_acc:.2f} % on {len(y)} test inputs ({full_acc:.2f} % on all "
        f"{len(test.labels)}), {ssf_e.mean() / 1e3:.2f} nJ per inference")
    points = []
    for t_sim in grid:
        t0 = time.time()
        tune_acc = {}
        for cfg in CONFIGS:
            r = if_infer(bundle, xu, t_sim, *cfg)
            tune_acc[cfg] = 100.0 * float(np.mean(r.classes == yu))
        best = max(CONFIGS, key=lambda c: (tune_acc[c], -CONFIGS.index(c)))
        r = if_infer(bundle, x, t_sim, *best)
        e = energy_pj(table, r.events)
        e_ev = energy_pj(table, event_driven(r.events))
        e_mem = membrane_pj(table, r.events)
        p = {"T_sim": t_sim, "encoding": best[0], "v0": best[1], "bias_shift": best[2],
             "tune_accuracy_pct": {f"{c[0]},v0={c[1]},shift={c[2]}": a
                                   for c, a in tune_acc.items()},
             "accuracy_pct": 100.0 * float(np.mean(r.classes == y)),
             "agreement_with_ssf": float(np.mean(r.classes == res.classes)),
             "energy_nj": float(e.mean() / 1e3),
             "energy_nj_event_driven": float(e_ev.mean() / 1e3),
             "energy_nj_with_membrane": float((e + e_mem).mean() / 1e3),
             "ratio": float(e.mean() / ssf_e.mean()),
             "ratio_event_driven": float(e_ev.mean() / ssf_e.mean()),
             "events_mean": {k: float(v.mean()) for k, v in r.events.items()}}
        points.append(p)
        log(f"[{fam}] T_sim {t_sim:4d}: {best[0]:6s} v0 {best[1]:g} shift {best[2]:g}  "
            f"acc {p['accuracy_pct']:.2f} % (SSF {ssf_acc:.2f})  "
            f"agree {p['agreement_with_ssf']:.3f}"
            f"  {p['energy_nj']:.1f} nJ (x{p['ratio']:.1f}; event-driven x"
            f"{p['ratio_event_driven']:.1f})  {time.time() - t0:.0f} s")
    return {
        "bundle": path, "split": split, "n_test": int(len(y)), "n_tune": int(len(yu)),
        "test_indices_seed": seed, "ssf": {
            "accuracy_pct": ssf_acc, "accuracy_pct_full_test": full_acc,
            "n_full_test": int(len(test.labels)), "energy_nj": float(ssf_e.mean() / 1e3),
            "events_mean": {k: float(v.mean()) for k, v in ssf_ev.items()}},
        "points": points, "tol_points": tol,
        "equal_accuracy": _equal_accuracy(points, ssf_acc, float(ssf_e.mean() / 1e3), tol,
                                          {k: float(v.mean()) for k, v in ssf_ev.items()}),
        "best_if_accuracy_pct": max(p["accuracy_pct"] for p in points),
    }


def plot(doc: dict, out: Path) -> Path:
    """Accuracy against energy per inference, one panel per bundle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fams = list(doc["families"])
    fig, axes = plt.subplots(1, len(fams), figsize=(6 * len(fams), 4.5), squeeze=False)
    for ax, fam in zip(axes[0], fams):
        d = doc["families"][fam]
        pts = d["points"]
        for key, style, lab in (("energy_nj", "o-", "IF, same datapath"),
                                ("energy_nj_event_driven", "s--", "IF, event-driven bound")):
            ax.plot([p[key] for p in pts], [p["accuracy_pct"] for p in pts], style, label=lab)
        for p in pts:
            ax.annotate(f"T={p['T_sim']}", (p["energy_nj"], p["accuracy_pct"]), fontsize=7,
                        textcoords="offset points", xytext=(3, -9))
        s = d["ssf"]
        ax.plot([s["energy_nj"]], [s["accuracy_pct"]], "r*", ms=14, label="SSF (this design)")
        ax.axhline(s["accuracy_pct"] - d["tol_points"], color="gray", lw=0.8, ls=":",
                   label=f"SSF - {d['tol_points']} points")
        ax.set_xscale("log")
        ax.set_xlabel(f"energy per inference (nJ, {doc.get('node_nm', 180)} nm)")
        ax.set_ylabel("test accuracy (%)")
        lo = min(p["accuracy_pct"] for p in pts)
        ax.set_ylim(max(lo - 2, 0), min(100, s["accuracy_pct"] + 2))
        eq = d["equal_accuracy"]
        title = f"{fam.upper()} ({d['n_test']} test inputs)"
        if eq:
            title += f": IF/SSF = {eq['ratio']:.0f}x at T_sim={eq['T_sim']}"
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


def reprice(doc: dict, table_doc: dict, table_path: str) -> dict:
    """The same sweep priced with another per-event table: every energy is linear in the event
    counts, so the means follow exactly from the stored mean counts (no IF rerun)."""
    tab = table_doc["energies_pj"]

    def nj(ev: dict, kind: str = "") -> float:
        e = {k: np.array([v]) for k, v in ev.items()}
        val = energy_pj(tab, event_driven(e) if kind == "event_driven" else e)[0]
        if kind == "membrane":
            val += membrane_pj(tab, e)[0]
        return float(val / 1e3)

    for d in doc["families"].values():
        s = d["ssf"]
        s["energy_nj"] = nj(s["events_mean"])
        for p in d["points"]:
            p["energy_nj"] = nj(p["events_mean"])
            p["energy_nj_event_driven"] = nj(p["events_mean"], "event_driven")
            p["energy_nj_with_membrane"] = nj(p["events_mean"], "membrane")
            p["ratio"] = p["energy_nj"] / s["energy_nj"]
            p["ratio_event_driven"] = p["energy_nj_event_driven"] / s["energy_nj"]
        d["equal_accuracy"] = _equal_accuracy(d["points"], s["accuracy_pct"], s["energy_nj"],
                                              d["tol_points"], s["events_mean"])
    doc["table"] = table_path
    doc["table_provenance"] = table_doc.get("provenance", {})
    doc["node_nm"] = table_doc.get("node_nm")
    _headline(doc)
    return doc


RATIO_EVENTS = ("cycles", "wreads", "macs", "act_reads", "act_writes", "bias_reads", "fires")


def _equal_accuracy(points: list[dict], ssf_acc: float, ssf_nj: float, tol: float,
                    ssf_events: dict[str, float]) -> dict | None:
    """The smallest-T_sim point within tol of SSF: its energy ratios and, independent of any
    energy table, the IF/SSF ratio of each event count (the energy ratio is their average
    weighted by SSF's energy per event type)."""
    at = smallest_within(points, ssf_acc, tol)
    return None if at is None else {
        "T_sim": at["T_sim"], "ratio": at["ratio"], "ratio_event_driven": at["ratio_event_driven"],
        "ratio_with_membrane": at["energy_nj_with_membrane"] / ssf_nj,
        "event_count_ratios": {k: at["events_mean"][k] / ssf_events[k] for k in RATIO_EVENTS
                               if ssf_events.get(k)}}


def _headline(doc: dict) -> None:
    """if_energy_ratio (spec §5 summary key) from the ECG bundle's equal-accuracy point."""
    ecg = doc["families"].get("ecg")
    eq = ecg["equal_accuracy"] if ecg else None
    doc["if_energy_ratio"] = eq["ratio"] if eq else None
    doc["if_energy_ratio_event_driven"] = eq["ratio_event_driven"] if eq else None
    doc["if_energy_ratio_T_sim"] = eq["T_sim"] if eq else None


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


def main(argv: list[str] | None = None) -> int:
    """Command line of the sweep; returns the exit status."""
    ap = argparse.ArgumentParser(prog="python -m silicon.if_sweep", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--families", default="ecg,eeg", help="comma list of ecg, eeg")
    ap.add_argument("--grid", default=",".join(map(str, T_GRID)), help="T_sim values")
    ap.add_argument("--n-test", type=int, default=4000, help="test inputs (0 = all)")
    ap.add_argument("--n-tune", type=int, default=300, help="train-part inputs to choose the "
                    "IF configuration")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=0.5, help="accuracy tolerance in points")
    ap.add_argument("--table", type=Path, default=TABLE)
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
        table_doc = load_table(a.table)
        old = None
        if a.reprice is not None:
            old = json.loads(a.reprice.read_text())
            if not isinstance(old, dict) or old.get("format") != "sparrow-if-baseline":
                raise ValueError(f"'{a.reprice}' is not an if_sweep report")
    except (OSError, ValueError) as exc:
        print(f"if_sweep: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    if old is not None:
        doc = reprice(old, table_doc, str(a.table))
        doc["repriced"] = {"from": str(a.reprice), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        png = _write(doc, a.out)
        print(f"if_sweep: repriced with {a.table}: if_energy_ratio {doc['if_energy_ratio']} "
              f"(T_sim {doc['if_energy_ratio_T_sim']}) -> {a.out}, {png}")
        return 0
    import torch

    torch.set_num_threads(max(1, a.threads))
    t0 = time.time()
    doc = {"format": "sparrow-if-baseline", "version": 1,
           "command": "python -m silicon.if_sweep " + " ".join(argv if argv is not None
                                                                else sys.argv[1:]),
           "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "node_nm": table_doc.get("node_nm"),
           "table": str(a.table), "table_provenance": table_doc.get("provenance", {}),
           "families": {}}
    for fam in fams:
        doc["families"][fam] = sweep_family(fam, table_doc["energies_pj"], grid, a.n_test,
                                            a.n_tune, a.seed, a.tol)
    _headline(doc)
    doc["seconds"] = round(time.time() - t0, 1)
    png = _write(doc, a.out)
    print(f"if_sweep: if_energy_ratio {doc['if_energy_ratio']} (T_sim "
          f"{doc['if_energy_ratio_T_sim']}) -> {a.out}, {png} ({doc['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
