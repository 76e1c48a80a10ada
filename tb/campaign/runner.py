"""Dask plumbing of the campaigns: where the jobs run, progress, retries, merged results.

Where (:func:`campaign_client`, first match wins):

* ``scheduler="tcp://host:port"`` (or env ``SCHEDULER``): an existing Dask cluster (workers
  started from a checkout of this repository with ``PYTHONPATH`` at its root);
* ``cluster="slurm|lsf|sge|pbs"`` (or env ``CLUSTER``): a dask-jobqueue cluster described by a
  YAML file (``CLUSTER_CONFIG``, default ``tb/campaign/cluster.yaml``; :func:`cluster_spec`);
* otherwise an embedded LocalCluster of ``jobs`` worker processes, one thread each.

:func:`run_campaign` submits one task per spec (:func:`tb.campaign.jobs.run_job`), shows live
progress with an ETA (tqdm over ``as_completed``), writes every result's files on the client as
they arrive, resubmits a job once when its worker raised or was lost or its simulator crashed,
and reports a job that failed twice as a failure with its log: nothing is dropped.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Iterator

from tb.campaign.jobs import run_job, store_files
from tb.regress import REPO_ROOT

CLUSTER_CLASSES = {"slurm": "SLURMCluster", "lsf": "LSFCluster", "sge": "SGECluster",
                   "pbs": "PBSCluster"}
DEFAULT_CLUSTER_CONFIG = REPO_ROOT / "tb" / "campaign" / "cluster.yaml"
ZERO_INPUTS = "the job ran 0 inputs"


class CampaignError(SystemExit):
    """Bad campaign configuration: uncaught, it ends the program with its one-line message and
    exit status 1."""


def cluster_spec(kind: str, config: str | Path | None = None) -> tuple[type, dict[str, Any], int]:
    """(dask-jobqueue cluster class, its keyword arguments, workers to scale to) for ``kind``
    from the YAML file ``config``: top-level ``workers`` and one section per kind, e.g.
    ``slurm: {cores: 1, memory: 4GB, walltime: '02:00:00', ...}``. Unknown keys are rejected."""
    import yaml
    import dask_jobqueue
    from dask_jobqueue.core import Job

    if kind not in CLUSTER_CLASSES:
        raise CampaignError(f"CLUSTER={kind!r}: choose one of {', '.join(CLUSTER_CLASSES)}")
    path = Path(config or os.environ.get("CLUSTER_CONFIG") or DEFAULT_CLUSTER_CONFIG)
    if not path.is_file():
        raise CampaignError(f"cluster config {path} not found")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise CampaignError(f"{path}: expected a mapping")
    section = data.get(kind) or {}
    if not isinstance(section, dict):
        raise CampaignError(f"{path}: section {kind!r} must be a mapping")
    cls = getattr(dask_jobqueue, CLUSTER_CLASSES[kind])
    allowed = set()
    for fn in (cls.__init__, cls.job_cls.__init__, Job.__init__):
        allowed |= {p for p in inspect.signature(fn).parameters
                    if p not in ("self", "scheduler", "job_cls", "base_class_kwargs",
                                 "job_kwargs", "kwargs")}
    bad = sorted(set(section) - allowed)
    if bad:
        raise CampaignError(f"{path}: {kind}: unknown option(s) {', '.join(bad)} for "
                            f"dask_jobqueue.{cls.__name__}")
    workers = int(data.get("workers", 2))
    if workers < 1:
        raise CampaignError(f"{path}: workers must be >= 1")
    return cls, dict(section), workers


def _worker_env() -> None:
    """Worker processes import tb.* from this checkout."""
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(REPO_ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *[p for p in paths if p]])
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


@contextlib.contextmanager
def campaign_client(jobs: int | None = None, scheduler: str | None = None,
                    cluster: str | None = None,
                    cluster_config: str | Path | None = None) -> Iterator[tuple[Any, str]]:
    """A connected ``distributed.Client`` and a one-line description of where it runs."""
    import dask
    from distributed import Client, LocalCluster

    _worker_env()
    scheduler = scheduler or os.environ.get("SCHEDULER") or None
    if scheduler in ("local", "cluster"):           # scripts/regress.py --scheduler words
        scheduler = None
    cluster = cluster or os.environ.get("CLUSTER") or None
    jobs = int(jobs or os.environ.get("JOBS") or 2)
    if scheduler:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
            raise CampaignError(f"SCHEDULER={scheduler!r}: expected tcp://host:port")
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise CampaignError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") \
                from None
        try:
            yield client, f"scheduler {scheduler}"
        finally:
            client.close()
        return
    if cluster:
        cls, kwargs, workers = cluster_spec(cluster, cluster_config)
        with cls(**kwargs) as cl:
            cl.scale(workers)
            with Client(cl) as client:
                yield client, f"{cls.__name__} scaled to {workers} workers"
        return
    # a lost worker's task comes back to us at once (retried once by run_campaign)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.ERROR) as cl, \
                Client(cl) as client:
            yield client, f"LocalCluster of {jobs} worker process(es)"


def _failure(spec: dict[str, Any], why: str, prev: dict[str, Any] | None) -> dict[str, Any]:
    """Result of a job that failed twice, with the best log there is."""
    log = (prev or {}).get("log") or f"reports/regress/logs/{spec['name']}.log"
    tail = (prev or {}).get("log_tail", "")
    path = REPO_ROOT / log
    if not tail and path.is_file():
        tail = "\n".join(path.read_text(errors="replace").splitlines()[-60:])
    return {"name": spec["name"], "sim": spec.get("sim", "verilator"), "ok": False,
            "error": why, "tests": 0, "failed": 0, "inputs": 0, "mismatches": 0, "seconds": 0.0,
            "sim_seconds": 0.0, "stats": (prev or {}).get("stats"), "files": {}, "log": log,
            "log_tail": tail or why, "worker": (prev or {}).get("worker", ""), "host": "",
            "pid": 0}


def run_campaign(client: Any, specs: list[dict[str, Any]], *, desc: str = "campaign",
                 retries: int = 1, progress: bool = True,
                 fn: Any = run_job) -> list[dict[str, Any]]:
    """Run every spec as a Dask task; returns one result per spec, in spec order.

    A task that raised (including a lost worker: ``KilledWorker``) or whose result carries a
    launcher/simulator error is resubmitted up to ``retries`` times; after that it is reported
    as failed with its log. Mismatches are results, not errors: they are never retried.
    """
    from distributed import as_completed
    from tqdm import tqdm

    if not specs:
        raise CampaignError(f"{desc}: no job to run")
    names = [s["name"] for s in specs]
    if len(set(names)) != len(names):
        raise CampaignError(f"{desc}: job names must be unique")
    stamp = f"{os.getpid()}-{time.time_ns()}"
    futures: dict[Any, tuple[dict[str, Any], int]] = {}
    for s in specs:
        fut = client.submit(fn, s, key=f"{s['name']}-{stamp}-a0", pure=False)
        futures[fut] = (s, 0)
    results: dict[str, dict[str, Any]] = {}
    history: dict[str, list[str]] = {}
    ac = as_completed(list(futures))
    bad = 0
    with tqdm(total=len(specs), desc=desc, unit="job", disable=not progress, file=sys.stderr,
              mininterval=1.0 if sys.stderr.isatty() else 10.0, dynamic_ncols=True) as bar:
        for fut in ac:
            spec, attempt = futures.pop(fut)
            res: dict[str, Any] | None = None
            why = ""
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - lost worker, crash in the task
                why = f"{type(exc).__name__}: {exc}".strip()
                if not str(exc):
                    why += " " + "".join(traceback.format_exception_only(exc)).strip()
            if res is not None and res.get("error") and res["error"] != ZERO_INPUTS:
                why = res["error"]
            name = spec["name"]
            if why:
                history.setdefault(name, []).append(f"attempt {attempt + 1}: {why}")
                if attempt < retries:
                    nf = client.submit(fn, spec, key=f"{name}-{stamp}-a{attempt + 1}", pure=False)
                    futures[nf] = (spec, attempt + 1)
                    ac.add(nf)
                    bar.write(f"{desc}: {name} failed ({why.splitlines()[0][:120]}); retrying")
                    continue
                res = _failure(spec, f"failed after {attempt + 1} attempts: {why}", res)
            assert res is not None
            res["attempts"] = attempt + 1
            res["history"] = history.get(name, [])
            store_files(res)
            results[name] = res
            if not res.get("ok", False):
                bad += 1
            bar.set_postfix_str(f"failed {bad}")
            bar.update(1)
            fut.release()
    return [results[n] for n in names]


def workers_used(results: list[dict[str, Any]]) -> list[str]:
    """Workers that ran at least one job to the end (sorted)."""
    return sorted({r["worker"] for r in results if r.get("worker") and r.get("tests", 0) > 0})


def merge_campaign_junit(results: list[dict[str, Any]], out_dir: Path) -> Path:
    """Merge the JUnit files of these results into ``out_dir/results.xml`` (and refresh the
    repository-wide ``reports/results.xml``)."""
    from tb.regress import merge_junit

    jdir = out_dir / "junit"
    shutil.rmtree(jdir, ignore_errors=True)
    jdir.mkdir(parents=True)
    for r in results:
        for rel in r.get("files") or {}:
            if rel.startswith("reports/junit/"):
                shutil.copy(REPO_ROOT / rel, jdir / Path(rel).name)
    merge_junit()
    return merge_junit(out_dir / "results.xml", jdir)


def regress_level(level: str, sim: str, seed: int, client: Any, *, progress: bool = True,
                  waves: bool = True, name: str | None = None) -> Any:
    """A regression level on the campaign runner: one Dask task per job of the level's plan
    (``test_regress`` with shard k/n); returns a ``tb.regress.LevelResult`` so that
    scripts/regress.py prints and summarises it as a thread-sharded run."""
    from tb.regress import JUNIT_DIR, LevelResult, SimRun, attach_waves, make_plan, safe_name

    base = name or safe_name(f"{level}-{sim}")
    n = len(make_plan(level, seed))
    t0 = time.time()
    specs = [{"name": f"{base}-job{k:03d}", "sim": sim, "test": "test_regress", "seed": seed,
              "env": {"SPARROW_REGRESS_LEVEL": level, "SPARROW_REGRESS_SEED": seed,
                      "SPARROW_REGRESS_SHARD": f"{k}/{n}", "SPARROW_REGRESS_SIM": sim}}
             for k in range(n)]
    results = run_campaign(client, specs, desc=f"{level} {sim}", progress=progress)
    runs = [SimRun(r["name"], sim, r["ok"], r["tests"], r["failed"], r["sim_seconds"],
                   REPO_ROOT / r["log"], JUNIT_DIR / f"top-{r['name']}.xml", r["stats"],
                   r["error"]) for r in results]
    reports = [Path(p) for r in results for p in ((r["stats"] or {}).get("reports") or [])]
    if waves:
        for rp in reports[:2]:
            try:
                attach_waves(rp, sim)
            except Exception as exc:  # noqa: BLE001 - a failed replay must not hide the report
                print(f"waves for {rp.name} failed: {exc}", file=sys.stderr)
    msgs = [f"{r['name']}: {r['error'] or 'mismatch'} (log {r['log']})"
            for r in results if not r["ok"]]
    msgs.append(f"campaign runner: {len(results)} jobs on workers "
                f"{', '.join(workers_used(results))}")
    ok = all(r["ok"] for r in results) and sum(r["inputs"] for r in results) > 0
    return LevelResult(level, sim, ok, time.time() - t0, runs, reports, "\n".join(msgs))
