"""cocotb side of a campaign job: ``test_campaign`` runs the explicit jobs of a spec file.

``tb/top/test_top.py`` imports :func:`test_campaign`, so it runs in the top-level harness like
``test_regress``: SPARROW_CAMPAIGN_JOB names a JSON file ``{"cfg": {...}, "jobs": [...]}``
(:func:`tb.campaign.jobs.job_to_dict`); every job is loaded, streamed and compared event by
event with the golden model exactly as in the regression, mismatches keep the regression's
report (``tb.regress.write_report``), statistics go to ``reports/regress/<run>.json``.

With SPARROW_DATAPATH_COVER=1 a monitor samples the datapath corners of ``tb.funcov``
(``sparrow.datapath.corner``) **from the RTL**: at every FIRE cycle it reads each fire unit's
exact accumulator (``acc_d`` = lane sum + bias), θ and T; the trace events the core wrote give
the all-zero layer inputs and argmax ties (:func:`tb.funcov.datapath_trace_labels`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import cocotb
from cocotb.handle import SimHandleBase
from cocotb.triggers import ReadOnly, RisingEdge

from golden.bundle import load_bundle
from golden.hwimage import build_image
from tb.common import get_logger
from tb.regress import REGRESS_DIR, compare, render_report, safe_name, write_report

LOG = get_logger("top.campaign")


class DatapathMonitor:
    """Samples the fire units of the core at every FIRE cycle (``fire_valid_d`` high)."""

    def __init__(self, dut: SimHandleBase) -> None:
        self.top = dut.u_top
        self.clk = dut.clk
        self.fires = 0
        self.labels: dict[str, int] = {}
        lanes = []
        m = 0
        while True:
            try:
                lanes.append(self.top.g_fire[m].u_fire)
            except (AttributeError, IndexError, KeyError):
                break
            m += 1
        if not lanes:
            raise RuntimeError("datapath monitor: no fire unit found under u_top.g_fire")
        self.lanes = lanes

    def _sample(self) -> None:
        from tb.funcov import datapath_fire_labels, sample_datapath

        ssf = int(self.top.fire_ssf_d.value)
        t = int(self.top.fire_t_d.value)
        accs, thetas = [], []
        for u in self.lanes:
            accs.append(u.acc_d.value.to_signed())
            thetas.append(int(u.theta_i.value))
        labels = datapath_fire_labels(accs, thetas, t, bool(ssf))
        self.fires += 1
        for lab in labels:
            self.labels[lab] = self.labels.get(lab, 0) + 1
        if labels:
            sample_datapath(labels)

    async def run(self) -> None:
        """Forever: wait for a FIRE cycle, sample every lane, next cycle."""
        fv = self.top.fire_valid_d
        while True:
            await RisingEdge(fv)
            while True:
                await ReadOnly()
                if not int(fv.value):
                    break
                self._sample()
                await RisingEdge(self.clk)


@cocotb.test()
async def test_campaign(dut: SimHandleBase) -> None:
    """Run the jobs of SPARROW_CAMPAIGN_JOB (see the module docstring); fails on a mismatch or
    when the spec holds no input."""
    import test_top  # the test module itself (already imported by cocotb)

    from tb.campaign.jobs import job_from_dict
    from tb.top.harness import Harness

    path = os.environ.get("SPARROW_CAMPAIGN_JOB")
    if not path:
        LOG.info("SPARROW_CAMPAIGN_JOB not set: nothing to run")
        return
    spec = json.loads(Path(path).read_text())
    run = os.environ.get("SPARROW_RUN_NAME", "campaign")
    cfg: dict[str, Any] = {"run": run, "level": "campaign", "sim": test_top._sim_name(),
                           "seed": 0, "shard": "0/1", "fault": None, **(spec.get("cfg") or {})}
    cfg["run"] = run
    plan = [job_from_dict(d) for d in spec.get("jobs", [])]
    assert plan, f"{path}: the campaign job holds no job"
    h = Harness(dut)
    await h.reset()
    mon = None
    cover = os.environ.get("SPARROW_DATAPATH_COVER") == "1"
    if cover:
        mon = DatapathMonitor(dut)
        cocotb.start_soon(mon.run())
    stats = test_top.RunStats({**cfg, "level": "campaign"}, plan)
    stats.cfg = cfg
    done = failing = 0
    for job in plan:
        t0, c0 = time.time(), time.process_time()
        bundle = load_bundle(job.bundle)
        rtl, gold, _ = await test_top.run_job(h, job, bundle, build_image(bundle))
        fails = compare(bundle, gold, rtl)
        test_top._sample_coverage(job, bundle, gold, rtl)
        if mon is not None:
            from tb.funcov import datapath_trace_labels, sample_datapath

            for n in range(len(job.x)):
                labels = datapath_trace_labels(bundle, job.x[n], rtl.events[n])
                if labels:
                    sample_datapath(labels)
                for lab in labels:
                    mon.labels[lab] = mon.labels.get(lab, 0) + 1
        stats.add(job, bundle, gold, rtl, len(fails), time.time() - t0, time.process_time() - c0)
        done += len(job.x)
        failing += len(fails)
        if fails:
            name = safe_name(f"{run}-{job.name}")
            rp = write_report(name, cfg, job, bundle, gold, rtl, fails)
            if cfg.get("reproduce"):            # the campaign's own command for the whole run
                r = json.loads(rp.read_text())
                r["reproduce"]["run"] = cfg["reproduce"]
                rp.write_text(json.dumps(r, indent=1) + "\n")
                render_report(rp)
            stats.reports.append(str(rp))
            LOG.error("%s: %d of %d inputs mismatch -> %s", job.name, len(fails), len(job.x),
                      rp.with_suffix(".md"))
    out = stats.write()
    if mon is not None:
        data = json.loads(out.read_text())
        data["datapath"] = {"fires": mon.fires, "labels": mon.labels}
        out.write_text(json.dumps(data, indent=1) + "\n")
    dest = os.environ.get("SPARROW_FUNCOV_OUT")
    if dest and test_top.funcov is not None:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        test_top.funcov.export(dest)
    LOG.info("campaign run %s: %d jobs, %d inputs, %d mismatching (%s)", run, len(plan), done,
             failing, Path(out).relative_to(REGRESS_DIR.parent.parent))
    assert done > 0, "the campaign job ran 0 inputs"
    assert failing == 0, (f"{failing} of {done} inputs mismatch the golden model; reports: "
                          + ", ".join(stats.reports))
