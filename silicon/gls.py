"""Gate-level simulation of the synthesised netlist (make gls; docs/energy.md §4).

The netlist (build/silicon/netlist.v, instrumented by silicon/netlist.py) runs with the OSU018
Verilog cell models (osu018_stdcells.v, UDP flops) and the behavioural SRAM wrappers of rtl/
inside tb/top/top_harness.v, driven by the same cocotb harness driver and compared with the
golden model exactly as the RTL regression does (silicon/gls_test.py). Built and run with
cocotb_tools.runner.get_runner; Verilator by default (Icarus works too, much slower).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from silicon.flow import BUILD, LIB_DIR, REPO, FlowError
from silicon.netlist import instrument

GLS_DIR = BUILD / "gls"
VERILATOR_ARGS = ["--timing", "--no-public-flat-rw", str(REPO / "silicon" / "gls_public.vlt"),
                  "-CFLAGS", "-O1", "-Wno-fatal", "-Wno-lint", "-Wno-style",
                  "-Wno-MINTYPMAXDLY", "-Wno-SPECIFYIGN", "-Wno-TIMESCALEMOD", "-Wno-IMPLICIT",
                  "--x-initial", "0", "--x-assign", "0"]


@dataclass
class GlsResult:
    """Outcome of one gate-level run."""

    ok: bool
    inputs: int
    mismatches: int
    seconds: float
    out: Path
    log: Path
    error: str = ""


def prepare(netlist: Path | None = None, tag: str = "main", toggles: bool = True
            ) -> tuple[Path, dict]:
    """Instrumented copy of the netlist and its metadata (cells, enable groups, levels).

    Default: build/silicon/netlist_sta.v, the cells of netlist.v without the RTL-name alias
    wires (``opt_clean -purge``; the same instances, types and connections, checked by
    tests/test_silicon_flow.py). The alias buses join bits of unrelated cones, which Verilator
    sees as combinational loops (UNOPTFLAT) and re-evaluates until they settle."""
    netlist = netlist or BUILD / "netlist_sta.v"
    if not netlist.is_file():
        raise FlowError(f"gls: {netlist} missing (run make synth)")
    out = GLS_DIR / tag / "netlist_gls.v"
    meta = instrument(netlist, out, out.with_name("meta.json"), toggles=toggles)
    return out, meta


def _without_specify(src: Path, dst: Path) -> Path:
    """The cell models with their specify blocks removed: Verilator 5.052 ignores specify but
    still emits C++ for its specparams (an undeclared-member compile error); the functional
    part of every model (primitives and UDPs) is unchanged."""
    text = re.sub(r"^\s*specify\b.*?^\s*endspecify\b", "", src.read_text(), flags=re.S | re.M)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text)
    return dst


def build(sim: str, gls_netlist: Path, tag: str = "main") -> Path:
    """Compile the gate-level harness for ``sim`` through the one launcher (tb.launch, top
    ``gls-<tag>``); returns the build directory."""
    from tb.launch import BuildSpec, build as launch_build, gls_top

    cells_v = LIB_DIR / "osu018_stdcells.v"
    if not cells_v.is_file():
        raise FlowError(f"gls: {cells_v} missing: the qflow-tech-osu018 package is not unpacked "
                        f"(run make setup)")
    if sim == "verilator":
        cells_v = _without_specify(cells_v, GLS_DIR / "osu018_stdcells_nospecify.v")
    bs = BuildSpec(gls_top(f"gls-{tag}", gls_netlist, cells_v, tuple(VERILATOR_ARGS)), sim)
    log = GLS_DIR / tag / f"build-{sim}.log"
    try:
        # reuse: the 10-minute Verilator build is skipped while sources and flags are unchanged
        launch_build(bs, log_file=log, reuse=True)
    except (RuntimeError, SystemExit) as exc:
        raise FlowError(f"gls: {sim} build failed ({exc}); log {log}") from exc
    return bs.dir


def _watch(counter_file: Path, total: int, stop: threading.Event, every: float = 5.0) -> None:
    """Progress bar with ETA of a running gate-level simulation: the harness appends one line
    of counters per window (one per inference, one per bundle load) to ``counter_file``; read
    incrementally, so polling a file of hundreds of MB stays cheap."""
    from tqdm import tqdm

    offset = 0
    with tqdm(total=total, desc="gls", unit="window", file=sys.stderr, smoothing=0.1) as bar:
        while not stop.wait(every):
            if not counter_file.is_file():
                continue
            with open(counter_file, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
            offset += len(data)
            bar.update(min(data.count(b"\n"), total - bar.n))


def run(plan: list[dict], sim: str = "verilator", name: str = "gls", tag: str = "main",
        netlist: Path | None = None, toggles: bool = True, progress: bool = True) -> GlsResult:
    """Run the jobs of ``plan`` (name, bundle, inputs, indices) on the netlist; ``toggles``
    counts every cell output's toggles (the energy flow needs them; silicon.netlist)."""
    from tb.launch import run_test_module

    gls_v, _ = prepare(netlist, tag, toggles)
    meta_path = gls_v.with_name("meta.json")
    bdir = build(sim, gls_v, tag)
    out = GLS_DIR / tag / "runs" / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1) + "\n")
    test_dir = out / "sim"
    test_dir.mkdir()
    log = out / "sim.log"
    junit = out / "results.xml"
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    env = {"SPARROW_GLS_PLAN": str(plan_path), "SPARROW_GLS_OUT": str(out / "jobs"),
           "SPARROW_GLS_META": str(meta_path),
           "PYTHONPATH": str(REPO)}
    t0 = time.time()
    stop = threading.Event()
    windows = sum(len(j["indices"]) + 1 for j in plan)      # inferences + one load per job
    watcher = threading.Thread(target=_watch, args=(test_dir / "gls_toggles.txt", windows, stop),
                               daemon=True)
    if progress:
        watcher.start()
    try:
        res = run_test_module(sim, bdir, "silicon.gls_test", junit, test_dir=test_dir,
                              extra_env=env, log_file=log)
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join()
    error = res.error
    tests, failed = res.tests, res.failed
    inputs = mism = 0
    for p in sorted((out / "jobs").glob("*.json")):
        r = json.loads(p.read_text())
        inputs += len(r["indices"])
        mism += r["mismatches"]
    ok = not error and tests > 0 and failed == 0
    return GlsResult(ok, inputs, mism, time.time() - t0, out, log, error)


# ---------------------------------------------------------------------------------------------
# plans


def _real_inputs(family: str, per_class: int, seed: int) -> tuple[str, str, list[int]]:
    """(bundle path, inputs .npy, indices) of ``per_class`` real test inputs per class of the
    committed default bundle of ``family``; the inputs are saved under build/silicon/gls."""
    from tb.regress import MODELS, bundle_split, per_class_sample, dataset_part

    bpath = MODELS[family]
    bd = json.loads(bpath.read_text())
    ds = dataset_part(family, bundle_split(bd, family), bundle=bd)
    idx = per_class_sample(ds.labels, per_class, np.random.default_rng([seed, 7]))
    dst = GLS_DIR / "inputs" / f"{family}-{per_class}pc-s{seed}.npy"
    dst.parent.mkdir(parents=True, exist_ok=True)
    np.save(dst, ds.inputs[idx])
    lab = dst.with_suffix(".labels.npy")
    np.save(lab, ds.labels[idx])
    return str(bpath.relative_to(REPO)), str(dst), list(range(len(idx)))


def _random_sets(n: int, seed: int, small: bool = False) -> list[dict]:
    """``n`` random legal bundles (golden.randbundle) with 1 random input each, saved as files;
    ``small``: at most 2 layers of 4 channels over 8 samples (the fast smoke of make test)."""
    from golden.bundle import load_bundle
    from golden.randbundle import random_bundle, random_inputs

    rng = np.random.default_rng([seed, 11])
    jobs = []
    d = GLS_DIR / ("random-small" if small else "random")
    d.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        size = (dict(max_layers=2, max_ch=4, max_len=8, max_words=32, max_cycles=300) if small
                else dict(max_layers=4, max_ch=10, max_len=28, max_words=256, max_cycles=2000))
        bd = random_bundle(rng, name=f"gls-rand{k:03d}", **size)
        b = load_bundle(bd)
        x = random_inputs(rng, (b.in_channels, b.in_length), 1)
        bp, xp = d / f"rand{k:03d}-s{seed}.json", d / f"rand{k:03d}-s{seed}.npy"
        bp.write_text(json.dumps(bd) + "\n")
        np.save(xp, x)
        jobs.append({"name": f"rand{k:03d}", "bundle": str(bp), "inputs": str(xp),
                     "indices": [0], "kind": "random"})
    return jobs


def make_plan(per_class: int, n_random: int, seed: int = 20_261_201) -> list[dict]:
    """The gate-level campaign: ``per_class`` real test inputs per class of the committed ECG
    and EEG bundles and ``n_random`` random legal bundles."""
    plan = []
    for fam in ("ecg", "eeg"):
        if per_class > 0:
            b, x, idx = _real_inputs(fam, per_class, seed)
            plan.append({"name": f"{fam}-real", "bundle": b, "inputs": x, "indices": idx,
                         "kind": "real"})
    return plan + _random_sets(n_random, seed)
