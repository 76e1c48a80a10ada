"""python -m silicon synth|equiv|sta|gls|energy: the silicon flow (make synth / sta / gls /
energy; docs/energy.md). A failing step prints one line naming its log and exits 1."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from silicon.flow import (BUILD, REPO, REPORTS, FlowError, check_library, check_tool, rel,
                          run_step)


def synth(top: str = "sparrow_top", out: Path = BUILD) -> dict:
    """yosys synthesis (silicon/synth.ys) of ``top`` -> <out>/netlist.v, netlist_sta.v,
    stat.txt (tests synthesise single modules into their own folder)."""
    check_tool("yosys")
    check_library()
    out.mkdir(parents=True, exist_ok=True)
    script = out / "synth_run.ys"
    script.write_text(_template("synth.ys", top, out))
    t0 = time.time()
    run_step("synthesis", ["yosys", "-q", "-l", str(out / "synth.log"), str(script)],
             out / "synth.out")
    if top in ("sparrow_top", "ctrl"):
        from silicon.equiv_cut import ARITH_CUTS
        text = (out / "netlist.v").read_text()
        lost = [p for p in ARITH_CUTS if f"ctrl_mul_{p[:-2]}." not in text]
        if lost:
            raise FlowError(f"synthesis: the descriptor-check products {', '.join(lost)} are "
                            f"not modules of their own in {rel(out / 'netlist.v')} (submod in "
                            f"silicon/synth.ys); the equivalence check cuts there")
    if top != "sparrow_top" or out != BUILD:
        return {"netlist": str(out / "netlist.v")}
    text = (out / "stat.txt").read_text()
    cells = int(re.search(r"Number of cells:\s+(\d+)", text).group(1))
    flops = int(re.search(r"DFFPOSX1\s+(\d+)", text).group(1))
    area = float(re.search(r"Chip area for module '\\sparrow_top': ([\d.]+)", text).group(1))
    res = {"cells": cells, "flops": flops, "logic_area_um2": area,
           "seconds": round(time.time() - t0, 1)}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "synth.json").write_text(json.dumps(res, indent=1) + "\n")
    (REPORTS / "synth_stat.txt").write_text(text)
    return res


def _template(name: str, top: str, out: Path) -> str:
    text = (REPO / "silicon" / name).read_text()
    text = re.sub(r"(?<![/\w])sparrow_top(?![\w.])", top, text)
    return text.replace("build/silicon/", f"{out}/")


def _abc_verdict(text: str, seconds: int) -> str:
    """The verdict of one ``&cec -m`` run from its output."""
    return ("proven" if "Networks are equivalent" in text else
            "counterexample" if "NOT EQUIVALENT" in text else f"undecided in {seconds} s")


def _cec(aig: Path, log: Path, seconds: int, conflicts: int | None = None) -> str:
    """ABC ``&cec -m`` (SAT sweeping) on the single-output miter ``aig``; output in ``log``."""
    limit = f" -C {conflicts}" if conflicts else ""
    try:
        with open(log, "w") as fh:
            subprocess.run(["yosys-abc", "-c", f"&r {aig}; &ps; &cec -m{limit} -T {seconds}"],
                           stdout=fh, stderr=subprocess.STDOUT, timeout=seconds + 60,
                           check=False)
    except subprocess.TimeoutExpired:
        with open(log, "a") as fh:              # ABC's buffered output is lost when killed
            fh.write(f"\nkilled after {seconds + 60} s wall clock (ABC -T {seconds} not "
                     f"reached: loaded machine); no verdict\n")
    return _abc_verdict(log.read_text(), seconds)


def prove_cofactors(aig: Path, numbers: list[int], log: Path, seconds: int, jobs: int = 2,
                    values: list[int] | None = None) -> tuple[str, dict]:
    """Prove the miter ``aig`` by cofactoring on its inputs ``numbers`` (bit i of the value
    drives input numbers[i]): every assignment (or only ``values``) gets its own constant-
    input copy proven by ``_cec``; all proven => the miter is proven (Shannon expansion).
    Stops at the first counterexample. Returns (verdict, per-value verdicts and seconds);
    the per-cofactor ABC outputs are appended to ``log``."""
    from concurrent.futures import ThreadPoolExecutor

    from silicon import equiv_cut

    a = equiv_cut.read_aiger(aig)
    todo = list(range(1 << len(numbers))) if values is None else list(values)
    stop = []
    per: dict[int, tuple[str, float]] = {}

    def one(v: int) -> None:
        if stop:
            return
        f = aig.with_name(f"{aig.stem}.cof{v}.aig")
        flog = aig.with_name(f"{aig.stem}.cof{v}.log")
        equiv_cut.write_cofactor(a, f, {n: (v >> i) & 1 for i, n in enumerate(numbers)})
        t = time.time()
        verdict = _cec(f, flog, seconds, conflicts=10000)
        per[v] = (verdict, round(time.time() - t, 2))
        if verdict == "counterexample":
            stop.append(v)
        f.unlink()

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, todo))
    with open(log, "w") as fh:
        for v in sorted(per):
            flog = aig.with_name(f"{aig.stem}.cof{v}.log")
            fh.write(f"=== cofactor {v}: {per[v][0]} ({per[v][1]} s)\n" + flog.read_text())
            flog.unlink()
    verdicts = {v: r[0] for v, r in per.items()}
    if stop:
        verdict = "counterexample"
    elif len(per) == len(todo) and all(x == "proven" for x in verdicts.values()):
        verdict = "proven"
    else:
        bad = sorted(v for v, x in verdicts.items() if x != "proven")
        verdict = f"undecided in {seconds} s (cofactors {bad[:8]})"
    return verdict, {"cofactors": len(todo), "failing": sorted(stop), "seconds_max": max(
        (r[1] for r in per.values()), default=0.0), "verdicts": verdicts}


def _enumerate(aig: Path, amap: Path, log: Path) -> tuple[str, dict]:
    """Prove a small miter (a descriptor-check product) by evaluating it on every value of
    its inputs (equiv_cut.exhaustive); the verdict and a counterexample go to ``log``."""
    from silicon import equiv_cut

    t = time.time()
    verdict, info = equiv_cut.exhaustive(equiv_cut.read_aiger(aig))
    names = {num: port if port.endswith("]") else f"{port}[{bit}]"
             for (port, bit), num in equiv_cut.map_inputs(amap).items()}
    info["seconds"] = round(time.time() - t, 2)
    cex = info.pop("counterexample", None)
    with open(log, "w") as fh:
        fh.write(f"exhaustive enumeration of {aig.name}: {info['inputs']} inputs, "
                 f"{info['values']} values, {info.get('and_nodes', 0)} AND nodes: {verdict} "
                 f"({info['seconds']} s)\n")
        if cex:
            info["counterexample"] = {names.get(k, str(k)): v for k, v in sorted(cex.items())}
            for k, v in info["counterexample"].items():
                fh.write(f"  {k} = {v}\n")
    if verdict == "too large":
        verdict = f"not enumerable ({info['inputs']} inputs)"
    return verdict, info


def equiv(netlist: Path | None = None, log: Path | None = None,
          top: str = "sparrow_top", abc_seconds: int = 120, undef: str = "resolve") -> dict:
    """RTL == netlist (memories black-boxed on both sides), docs/energy.md §2: silicon/equiv.ys
    pairs the signals by name (equiv_make), silicon/equiv_cut.py cuts the pair at the matched
    registers into combinational miters (one per instance, the mac lanes apart), ABC's
    ``&cec`` proves each; the mac lanes cofactored on their shared activation (256 miters).
    The RTL's x constants are resolved as the synthesis does (``undef``, equiv_cut).
    FlowError names the log when a proof fails or runs out of ``abc_seconds`` (per miter, per
    cofactor)."""
    from silicon import equiv_cut

    check_tool("yosys")
    check_tool("yosys-abc")
    check_library()
    netlist = netlist or BUILD / "netlist.v"
    if not netlist.is_file():
        raise FlowError(f"equiv: {netlist} missing (run make synth)")
    log = log or BUILD / "equiv.log"
    work = str(log.with_suffix(""))
    for old in Path(work).parent.glob(Path(work).name + ".*"):
        if old.is_file() and old != log:
            old.unlink()
    log.unlink(missing_ok=True)
    ys, js = Path(f"{work}.ys"), Path(f"{work}.json")
    ys.write_text(_template("equiv.ys", top, BUILD).replace("NETLIST", str(netlist))
                  .replace("JSONOUT", str(js)))
    t0 = time.time()
    secs: dict[str, float] = {}
    run_step("equivalence check (yosys equiv_make)",
             ["yosys", "-q", "-l", str(log), str(ys)], Path(f"{work}.out"))
    secs["yosys_pair"] = round(time.time() - t0, 1)
    t1 = time.time()
    try:
        groups = equiv_cut.split(js, f"{work}.miter", top=top, undef=undef)
    except equiv_cut.CutError as exc:
        raise FlowError(f"equivalence NOT proven: {exc}; log {rel(log)}") from None
    secs["cut"] = round(time.time() - t1, 1)
    verdicts: dict[str, str] = {}
    cof_info: dict[str, dict] = {}
    enum_info: dict[str, dict] = {}
    for g, c in groups.items():
        t1 = time.time()
        aig = Path(f"{work}.miter.{g}.aig")
        amap = Path(f"{work}.miter.{g}.map")
        Path(f"{work}.aig.{g}.ys").write_text(
            f"read_json {work}.miter.{g}.json\nhierarchy -top miter\naigmap\n"
            f"write_aiger -map {amap} {aig}\n")
        run_step(f"equivalence check (yosys miter {g} to AIGER)",
                 ["yosys", "-q", f"{work}.aig.{g}.ys"], Path(f"{work}.aig.{g}.out"))
        secs[f"aiger_{g}"] = round(time.time() - t1, 1)
        t1 = time.time()
        abc_log = Path(f"{work}.abc.{g}.log")
        if c.cofactor:
            try:
                nums = equiv_cut.input_numbers(amap, c.cofactor)
            except equiv_cut.CutError as exc:
                raise FlowError(f"equivalence NOT proven: {exc}; log {rel(log)}") from None
            verdicts[g], info = prove_cofactors(aig, nums, abc_log, abc_seconds)
            cof_info[g] = {"variables": [f"{p}[{b}]" for p, b in c.cofactor],
                           "cofactors": info["cofactors"], "seconds_max": info["seconds_max"],
                           "counterexample_cofactors": info["failing"]}
        elif c.exhaustive:
            verdicts[g], info = _enumerate(aig, amap, abc_log)
            enum_info[g] = info
        else:
            verdicts[g] = _cec(aig, abc_log, abc_seconds)
        secs[f"abc_{g}"] = round(time.time() - t1, 1)
    bad = {g: v for g, v in verdicts.items() if v != "proven"}
    covered = set().union(*(c.covered for c in groups.values()))
    summ = next(iter(groups.values())).summary()
    summ.update(obligations=sum(len(c.obligations) for c in groups.values()),
                obligations_by_group={g: len(c.obligations) for g, c in groups.items()},
                trivial=sum(c.trivial for c in groups.values()),
                netlist_cells_covered=len(covered),
                free_undef_bits=sum(c.free_undef for c in groups.values()))
    res = {"equivalent": not bad,
           "method": "equiv_make name pairing, register-correspondence cut to combinational "
                     "miters per instance (silicon/equiv_cut.py), RTL x constants resolved as "
                     f"the synthesis does ({undef}), ABC &cec -m (yosys-abc); mac lanes "
                     "cofactored on the activation; the descriptor check's products cut at "
                     "their module ports and proven by enumerating every operand value",
           **summ, "verdicts": verdicts, "cofactoring": cof_info, "enumerated": enum_info,
           "arithmetic_cut_inputs": {g: c.cut_inputs for g, c in groups.items()
                                     if c.cut_inputs},
           "abc_seconds_per_miter": abc_seconds,
           "seconds": round(time.time() - t0, 1), "seconds_by_step": secs, "log": rel(log)}
    if netlist == BUILD / "netlist.v" and top == "sparrow_top":
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / "equiv.json").write_text(json.dumps(res, indent=1) + "\n")
    if bad:
        g = sorted(bad)[0]
        raise FlowError(
            "equivalence NOT proven: " + ", ".join(
                f"{k} ({len(groups[k].obligations)} obligations) {v}" for k, v in bad.items())
            + f"; log {rel(Path(f'{work}.abc.{g}.log'))}")
    js.unlink()                            # large: kept only when the proof fails (diagnosis)
    return res


def sta_step() -> dict:
    """Timing at 4 MHz, fmax, per-instance power tables and their linearity check."""
    from silicon import sta

    t = sta.timing()
    tab = sta.power_tables()
    third = tab["third"]
    pred = sta.linear_total(tab, third)
    meas = tab["totals"][str(third)][3]
    err = abs(pred - meas) / meas
    if err > 1e-3:
        raise FlowError(f"power is not linear in activity: {pred:.6g} W predicted at "
                        f"{third}, report_power {meas:.6g} W; log build/silicon/power.log")
    t["power_linearity_rel_err"] = err
    (REPORTS / "timing.json").write_text(json.dumps(t, indent=1) + "\n")
    return t


def gls_step(per_class: int, n_random: int, sim: str, name: str) -> dict:
    """The gate-level campaign; fails on any mismatch."""
    from silicon import gls

    plan = gls.make_plan(per_class, n_random)
    r = gls.run(plan, sim, name=name)
    res = {"ok": r.ok, "inputs": r.inputs, "mismatches": r.mismatches,
           "seconds": round(r.seconds, 1), "sim": sim, "run": str(r.out), "log": str(r.log)}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"gls-{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    if not r.ok:
        why = r.error or (f"{r.mismatches} mismatching inputs" if r.mismatches else
                          f"the cocotb test failed after {r.inputs} compared inputs")
        raise FlowError(f"GLS {name}: {why}; log {r.log}")
    return res


def energy_step(name: str) -> dict:
    """Energy per inference from a GLS run; writes the reports."""
    from silicon import report

    run_dir = BUILD / "gls" / "main" / "runs" / name
    gls_json = REPORTS / f"gls-{name}.json"
    if not gls_json.is_file() or not run_dir.is_dir():
        raise FlowError(f"energy: GLS run {name!r} missing (run make gls)")
    rows, problems = report.gls_rows(run_dir)
    report.write_handoff(rows)
    timing = json.loads((REPORTS / "timing.json").read_text())
    s = report.summarize(rows, problems, timing, report.area_figures(),
                         json.loads(gls_json.read_text()))
    if problems:
        raise FlowError(f"energy: {len(problems)} access-count check failures (first: "
                        f"{problems[0]}); reports/energy/summary.md")
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m silicon", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("netlist", help="synthesis only (build/silicon/netlist*.v, stat)")
    sub.add_parser("synth", help="synthesis + equivalence")
    sub.add_parser("equiv", help="equivalence of build/silicon/netlist.v with the RTL")
    sub.add_parser("sta", help="timing and power tables")
    g = sub.add_parser("gls", help="gate-level campaign")
    g.add_argument("--per-class", type=int, default=50)
    g.add_argument("--random", type=int, default=50)
    g.add_argument("--sim", default="verilator", choices=["verilator", "icarus"])
    g.add_argument("--name", default="campaign")
    e = sub.add_parser("energy", help="energy reports from a GLS run")
    e.add_argument("--name", default="campaign")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "netlist":
            print("synth:", json.dumps(synth()))
        elif args.cmd == "synth":
            print("synth:", json.dumps(synth()))
            print("equiv:", json.dumps(equiv()))
        elif args.cmd == "equiv":
            print("equiv:", json.dumps(equiv()))
        elif args.cmd == "sta":
            print("sta:", json.dumps(sta_step()))
        elif args.cmd == "gls":
            print("gls:", json.dumps(gls_step(args.per_class, args.random, args.sim,
                                             args.name)))
        elif args.cmd == "energy":
            s = energy_step(args.name)
            print("energy:", json.dumps({k: v for k, v in s.items() if k != "per_bundle"}))
    except FlowError as exc:
        print(f"silicon {args.cmd}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
