#!/usr/bin/env python3
"""Patient-specific RTL regression (``make regress-patient``): the base ECG bundle loaded once,
then for each DS2 record only the tuned layers rewritten over APB and that record's test beats
run and compared event by event with the golden model (tb/patient.py, docs/results.md).

    .venv/bin/python scripts/regress_patient.py [--sim verilator|icarus] [--records 100 203]
                                                [--beats N] [--fault stale]

Exit status 0 only when every beat of every patient matched (with --fault: only when the run
failed, as it must).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, importable

from tb.patient import FAULTS, run  # noqa: E402


def save_summary(s: dict, args: argparse.Namespace) -> None:
    """The figures of a clean run, for docs/results.md (models/ecg/patient/rtl-summary.json)."""
    import json

    from golden.hwimage import build_image
    from tb.patient import PATIENT_DIR
    from training.ecg_tables import patient_bundles_sha256

    base = json.loads((PATIENT_DIR / "base.json").read_text())
    cmd = "make regress-patient" + (f" BEATS={args.beats}" if args.beats else "")
    writes = sorted({c["apb_writes"] for c in s["cases"]})
    out = {"command": cmd, "sim": args.sim, "patients": s["patients"], "inputs": s["inputs"],
           "failing_inputs": s["failing_inputs"], "correct_rtl": s["correct_rtl"],
           "beats_per_patient": args.beats or "all",
           "base_writes": len(build_image(base).apb_writes()),
           "writes_per_patient": writes[0] if len(writes) == 1 else writes,
           "seconds": s["seconds"], "bundles_sha256": patient_bundles_sha256(PATIENT_DIR)}
    (PATIENT_DIR / "rtl-summary.json").write_text(json.dumps(out, indent=1) + "\n")


def main() -> int:
    """Parse the arguments, run, print the summary."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sim", choices=("verilator", "icarus"), default="verilator")
    ap.add_argument("--records", type=int, nargs="*", default=None,
                    help="DS2 records (default all 22)")
    ap.add_argument("--beats", type=int, default=None,
                    help="first N test beats per record (default: the whole test part)")
    ap.add_argument("--fault", choices=FAULTS, default=None)
    ap.add_argument("--save", action="store_true",
                    help="after a clean run, write models/ecg/patient/rtl-summary.json "
                         "(the figures docs/results.md quotes)")
    args = ap.parse_args()
    t0 = time.time()
    try:
        s = run(args.sim, args.records, args.beats, args.fault)
    except (OSError, ValueError) as exc:
        print(f"regress-patient: error: {exc}", file=sys.stderr)
        return 1
    if "patients" in s:
        print(f"regress-patient ({args.sim}): {s['patients']} patients, {s['inputs']} beats, "
              f"{s['failing_inputs']} mismatching, RTL accuracy "
              f"{100 * s['correct_rtl'] / max(1, s['inputs']):.2f}%; "
              f"{sum(c['apb_writes'] for c in s['cases'])} APB writes in all "
              f"[{time.time() - t0:.0f} s]; summary reports/patient/summary.json")
        for r in s.get("reports", []):
            print(f"  mismatch report: {r}")
    if s.get("error"):
        print(f"regress-patient: {s['error']}; log {s['log']}", file=sys.stderr)
    if args.save and s.get("ok") and not args.fault:
        save_summary(s, args)
    if args.fault:
        caught = not s["ok"] and s.get("failing_inputs", 0) > 0
        print(f"fault {args.fault}: {'detected' if caught else 'NOT detected'}")
        return 0 if caught else 1
    return 0 if s["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
