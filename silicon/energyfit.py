"""Per-event energies fitted on gate-level runs, and the fast estimate they give.

Input: a campaign file ``gls_runs.json`` written by the gate-level flow (one row per simulated
inference, in simulation order: bundle, inputs file, index, cycles and the energy of each
component in pJ; schema in docs/energy-model.md §2). For every row the golden model predicts the
event counts and the datapath's bit toggles of :mod:`silicon.events` (with the transitions from
the state the previous row left); each component (the logic of every module, the clock terms,
leakage, each memory: :data:`COMPONENTS`) is then fitted, by non-negative least squares over all
rows weighted by 1 / total, as a sum of energies per event or per toggle over the features that
can physically drive it (:data:`TERMS`).

The estimate of an inference is Σ_component Σ_feature e[component][feature] · feature.
:func:`validate` refits with each bundle's rows held out and checks every held-out row within
``tol`` (5 %) of its gate-level total; :func:`cross_check` and :func:`flop_check` are the
over-fitting probe and the check of the toggle model against gate-level flip-flop counts.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from golden.bundle import load_bundle
from silicon.events import activity, boundary_toggles, count_events, predecessors

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "silicon" / "event_energies.json"
COMPONENTS: tuple[str, ...] = ("mac_array", "ssf_fire", "ctrl", "apb_regs", "stream_in",
                               "argmax", "top", "clock_pins", "clock_icg", "clock_tree",
                               "leakage", "mem_weight", "mem_act", "mem_bias", "mem_theta")
"""Energy components of a campaign row, fitted one by one: the logic of each module, the three
clock terms, leakage and each memory (their sum is the row's total)."""

FEATURES: dict[str, tuple[str, ...]] = {
    "cycle": ("cycles",),
    "load_cycle": ("load_cycles",),
    "mac": ("macs",),
    "wread": ("wreads",),
    "tap": ("act_reads",),
    "fire": ("fires",),
    "output": ("outputs",),
    "logit": ("logit_writes",),
    "act_read": ("act_reads",),
    "act_write": ("act_writes", "input_writes"),
    "bias_read": ("bias_reads",),
    "theta_read": ("theta_reads",),
    "all_cycle": ("cycles", "load_cycles"),
    "x_bit": ("x_toggles",),
    "pp_bit": ("pp_toggles",),
    "sum_bit": ("sum_toggles",),
    "add_bit": ("add_toggles",),
    "carry_bit": ("carry_toggles",),
    "acc_bit": ("acc_toggles",),
    "div_bit": ("div_toggles",),
    "y_bit": ("y_toggles",),
    "out_bit": ("out_toggles",),
    "theta_bit": ("theta_toggles",),
}
"""Fit features: each is a sum of event counts or bit toggles of silicon.events (an activation
write by the input stream costs what a layer's write costs; leakage runs over every cycle)."""

_CYC = ("cycle", "load_cycle")
TERMS: dict[str, tuple[str, ...]] = {
    "mac_array": _CYC + ("mac", "fire", "pp_bit", "add_bit", "carry_bit"),
    "ssf_fire": _CYC + ("fire", "acc_bit", "div_bit", "y_bit", "theta_bit"),
    "ctrl": _CYC + ("wread", "tap", "fire", "output", "x_bit"),
    "apb_regs": _CYC + ("logit", "out_bit"),
    "stream_in": _CYC,
    "argmax": _CYC + ("logit", "out_bit"),
    "top": _CYC + ("wread", "tap", "fire", "output", "x_bit", "y_bit", "out_bit"),
    "clock_pins": _CYC + ("mac", "wread", "tap", "fire", "output"),
    "clock_icg": _CYC + ("mac", "wread", "tap", "fire", "output"),
    "clock_tree": _CYC + ("mac", "wread", "tap", "fire", "output"),
    "leakage": ("all_cycle",),
    "mem_weight": ("wread",),
    "mem_act": ("act_read", "act_write"),
    "mem_bias": ("bias_read",),
    "mem_theta": ("theta_read",),
}
"""Features allowed to explain each energy component: the cycles every module sees, the events
that open its clock gates, and the bit toggles of the buses and registers it computes on
(docs/energy-model.md §2)."""

TERMS_EVENTS: dict[str, tuple[str, ...]] = {
    **{c: _CYC + ("mac", "wread", "tap", "fire", "output") for c in
       ("mac_array", "ctrl", "top", "clock_pins", "clock_icg", "clock_tree")},
    "ssf_fire": _CYC + ("fire",),
    "apb_regs": _CYC + ("logit",),
    "stream_in": _CYC,
    "argmax": _CYC + ("logit",),
    **{c: TERMS[c] for c in ("leakage", "mem_weight", "mem_act", "mem_bias", "mem_theta")},
}
"""Count-only variant (no bit toggles), for schedules the golden model cannot toggle-count
(the IF baseline of silicon.if_sweep); its held-out error is recorded beside the main one."""


# Node scaling, 0.18 µm -> 22 nm: the gate-level flow's method (docs/energy.md, "Scaling to
# 22 nm", silicon.energy.scale_to_22nm): Stillmaker & Baas, "Scaling equations for the accurate
# prediction of CMOS device performance from 180 nm to 7 nm", Integration 58 (2017) 74-81, energy
# fit e(V) = a·V² + b·V + c per node; 20 nm (the paper's node nearest 22 nm) HP at 0.8 V against
# 180 nm at 1.8 V, band over 20 nm HP 0.7-0.9 V and LP 0.8-0.9 V. The one place is
# silicon.energy; the copy below only serves a checkout without the gate-level flow and must give
# the same numbers (tests/test_energy_cli.py checks it when both are present).
STILLMAKER_ENERGY = {"180": (24.64, -17.98, 0.0), "HP20": (0.373, -0.1582, 0.04104),
                     "LP20": (0.2632, -0.14, 0.06841)}
_TARGET = ("HP20", 0.8)
_BAND = (("HP20", 0.9), ("HP20", 0.7), ("LP20", 0.8), ("LP20", 0.9))


def _e_factor(node: str, vdd: float) -> float:
    a, b, c = STILLMAKER_ENERGY[node]
    return a * vdd * vdd + b * vdd + c


def local_scale_to_22nm() -> tuple[float, float, float]:
    """(central, low, high) energy multipliers 180 nm / 1.8 V -> 22 nm, computed here."""
    ref = _e_factor("180", 1.8)
    band = [_e_factor(n, v) / ref for n, v in _BAND]
    return _e_factor(*_TARGET) / ref, min(band), max(band)


def _scale() -> tuple[float, float, float]:
    try:
        from silicon.energy import scale_to_22nm
    except Exception:  # noqa: BLE001 - gate-level flow not in this checkout
        return local_scale_to_22nm()
    return tuple(float(v) for v in scale_to_22nm(1.0))


SCALE_22NM, SCALE_22NM_LOW, SCALE_22NM_HIGH = _scale()
"""The energy factor 0.18 µm -> 22 nm (about 1/310) and its band."""
SCALE_22NM_SOURCE = ("Stillmaker & Baas 2017 (Integration 58:74-81): 180 nm at 1.8 V to the 20 nm "
                     "HP fit at 0.8 V (band: 20 nm HP 0.7-0.9 V, LP 0.8-0.9 V); docs/energy.md")


WINDOW_SLACK = 8
"""Cycles a campaign's measured window may exceed load + compute (start / done handshakes)."""


class EnergyModelError(ValueError):
    """A malformed campaign file or energy table (one-line message)."""


@dataclass
class Runs:
    """The rows of a campaign with their predicted event counts."""

    bundles: list[str]                 # bundle path of each row
    features: dict[str, np.ndarray]    # feature -> (R,) float64
    energy: dict[str, np.ndarray]      # component -> (R,) pJ
    total: np.ndarray                  # (R,) pJ
    meta: dict                         # node_nm, clock_mhz, vdd, ...


def features_of(events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Fit features (:data:`FEATURES`) from event counts and bit toggles (one dict); features
    whose sources are absent (e.g. toggles, for counts only) are left out."""
    return {f: sum(np.asarray(events[e], np.float64) for e in evs) for f, evs in FEATURES.items()
            if all(e in events for e in evs)}


def estimate_features(bundle: object, x: np.ndarray, outputs: list[np.ndarray] | None = None
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(events, fit features) of each input of x run back to back (silicon.events.switching:
    each inference follows the previous input, the first follows the last)."""
    from silicon.events import switching

    ev = count_events(bundle, x, outputs)
    return ev, features_of(ev | switching(bundle, x, outputs))


def _resolve(p: str, base: Path) -> Path:
    """A path of the campaign file: absolute, else relative to the repository, else to the
    campaign file's folder."""
    path = Path(p)
    if path.is_absolute():
        return path
    for root in (REPO, base):
        if (root / path).exists():
            return root / path
    return REPO / path


def load_runs(path: str | Path) -> Runs:
    """Read a gls_runs.json campaign and predict the events and toggles of every row.

    The rows are in simulation order: the gate-level run does not reset the core between
    inferences, so each row's window starts from the state the previous row left (its
    predecessor, :func:`silicon.events.boundary_toggles`); the first row, and a row with
    ``"after_reset": true``, start from the reset state."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EnergyModelError(f"cannot read campaign '{path}': {exc}") from None
    rows = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not rows:
        raise EnergyModelError(f"campaign '{path}' has no 'runs' list")
    groups: dict[tuple[str, str], list[int]] = {}
    for k, r in enumerate(rows):
        if not isinstance(r, dict):
            raise EnergyModelError(f"campaign '{path}' run {k}: not an object")
        for key in ("bundle", "inputs", "index", "energy_pj", "total_pj"):
            if key not in r:
                raise EnergyModelError(f"campaign '{path}' run {k}: missing '{key}'")
        missing = [c for c in COMPONENTS if c not in r["energy_pj"]]
        if missing:
            raise EnergyModelError(f"campaign '{path}' run {k}: energy_pj lacks {missing}")
        groups.setdefault((r["bundle"], r["inputs"]), []).append(k)
    n = len(rows)
    src: dict[str, np.ndarray] = {}
    edges: dict[str, np.ndarray] = {}
    for (bpath, xpath), ks in groups.items():
        try:
            bundle = load_bundle(_resolve(bpath, path.parent))
            x = np.load(_resolve(xpath, path.parent), allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise EnergyModelError(f"campaign '{path}': cannot load {bpath} / {xpath}: "
                                   f"{' '.join(str(exc).split())}") from None
        try:
            idx = np.array([int(rows[k]["index"]) for k in ks])
        except (TypeError, ValueError):
            raise EnergyModelError(f"campaign '{path}': a non-integer index for {xpath}") from None
        if idx.min() < 0 or idx.max() >= len(x):
            raise EnergyModelError(f"campaign '{path}': index out of range for {xpath}")
        ev = count_events(bundle, x[idx])
        inner, edge = activity(bundle, x[idx])
        # compute_cycles (CNT_CYCLES) must equal the golden schedule; cycles (the measured
        # window) must lie between the compute cycles and load + compute (+ a few handshake
        # cycles): either check catches a row attached to the wrong bundle or input
        for k, comp, ld in zip(ks, ev["cycles"], ev["load_cycles"]):
            r = rows[k]
            if "compute_cycles" in r and int(r["compute_cycles"]) != int(comp):
                raise EnergyModelError(f"campaign '{path}' run {k}: {bpath} compute_cycles "
                                       f"{r['compute_cycles']} disagree with the golden "
                                       f"schedule ({int(comp)})")
            c = r.get("cycles")
            if c is not None and not int(comp) <= int(c) <= int(comp + ld) + WINDOW_SLACK:
                raise EnergyModelError(f"campaign '{path}' run {k}: {bpath} cycles {c} disagree "
                                       f"with the golden schedule ({int(comp)} compute + "
                                       f"{int(ld)} load)")
        for dst, part in ((src, ev | inner), (edges, edge)):
            for name, v in part.items():
                if name not in dst:
                    dst[name] = np.zeros((n,) + np.shape(v)[1:], dtype=np.asarray(v).dtype)
                dst[name][ks] = v
    reset = np.array([k == 0 or bool(r.get("after_reset", False)) for k, r in enumerate(rows)])
    prev = predecessors(edges, np.maximum(np.arange(n) - 1, 0))
    bnd = boundary_toggles(prev, edges)
    bnd0 = boundary_toggles(None, edges)
    for name in bnd:
        src[name] = src[name] + np.where(reset, bnd0[name], bnd[name])
    feats = features_of(src)
    energy = {c: np.array([float(r["energy_pj"][c]) for r in rows]) for c in COMPONENTS}
    total = np.array([float(r["total_pj"]) for r in rows])
    meta = {k: v for k, v in doc.items() if k != "runs"}
    return Runs([r["bundle"] for r in rows], feats, energy, total, meta)


def fit(runs: Runs, rows: np.ndarray | None = None,
        terms: dict[str, tuple[str, ...]] | None = None) -> dict[str, dict[str, float]]:
    """NNLS per component of ``terms`` (default :data:`TERMS`) over ``rows`` (default all):
    {component: {feature: pJ per event}}.

    Each row is weighted by 1 / its gate-level total, so the solve minimises relative errors: a
    small random bundle (tens of nJ) counts as much as an ECG beat (µJ at 0.18 µm); unweighted,
    the real bundles' rows set every coefficient and the held-out random bundles were off by up
    to 113 % (measured on the 90-input campaign; 22 % weighted). Columns are scaled to unit norm
    before the solve so that counts of very different size (cycles vs θ reads) weigh alike.
    """
    sel = np.arange(len(runs.total)) if rows is None else np.asarray(rows)
    w = 1.0 / np.maximum(runs.total[sel], 1e-30)
    table: dict[str, dict[str, float]] = {}
    for comp, feats in (terms or TERMS).items():
        a = np.stack([runs.features[f][sel] for f in feats], axis=1) * w[:, None]
        y = runs.energy[comp][sel] * w
        norm = np.linalg.norm(a, axis=0)
        norm[norm == 0] = 1.0
        coef, _ = nnls(a / norm, y)
        table[comp] = {f: float(c / n) for f, c, n in zip(feats, coef, norm)}
    return table


def predict(table: dict[str, dict[str, float]], feats: dict[str, np.ndarray]
            ) -> dict[str, np.ndarray]:
    """Energy of each component (pJ, (N,)) from per-event energies and fit features."""
    n = len(next(iter(feats.values())))
    missing = sorted({f for terms in table.values() for f in terms} - set(feats))
    if missing:
        raise EnergyModelError(f"the energy table needs {', '.join(missing)}, which these "
                               "counts lack (bit toggles: silicon.events.switching)")
    out = {}
    for comp, terms in table.items():
        e = np.zeros(n)
        for f, c in terms.items():
            e += c * feats[f]
        out[comp] = e
    return out


def by_event(table: dict[str, dict[str, float]], feats: dict[str, np.ndarray]
             ) -> dict[str, np.ndarray]:
    """Energy attributed to each fit feature (pJ, (N,)), summed over components."""
    n = len(next(iter(feats.values())))
    out: dict[str, np.ndarray] = {}
    for terms in table.values():
        for f, c in terms.items():
            out[f] = out.get(f, np.zeros(n)) + c * feats[f]
    return out


def _total(pred: dict[str, np.ndarray]) -> np.ndarray:
    return np.sum(np.stack(list(pred.values())), axis=0)


def is_committed(bundle: str) -> bool:
    """A committed bundle (under models/), as opposed to a campaign's random ones."""
    return Path(bundle).parts[:1] == ("models",) or "/models/" in bundle


def folds(runs: Runs, n_random_folds: int = 5) -> list[np.ndarray]:
    """Held-out row sets: each bundle under models/ on its own; the other (random) bundles split
    into ``n_random_folds`` groups, a bundle's rows always together."""
    names = sorted(set(runs.bundles))
    committed = [b for b in names if is_committed(b)]
    others = [b for b in names if b not in committed]
    groups = [[b] for b in committed]
    k = min(n_random_folds, len(others))
    groups += [others[i::k] for i in range(k)] if k else []
    bund = np.array(runs.bundles)
    return [np.flatnonzero(np.isin(bund, g)) for g in groups if g]


def validate(runs: Runs, tol: float = 0.05, table: dict | None = None,
             terms: dict[str, tuple[str, ...]] | None = None) -> dict:
    """Held-out check: refit without each fold (or apply ``table`` when given) and compare the
    estimate of every held-out row with its gate-level total. Returns max / mean relative error
    overall and per bundle, and ``ok`` (every row within ``tol``)."""
    if table is not None:                   # a given table: no refit, every row at once
        est = _total(predict(table, runs.features))
    else:
        est = np.zeros(len(runs.total))
        for held in folds(runs):
            keep = np.setdiff1d(np.arange(len(runs.total)), held)
            sub = {f: v[held] for f, v in runs.features.items()}
            est[held] = _total(predict(fit(runs, keep, terms), sub))
    rel = np.abs(est - runs.total) / np.maximum(runs.total, 1e-30)
    per = {}
    bund = np.array(runs.bundles)
    for b in sorted(set(runs.bundles)):
        r = rel[bund == b]
        per[b] = {"rows": int(r.size), "max_rel_err": float(r.max()),
                  "mean_rel_err": float(r.mean())}
    return {"tol": tol, "rows": int(rel.size), "max_rel_err": float(rel.max()),
            "mean_rel_err": float(rel.mean()), "ok": bool(np.all(rel <= tol)),
            "per_bundle": per}


def cross_check(runs: Runs) -> dict:
    """An over-fitting probe beside :func:`validate`: fit on the committed bundles' rows only
    and estimate every random bundle's row, and the other way round (max / mean relative
    error of the total; information, not a pass/fail criterion)."""
    bund = np.array(runs.bundles)
    committed = np.isin(bund, [b for b in set(runs.bundles) if is_committed(b)])
    out = {}
    for name, train in (("random_from_committed", committed),
                        ("committed_from_random", ~committed)):
        test = ~train
        if not train.any() or not test.any():
            continue
        t = fit(runs, np.flatnonzero(train))
        est = _total(predict(t, {f: v[test] for f, v in runs.features.items()}))
        rel = np.abs(est - runs.total[test]) / np.maximum(runs.total[test], 1e-30)
        out[name] = {"rows": int(test.sum()), "max_rel_err": float(rel.max()),
                     "mean_rel_err": float(rel.mean())}
    return out


def residuals(runs: Runs, table: dict) -> dict:
    """In-sample residuals of the fitted table per component and on the total (pJ and relative)."""
    pred = predict(table, runs.features)
    out = {}
    for comp in COMPONENTS:
        r = pred[comp] - runs.energy[comp]
        ref = np.maximum(np.abs(runs.energy[comp]).mean(), 1e-30)
        out[comp] = {"rms_pj": float(np.sqrt(np.mean(r ** 2))), "rel_rms": float(
            np.sqrt(np.mean(r ** 2)) / ref)}
    tot = _total(pred) - runs.total
    out["total"] = {"rms_pj": float(np.sqrt(np.mean(tot ** 2))),
                    "max_rel_err": float(np.max(np.abs(tot) / runs.total))}
    return out


def build_table(campaign: str | Path, command: str, tol: float = 0.05) -> dict:
    """Fit on every row of the campaign, validate held-out, and return the table document:
    the main table (:data:`TERMS`, events and bit toggles) and the count-only one
    (:data:`TERMS_EVENTS`), each with its held-out validation; ``validation.ok`` (the main
    table's) decides whether the table may be written."""
    runs = load_runs(campaign)
    table = fit(runs)
    val = validate(runs, tol)
    cross = cross_check(runs)
    table_ev = fit(runs, terms=TERMS_EVENTS)
    val_ev = validate(runs, tol, terms=TERMS_EVENTS)
    clock = float(runs.meta.get("clock_mhz", 4.0))
    leak_pj_per_cycle = table["leakage"]["all_cycle"]
    return {
        "format": "sparrow-event-energies", "version": 2,
        "units": "pJ per event or per bit toggle (leakage: pJ per clock cycle at clock_mhz)",
        "node_nm": runs.meta.get("node_nm"), "clock_mhz": clock, "vdd": runs.meta.get("vdd"),
        "provenance": {"campaign": str(campaign), "campaign_meta": runs.meta,
                       "campaign_sha256": hashlib.sha256(Path(campaign).read_bytes()).hexdigest(),
                       "rows": len(runs.total), "bundles": sorted(set(runs.bundles)),
                       "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "command": command},
        "features": {f: list(v) for f, v in FEATURES.items()},
        "energies_pj": table,
        "leakage_uw": leak_pj_per_cycle * clock,
        "fit_residuals": residuals(runs, table),
        "validation": val,
        "validation_cross": cross,
        "energies_pj_events": table_ev,
        "validation_events": {k: v for k, v in val_ev.items() if k != "per_bundle"},
    }


def load_table(path: str | Path = TABLE) -> dict:
    """Read and check an event-energy table."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise EnergyModelError(f"cannot read energy table '{path}': {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != "sparrow-event-energies":
        raise EnergyModelError(f"'{path}' is not a sparrow-event-energies table")
    tab = doc.get("energies_pj")
    if not isinstance(tab, dict) or not tab:
        raise EnergyModelError(f"energy table '{path}' has no energies_pj")
    for key in ("energies_pj", "energies_pj_events"):
        for comp, terms in (doc.get(key) or {}).items():
            if not isinstance(terms, dict):
                raise EnergyModelError(f"energy table '{path}': {key}.{comp} is not an object")
            for f, c in terms.items():
                ok = isinstance(c, (int, float)) and math.isfinite(c) and c >= 0
                if f not in FEATURES or not ok:
                    raise EnergyModelError(f"energy table '{path}': bad entry {comp}.{f} = "
                                           f"{c!r}")
    return doc


# ---------------------------------------------------------------------------------------------
# synthetic campaigns (to develop and test the fitter before / besides the gate-level runs)


def synthetic_campaign(table: dict[str, dict[str, float]], cases: list[tuple[str, str]],
                       out: Path, noise: float = 0.0, seed: int = 0, clock_mhz: float = 4.0
                       ) -> Path:
    """Write a gls_runs.json whose energies are ``table`` applied to the golden events and
    toggles of every input of each (bundle path, inputs path) case, run in that order as one
    simulation (as :func:`load_runs` reads it), times (1 + noise·N(0, 1)) per component;
    returns its path."""
    rng = np.random.default_rng(seed)
    rows = []
    for bpath, xpath in cases:
        bundle = load_bundle(bpath)
        n = len(np.load(xpath))
        comp = count_events(bundle, np.load(xpath))["cycles"]
        rows += [{"bundle": str(bpath), "inputs": str(xpath), "index": i,
                  "cycles": int(comp[i]), "energy_pj": {c: 0.0 for c in COMPONENTS},
                  "total_pj": 0.0} for i in range(n)]
    doc = {"node_nm": 180, "clock_mhz": clock_mhz, "vdd": 1.8, "synthetic": True, "runs": rows}
    out.write_text(json.dumps(doc))
    pred = predict(table, load_runs(out).features)
    for k, r in enumerate(rows):
        r["energy_pj"] = {c: float(pred[c][k] * (1 + noise * rng.standard_normal()))
                          if c in pred else 0.0 for c in COMPONENTS}
        r["total_pj"] = float(sum(r["energy_pj"].values()))
    out.write_text(json.dumps(doc, indent=1))
    return out


def flop_check(run_dir: str | Path) -> dict:
    """The model's accumulator toggles (``sum_bit``) against the gate-level toggle counts of
    mac_array's flip-flops (its 8 × 33 ``sum_q`` bits), inference by inference, for a GLS run
    directory (plan.json, jobs/<job>.npz, ../../meta.json of silicon.gls / silicon.netlist):
    the jobs run in plan order as one simulation after one reset."""
    run_dir = Path(run_dir)
    try:
        meta = json.loads((run_dir.parents[1] / "meta.json").read_text())
        plan = json.loads((run_dir / "plan.json").read_text())
        cells = np.array(meta["modules"]) == "mac_array"
        flops = cells & np.char.startswith(np.array(meta["types"]), "DFF")
        n_cells = len(meta["modules"])
        gls, rows = [], []
        for job in plan:
            with np.load(run_dir / "jobs" / f"{job['name']}.npz") as z:
                gls += list(z["counts"][:, :n_cells][:, flops].astype(np.int64).sum(axis=1))
            rows += [{"bundle": job["bundle"], "inputs": job["inputs"], "index": int(i),
                      "energy_pj": {c: 0.0 for c in COMPONENTS}, "total_pj": 0.0}
                     for i in job["indices"]]
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise EnergyModelError(f"cannot read GLS run '{run_dir}': "
                               f"{' '.join(str(exc).split())[:200]}") from None
    with tempfile.TemporaryDirectory() as tmp:
        camp = Path(tmp) / "plan_rows.json"
        camp.write_text(json.dumps({"runs": rows}))
        model = load_runs(camp).features["sum_bit"].astype(np.int64)
    gls_a = np.array(gls, dtype=np.int64)
    if len(gls_a) != len(model):
        raise EnergyModelError(f"GLS run '{run_dir}': {len(gls_a)} windows for {len(model)} "
                               "planned inferences")
    diff = model - gls_a
    return {"inferences": int(len(diff)), "equal": int(np.sum(diff == 0)),
            "max_abs_diff": int(np.abs(diff).max()), "gls_toggles": int(gls_a.sum()),
            "model_toggles": int(model.sum()), "flops": int(flops.sum())}


def main(argv: list[str] | None = None) -> int:
    """``python -m silicon.energyfit [--campaign gls_runs.json] [--out table.json]``: fit,
    validate (held-out, 5 %) and write the table; exit 1 when the validation fails."""
    import argparse
    import os
    import sys

    ap = argparse.ArgumentParser(prog="python -m silicon.energyfit",
                                 description="Fit per-event energies on a gate-level campaign.")
    ap.add_argument("--campaign", type=Path, default=REPO / "reports/energy/gls_runs.json")
    ap.add_argument("--out", type=Path, default=TABLE)
    ap.add_argument("--tol", type=float, default=0.05)
    ap.add_argument("--flop-check", type=Path, metavar="RUN_DIR",
                    help="only compare the modelled accumulator toggles with the gate-level "
                    "flip-flop toggles of a GLS run (e.g. build/silicon/gls/main/runs/NAME)")
    ap.add_argument("--check", type=Path, metavar="TABLE",
                    help="only apply an existing table (no refit) to the campaign's rows and "
                    "check each within --tol: an out-of-sample test when the campaign is not "
                    "the one the table was fitted on")
    a = ap.parse_args(argv)
    if a.check is not None:
        try:
            doc = load_table(a.check)
            v = validate(load_runs(a.campaign), a.tol, table=doc["energies_pj"])
        except EnergyModelError as exc:
            print(f"energyfit: error: {exc}", file=sys.stderr)
            return 1
        print(f"energyfit: table {a.check} (fitted on "
              f"{doc.get('provenance', {}).get('rows', '?')} rows) on {v['rows']} rows of "
              f"{a.campaign}: error max {100 * v['max_rel_err']:.2f} %, mean "
              f"{100 * v['mean_rel_err']:.2f} % (tolerance {100 * a.tol:g} %)")
        for b, r in v["per_bundle"].items():
            if is_committed(b) or r["max_rel_err"] > a.tol:
                print(f"  {b}: {r['rows']} rows, max {100 * r['max_rel_err']:.2f} %, mean "
                      f"{100 * r['mean_rel_err']:.2f} %")
        return 0 if v["ok"] else 1
    if a.flop_check is not None:
        try:
            fc = flop_check(a.flop_check)
        except EnergyModelError as exc:
            print(f"energyfit: error: {exc}", file=sys.stderr)
            return 1
        print(f"energyfit: mac_array flip-flops ({fc['flops']}): modelled toggles equal the "
              f"gate-level count on {fc['equal']} of {fc['inferences']} inferences (max "
              f"difference {fc['max_abs_diff']}; {fc['gls_toggles']} toggles in all)")
        return 0 if fc["equal"] == fc["inferences"] else 1
    cmd = "python -m silicon.energyfit " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        doc = build_table(a.campaign, cmd.strip(), a.tol)
    except EnergyModelError as exc:
        print(f"energyfit: error: {exc}", file=sys.stderr)
        return 1
    v = doc["validation"]
    print(f"energyfit: {doc['provenance']['rows']} runs, {len(doc['provenance']['bundles'])} "
          f"bundles; held-out error max {100 * v['max_rel_err']:.2f} %, mean "
          f"{100 * v['mean_rel_err']:.2f} % (tolerance {100 * a.tol:g} %)")
    for comp, terms in doc["energies_pj"].items():
        print(f"  {comp:10s} " + ", ".join(f"{f} {c:.4g} pJ" for f, c in terms.items()))
    for name, c in doc["validation_cross"].items():
        print(f"energyfit: probe {name.replace('_', ' ')}: max {100 * c['max_rel_err']:.2f} %, "
              f"mean {100 * c['mean_rel_err']:.2f} % ({c['rows']} rows)")
    ve = doc["validation_events"]
    print(f"energyfit: count-only variant (IF pricing): held-out error max "
          f"{100 * ve['max_rel_err']:.2f} %, mean {100 * ve['mean_rel_err']:.2f} %")
    if not v["ok"]:
        worst = max(v["per_bundle"].items(), key=lambda kv: kv[1]["max_rel_err"])
        print(f"energyfit: error: validation failed: {worst[0]} off by "
              f"{100 * worst[1]['max_rel_err']:.1f} % (table not written)", file=sys.stderr)
        return 1
    fd, tmp = tempfile.mkstemp(prefix=f".{a.out.name}.", dir=a.out.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, a.out)
    print(f"energyfit: table -> {a.out}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
