"""Campaign jobs as plain data, and the ONE adapter that runs them: :func:`run_job`.

A *spec* is a JSON-able dict that says what to simulate; a Dask worker (local or remote) turns
it into one cocotb simulation of ``tb/top/test_top.py`` through ``tb.regress.run_sim`` and
returns a *result* dict that carries the outcome **and the report files as bytes**, so the
files of a remote worker reach the client (:func:`store_files`).

Spec keys:

* ``name``: unique run name (log, JUnit, statistics and mismatch report names derive from it);
* ``sim``: ``verilator`` or ``icarus``; ``seed``: cocotb seed;
* ``test``: ``test_regress`` (a regression level / shard chosen by ``env``, e.g.
  ``SPARROW_REGRESS_LEVEL=full``, ``SPARROW_REGRESS_SHARD=k/n``) or ``test_campaign`` (the
  explicit jobs of ``jobs``, :mod:`tb.campaign.sim`);
* ``env``: extra simulation environment; ``jobs``: list of :func:`job_to_dict` dicts;
* ``cfg``: report configuration of ``test_campaign`` jobs (``level``, ``seed``, reproduce
  command); ``funcov``: export the functional coverage of the run.

This module is the only place that calls the launcher; re-point :func:`run_job` when the
launcher changes (docs/campaigns.md).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np

from tb.regress import REPO_ROOT, Job

CAMPAIGN_DIR = REPO_ROOT / "reports" / "campaign"
SPEC_DIR = CAMPAIGN_DIR / "specs"
FUNCOV_DIR = CAMPAIGN_DIR / "funcov"
LOG_TAIL_LINES = 60


def job_to_dict(job: Job) -> dict[str, Any]:
    """A :class:`tb.regress.Job` as JSON-able data (inputs as nested lists)."""
    return {"name": job.name, "bundle": job.bundle, "origin": job.origin,
            "x": np.asarray(job.x, dtype=np.uint8).tolist(), "refs": job.refs,
            "labels": None if job.labels is None else np.asarray(job.labels).tolist(),
            "classes": job.classes, "kind": job.kind, "vmode": job.vmode, "vprob": job.vprob,
            "seed": job.seed, "load": job.load, "fault": job.fault}


def job_from_dict(d: dict[str, Any]) -> Job:
    """Inverse of :func:`job_to_dict`."""
    return Job(name=d["name"], bundle=d["bundle"], origin=d["origin"],
               x=np.asarray(d["x"], dtype=np.uint8), refs=d["refs"],
               labels=None if d.get("labels") is None else np.asarray(d["labels"], np.int64),
               classes=d.get("classes"), kind=d.get("kind", "random"),
               vmode=d.get("vmode", "random"), vprob=int(d.get("vprob", 180)),
               seed=int(d.get("seed", 1)), load=d.get("load", "front"), fault=d.get("fault"))


def _rel(path: Path) -> str:
    path = Path(path)
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def _read(path: Path) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def _worker_id() -> str:
    """Address of the Dask worker running this task (host:pid outside Dask)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one campaign job (see the module docstring) and return its result as data:
    ``name``, ``ok``, ``error``, ``tests``, ``failed``, ``inputs``, ``mismatches``, ``seconds``,
    ``stats`` (reports/regress/<name>.json), ``files`` ({repo-relative path: bytes}: JUnit,
    statistics, mismatch reports and replay cases, functional coverage, and the log when the run
    failed), ``log_tail``, ``worker``, ``host``, ``pid``. A run of 0 inputs is a failure."""
    from tb.regress import run_sim

    name, sim = spec["name"], spec.get("sim", "verilator")
    env = {k: str(v) for k, v in (spec.get("env") or {}).items()}
    if spec.get("test", "test_campaign") == "test_campaign":
        SPEC_DIR.mkdir(parents=True, exist_ok=True)
        path = SPEC_DIR / f"{name}.json"
        path.write_text(json.dumps({"cfg": spec.get("cfg") or {}, "jobs": spec.get("jobs", [])}))
        env["SPARROW_CAMPAIGN_JOB"] = str(path)
    funcov = None
    if spec.get("funcov"):
        funcov = FUNCOV_DIR / f"{name}.xml"
        funcov.unlink(missing_ok=True)
        env["SPARROW_FUNCOV_OUT"] = str(funcov)
    t0 = time.time()
    error = ""
    run = None
    try:
        run = run_sim(sim, name, spec.get("test", "test_campaign"), env,
                      seed=spec.get("seed"), keep_failed=False)
    except Exception as exc:  # noqa: BLE001 - a launcher error is a failed job, not a crash
        error = f"{type(exc).__name__}: {exc}"
    stats = run.stats if run is not None else None
    if run is not None and run.error:
        error = run.error
    inputs = int((stats or {}).get("inputs", 0))
    mismatches = int((stats or {}).get("failing_inputs", 0))
    ok = run is not None and run.ok and not error
    if ok and inputs == 0:
        ok, error = False, "the job ran 0 inputs"
    files: dict[str, bytes] = {}
    wanted: list[Path] = []
    if run is not None:
        wanted += [run.junit, REPO_ROOT / "reports" / "regress" / f"{name}.json"]
        if not ok:
            wanted.append(run.log)
    for rep in (stats or {}).get("reports", []):
        rep = Path(rep)
        stem = rep.name.removesuffix(".json")
        wanted += sorted(rep.parent.glob(f"{stem}.*"))
    if funcov is not None:
        wanted.append(funcov)
    for p in wanted:
        data = _read(p)
        if data is not None:
            files[_rel(p)] = data
    log_tail = ""
    if run is not None and run.log.exists():
        log_tail = "\n".join(run.log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])
    return {"name": name, "sim": sim, "ok": ok, "error": error,
            "tests": run.tests if run else 0, "failed": run.failed if run else 0,
            "inputs": inputs, "mismatches": mismatches, "seconds": round(time.time() - t0, 3),
            "sim_seconds": round(run.seconds, 3) if run else 0.0, "stats": stats,
            "files": files, "log": _rel(run.log) if run else "", "log_tail": log_tail,
            "worker": _worker_id(), "host": socket.gethostname(), "pid": os.getpid()}


def store_files(result: dict[str, Any], root: Path = REPO_ROOT) -> list[Path]:
    """Write a result's files under ``root`` (the client's repository); returns the paths.
    Files a worker on this machine already wrote are rewritten with the same bytes."""
    out = []
    for rel, data in (result.get("files") or {}).items():
        dest = Path(rel) if Path(rel).is_absolute() else root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.is_file() or dest.read_bytes() != data:
            tmp = dest.with_name(dest.name + ".part")
            tmp.write_bytes(data)
            tmp.replace(dest)
        out.append(dest)
    return out
