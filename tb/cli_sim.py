"""``sparrow sim --model M.json --inputs X.npy --out Y.npz [--sim icarus|verilator]``: run the RTL.

Spec §4: the bundle is loaded into the RTL core through its APB port and every input is
streamed through the valid/ready port, under cocotb (tb/top/test_top.py::test_sim_cli on the
harness tb/top/top_harness.v). Y.npz holds, all int64 and all read from the RTL's registers
(never from the golden model): ``classes`` (N,) from CLASS, ``logits`` (N, n_classes) from
LOGIT[*], ``cycles`` (N,) from CNT_CYCLES, and the counters ``wreads``, ``macs``, ``skips``,
``load`` (CNT_WREADS / MACS / SKIPS / LOAD). The file appears only when the whole simulation
succeeded. The simulator is built on first use by the launcher (tb/launch.py) under
sim_build/top/<sim>-default-plain/.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from golden.cli import CliError
from golden.cli_infer import add_io_arguments

KEYS = ("classes", "logits", "cycles", "wreads", "macs", "skips", "load")
VALID_MODES = ("full", "random", "bursty", "stalls")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sim`` subcommand."""
    p = sub.add_parser("sim", help="run the RTL (cocotb + Icarus/Verilator) on a batch of inputs",
                       description="Load the bundle into the RTL core over APB, stream every "
                       "input of X.npy (uint8, (N, C0, L0)) through its input port and write the "
                       "RTL's classes, logits, cycles and counters to Y.npz.")
    add_io_arguments(p)
    p.add_argument("--sim", choices=("icarus", "verilator"), default="verilator",
                   help="simulator (default verilator)")
    p.add_argument("--valid", choices=VALID_MODES, default="full",
                   help="valid pattern of the input stream (default full: no gaps)")
    p.add_argument("--seed", type=int, default=1, help="seed of the valid gaps (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``sparrow sim``."""
    from golden.cli_infer import check_writable, load_inputs, load_model, write_npz_atomic

    bundle = load_model(args.model)
    x = load_inputs(args.inputs, bundle)
    check_writable(args.out)  # load_inputs already refused N = 0
    from tb.regress import REGRESS_DIR, run_sim, safe_name

    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="sparrow-sim-") as tmp:
        tmpd = Path(tmp)
        model = tmpd / "model.json"
        model.write_text(json.dumps(bundle.raw, separators=(",", ":")))
        inputs = tmpd / "inputs.npy"
        np.save(inputs, np.ascontiguousarray(x))
        out = tmpd / "out.npz"
        job = tmpd / "job.json"
        job.write_text(json.dumps({"model": str(model), "inputs": str(inputs), "out": str(out),
                                   "valid": args.valid, "seed": args.seed}))
        name = safe_name(f"cli-{args.sim}-{os.getpid()}")
        try:
            res = run_sim(args.sim, name, "test_sim_cli", {"SPARROW_SIM_JOB": str(job)})
        except Exception as exc:  # noqa: BLE001 - build or launch failure: one line
            raise CliError(f"{args.sim} simulation could not run: "
                           f"{' '.join(str(exc).split())[:300]}") from None
        if not res.ok or not out.is_file():
            raise CliError(f"{args.sim} simulation failed ({res.error or 'RTL test failed'}); "
                           f"log: {res.log}")
        with np.load(out, allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k], dtype=np.int64) for k in KEYS}
        _cleanup(res)
    n = x.shape[0]
    if arrays["classes"].shape != (n,) or arrays["logits"].shape != (n, bundle.n_classes):
        raise CliError(f"{args.sim} simulation returned malformed results (see {REGRESS_DIR})")
    write_npz_atomic(args.out, arrays)
    print(f"sparrow sim: {n} inputs on {args.sim} -> {args.out} ({bundle.n_classes} classes, "
          f"{int(arrays['cycles'].max())} cycles per inference, {time.time() - t0:.1f} s)")
    return 0


def _cleanup(res: object) -> None:
    """Remove the run's log and JUnit file after a successful simulation (a CLI call must not
    add to the regression's reports; run_sim already removed its working directory)."""
    for p in (res.log, res.junit):
        Path(p).unlink(missing_ok=True)
