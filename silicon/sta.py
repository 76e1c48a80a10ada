"""Static timing and per-instance power with OpenSTA (make sta; docs/energy.md §3, §5).

Timing: the netlist (build/silicon/netlist_sta.v) with the OSU018 liberty and the macro timing
model of silicon/memory.py, one clock on ``clk`` at 4 MHz, inputs and outputs constrained at
the clock edge (0 ns external delay), no wire load (no placement). fmax = 1 / (period - slack).

Power: Debian's OpenSTA 2.0.17 has no read_vcd/read_saif and its per-pin set_power_activity
does not work, but its report_power is linear in the global activity a (transitions per clock
period): P_i(a) = P_i(0) + a (P_i(1) - P_i(0)) for every instance i. ``power_tables`` reports
every instance at a = 0 and a = 1 (and the totals at a third activity, for the linearity check).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from silicon.flow import BUILD, LIBERTY, REPORTS, FlowError, check_library, check_tool, run_step
from silicon.memory import macro_liberty

CLOCK_MHZ = 4.0
MACRO_LIB = BUILD / "sram_macros.lib"


def _head(netlist: Path, period_ns: float, top: str = "sparrow_top") -> list[str]:
    return [f"read_liberty {LIBERTY}", f"read_liberty {MACRO_LIB}", f"read_verilog {netlist}",
            f"link_design {top}",
            f"create_clock -name clk -period {period_ns} [get_ports clk]",
            "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]",
            "set_output_delay 0 -clock clk [all_outputs]"]


def _sta(name: str, lines: list[str], out: Path = BUILD) -> str:
    check_tool("sta")
    tcl = out / f"{name}.tcl"
    log = out / f"{name}.log"
    tcl.write_text("\n".join(lines + ["exit"]) + "\n")
    run_step(f"sta ({name})", ["sta", "-no_splash", "-exit", str(tcl)], log)
    text = log.read_text()
    if re.search(r"^Error", text, re.M):
        first = next(line for line in text.splitlines() if line.startswith("Error"))
        raise FlowError(f"sta ({name}): {first}; log {log}")
    return text


def _worst(text: str) -> tuple[float, float, str | None, str | None]:
    """(data arrival, slack, startpoint, endpoint) of the first path in a report_checks text."""
    m = re.search(r"([-\d.]+)\s+slack \((MET|VIOLATED)\)", text)
    arr = re.search(r"([-\d.]+)\s+data arrival time", text)
    if not m or not arr:
        raise FlowError("sta: no slack in the timing report; log build/silicon/timing.log")
    start = re.search(r"Startpoint: (\S+)", text)
    end = re.search(r"Endpoint: (\S+)", text)
    return float(arr.group(1)), float(m.group(1)), start and start.group(1), end and end.group(1)


def timing(netlist: Path | None = None, clock_mhz: float = CLOCK_MHZ) -> dict:
    """Slack at ``clock_mhz``, fmax and the critical path; writes reports/energy/timing.txt and
    timing.json. APB read data is sampled at the end of the access phase, two cycles after
    paddr/psel are set up, so the combinational input-to-output paths (the register read mux)
    are two-cycle paths; every other path (register, macro, input or output) is single-cycle.
    fmax = min(1 / d1, 2 / d2) over the worst single-cycle (d1) and input-to-output (d2) paths.
    """
    check_library()
    netlist = netlist or BUILD / "netlist_sta.v"
    if not netlist.is_file():
        raise FlowError(f"sta: {netlist} missing (run make synth)")
    macro_liberty(str(MACRO_LIB))
    period = 1000.0 / clock_mhz
    text = _sta("timing", _head(netlist, period) + [
        "set_multicycle_path 2 -setup -from [all_inputs] -to [all_outputs]",
        "set_multicycle_path 1 -hold -from [all_inputs] -to [all_outputs]",
        "puts \"=== worst path\"",
        "report_checks -path_delay max -fields {fanout cap slew} -digits 3",
        "puts \"=== worst single-cycle path\"",
        "report_checks -path_delay max -from [all_registers -clock_pins] -digits 3",
        "puts \"=== worst input-to-output path\"",
        "report_checks -path_delay max -from [all_inputs] -to [all_outputs] -digits 3",
        "puts \"=== worst hold path\"",
        "report_checks -path_delay min -digits 3", "report_wns", "report_tns"])
    secs = dict(re.findall(r"=== (worst [^\n]*)\n(.*?)(?==== |\Z)", text, re.S))
    _, slack, start, end = _worst(secs["worst path"])
    d1, _, s1, e1 = _worst(secs["worst single-cycle path"])
    d2, _, s2, e2 = _worst(secs["worst input-to-output path"])
    setup = 0.2                                   # DFF setup / macro setup margin (ns)
    f1, f2 = 1000.0 / (d1 + setup), 2000.0 / d2
    res = {"clock_mhz": clock_mhz, "period_ns": period, "slack_ns": slack,
           "met": slack >= 0, "worst_startpoint": start, "worst_endpoint": end,
           "reg_path_ns": round(d1, 3), "reg_path": [s1, e1],
           "io_path_ns": round(d2, 3), "io_path": [s2, e2],
           "fmax_mhz": round(min(f1, f2), 2), "fmax_reg_mhz": round(f1, 2),
           "fmax_io_mhz": round(f2, 2)}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "timing.txt").write_text(text)
    (REPORTS / "timing.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


_INST = re.compile(r"^\s*([-+.\deE]+)\s+([-+.\deE]+)\s+([-+.\deE]+)\s+([-+.\deE]+)\s+(\S+)\s*$")
_TOTAL = re.compile(r"^Total\s+([-+.\deE]+)\s+([-+.\deE]+)\s+([-+.\deE]+)\s+([-+.\deE]+)", re.M)


def parse_instances(text: str) -> dict[str, tuple[float, float, float, float]]:
    """report_power -instances rows: name -> (internal, switching, leakage, total) in W."""
    out = {}
    for line in text.splitlines():
        m = _INST.match(line)
        if m:
            out[m.group(5)] = tuple(float(m.group(k)) for k in range(1, 5))
    return out


def parse_totals(text: str) -> list[tuple[float, float, float, float]]:
    """Every 'Total' row of report_power (internal, switching, leakage, total) in W."""
    return [tuple(float(v) for v in m.groups()) for m in _TOTAL.finditer(text)]


def power_tables(netlist: Path | None = None, third: float = 0.37,
                 clock_mhz: float = CLOCK_MHZ, top: str = "sparrow_top",
                 out: Path | None = None) -> dict:
    """Per-instance power at global activity 0 and 1 and the design totals at 0, 1 and
    ``third``; saved to <out>/power.npz (+ .json with the names and totals), out defaulting to
    build/silicon (the netlist's folder for another top)."""
    check_library()
    netlist = netlist or BUILD / "netlist_sta.v"
    out = out or (BUILD if top == "sparrow_top" else netlist.parent)
    macro_liberty(str(MACRO_LIB))
    period = 1000.0 / clock_mhz
    lines = _head(netlist, period, top)
    for a in (0, 1):
        lines += [f"set_power_activity -global -activity {a}", "report_power -digits 8",
                  "report_power -instances [get_cells *] -digits 8"]
    lines += [f"set_power_activity -global -activity {third}", "report_power -digits 8"]
    text = _sta("power", lines, out)
    parts = text.split("set_power_activity")  # not echoed; split on the totals instead
    del parts
    blocks = re.split(r"(?=^Group\s+Internal)", text, flags=re.M)
    rep = [b for b in blocks if b.startswith("Group")]
    if len(rep) != 3:
        raise FlowError(f"sta power: expected 3 report_power blocks, got {len(rep)}; "
                        f"log build/silicon/power.log")
    p0, p1 = parse_instances(rep[0]), parse_instances(rep[1])
    names = sorted(p0)
    if not names or set(p0) != set(p1):
        raise FlowError("sta power: per-instance reports differ; log build/silicon/power.log")
    a0 = np.array([p0[n] for n in names])
    a1 = np.array([p1[n] for n in names])
    totals = [parse_totals(b)[0] for b in rep]
    np.savez(out / "power.npz", p0=a0, p1=a1)
    meta = {"names": names, "clock_mhz": clock_mhz, "third": third,
            "totals": {"0": totals[0], "1": totals[1], str(third): totals[2]}}
    (out / "power.json").write_text(json.dumps(meta) + "\n")
    return {"names": names, "p0": a0, "p1": a1, "totals": meta["totals"], "third": third}


def load_power() -> dict:
    """The tables written by :func:`power_tables`."""
    if not (BUILD / "power.npz").is_file():
        raise FlowError("power tables missing (run make sta)")
    z = np.load(BUILD / "power.npz")
    meta = json.loads((BUILD / "power.json").read_text())
    return {"names": meta["names"], "p0": z["p0"], "p1": z["p1"], "totals": meta["totals"],
            "third": meta["third"], "clock_mhz": meta["clock_mhz"]}


def linear_total(tab: dict, a: float) -> float:
    """Design total power (W) at activity ``a`` from the per-instance 0/1 tables."""
    return float(tab["p0"][:, 3].sum() + a * (tab["p1"][:, 3] - tab["p0"][:, 3]).sum())
