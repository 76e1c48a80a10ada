"""python -m silicon synth|equiv|sta|gls|energy: the silicon flow (make synth / sta / gls /
energy; docs/energy.md). A failing step prints one line naming its log and exits 1."""

from __future__ import annotations

import argparse
import json
import re
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


def dangling_names(netlist: Path) -> list[str]:
    """RTL wire names the synthesis left without a driver (written as a constant 0 after
    ``setundef``): they name nothing in the netlist, so equiv_make must not pair them."""
    pat = re.compile(r"^  assign (\\\S+|\w+)\s*(?:\[[^\]]*\])?\s*= \d+'[hbd][0-9a-fA-F]+;$")
    out = set()
    for line in netlist.read_text().splitlines():
        m = pat.match(line)
        if m and "." in m.group(1):            # instance-internal names only, never ports
            out.add(m.group(1).lstrip("\\"))
    return sorted(out)


def _template(name: str, top: str, out: Path) -> str:
    text = (REPO / "silicon" / name).read_text()
    text = re.sub(r"(?<![/\w])sparrow_top(?![\w.])", top, text)
    return text.replace("build/silicon/", f"{out}/")


def equiv(netlist: Path | None = None, log: Path | None = None,
          top: str = "sparrow_top") -> dict:
    """silicon/equiv.ys on ``netlist``: RTL == netlist (memories black-boxed on both sides)."""
    check_tool("yosys")
    check_library()
    netlist = netlist or BUILD / "netlist.v"
    if not netlist.is_file():
        raise FlowError(f"equiv: {netlist} missing (run make synth)")
    log = log or BUILD / "equiv.log"
    script = log.with_suffix(".ys")
    black = log.with_suffix(".blacklist")
    black.write_text("\n".join(dangling_names(netlist)) + "\n")
    script.write_text(_template("equiv.ys", top, BUILD).replace("NETLIST", str(netlist))
                      .replace("BLACKLIST", str(black)))
    t0 = time.time()
    try:
        run_step("equivalence check", ["yosys", "-q", "-l", str(log), str(script)],
                 log.with_suffix(".out"))
    except FlowError:
        text = log.read_text() if log.is_file() else ""
        m = re.findall(r"Found (\d+) unproven \$equiv cells", text)
        raise FlowError(f"equivalence NOT proven ({m[-1] if m else '?'} unproven $equiv "
                        f"cells); log {rel(log)}") from None
    text = log.read_text()
    proven = re.findall(r"Found (\d+) \$equiv cells in equiv:", text)
    res = {"equivalent": True, "equiv_cells": int(proven[-1]) if proven else None,
           "seconds": round(time.time() - t0, 1), "log": str(log)}
    if netlist == BUILD / "netlist.v" and top == "sparrow_top":
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / "equiv.json").write_text(json.dumps(res, indent=1) + "\n")
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
        if args.cmd == "synth":
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
