"""Top-level regression bench: the whole core (rtl/sparrow_top.v inside tb/top/top_harness.v)
against the golden model, on real ECG/EEG data and on random legal bundles.

cocotb tests (select one with COCOTB_TEST_FILTER; the pytest/make side is tb/regress/):

* ``test_regress``: runs a regression plan (``tb.regress.make_plan``) chosen by the environment:
  SPARROW_REGRESS_LEVEL (quick | smoke | full | bench | demo; default quick),
  SPARROW_REGRESS_SEED, SPARROW_REGRESS_SHARD ("k/n"), SPARROW_FAULT (weight_bit | threshold |
  stuck_valid), SPARROW_REGRESS_PER_CLASS / SPARROW_REGRESS_RANDOM (resize the plan). Each
  job: front-door (APB) or backdoor load, optional fault injection, the
  inputs streamed with seeded valid gaps by the harness, then every inference compared event
  by event with the golden model. Divergences -> reports/mismatch/<run>-<job>.json/.md; the
  statistics -> reports/regress/<run>.json. The test fails on any mismatch.
* ``test_replay``: one input of a mismatch case (SPARROW_REPLAY), for waves.
* ``test_sim_cli``: the RTL half of ``sparrow sim`` (SPARROW_SIM_JOB).
* ``test_harness_matches_port_monitors``: the HDL recorder and sequencer checked against the
  cocotb-bus drivers and monitors of tb/apb.py and tb/stream.py (Python APB load, Python input
  stream, per-cycle trace / handshake monitors).
* ``test_backdoor_load``: a backdoor-loaded image reads back over APB as the front-door image and
  gives the same results.

``make sim`` in this directory runs them all at the ``quick`` level.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
import pytest
from cocotb.handle import SimHandleBase

from golden.bundle import Bundle, load_bundle
from golden.hwimage import HwImage, build_image
from golden.randbundle import random_bundle, random_inputs
from tb.apb import ApbMaster
from tb.common import CycleCounter, get_logger, pattern, seeded_rng
from tb.faults import Fault
from tb.regress import (
    DEFAULT_SEED,
    REGRESS_DIR,
    Golden,
    Job,
    RtlBatch,
    compare,
    corner_report,
    golden_batch,
    make_plan,
    safe_name,
    timeout_cycles,
    wave_window,
    write_report,
)
from tb.stream import HandshakeMonitor, StreamSource, TraceMonitor
from tb.top.harness import Harness
from tb.campaign.sim import test_campaign  # noqa: F401,E402  (campaign jobs; tb/campaign/sim.py)

LOG = get_logger("top")

try:                                    # functional coverage (tb/funcov.py, coverage helper)
    from tb import funcov
except ImportError:                     # pragma: no cover - until tb/funcov.py exists
    funcov = None

STREAM_NAMES = {"full": "none", "random": "random_gaps", "bursty": "regular_gaps",
                "stalls": "long_stalls"}          # harness valid modes -> funcov stream bins


def _env_config() -> dict[str, Any]:
    shard = os.environ.get("SPARROW_REGRESS_SHARD", "0/1")
    k, n = (int(v) for v in shard.split("/"))
    return {"level": os.environ.get("SPARROW_REGRESS_LEVEL", "quick"),
            "seed": int(os.environ.get("SPARROW_REGRESS_SEED", DEFAULT_SEED)),
            "shard": shard, "k": k, "n": n, "fault": os.environ.get("SPARROW_FAULT") or None,
            "sim": os.environ.get("SPARROW_REGRESS_SIM") or _sim_name(),
            "run": os.environ.get("SPARROW_RUN_NAME", "make"),
            "per_class": _opt_int("SPARROW_REGRESS_PER_CLASS"),
            "n_random": _opt_int("SPARROW_REGRESS_RANDOM")}


def _opt_int(name: str) -> int | None:
    value = os.environ.get(name, "")
    return int(value) if value else None


def _sim_name() -> str:
    from tb.common import sim_name

    return sim_name()


async def run_job(h: Harness, job: Job, bundle: Bundle, img: HwImage,
                  gold: Golden | None = None) -> tuple[RtlBatch, Golden, Fault | None]:
    """Load, inject the job's fault (if any), run every input; returns (RTL, golden, fault)."""
    await h.load(img, job.load)
    fault = Fault.from_dict(job.fault) if job.fault else None
    if fault is not None and fault.apb:
        await h.apb_writes([(int(a), int(d)) for a, d in fault.apb])
    gold = gold or golden_batch(bundle, job.x)
    rtl = await h.run(job.x, vmode=job.vmode, vprob=job.vprob, seed=job.seed,
                      timeout=timeout_cycles(bundle),
                      stuck_from=fault.stuck_from if fault is not None else None,
                      label=job.name)
    return rtl, gold, fault


def _sample_coverage(job: Job, bundle: Bundle, gold: Golden, rtl: RtlBatch) -> None:
    """Functional coverage of one job (tb/funcov.py); a sampling error is logged once and
    sampling stops: it must not turn an RTL/golden agreement into a failure."""
    global funcov
    if funcov is None:
        return
    try:
        funcov.sample_bundle(bundle)
        funcov.sample_stream(STREAM_NAMES[job.vmode])
        for n in range(len(job.x)):
            funcov.sample_inference(bundle, job.x[n], gold.trace(n), int(rtl.classes[n]))
    except Exception as exc:  # noqa: BLE001
        LOG.error("functional coverage sampling failed (%s: %s); sampling disabled for this run",
                  type(exc).__name__, exc)
        funcov = None


class RunStats:
    """Per-job statistics of a regression run (reports/regress/<run>.json)."""

    def __init__(self, cfg: dict[str, Any], plan: list[Job]) -> None:
        self.cfg = cfg
        self.jobs: list[dict[str, Any]] = []
        self.reports: list[str] = []
        self.t0 = time.time()
        self.cpu0 = time.process_time()     # simulator + Python: this is one process
        self.corners = corner_report(plan) if cfg["level"] in ("quick", "smoke") else {}

    def add(self, job: Job, bundle: Bundle, gold: Golden, rtl: RtlBatch, n_fail: int,
            seconds: float, cpu: float) -> dict[str, Any]:
        same_names = job.classes is not None and list(bundle.classes) == list(job.classes)
        acc_rtl = acc_gold = None
        if job.labels is not None and same_names:
            acc_rtl = float(np.mean(rtl.classes == job.labels))
            acc_gold = float(np.mean(gold.classes == job.labels))
        st = {"name": job.name, "kind": job.kind, "bundle": bundle.name, "origin": job.origin,
              "inputs": len(job.x), "failing": n_fail, "seconds": round(seconds, 3),
              "cpu_seconds": round(cpu, 3),
              "accuracy_rtl": acc_rtl, "accuracy_golden": acc_gold,
              "correct_rtl": int(np.sum(rtl.classes == job.labels)) if acc_rtl is not None
              else None,
              "correct_golden": int(np.sum(gold.classes == job.labels)) if acc_gold is not None
              else None,
              "agree": int(np.sum(rtl.classes == gold.classes)),
              "cycles": sorted(set(int(c) for c in rtl.cycles)),
              "golden_cycles": gold.cycles, "taps": gold.taps,
              "wreads": int(rtl.wreads.sum()), "macs": int(rtl.macs.sum()),
              "skips": int(rtl.skips.sum()), "golden_macs": int(gold.macs.sum()),
              "load_cycles": int(rtl.load.sum()), "vmode": job.vmode, "load": job.load,
              "fault": job.fault}
        self.jobs.append(st)
        return st

    def write(self) -> Path:
        REGRESS_DIR.mkdir(parents=True, exist_ok=True)
        data = {**{k: self.cfg[k] for k in ("run", "level", "sim", "seed", "shard", "fault")},
                "jobs": len(self.jobs), "inputs": sum(j["inputs"] for j in self.jobs),
                "failing_inputs": sum(j["failing"] for j in self.jobs),
                "seconds": round(time.time() - self.t0, 2),
                "cpu_seconds": round(time.process_time() - self.cpu0, 2), "corners": self.corners,
                "reports": self.reports, "job_stats": self.jobs}
        path = REGRESS_DIR / f"{self.cfg['run']}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        return path


@cocotb.test()
async def test_regress(dut: SimHandleBase) -> None:
    """Run the regression plan of the environment (see the module docstring)."""
    cfg = _env_config()
    h = Harness(dut)
    await h.reset()
    plan = make_plan(cfg["level"], cfg["seed"], fault=cfg["fault"], shard=cfg["k"],
                     nshards=cfg["n"], per_class=cfg["per_class"], n_random=cfg["n_random"])
    stats = RunStats(cfg, plan)
    total = sum(len(j.x) for j in plan)
    LOG.info("run %s: level %s, seed %d, shard %s, %d jobs, %d inputs%s", cfg["run"],
             cfg["level"], cfg["seed"], cfg["shard"], len(plan), total,
             f", fault {cfg['fault']}" if cfg["fault"] else "")
    done = failing = 0
    for j, job in enumerate(plan):
        t0, c0 = time.time(), time.process_time()
        bundle = load_bundle(job.bundle)
        rtl, gold, fault = await run_job(h, job, bundle, build_image(bundle))
        fails = compare(bundle, gold, rtl)
        _sample_coverage(job, bundle, gold, rtl)
        st = stats.add(job, bundle, gold, rtl, len(fails), time.time() - t0,
                       time.process_time() - c0)
        done += len(job.x)
        failing += len(fails)
        if fails:
            name = safe_name(f"{cfg['run']}-{job.name}")
            path = write_report(name, cfg, job, bundle, gold, rtl, fails)
            stats.reports.append(str(path))
            d = fails[0].event
            LOG.error("%s: %d of %d inputs mismatch; first: input %d, %s -> %s", job.name,
                      len(fails), len(job.x), fails[0].n,
                      d["text"] if d else fails[0].checks[0], path.with_suffix(".md"))
        if job.kind == "real" or fails or (j + 1) % 25 == 0 or j + 1 == len(plan):
            acc = "" if st["accuracy_rtl"] is None else \
                f", RTL accuracy {100 * st['accuracy_rtl']:.2f}%"
            LOG.info("[%d/%d] %s: %d inputs, %d mismatching%s (%.1f s); %d/%d inputs done",
                     j + 1, len(plan), job.name, len(job.x), len(fails), acc, st["seconds"],
                     done, total)
    path = stats.write()
    if funcov is not None and (os.environ.get("SPARROW_FUNCOV_OUT")
                               or os.environ.get("SPARROW_COVERAGE") == "1"):
        out = os.environ.get("SPARROW_FUNCOV_OUT") or str(
            Path(REGRESS_DIR).parent / "coverage" / "funcov" / f"top-{cfg['run']}.xml")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        funcov.export(out)
    LOG.info("run %s: %d inputs, %d mismatching, statistics %s", cfg["run"], done, failing, path)
    assert failing == 0, (f"{failing} of {done} inputs mismatch the golden model; reports: "
                          + ", ".join(stats.reports))
    assert done > 0, (f"run {cfg['run']} (level {cfg['level']}, shard {cfg['shard']}) executed 0 "
                      "inputs: nothing was checked")


@cocotb.test()
async def test_replay(dut: SimHandleBase) -> None:
    """Replay one input of a mismatch case (SPARROW_REPLAY) and write where it diverges and the
    wave window to SPARROW_REPLAY_OUT. Passes whether or not the mismatch reproduces."""
    path = os.environ.get("SPARROW_REPLAY")
    if not path:
        LOG.info("SPARROW_REPLAY not set: nothing to replay")
        return
    case = json.loads(Path(path).read_text())
    h = Harness(dut)
    await h.reset()
    bundle = load_bundle(case["bundle"])
    x = np.load(case["input"])
    job = Job(name=case["name"], bundle=bundle.raw, origin="replay", x=x, refs=[case["ref"]],
              vmode=case["vmode"], vprob=case["vprob"], seed=case["lfsr"], load=case["load"],
              fault=case["fault"])
    rtl, gold, _ = await run_job(h, job, bundle, build_image(bundle))
    fails = compare(bundle, gold, rtl)
    ev = fails[0].event if fails else None
    orig = case.get("first")
    same = (ev is not None and orig is not None and ev["expected"] == orig["expected"]
            and ev["actual"] == orig["actual"] and ev["i"] == orig["i"])
    origin = int(rtl.last_byte_cycle[0]) + 1
    focus = ev["cycle"] if ev else (orig["cycle"] if orig else 0)
    cycles, times = wave_window(focus, origin)
    out = {"case": path, "mismatch": bool(fails), "reproduced": bool(same or (fails and not orig)),
           "first": ev, "checks": fails[0].checks if fails else [], "origin_cycle": origin,
           "window": {"cycles": cycles, "time_ns": times, "origin_cycle": origin}}
    dest = os.environ.get("SPARROW_REPLAY_OUT")
    if dest:
        Path(dest).write_text(json.dumps(out, indent=1) + "\n")
    LOG.info("replay %s: %s", case["name"],
             f"mismatch: {ev['text'] if ev else fails[0].checks[0]}" if fails else "no mismatch")


@cocotb.test()
async def test_sim_cli(dut: SimHandleBase) -> None:
    """``sparrow sim``: run every input of SPARROW_SIM_JOB's inputs on its bundle and save the
    RTL's CLASS, LOGIT, CNT_* registers (read over APB by the harness) to the job's .npz."""
    path = os.environ.get("SPARROW_SIM_JOB")
    if not path:
        LOG.info("SPARROW_SIM_JOB not set: nothing to simulate")
        return
    spec = json.loads(Path(path).read_text())
    h = Harness(dut)
    await h.reset()
    bundle = load_bundle(spec["model"])
    await h.load(build_image(bundle), "front")
    if spec.get("apb_after_load"):       # tests only: corrupt the loaded image (proves the
        await h.apb_writes([(int(a), int(d)) for a, d in spec["apb_after_load"]])  # RTL source)
    x = np.load(spec["inputs"], allow_pickle=False)
    rtl = await h.run(x, vmode=spec.get("valid", "full"), vprob=int(spec.get("vprob", 180)),
                      seed=int(spec.get("seed", 1)), timeout=timeout_cycles(bundle))
    bad = np.flatnonzero((rtl.status != 2) | (rtl.timeout != 0))
    assert not len(bad), (f"{len(bad)} inference(s) did not complete (first: input {bad[0]}, "
                          f"STATUS 0x{int(rtl.status[bad[0]]):08x}, timeout "
                          f"{int(rtl.timeout[bad[0]])})")
    n_cls = bundle.n_classes
    np.savez(spec["out"], classes=rtl.classes.astype(np.int64),
             logits=rtl.logits[:, :n_cls].astype(np.int64), cycles=rtl.cycles.astype(np.int64),
             wreads=rtl.wreads.astype(np.int64), macs=rtl.macs.astype(np.int64),
             skips=rtl.skips.astype(np.int64), load=rtl.load.astype(np.int64))
    LOG.info("sparrow sim: %d inputs simulated", len(x))


@cocotb.test()
async def test_harness_matches_port_monitors(dut: SimHandleBase) -> None:
    """The fast path checked against the per-cycle cocotb-bus path: the bundle is loaded by
    tb.apb.ApbMaster on the external APB port, the inputs are streamed by tb.stream.StreamSource
    (random valid gaps) while the harness only sequences start / done / result reads, and the
    per-cycle TraceMonitor / HandshakeMonitor must see exactly the events the HDL recorder
    wrote, which must equal the golden model."""
    rng = seeded_rng()
    np_rng = np.random.default_rng(rng.getrandbits(63))
    h = Harness(dut)
    await h.reset()
    counter = CycleCounter(dut.clk)
    apb = ApbMaster(dut, dut.clk, log=LOG.getChild("apb"))
    src = StreamSource(dut, "in", dut.clk, rng, valid_pattern=pattern("random", rng, 0.6))
    hs = HandshakeMonitor(dut, "in", dut.clk, counter)
    origin_of_first = {}

    def origin() -> int | None:
        last = hs.last_cycle
        return None if last is None else last + 1

    mon = TraceMonitor(dut, "trace", dut.clk, counter, origin_fn=origin)
    for b in range(3):
        bundle = load_bundle(random_bundle(np_rng, n_layers=int(np_rng.integers(1, 4)), max_ch=8,
                                           max_len=20, max_cycles=1500, name=f"xcheck{b}"))
        img = build_image(bundle)
        await apb.write_many(img.apb_writes())
        x = random_inputs(np_rng, (bundle.in_channels, bundle.in_length), 3)
        hs.clear()
        mon.clear()
        send = cocotb.start_soon(src.send(x.reshape(-1).tolist()))
        rtl = await h.run(x, timeout=timeout_cycles(bundle), ext_stream=True)
        await send
        gold = golden_batch(bundle, x)
        fails = compare(bundle, gold, rtl)
        assert not fails, f"bundle {b}: {fails[0].checks}"
        # the Python monitors, with per-input origins, see the same events
        nbytes = bundle.in_channels * bundle.in_length
        assert len(hs.accepted) == 3 * nbytes
        py = np.array(mon.events, dtype=np.int64).reshape(-1, 4)
        per = gold.events.shape[1]
        assert len(py) == 3 * per, (len(py), 3 * per)
        for n in range(3):
            assert np.array_equal(py[n * per:(n + 1) * per], rtl.events[n]), \
                f"bundle {b} input {n}: harness recorder and TraceMonitor disagree"
            # harness cycle numbering = CycleCounter numbering + a constant offset
            origin_of_first[(b, n)] = hs.accepted[(n + 1) * nbytes - 1][0]
        offsets = {int(rtl.last_byte_cycle[n]) - origin_of_first[(b, n)] for n in range(3)}
        assert len(offsets) == 1, f"cycle numbering drifts: {offsets}"
    LOG.info("harness recorder == cocotb-bus monitors == golden on 3 bundles x 3 inputs")


@cocotb.test()
async def test_backdoor_load(dut: SimHandleBase) -> None:
    """A backdoor load deposits exactly the front-door image (read back over APB) and runs
    identically."""
    rng = np.random.default_rng(seeded_rng().getrandbits(63))
    h = Harness(dut)
    await h.reset()
    bundle = load_bundle(random_bundle(rng, n_layers=3, max_ch=12, max_len=24, max_cycles=2500))
    img = build_image(bundle)
    await h.load(img, "backdoor")
    ops = [op for op in img.apb_writes() if op[0] >= 0x1000]
    back = await h.apb_reads([a for a, _ in ops])
    exp = np.array([d & (0xFFFF if 0x2000 <= a < 0x3000 else 0xFFFF_FFFF) for a, d in ops])
    assert not back[:, 1].any(), "pslverr on read-back"
    bad = np.flatnonzero(back[:, 0] != exp)
    assert not len(bad), f"{len(bad)} words differ, first at 0x{ops[bad[0]][0]:04x}"
    x = random_inputs(rng, (bundle.in_channels, bundle.in_length), 4)
    rtl = await h.run(x, vmode="bursty", timeout=timeout_cycles(bundle))
    fails = compare(bundle, golden_batch(bundle, x), rtl)
    assert not fails, fails[0].checks
    LOG.info("backdoor load: %d words read back, 4 inferences match", len(ops))


# ---------------------------------------------------------------------------------------------
# pytest entry points


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_top_bench_runner(sim: str) -> None:
    """The harness self-checks (recorder vs port monitors, backdoor load) on ``sim``."""
    from tb.regress import run_sim

    for test in ("test_harness_matches_port_monitors", "test_backdoor_load"):
        run = run_sim(sim, f"bench-{test.removeprefix('test_')}-{sim}", test, {})
        assert run.ok, f"{test} on {sim}: {run.error or 'failed'} (log {run.log})"


@pytest.mark.sim
@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_top_regress_smoke(sim: str) -> None:
    """`make regress` smoke level on ``sim`` (real data of both default bundles + random)."""
    from tb.regress import run_level

    res = run_level("smoke", sim, name=f"pytest-smoke-{sim}")
    assert res.ok, res.message
