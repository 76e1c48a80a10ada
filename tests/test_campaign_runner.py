"""Campaign runner (tb/campaign/runner.py, jobs.py): cluster configuration, retry-once, nothing
dropped, and real Dask clusters of subprocesses on 127.0.0.1 (a campaign on a scheduler with
two workers equals the same campaign run locally; a worker killed mid-campaign loses nothing).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tb.campaign.runner import CampaignError, cluster_spec, run_campaign, workers_used

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


# ---------------------------------------------------------------------------------------------
# cluster configuration (dask-jobqueue: cannot start a batch job here, the config is checked)


@pytest.mark.parametrize("kind,cls", [("slurm", "SLURMCluster"), ("lsf", "LSFCluster"),
                                      ("sge", "SGECluster"), ("pbs", "PBSCluster")])
def test_cluster_config_chooses_the_jobqueue_class(tmp_path: Path, kind: str, cls: str) -> None:
    cfg = tmp_path / "cluster.yaml"
    cfg.write_text(f"workers: 7\n{kind}:\n  cores: 1\n  memory: 2GB\n  walltime: '01:00:00'\n"
                   f"  job_script_prologue: ['cd {REPO}', 'export PYTHONPATH={REPO}']\n")
    klass, kwargs, workers = cluster_spec(kind, cfg)
    assert klass.__name__ == cls and klass.__module__.startswith("dask_jobqueue")
    assert kwargs == {"cores": 1, "memory": "2GB", "walltime": "01:00:00",
                      "job_script_prologue": [f"cd {REPO}", f"export PYTHONPATH={REPO}"]}
    assert workers == 7


def test_committed_cluster_config_parses() -> None:
    for kind in ("slurm", "lsf", "sge", "pbs"):
        klass, kwargs, workers = cluster_spec(kind)
        assert kwargs and workers >= 1, kind


def test_cluster_config_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("slurm:\n  cores: 1\n  no_such_option: 3\n")
    with pytest.raises(CampaignError, match="no_such_option"):
        cluster_spec("slurm", cfg)
    with pytest.raises(CampaignError, match="choose one of"):
        cluster_spec("condor", cfg)
    with pytest.raises(CampaignError, match="not found"):
        cluster_spec("slurm", tmp_path / "missing.yaml")


# ---------------------------------------------------------------------------------------------
# retry once, never drop (an in-process cluster and a fake job function)


def fake_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Behaves as told by the spec: ok, raise once (marker file), always raise, 0 inputs."""
    mode = spec["mode"]
    marker = Path(spec["marker"])
    base = {"name": spec["name"], "ok": True, "error": "", "tests": 1, "failed": 0,
            "inputs": 3, "mismatches": 0, "sim_seconds": 0.0, "stats": None, "files": {},
            "log": "", "log_tail": "fake log", "worker": "fake"}
    if mode == "flaky" and not marker.exists():
        marker.write_text("1")
        raise RuntimeError("worker trouble")
    if mode == "broken":
        raise RuntimeError("always broken")
    if mode == "empty":
        return {**base, "ok": False, "error": "the job ran 0 inputs", "inputs": 0}
    return base


@pytest.fixture(scope="module")
def inproc_client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cl, Client(cl) as client:
        yield client


def test_retry_once_then_failure_never_dropped(inproc_client: Any, tmp_path: Path) -> None:
    specs = [{"name": f"j{m}", "mode": m, "marker": str(tmp_path / m)}
             for m in ("ok", "flaky", "broken", "empty")]
    res = run_campaign(inproc_client, specs, desc="t", progress=False, fn=fake_job)
    assert [r["name"] for r in res] == ["jok", "jflaky", "jbroken", "jempty"]
    by = {r["name"]: r for r in res}
    assert by["jok"]["ok"] and by["jok"]["attempts"] == 1
    assert by["jflaky"]["ok"] and by["jflaky"]["attempts"] == 2
    assert "worker trouble" in by["jflaky"]["history"][0]
    b = by["jbroken"]
    assert not b["ok"] and b["attempts"] == 2 and "failed after 2 attempts" in b["error"]
    assert "always broken" in b["log_tail"]
    e = by["jempty"]
    assert not e["ok"] and e["attempts"] == 1 and "0 inputs" in e["error"]   # not retried


def test_campaign_rejects_bad_input(inproc_client: Any) -> None:
    with pytest.raises(CampaignError, match="no job"):
        run_campaign(inproc_client, [], progress=False, fn=fake_job)
    with pytest.raises(CampaignError, match="unique"):
        run_campaign(inproc_client, [{"name": "a", "mode": "ok", "marker": "x"}] * 2,
                     progress=False, fn=fake_job)


# ---------------------------------------------------------------------------------------------
# real clusters: `dask scheduler` + `dask worker` subprocesses on 127.0.0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalDask:
    """A scheduler and n workers as subprocesses (own sessions), always torn down."""

    def __init__(self, n: int, tmp: Path, allowed_failures: int | None = None) -> None:
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO),
               "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        if allowed_failures is not None:
            env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
        self.procs: list[subprocess.Popen] = []
        self.logs = tmp
        self.procs.append(self._start([str(VENV_BIN / "dask"), "scheduler", "--host",
                                       "127.0.0.1", "--port", str(self.port),
                                       "--no-dashboard"], env, "scheduler"))
        self.workers = [self._start([str(VENV_BIN / "dask"), "worker", self.address,
                                     "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                     "--host", "127.0.0.1"], env, f"worker{k}")
                        for k in range(n)]
        self.procs += self.workers

    def _start(self, cmd: list[str], env: dict[str, str], name: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def client(self, n_workers: int) -> Any:
        from distributed import Client

        client = Client(self.address, timeout="30s")
        client.wait_for_workers(n_workers, timeout=60)
        return client

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def _fuzz_specs(tag: str, n_specs: int, per: int = 2) -> list[dict[str, Any]]:
    from tb.campaign.fuzz import fuzz_bundles, fuzz_jobs, make_specs

    jobs = fuzz_jobs(fuzz_bundles(n_specs * per, 5), 5, inputs=3)
    specs = make_specs(jobs, 5, n_specs * per, "verilator", tag, per)
    for s in specs:
        s["funcov"] = False
    return specs


def _essence(r: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on where a job ran (no timings, paths or workers)."""
    keep = ("name", "inputs", "failing", "agree", "cycles", "golden_cycles", "taps", "wreads",
            "macs", "skips", "golden_macs", "load_cycles", "vmode", "load")
    return {"ok": r["ok"], "inputs": r["inputs"], "mismatches": r["mismatches"],
            "jobs": [{k: j[k] for k in keep} for j in r["stats"]["job_stats"]],
            "datapath": r["stats"].get("datapath")}


@pytest.mark.sim
def test_campaign_on_a_real_dask_cluster_equals_local(tmp_path: Path) -> None:
    """4 jobs on `dask scheduler` + 2 `dask worker`s == the same jobs run in this process."""
    from tb.campaign.jobs import run_job
    from tb.regress import build

    build("verilator")                    # shared build, outside the timed part
    remote_specs = _fuzz_specs("remote", 4)
    local_specs = _fuzz_specs("local", 4)
    dask = LocalDask(2, tmp_path)
    try:
        client = dask.client(2)
        try:
            remote = run_campaign(client, remote_specs, desc="remote", progress=False)
        finally:
            client.close()
    finally:
        dask.close()
    local = [run_job(s) for s in local_specs]
    assert all(r["ok"] for r in remote), [r["error"] for r in remote]
    assert [_essence(r) for r in remote] == [_essence(r) for r in local]
    assert sum(r["inputs"] for r in remote) == 4 * 2 * 3
    assert len(workers_used(remote)) >= 1
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers_used(remote))
    for r in remote:                       # the files came back as data
        assert any(k.startswith("reports/junit/") for k in r["files"])


@pytest.mark.sim
def test_killed_worker_loses_nothing(tmp_path: Path) -> None:
    """A worker killed (SIGKILL) while it runs a job: that job is retried on the other worker,
    every job's result arrives, none is dropped."""
    from tb.regress import build

    build("verilator")
    specs = _fuzz_specs("kill", 6, per=3)
    dask = LocalDask(2, tmp_path, allowed_failures=0)
    killed: list[int] = []
    try:
        client = dask.client(2)
        try:
            import threading

            pids = client.run(os.getpid)          # worker address -> process id
            stop = threading.Event()

            def killer() -> None:
                deadline = time.time() + 60
                while time.time() < deadline and not killed and not stop.is_set():
                    busy = {w: ks for w, ks in client.processing().items() if ks}
                    for w in busy:
                        pid = pids.get(w)
                        for p in dask.workers:
                            if p.pid == pid and p.poll() is None:
                                time.sleep(1.0)          # inside the simulation
                                os.killpg(p.pid, signal.SIGKILL)
                                killed.append(pid)
                                return
                    time.sleep(0.2)

            t = threading.Thread(target=killer, daemon=True)
            t.start()
            try:
                res = run_campaign(client, specs, desc="kill", progress=False)
            finally:
                stop.set()
                t.join(timeout=5)
        finally:
            client.close()
    finally:
        dask.close()
    assert killed, "no worker was killed (the campaign ended first?)"
    assert [r["name"] for r in res] == [s["name"] for s in specs]
    assert all(r["ok"] for r in res), [(r["name"], r["error"]) for r in res if not r["ok"]]
    assert sum(r["inputs"] for r in res) == 6 * 3 * 3
    retried = [r for r in res if r["attempts"] == 2]
    assert retried and any("KilledWorker" in h or "lost" in h.lower()
                           for r in retried for h in r["history"]), \
        [r["history"] for r in res]
    assert np.all([len(r["stats"]["job_stats"]) == 3 for r in res])
