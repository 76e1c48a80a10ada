"""Energy reports: reports/energy/summary.json (spec §5 keys), summary.md, the stacked-bar PNG
and the hand-off file gls_runs.json for the per-event estimator (docs/energy.md §7)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from silicon import memory
from silicon.energy import build_model, scale_to_22nm, window_energy
from silicon.flow import BUILD, REPO, REPORTS, FlowError
from silicon.netlist import MODULES

TERMS = ["logic", "clock", "leakage", "mem_weight", "mem_act", "mem_bias", "mem_theta"]
BAR_TERMS = list(MODULES) + ["clock", "leakage", "mem_weight", "mem_act", "mem_bias", "mem_theta"]


def _rel(p: str | Path) -> str:
    p = Path(p)
    try:
        return str(p.resolve().relative_to(REPO))
    except ValueError:
        return str(p)


def gls_rows(run_dir: Path) -> tuple[list[dict], list[str]]:
    """Per-inference energy rows of every job of a GLS run, and the access-count checks that
    failed (weight reads = CNT_WREADS; activation reads = taps walked (wreads + skips) and
    writes = input bytes + outputs of every layer but the last, as the golden model predicts)."""
    from golden.bundle import load_bundle
    from tb.regress import golden_batch

    model = build_model(run_dir.parents[1] / "meta.json")
    rows, problems = [], []
    # the plan's order is the simulation order (the per-event model carries state from one
    # inference to the next); the run starts from reset
    plan_path = run_dir / "plan.json"              # written by silicon.gls.run with every run
    if not plan_path.is_file():
        raise FlowError(f"energy: {plan_path} missing (not a GLS run folder; run make gls)")
    for planned in json.loads(plan_path.read_text()):
        jp = run_dir / "jobs" / f"{planned['name']}.json"
        if not jp.is_file():
            problems.append(f"{jp.stem}: no result (job of the plan did not run)")
            continue
        job = json.loads(jp.read_text())
        z = np.load(jp.with_suffix(".npz"))
        counts = z["counts"]
        n_cells = len(model.names)
        bundle = load_bundle(json.loads(Path(job["bundle"]).read_text()))
        x = np.load(job["inputs"])[np.array(job["indices"])]
        gold = golden_batch(bundle, x)
        n_last = int(np.sum(gold.events[0, :, 1] == len(bundle.layers) - 1))
        act_wr_pred = bundle.in_channels * bundle.in_length + gold.events.shape[1] - n_last
        for k, i in enumerate(job["indices"]):
            tog, lv = counts[k, :n_cells], counts[k, n_cells:]
            e = window_energy(model, int(z["window"][k]), tog, lv)
            acc = e["accesses"]
            wr = acc["rd:u_wmem"]
            act_rd = acc["rd:g_act[0].u_act"] + acc["rd:g_act[1].u_act"]
            act_wr = acc["wr:g_act[0].u_act"] + acc["wr:g_act[1].u_act"]
            exp_rd = int(gold.wreads[k] + gold.skips[k])
            if wr != job["wreads"][k]:
                problems.append(f"{job['name']}[{i}]: weight reads {wr} != CNT_WREADS "
                                f"{job['wreads'][k]}")
            if act_rd != exp_rd or act_wr != act_wr_pred:
                problems.append(f"{job['name']}[{i}]: activation reads/writes {act_rd}/{act_wr}"
                                f" != golden {exp_rd}/{act_wr_pred}")
            rows.append({"job": job["name"], "kind": "real" if "-real" in job["name"]
                         else "random", "bundle": _rel(job["bundle"]),
                         "inputs": _rel(job["inputs"]), "index": int(i),
                         "cycles": e["cycles"], "compute_cycles": int(job["cycles"][k]),
                         "mismatches": job["mismatches"], "wreads": wr,
                         "act_reads": act_rd, "act_writes": act_wr,
                         "energy_pj": {t: round(e[t], 3) for t in TERMS}
                         | {mod: round(v, 3) for mod, v in e["modules"].items()}
                         | {"clock_pins": round(e["clock_pins"], 3),
                            "clock_icg": round(e["clock_icg"], 3),
                            "clock_tree": round(e["clock_tree"], 3)},
                         "total_pj": round(e["total"], 3),
                         "total_ungated_pj": round(e["total_ungated"], 3)})
    if rows:
        rows[0]["after_reset"] = True
    return rows, problems


def write_handoff(rows: list[dict], path: Path | None = None) -> Path:
    """reports/energy/gls_runs.json for the energymodel helper."""
    path = path or REPORTS / "gls_runs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"node_nm": 180, "clock_mhz": 4.0, "vdd": memory.VDD,
            "note": "energy per inference window (first accepted input byte .. irq), pJ; "
                    "clock-gated model, see docs/energy.md",
            "runs": [{"bundle": r["bundle"], "inputs": r["inputs"], "index": r["index"],
                      "cycles": r["cycles"], "compute_cycles": r["compute_cycles"],
                      "energy_pj": r["energy_pj"], "total_pj": r["total_pj"]}
                     | ({"after_reset": True} if r.get("after_reset") else {}) for r in rows]}
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def _stat(v: list[float]) -> dict:
    a = np.asarray(v, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()),
            "max": float(a.max()), "n": int(a.size)}


def summarize(rows: list[dict], problems: list[str], timing: dict, area: dict,
              gls: dict) -> dict:
    """summary.json, summary.md and energy_breakdown.png from the GLS rows."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    by_bundle: dict[str, list[dict]] = {}
    for r in rows:
        if r["kind"] == "real":
            by_bundle.setdefault(r["bundle"], []).append(r)
    if not by_bundle:
        raise FlowError("energy: no real-input GLS rows (run make gls)")
    per = {}
    for b, rs in by_bundle.items():
        tot = [r["total_pj"] / 1000 for r in rs]
        per[b] = {"energy_nj": _stat(tot),
                  "energy_nj_ungated": _stat([r["total_ungated_pj"] / 1000 for r in rs]),
                  "cycles": _stat([r["cycles"] for r in rs]),
                  "terms_nj": {t: float(np.mean([r["energy_pj"][t] for r in rs])) / 1000
                               for t in BAR_TERMS},
                  "energy_nj_22nm": [round(v, 4) for v in scale_to_22nm(float(np.mean(tot)))]}
    ecg = next((b for b in per if "ecg" in b), next(iter(per)))
    e_ecg = per[ecg]["energy_nj"]["mean"]
    cyc = per[ecg]["cycles"]["mean"]
    f = timing["clock_mhz"] * 1e6
    leak_w = sum(m.leak_uw for m in memory.macros().values()) * 1e-6 + area["leak_w"]
    p_cont = e_ecg * 1e-9 / (cyc / f) * 1e6                     # uW, back-to-back inferences
    p_1hz = e_ecg * 1e-9 * 1.0 * 1e6 + leak_w * 1e6             # uW, 1 inference/s, gated idle
    c22, lo22, hi22 = scale_to_22nm(e_ecg)
    ifr = if_ratio()
    eq_path = REPORTS / "equiv.json"
    eq = json.loads(eq_path.read_text()) if eq_path.is_file() else {}
    summary = {"node_nm": 180, "clock_mhz": timing["clock_mhz"],
               "area_um2": round(area["total_um2"], 1), "fmax_mhz": timing["fmax_mhz"],
               "energy_nj": round(e_ecg, 3), "energy_nj_22nm": round(c22, 4),
               "power_uw_4mhz": round(p_cont, 2), "gls_inputs": gls["inputs"],
               "gls_mismatches": gls["mismatches"], "if_energy_ratio": ifr.get("if_energy_ratio"),
               "if_energy_ratio_T_sim": ifr.get("if_energy_ratio_T_sim"),
               "if_energy_ratio_source": ifr.get("source"),
               "netlist_equivalent": eq.get("equivalent"),
               "energy_bundle": ecg, "energy_nj_22nm_range": [round(lo22, 4), round(hi22, 4)],
               "power_uw_1hz": round(p_1hz, 3), "leakage_uw": round(leak_w * 1e6, 3),
               "area_logic_um2": area["logic_um2"], "area_macros_um2": area["macro_um2"],
               "slack_ns_4mhz": timing["slack_ns"], "critical_path": [timing["worst_startpoint"],
                                                                       timing["worst_endpoint"]],
               "access_check_failures": len(problems), "per_bundle": per,
               "commands": "make synth sta gls energy"}
    (REPORTS / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    _plot(per)
    _markdown(summary, per, problems)
    return summary


def _plot(per: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = list(per)
    bottom = np.zeros(len(names))
    cmap = plt.get_cmap("tab20")
    for k, t in enumerate(BAR_TERMS):
        vals = np.array([per[b]["terms_nj"][t] for b in names])
        ax.bar(range(len(names)), vals, bottom=bottom, label=t, color=cmap(k))
        bottom += vals
    ax.set_xticks(range(len(names)), [Path(b).parent.name + "/" + Path(b).stem for b in names])
    ax.set_ylabel("energy per inference at 0.18 um, 1.8 V (nJ)")
    ax.set_title("SparrowSNN energy breakdown (gate-level activity, 4 MHz)")
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    fig.tight_layout()
    fig.savefig(REPORTS / "energy_breakdown.png", dpi=120)
    plt.close(fig)


def _markdown(s: dict, per: dict, problems: list[str]) -> None:
    lines = ["# Silicon summary (make synth sta gls energy)", "",
             f"* area: {s['area_um2']:,.0f} um^2 (logic {s['area_logic_um2']:,.0f}, macros "
             f"{s['area_macros_um2']:,.0f}); fmax {s['fmax_mhz']} MHz; slack at "
             f"{s['clock_mhz']} MHz {s['slack_ns_4mhz']} ns",
             f"* netlist = RTL proven: {s['netlist_equivalent']} (reports/energy/equiv.json; "
             f"null: make synth not run)",
             f"* GLS: {s['gls_inputs']} inputs, {s['gls_mismatches']} mismatches; access-count "
             f"check failures: {s['access_check_failures']}",
             f"* energy per inference ({s['energy_bundle']}): {s['energy_nj']} nJ at 0.18 um; "
             f"{s['energy_nj_22nm']} nJ scaled to 22 nm (range {s['energy_nj_22nm_range']})",
             f"* power: {s['power_uw_4mhz']} uW back-to-back at 4 MHz, {s['power_uw_1hz']} uW "
             f"at 1 inference/s (clock gated when idle; leakage {s['leakage_uw']} uW)", "",
             "| bundle | inputs | nJ mean | std | min | max | ungated nJ | cycles | 22 nm nJ |",
             "|---|---|---|---|---|---|---|---|---|"]
    for b, p in per.items():
        e = p["energy_nj"]
        lines.append(f"| {b} | {e['n']} | {e['mean']:.2f} | {e['std']:.2f} | {e['min']:.2f} | "
                     f"{e['max']:.2f} | {p['energy_nj_ungated']['mean']:.2f} | "
                     f"{p['cycles']['mean']:.0f} | {p['energy_nj_22nm'][0]:.3f} |")
    lines += ["", "| term (nJ, mean) | " + " | ".join(per) + " |",
              "|---|" + "---|" * len(per)]
    for t in BAR_TERMS:
        lines.append(f"| {t} | " + " | ".join(f"{per[b]['terms_nj'][t]:.3f}" for b in per)
                     + " |")
    if problems:
        lines += ["", "Access-count check failures (first 10):", ""]
        lines += [f"* {p}" for p in problems[:10]]
    (REPORTS / "summary.md").write_text("\n".join(lines) + "\n")


def if_ratio(path: Path | None = None) -> dict:
    """IF / SSF energy at equal accuracy from the priced IF sweep (make if-baseline, then
    ``python -m silicon.if_sweep --reprice`` once silicon/event_energies.json exists); empty
    when the sweep is absent or unpriced (summary.json then says null)."""
    path = path or REPORTS / "if_baseline.json"
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text())
    if doc.get("table") is None or doc.get("if_energy_ratio") is None:
        return {}
    return {"if_energy_ratio": round(float(doc["if_energy_ratio"]), 2),
            "if_energy_ratio_T_sim": doc.get("if_energy_ratio_T_sim"), "source": _rel(path)}


def area_figures() -> dict:
    """Logic area (yosys stat -liberty), macro area (memory model), leakage of the cells."""
    stat = (BUILD / "stat.txt")
    if not stat.is_file():
        raise FlowError("build/silicon/stat.txt missing (run make synth)")
    m = re.search(r"Chip area for module '\\sparrow_top': ([\d.]+)", stat.read_text())
    if not m:
        raise FlowError("no chip area in build/silicon/stat.txt; log build/silicon/synth.log")
    logic = float(m.group(1))
    macro = sum(x.area_um2 for x in memory.macros().values())
    from silicon.sta import load_power

    tab = load_power()
    idx = {n: i for i, n in enumerate(tab["names"])}
    leak = float(tab["p0"][:, 2].sum() - sum(tab["p0"][idx[n], 2] for n in memory.INSTANCES
                                             if n in idx))
    return {"logic_um2": logic, "macro_um2": round(macro, 1), "total_um2": logic + macro,
            "leak_w": leak}
