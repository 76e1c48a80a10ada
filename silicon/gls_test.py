"""cocotb test of the gate-level simulation (silicon/gls.py runs it): the instrumented netlist
inside tb/top/top_harness.v, the same harness driver and golden comparison as the RTL
regression (tb/top/harness.py, tb/regress.py: bit- and cycle-exact, every trace event), plus
the per-inference toggle and access counters of silicon/netlist.py.

Environment: SPARROW_GLS_PLAN (JSON list of jobs: name, bundle, inputs, indices),
SPARROW_GLS_OUT (directory for <job>.npz and <job>.json), SPARROW_GLS_META (the
instrumented netlist's meta.json: counted cells and levels).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.handle import SimHandleBase

from golden.bundle import load_bundle
from golden.hwimage import build_image
from silicon.flow import REPO
from silicon.netlist import decode_window
from tb.regress import compare, golden_batch, timeout_cycles
from tb.top.harness import Harness


def _read_windows(path: Path, offset: int, n_cells: int, n_levels: int, planes: int
                  ) -> tuple[np.ndarray, int]:
    """The counter windows appended to ``path`` since ``offset`` (rows of
    silicon.netlist.decode_window) and the new offset."""
    if not path.exists():
        return np.zeros((0, 0), dtype=np.int64), offset
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    rows = [decode_window(line, n_cells, n_levels, planes) for line in data.decode().splitlines()
            if line.strip()]
    if not rows:
        return np.zeros((0, 0), dtype=np.int64), offset + len(data)
    return np.stack(rows), offset + len(data)


@cocotb.test()
async def test_gls(dut: SimHandleBase) -> None:
    """Every job of the plan through the netlist: 0 mismatches, one counter window each."""
    plan = json.loads(Path(os.environ["SPARROW_GLS_PLAN"]).read_text())
    out = Path(os.environ["SPARROW_GLS_OUT"])
    meta = json.loads(Path(os.environ["SPARROW_GLS_META"]).read_text())
    dims = (len(meta["cells"]), len(meta["levels"]), int(meta["planes"]))
    out.mkdir(parents=True, exist_ok=True)
    h = Harness(dut)
    await h.reset()
    tg = Path(os.getcwd()) / "gls_toggles.txt"
    offset = 0
    total_fail = 0
    for job in plan:
        t0 = time.time()
        bundle = load_bundle(json.loads((REPO / job["bundle"]).read_text()))
        x = np.load(REPO / job["inputs"])[np.array(job["indices"], dtype=np.int64)]
        await h.load(build_image(bundle), "front")
        _, offset = _read_windows(tg, offset, *dims)            # nothing counted while loading
        gold = golden_batch(bundle, x)
        rtl = await h.run(x, vmode="full", timeout=timeout_cycles(bundle), label=job["name"])
        fails = compare(bundle, gold, rtl)
        win, offset = _read_windows(tg, offset, *dims)
        if win.shape[0] != len(x):
            raise AssertionError(f"{job['name']}: {win.shape[0]} counter windows for {len(x)} "
                                 f"inferences")
        np.savez_compressed(out / f"{job['name']}.npz", window=win[:, 0],
                            counts=win[:, 1:].astype(np.uint32))
        res = {"name": job["name"], "bundle": job["bundle"], "inputs": job["inputs"],
               "indices": job["indices"], "mismatches": len(fails),
               "first_mismatch": (fails[0].event or {}).get("text") if fails else None,
               "cycles": rtl.cycles.astype(int).tolist(), "load": rtl.load.astype(int).tolist(),
               "wreads": rtl.wreads.astype(int).tolist(), "macs": rtl.macs.astype(int).tolist(),
               "skips": rtl.skips.astype(int).tolist(),
               "golden_wreads": gold.wreads.astype(int).tolist(),
               "golden_skips": gold.skips.astype(int).tolist(),
               "events": int(gold.events.shape[1]), "classes": rtl.classes.astype(int).tolist(),
               "seconds": round(time.time() - t0, 2)}
        (out / f"{job['name']}.json").write_text(json.dumps(res) + "\n")
        total_fail += len(fails)
        dut._log.info("GLS %s: %d inputs, %d mismatching (%.1f s)", job["name"], len(x),
                      len(fails), time.time() - t0)
    assert total_fail == 0, f"{total_fail} gate-level inferences mismatch the golden model"
