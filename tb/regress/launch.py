"""Running the regression's simulations through the one launcher (:mod:`tb.launch`): the
harness build (``tb.launch.TOPS["top"]``), one cocotb test per run in its own working directory
(:func:`run_sim`), whole levels in shards (:func:`run_level`), and the replay of one mismatching
input with waves (:func:`replay`, :func:`attach_waves`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tb import launch
from tb.paths import JUNIT_DIR, MISMATCH_DIR, REGRESS_DIR, REPO_ROOT
from tb.regress.plan import DEFAULT_SEED
from tb.regress.report import render_report, safe_name, write_gtkw

SIMULATORS = launch.SIMULATORS
TOP = "top"                   # the harness's entry in tb.launch.TOPS


@dataclass
class SimRun:
    """Result of one simulator invocation."""

    name: str
    sim: str
    ok: bool
    tests: int
    failed: int
    seconds: float
    log: Path
    junit: Path
    stats: dict[str, Any] | None = None
    error: str = ""


def harness_spec(sim: str, waves: bool = False, coverage: bool | None = None) -> launch.BuildSpec:
    """The launcher's build of the regression harness on ``sim`` (coverage: from
    ``SPARROW_COVERAGE`` unless given)."""
    return launch.spec(TOP, sim, waves=waves, coverage=coverage)


def build(sim: str, waves: bool = False, coverage: bool | None = None) -> Path:
    """Build the harness for ``sim`` once (concurrent callers wait on the launcher's lock);
    returns the build directory. The build log goes to reports/regress/logs/."""
    bs = harness_spec(sim, waves, coverage)
    return launch.build(bs, REGRESS_DIR / "logs" / f"build-{bs.dir.name}.log")


def run_sim(sim: str, name: str, test: str, env: dict[str, str], *, waves: bool = False,
            wave_file: Path | None = None, seed: int | None = None, quiet: bool = True,
            progress: bool = False, keep_failed: bool = True) -> SimRun:
    """Run one cocotb test of tb/top/test_top.py in a fresh working directory (where the
    harness's generated hex/text files go), through :func:`tb.launch.run`.

    The log goes to reports/regress/logs/<name>.log (``progress`` echoes the regression's
    progress lines while it runs); JUnit to reports/junit/top-<name>.xml; under coverage the
    model writes reports/coverage/dat/top-<name>.dat.
    """
    bs = harness_spec(sim, waves)
    logs = REGRESS_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    log.unlink(missing_ok=True)
    test_dir = bs.dir / "runs" / f"{name}-{os.getpid()}"   # unique per invocation
    shutil.rmtree(test_dir, ignore_errors=True)
    junit = JUNIT_DIR / f"top-{name}.xml"
    stop = threading.Event()
    tail = threading.Thread(target=_tail, args=(log, stop, name), daemon=True)
    if progress:
        tail.start()
    t0 = time.time()
    try:
        res = launch.run(bs, junit, test_dir=test_dir, test_filter=rf"(^|\.){test}$", seed=seed,
                         extra_env={"SPARROW_RUN_NAME": name, **env}, wave_file=wave_file,
                         coverage_dat=launch.COVERAGE_DAT_DIR / f"top-{name}.dat",
                         log_file=log, build_log=logs / f"build-{bs.dir.name}.log")
    finally:
        stop.set()
    seconds = time.time() - t0
    if progress:
        tail.join(timeout=2)
    stats_path = REGRESS_DIR / f"{name}.json"
    stats = json.loads(stats_path.read_text()) if stats_path.is_file() else None
    if res.ok or not keep_failed:
        shutil.rmtree(test_dir, ignore_errors=True)       # kept after a failure, for debugging
    if not quiet and not res.ok:
        sys.stdout.write(_log_tail(log))
    return SimRun(name, sim, res.ok, res.tests, res.failed, seconds, log, junit, stats,
                  res.error)


def _tail(log: Path, stop: threading.Event, name: str) -> None:
    """Echo the regression's progress lines of a running simulation."""
    pos = 0
    pat = re.compile(r"(sparrow\.tb\.top\S*\s+)(.*)$")
    while True:
        done = stop.is_set()
        if log.exists():
            with open(log, "rb") as fh:
                fh.seek(pos)
                data = fh.read()
            cut = data.rfind(b"\n") + 1
            pos += cut
            for line in data[:cut].decode(errors="replace").splitlines():
                m = pat.search(line)
                if m:
                    print(f"[{name}] {m.group(2)}", flush=True)
        if done:
            return
        time.sleep(1.0)


def _log_tail(log: Path, n: int = 40) -> str:
    if not log.exists():
        return ""
    lines = log.read_text(errors="replace").splitlines()
    return "\n".join(lines[-n:]) + "\n"


def replay(case_path: Path, sim: str, waves: bool = True, name: str | None = None) -> dict:
    """Rerun one input of a mismatch case alone (same bundle, load, fault, valid gaps); with
    ``waves`` record an FST. Returns the replay result (divergence, wave window)."""
    case_path = Path(case_path)
    name = name or safe_name(f"replay-{case_path.stem.removesuffix('.case')}-{sim}")
    wave_dir = MISMATCH_DIR / "waves"
    wave_dir.mkdir(parents=True, exist_ok=True)
    fst = wave_dir / f"{case_path.stem.removesuffix('.case')}-{sim}.fst"
    out = REGRESS_DIR / f"{name}.replay.json"
    out.unlink(missing_ok=True)
    run = run_sim(sim, name, "test_replay", {"SPARROW_REPLAY": str(case_path),
                                             "SPARROW_REPLAY_OUT": str(out)},
                  waves=waves, wave_file=fst if waves else None, keep_failed=False)
    if not out.is_file():
        raise RuntimeError(f"replay of {case_path} produced no result (log: {run.log})")
    res = json.loads(out.read_text())
    if waves and fst.is_file():
        res["fst"] = str(fst)
        if res.get("window"):
            res["gtkw"] = str(write_gtkw(fst.with_suffix(".gtkw"), fst, *res["window"]["time_ns"]))
    return res


def attach_waves(report_path: Path, sim: str) -> dict | None:
    """Replay the first failing input of a report with waves and add the wave window to it."""
    r = json.loads(report_path.read_text())
    res = replay(Path(r["case"]), sim, waves=True)
    if res.get("fst") and res.get("window"):
        r["waves"] = {"simulator": sim, "fst": res["fst"], "gtkw": res.get("gtkw"),
                      "reproduced": res["reproduced"], **res["window"]}
        report_path.write_text(json.dumps(r, indent=1) + "\n")
        render_report(report_path)
    return res


# ---------------------------------------------------------------------------------------------
# levels, JUnit merge, summary


@dataclass
class LevelResult:
    """Outcome of :func:`run_level` for one simulator."""

    level: str
    sim: str
    ok: bool
    seconds: float
    runs: list[SimRun]
    reports: list[Path]
    message: str = ""


def reject_empty(run: SimRun, level: str) -> None:
    """A regression run that executed no input checked nothing: mark it failed, with the
    reason (e.g. more shards than the level has jobs, or a plan resized to nothing)."""
    if run.stats is None and not run.ok:
        return                        # the simulation itself failed: its error says why
    n = int((run.stats or {}).get("inputs", 0))
    if n == 0:
        run.ok = False
        shard = (run.stats or {}).get("shard", "")
        run.error = (f"executed 0 inputs (level {level}" + (f", shard {shard}" if shard else "")
                     + "): nothing was checked; use fewer shards or a larger plan")


def run_level(level: str, sim: str, *, seed: int = DEFAULT_SEED, fault: str | None = None,
              shards: int = 1, waves: bool = True, max_wave_replays: int = 2,
              progress: bool = False, name: str | None = None,
              extra_env: dict[str, str] | None = None) -> LevelResult:
    """Run a regression level on one simulator in ``shards`` parallel simulations, attach waves
    to the first mismatch reports, and return the outcome (also in reports/regress/)."""
    base = name or safe_name(f"{level}-{sim}" + (f"-{fault}" if fault else ""))
    t0 = time.time()
    build(sim)                                   # once, before the shards share it
    runs: list[SimRun] = []
    names = [base if shards == 1 else f"{base}-shard{k}" for k in range(shards)]
    for n in names:
        (REGRESS_DIR / f"{n}.json").unlink(missing_ok=True)
        for old in MISMATCH_DIR.glob(f"{n}-*"):
            if old.is_file():
                old.unlink()

    def one(k: int) -> None:
        env = {"SPARROW_REGRESS_LEVEL": level, "SPARROW_REGRESS_SEED": str(seed),
               "SPARROW_REGRESS_SHARD": f"{k}/{shards}", "SPARROW_REGRESS_SIM": sim,
               **({"SPARROW_FAULT": fault} if fault else {}), **(extra_env or {})}
        try:
            runs.append(run_sim(sim, names[k], "test_regress", env, seed=seed,
                                progress=progress, keep_failed=not fault))
        except Exception as exc:  # noqa: BLE001 - reported as a failed run
            runs.append(SimRun(names[k], sim, False, 0, 0, 0.0, REGRESS_DIR / "logs" /
                               f"{names[k]}.log", JUNIT_DIR / f"top-{names[k]}.xml",
                               error=f"{type(exc).__name__}: {exc}"))

    threads = [threading.Thread(target=one, args=(k,)) for k in range(shards)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    runs.sort(key=lambda r: r.name)
    for r in runs:
        reject_empty(r, level)
    reports: list[Path] = []
    for r in runs:
        if r.stats:
            reports += [Path(p) for p in r.stats.get("reports", [])]
    if waves:
        for rp in reports[:max_wave_replays]:
            try:
                attach_waves(rp, sim)
            except Exception as exc:  # noqa: BLE001 - a failed replay must not hide the report
                print(f"waves for {rp.name} failed: {exc}", file=sys.stderr)
    ok = len(runs) == shards and all(r.ok for r in runs)
    msgs = []
    for r in runs:
        if not r.ok:
            msgs.append(f"{r.name}: {r.error or f'{r.failed} of {r.tests} cocotb tests failed'}"
                        f" (log {r.log})")
    for rp in reports[:5]:
        rr = json.loads(rp.read_text())
        d = rr.get("first_divergence")
        where = (f"layer {d['layer']} neuron {d['neuron']} cycle {d['cycle']}" if d else
                 rr["checks"][0])
        msgs.append(f"mismatch report {rp.relative_to(REPO_ROOT)}: {where}")
    return LevelResult(level, sim, ok, time.time() - t0, runs, reports, "\n".join(msgs))


