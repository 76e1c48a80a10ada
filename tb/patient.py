"""Patient-specific regression: one base bundle loaded once, per patient only the tuned layers
rewritten over APB, that patient's test beats run and compared event by event with the golden
model. This is the reconfigurable core doing what a wearable would: the shared layers stay in
weight memory, a fitting session uploads a few hundred bytes.

Plan side (no simulator): :func:`tuned_writes` (the APB writes that turn the loaded base image
into a patient's image, and a check that nothing else differs), :func:`make_job`. Simulator
side: the cocotb test :func:`test_patient` on the top-level harness (tb/top/top_harness.v,
driven by tb/top/harness.py, the same build as the top-level regression). Runner: :func:`run`
(``make regress-patient``, ``scripts/regress_patient.py``).

Fault ``stale`` (expect-fail): the first patient's rewrite is skipped, so the RTL runs the base
readout while the golden model runs the patient bundle; the run must fail with a mismatch
report naming the layer and neuron.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from golden.bundle import Bundle, load_bundle
from golden.hwimage import HwImage, bias_addr, build_image, theta_addr, wmem_addr

from tb.paths import REPO_ROOT

PATIENT_DIR = REPO_ROOT / "models" / "ecg" / "patient"
REPORT_DIR = REPO_ROOT / "reports" / "patient"
FAULTS = ("stale",)


class PatientError(ValueError):
    """A patient bundle that is not the base bundle with some layers rewritten."""


def tuned_layers(base: Bundle, patient: Bundle) -> list[int]:
    """Indices of the layers whose weights, bias or theta differ (shapes must all agree)."""
    if len(base.layers) != len(patient.layers):
        raise PatientError(f"{patient.name}: {len(patient.layers)} layers, base has "
                           f"{len(base.layers)}")
    if base.in_shape != patient.in_shape:
        raise PatientError(f"{patient.name}: input {patient.in_shape}, base {base.in_shape}")
    out = []
    for i, (a, b) in enumerate(zip(base.layers, patient.layers)):
        geom = ("kind", "in_ch", "in_len", "out_ch", "out_len", "kernel", "stride", "padding",
                "T", "is_ssf")
        for g in geom:
            if getattr(a, g) != getattr(b, g):
                raise PatientError(f"{patient.name}: layer {i} {g} {getattr(b, g)} differs "
                                   f"from the base ({getattr(a, g)})")
        if not (np.array_equal(a.weights3, b.weights3) and np.array_equal(a.bias, b.bias)
                and np.array_equal(a.theta_or_ones, b.theta_or_ones)):
            out.append(i)
    return out


def tuned_writes(base: Bundle, patient: Bundle,
                 allowed: list[int] | None = None) -> tuple[list[tuple[int, int]], list[int]]:
    """(APB writes, tuned layers): every weight word, bias and theta of the tuned layers of
    `patient`, the addresses of the base image. PatientError if a layer outside `allowed`
    differs or the two images differ anywhere else after the writes."""
    layers = tuned_layers(base, patient)
    if allowed is not None and any(i not in allowed for i in layers):
        bad = [i for i in layers if i not in allowed][0]
        raise PatientError(f"{patient.name}: layer {bad} differs from the base but only "
                           f"layers {allowed} may be tuned")
    bi, pi = build_image(base), build_image(patient)
    writes: list[tuple[int, int]] = []
    for li in layers:
        L = patient.layers[li]
        for w in range(L.w_base, L.w_base + L.n_words):
            word = pi.wmem[w]
            writes += [(wmem_addr(w, False), word & 0xFFFF_FFFF),
                       (wmem_addr(w, True), (word >> 32) & 0xFFFF_FFFF)]
        for g in range(L.b_base, L.b_base + L.groups):
            writes += [(bias_addr(g, m), v & 0xFFFF_FFFF) for m, v in enumerate(pi.bias[g])]
            writes += [(theta_addr(g, m), v & 0xFFFF) for m, v in enumerate(pi.theta[g])]
    if apply_writes(bi, writes) != _flat(pi):
        raise PatientError(f"{patient.name}: base image + tuned-layer writes != patient image")
    return writes, layers


def _flat(img: HwImage) -> dict[int, int]:
    return dict(img.apb_writes())


def apply_writes(img: HwImage, writes: list[tuple[int, int]]) -> dict[int, int]:
    """The register / memory contents (address -> data) of `img` after `writes`."""
    mem = _flat(img)
    for a, d in writes:
        if a not in mem:
            raise PatientError(f"write to 0x{a:04x}, outside the base image")
        mem[a] = d
    return mem


@dataclass
class PatientCase:
    """One patient: its bundle, test beats and labels."""

    record: int
    bundle_path: Path
    inputs: Path
    labels: Path


def make_job(records: list[int] | None = None, n_per_record: int | None = None,
             out_dir: Path = REPORT_DIR, fault: str | None = None,
             patient_dir: Path = PATIENT_DIR) -> Path:
    """Write the job file of a run (inputs of every patient's test part, or its first
    `n_per_record` beats, in the bundle's own input format); returns its path."""
    from training import ecg, rhythm

    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; choose {', '.join(FAULTS)}")
    base_path = patient_dir / "base.json"
    base = json.loads(base_path.read_text())
    records = list(ecg.DS2) if records is None else records
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = []
    for rec in records:
        bpath = patient_dir / f"{rec}.json"
        if not bpath.is_file():
            raise FileNotFoundError(f"{bpath}: no patient bundle (python -m training.patient "
                                    "build)")
        ds = rhythm.for_bundle(base["input"], "patient", "test", rec)
        x, y = ds.inputs, ds.labels
        if n_per_record is not None:
            x, y = x[:n_per_record], y[:n_per_record]
        xp, yp = out_dir / f"inputs-{rec}.npy", out_dir / f"labels-{rec}.npy"
        np.save(xp, x)
        np.save(yp, y)
        cases.append({"record": rec, "bundle": str(bpath), "inputs": str(xp),
                      "labels": str(yp)})
    job = {"base": str(base_path), "cases": cases, "fault": fault,
           "tunable": base.get("patient_tunable_layers")}
    path = out_dir / "job.json"
    path.write_text(json.dumps(job, indent=1) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# cocotb side

try:
    import cocotb
    from cocotb.handle import SimHandleBase
except ImportError:               # pragma: no cover - the plan side needs no cocotb
    cocotb = None


if cocotb is not None:
    @cocotb.test()
    async def test_patient(dut: SimHandleBase) -> None:
        """Run SPARROW_PATIENT_JOB: base loaded once, per patient tuned layers rewritten."""
        from tb.common import get_logger
        from tb.regress import Job, compare, golden_batch, safe_name, timeout_cycles, \
            write_report
        from tb.top.harness import Harness

        log = get_logger("patient")
        spec = json.loads(Path(os.environ["SPARROW_PATIENT_JOB"]).read_text())
        base = load_bundle(spec["base"])
        h = Harness(dut)
        await h.reset()
        t0 = time.time()
        await h.load(build_image(base), "front")
        log.info("base %s loaded over APB (%d writes)", base.name,
                 len(build_image(base).apb_writes()))
        cfg = {"level": "patient", "sim": os.environ.get("SPARROW_REGRESS_SIM", "verilator"),
               "seed": 0, "run": os.environ.get("SPARROW_RUN_NAME", "patient")}
        stats, failing, reports = [], 0, []
        for k, case in enumerate(spec["cases"]):
            raw = json.loads(Path(case["bundle"]).read_text())
            pb = load_bundle(raw)
            writes, layers = tuned_writes(base, pb, spec.get("tunable"))
            if not (spec.get("fault") == "stale" and k == 0):
                await h.apb_writes(writes)
            x = np.load(case["inputs"], allow_pickle=False)
            y = np.load(case["labels"], allow_pickle=False)
            rtl = await h.run(x, timeout=timeout_cycles(pb), label=f"patient {case['record']}")
            gold = golden_batch(pb, x)
            fails = compare(pb, gold, rtl)
            failing += len(fails)
            st = {"record": case["record"], "inputs": len(x), "tuned_layers": layers,
                  "apb_writes": len(writes), "bytes": 4 * len(writes), "failing": len(fails),
                  "correct_rtl": int(np.sum(rtl.classes == y)),
                  "correct_golden": int(np.sum(gold.classes == y)),
                  "agree": int(np.sum(rtl.classes == gold.classes)),
                  "cycles": sorted(set(int(c) for c in rtl.cycles))}
            if fails:
                job = Job(f"patient-{case['record']}", raw, case["bundle"], x,
                          [{"record": case["record"], "beat": i} for i in range(len(x))],
                          labels=y, classes=list(pb.classes), kind="real", vmode="full")
                path = write_report(safe_name(f"{cfg['run']}-{case['record']}"), cfg, job, pb,
                                    gold, rtl, fails)
                reports.append(str(path))
                st["report"] = str(path)
                d = fails[0].event
                log.error("patient %s: %d of %d beats mismatch; first: beat %d, %s -> %s",
                          case["record"], len(fails), len(x), fails[0].n,
                          d["text"] if d else fails[0].checks[0], path.with_suffix(".md"))
            log.info("patient %s: %d APB writes (layers %s), %d beats, %d mismatching, RTL "
                     "accuracy %.2f%%", case["record"], len(writes), layers, len(x), len(fails),
                     100 * st["correct_rtl"] / max(1, len(x)))
            stats.append(st)
        n = sum(s["inputs"] for s in stats)
        summary = {"base": spec["base"], "fault": spec.get("fault"), "patients": len(stats),
                   "inputs": n, "failing_inputs": failing,
                   "correct_rtl": sum(s["correct_rtl"] for s in stats),
                   "seconds": round(time.time() - t0, 1), "reports": reports, "cases": stats}
        out = Path(os.environ.get("SPARROW_PATIENT_OUT", REPORT_DIR / "summary.json"))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=1) + "\n")
        assert failing == 0, f"{failing} of {n} beats mismatch the golden model: {reports}"


# ---------------------------------------------------------------------------------------------
# runner (make / pytest side)


def run(sim: str = "verilator", records: list[int] | None = None,
        n_per_record: int | None = None, fault: str | None = None,
        out_dir: Path = REPORT_DIR, name: str = "patient") -> dict[str, Any]:
    """Build the harness (shared with the top-level regression), run the patient job, return
    the summary (summary['ok'] False on any mismatch or simulator failure)."""
    from tb.launch import run_test_module
    from tb.regress import build

    job = make_job(records, n_per_record, out_dir, fault)
    bdir = build(sim)
    test_dir = out_dir / f"run-{os.getpid()}"
    shutil.rmtree(test_dir, ignore_errors=True)
    test_dir.mkdir(parents=True)
    junit = out_dir / f"{name}.xml"
    summary_path = out_dir / "summary.json"
    summary_path.unlink(missing_ok=True)
    for p in (str(REPO_ROOT),):
        if p not in sys.path:
            sys.path.insert(0, p)
    env = {"SPARROW_PATIENT_JOB": str(job), "SPARROW_PATIENT_OUT": str(summary_path),
           "SPARROW_REGRESS_SIM": sim, "SPARROW_RUN_NAME": name,
           "COCOTB_REWRITE_ASSERTION_FILES": "test_*.py"}
    res = run_test_module(sim, bdir, "tb.patient", junit, test_dir=test_dir,
                          test_filter=r"(^|\.)test_patient$", extra_env=env,
                          log_file=out_dir / f"{name}.log")
    error = res.error
    tests, failed = res.tests, res.failed
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    summary.update({"ok": not error and tests > 0 and failed == 0, "error": error,
                    "log": str(out_dir / f"{name}.log")})
    shutil.rmtree(test_dir, ignore_errors=True)
    return summary
