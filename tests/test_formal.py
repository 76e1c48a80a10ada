"""formal/run.py: the summary logic (no tools), the job table against the .sby files, and one
quick real proof + cover + expect-fail mutant (argmax, about 20 s once YoWASP's cache is warm)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from formal import run

REPO = Path(__file__).resolve().parent.parent

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="t">
<testcase classname="t" name="build execution"/>
<testcase classname="t" name="p" type="ASSERT" id="ap_a"/>
<testcase classname="t" name="p" type="ASSERT" id="u_sub.ap_b"><failure type="ASSERT"/></testcase>
<testcase classname="t" name="c" type="COVER" id="cv_a" tracefile="engine_0/trace0.vcd"/>
<testcase classname="t" name="c" type="COVER" id="cv_b"><skipped/></testcase>
</testsuite></testsuites>
"""


def res(kind: str, status: str, asserts: dict | None = None, covers: dict | None = None,
        task: str = "t") -> run.Result:
    """A synthetic job result."""
    return run.Result(run.Job("u", task, kind, "test"), status, 1.0, asserts or {}, covers or {})


def test_parse_workdir_reads_junit(tmp_path: Path) -> None:
    (tmp_path / "status").write_text("FAIL 2 3\n")
    (tmp_path / "x.xml").write_text(JUNIT)
    r = run.parse_workdir(run.Job("u", "t", "prove", "s"), tmp_path, 2.0)
    assert r.status == "FAIL"
    assert r.asserts == {"ap_a": "pass", "ap_b": "fail"}
    assert r.covers == {"cv_a": True, "cv_b": False}


def test_parse_workdir_without_results_is_error(tmp_path: Path) -> None:
    assert run.parse_workdir(run.Job("u", "t", "prove", "s"), tmp_path, 0.0).status == "ERROR"


def test_summary_all_good() -> None:
    s = run.summarize([
        res("prove", "PASS", {"ap_a": "pass", "ap_b": "skipped"}, task="p"),
        res("bounded", "PASS", {"ap_c": "pass"}, task="b"),
        res("cover", "PASS", covers={"cv_a": True, "cv_b": True, "cv_c": True}, task="c"),
        res("mutant", "FAIL", {"ap_a": "fail"}, task="m"),
    ])
    assert (s["properties"], s["proven"], s["bounded"], s["failed"]) == (3, 2, 1, 0)
    assert (s["covers"], s["covered"], s["mutants"], s["killed"]) == (3, 3, 1, 1)
    assert s["ok"]


def test_base_of_an_induction_is_proven_only_with_its_step() -> None:
    """A ``base`` job's properties are proven when it and every job it closes with pass; with a
    failing step they are only bounded (and the step's own properties failed); a ``step`` job's
    properties are proven when it passes."""
    def jobs(step_status: str) -> list[run.Result]:
        base = run.Result(run.Job("u", "base", "base", "t", closes=("u:step", "u:inv")), "PASS",
                          1.0, {"ap_x": "pass"}, {})
        step = run.Result(run.Job("u", "step", "step", "t"), step_status, 1.0,
                          {"ap_s": "pass" if step_status == "PASS" else "fail"}, {})
        inv = res("prove", "PASS", {"ap_i": "pass"}, task="inv")
        cov = res("cover", "PASS", covers={"cv_x": True, "cv_s": True, "cv_i": True}, task="c")
        return [base, step, inv, cov]

    s = run.summarize(jobs("PASS"))
    assert (s["proven"], s["bounded"], s["failed"]) == (3, 0, 0) and s["ok"]
    s = run.summarize(jobs("FAIL"))
    assert s["property_status"]["ap_x"]["status"] == "bounded"
    assert s["property_status"]["ap_s"]["status"] == "failed" and not s["ok"]


@pytest.mark.parametrize("bad", ["failed_proof", "unreached_cover", "surviving_mutant",
                                 "mutant_error", "missing_cover", "proof_error"])
def test_summary_flags_each_defect(bad: str) -> None:
    jobs = {
        "p": res("prove", "PASS", {"ap_a": "pass", "ap_b": "pass"}, task="p"),
        "c": res("cover", "PASS", covers={"cv_a": True, "cv_b": True}, task="c"),
        "m": res("mutant", "FAIL", {"ap_a": "fail"}, task="m"),
    }
    if bad == "failed_proof":
        jobs["p"] = res("prove", "FAIL", {"ap_a": "pass", "ap_b": "fail"}, task="p")
    elif bad == "unreached_cover":
        jobs["c"] = res("cover", "FAIL", covers={"cv_a": True, "cv_b": False}, task="c")
    elif bad == "surviving_mutant":
        jobs["m"] = res("mutant", "PASS", {"ap_a": "pass"}, task="m")
    elif bad == "mutant_error":
        jobs["m"] = res("mutant", "ERROR", task="m")
    elif bad == "missing_cover":
        jobs["c"] = res("cover", "PASS", covers={"cv_a": True}, task="c")
    elif bad == "proof_error":
        jobs["x"] = res("prove", "TIMEOUT", task="x")
    s = run.summarize(list(jobs.values()))
    assert not s["ok"], bad
    for key in ("properties", "proven", "failed", "covers", "covered"):  # spec §5 keys
        assert isinstance(s[key], int)


def sby_tasks(unit: str) -> set[str]:
    """Task names declared in formal/<unit>.sby."""
    text = (REPO / "formal" / f"{unit}.sby").read_text()
    block = re.search(r"^\[tasks\]\n(.*?)(?=^\[)", text, re.S | re.M).group(1)
    return {line.split()[0] for line in block.splitlines() if line.strip() and not line.startswith("#")}


def test_job_table_matches_sby_files() -> None:
    for job in run.JOBS:
        assert job.kind in run.KINDS
        assert job.task in sby_tasks(job.unit), job.name
    for sby in (REPO / "formal").glob("*.sby"):
        listed = {j.task for j in run.JOBS if j.unit == sby.stem}
        assert sby_tasks(sby.stem) <= listed, f"{sby.name}: tasks not run by formal/run.py"


def test_every_mutant_define_exists_in_rtl() -> None:
    """Each FORMAL_MUTANT_* define read by a .sby file guards code in rtl/ (or, for a mutant of
    the check itself, in a formal/ harness)."""
    rtl = "".join(p.read_text() for p in [*(REPO / "rtl").glob("*.v"),
                                           *(REPO / "formal").glob("*.sv")])
    for sby in (REPO / "formal").glob("*.sby"):
        for define in re.findall(r"read -define (FORMAL_MUTANT_\w+)", sby.read_text()):
            assert any(f"`{k} {define}" in rtl for k in ("ifdef", "ifndef", "elsif")), define


def test_every_mutant_job_reads_a_mutant_define() -> None:
    """A mutant job builds the design with its own FORMAL_MUTANT_* define (else it checks the RTL)."""
    for job in run.JOBS:
        text = (REPO / "formal" / f"{job.unit}.sby").read_text()
        has_define = re.search(rf"^{job.task}: read -define FORMAL_MUTANT_\w+$", text, re.M) is not None
        assert has_define == (job.kind == "mutant"), job.name


def test_unknown_job_is_rejected() -> None:
    proc = subprocess.run([sys.executable, "-m", "formal.run", "--only", "nosuch"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "unknown job" in proc.stderr


def test_quick_proof_cover_and_mutant(tmp_path: Path) -> None:
    """argmax: k-induction proof, covers, and a mutant that must fail (the fast subset)."""
    proc = subprocess.run([sys.executable, "-m", "formal.run", "--quick", "--out", str(tmp_path / "r"),
                           "--build", str(tmp_path / "b")], cwd=REPO, capture_output=True, text=True,
                          check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert s["properties"] >= 5 and s["proven"] == s["properties"] and s["failed"] == 0
    assert s["covers"] == s["covered"] >= 5
    assert s["mutants"] == s["killed"] == 1
    assert (tmp_path / "r" / "summary.md").read_text().startswith("# Formal verification summary")


def test_reuse_only_fresh_finished_results(tmp_path: Path) -> None:
    """--reuse takes a PASS/FAIL work directory newer than the job's sources, nothing else."""
    import os
    job = next(j for j in run.JOBS if j.name == "argmax:unit")
    workdir = tmp_path / "argmax_unit"
    workdir.mkdir()
    (workdir / "x.xml").write_text(JUNIT)
    (workdir / "logfile.txt").write_text("summary: Elapsed clock time [H:MM:SS (secs)]: 0:00:07 (7)\n")
    (workdir / "status").write_text("PASS 0 1\n")
    (workdir / "config.sby").write_text("[options]\n")
    (workdir / "src").mkdir()
    sby, *files = run.job_sources(job)
    for src in files:
        (workdir / "src" / src.name).write_bytes(src.read_bytes())
    res = run.reusable(job, tmp_path)
    assert res is not None and res.status == "PASS" and res.seconds == 7.0
    (workdir / "src" / files[0].name).write_text("// an older version\n")
    assert run.reusable(job, tmp_path) is None  # the job ran on other sources
    (workdir / "src" / files[0].name).write_bytes(files[0].read_bytes())
    old = sby.stat().st_mtime - 10
    os.utime(workdir / "config.sby", (old, old))
    assert run.reusable(job, tmp_path) is None  # the .sby changed after the job started
    os.utime(workdir / "config.sby")
    (workdir / "status").write_text("ERROR\n")
    assert run.reusable(job, tmp_path) is None  # not a finished result


def test_ctrl_sched_mutants_fail_on_their_property(tmp_path: Path) -> None:
    """The schedule and bounded-response checks of ctrl can fail: a skipped WRITE breaks
    ap_ctrl_sched_done, a hang in INIT breaks ap_ctrl_live_state (each job keeps only that one)."""
    build = tmp_path / "b"
    proc = subprocess.run([sys.executable, "-m", "formal.run", "--only", "ctrl_sched:mut_skip_write",
                           "ctrl_sched:mut_hang", "--out", str(tmp_path / "r"), "--build", str(build)],
                          cwd=REPO, capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expect = {"mut_skip_write": "ap_ctrl_sched_done", "mut_hang": "ap_ctrl_live_state"}
    for task, prop in expect.items():
        job = next(j for j in run.JOBS if j.name == f"ctrl_sched:{task}")
        res = run.parse_workdir(job, build / f"ctrl_sched_{task}", 0.0)
        assert res.status == "FAIL" and res.asserts == {prop: "fail"}, (task, res.asserts)
