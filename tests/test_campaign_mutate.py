"""Mutation testing (tb/campaign/mutate.py): yosys lists mutants of every module, a mutant
netlist keeps the module's interface and parameters, the equivalence check proves the identity
and refuses a real change, the summary counts and lists survivors, and on a real bench the
unmutated control passes while a mutant is killed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tb.campaign import mutate as mu
from tb.regress import REPO_ROOT

RTL = REPO_ROOT / "rtl"


def test_every_module_has_mutants() -> None:
    assert set(mu.CONTEXTS) == {p.stem for p in RTL.glob("*.v")}      # every rtl/ module
    for name, ctx in mu.CONTEXTS.items():
        muts = mu.list_mutations(ctx, 3, 1)
        assert len(muts) == 3, name
        assert all(m.startswith("mutate -mode ") and f"-module {name} " in m for m in muts)
        assert all(mu._src_of(m).startswith("rtl/") for m in muts), muts


def test_plan_shares_mutants_over_modules_exactly() -> None:
    mods = ["argmax", "ssf_fire", "stream_in"]
    specs = mu.plan(11, 2, mods)
    assert len(specs) == 11 and len({s["id"] for s in specs}) == 11
    assert [s["module"] for s in specs[:3]] == mods                   # interleaved
    per = {m: sum(s["module"] == m for s in specs) for m in mods}
    assert per == {"argmax": 3, "ssf_fire": 5, "stream_in": 3}         # by weight 2:4:2


def test_mutant_netlist_keeps_interface_and_parameters(tmp_path: Path) -> None:
    ctx = mu.CONTEXTS["argmax"]
    mut = mu.list_mutations(ctx, 1, 3)[0]
    ctl, bad = tmp_path / "ctl.v", tmp_path / "mut.v"
    mu.write_mutant(ctx, None, RTL, ctl)
    mu.write_mutant(ctx, mut, RTL, bad)
    assert ctl.read_text() != bad.read_text()
    assert "parameter integer ACC_W = 36;" in ctl.read_text()     # the core's parameters
    top = tmp_path / "top.v"
    top.write_text("module t; wire [3:0] i; wire [35:0] v; wire s;\n"
                   "argmax #(.ACC_W(36), .IDX_W(4)) u (.clk(1'b0), .rst_n(1'b0), .clr(1'b0), "
                   ".in_valid(1'b0), .value_i(36'd0), .idx_i(4'd0), .best_idx_o(i), "
                   ".best_val_o(v), .seen_o(s));\nendmodule\n")
    for f in (ctl, bad):
        res = subprocess.run(["iverilog", "-o", str(tmp_path / "a.out"), str(f), str(top)],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


def test_equivalence_check_proves_identity_and_refuses_a_change(tmp_path: Path) -> None:
    ctx = mu.CONTEXTS["argmax"]
    ok, why = mu.equivalence(ctx, "", RTL, tmp_path / "same.log")
    assert ok and "proven" in why
    mut = "mutate -mode inv -module argmax -cell " + _first_cell(ctx) + " -port Y -portbit 0"
    ok, why = mu.equivalence(ctx, mut, RTL, tmp_path / "diff.log", timeout=10)
    assert not ok and ("not proven" in why or why.startswith("not equivalent"))
    assert (tmp_path / "diff.log").read_text()                    # evidence kept


COUNTER_BY_2 = """module c2(input wire clk, input wire rst_n, input wire en, output wire [3:0] q);
    reg [3:0] r;
    always @(posedge clk) if (!rst_n) r <= 4'd0; else if (en) r <= r + 4'd2;
    assign q = r;
endmodule
"""


def test_pdr_proves_an_invariant_equivalence_and_finds_a_real_change(tmp_path: Path) -> None:
    """ABC scorr + pdr (the first stage of the equivalence check): a counter stepping by 2 keeps
    bit 0 at 0, so XOR-ing its next bit 2 with next bit 0 changes nothing (proven), XOR-ing it
    with bit 1 does (a counterexample, the check fails)."""
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "c2.v").write_text(COUNTER_BY_2)
    ctx = mu.Context("c2", ("c2.v",))
    dff = next(m for m in mu.list_mutations(ctx, 40, 1, rtl) if "$procdff$" in m)
    dff = dff.split(" -cell ")[1].split()[0]
    same = f"mutate -mode cnot1 -module c2 -cell {dff} -port D -portbit 2 -ctrlbit 0"
    diff = f"mutate -mode cnot1 -module c2 -cell {dff} -port D -portbit 2 -ctrlbit 1"
    assert mu.pdr_check(ctx, "", rtl, 60)[0] == "proven"
    assert mu.pdr_check(ctx, same, rtl, 60)[0] == "proven"
    status, text = mu.pdr_check(ctx, diff, rtl, 60)
    assert status == "cex" and "asserted in frame" in text
    ok, why = mu.equivalence(ctx, same, rtl, tmp_path / "same.log", 60)
    assert ok and "ABC scorr + pdr: proven" in why
    ok, why = mu.equivalence(ctx, diff, rtl, tmp_path / "diff.log", 60)
    assert not ok and why.startswith("not equivalent: ABC pdr")
    assert "asserted in frame" in (tmp_path / "diff.log").read_text()


@pytest.mark.slow
def test_ctrl_channel_base_survivor_is_equivalent(tmp_path: Path) -> None:
    """The survivor m0021-ctrl of the last campaigns (rtl/ctrl.v:480, ch_base_q's hold arm, bit 7
    XOR bit 1) is equivalent: ch_base_q is a multiple of 8, bit 1 is always 0. yosys
    equiv_induct cannot show it (no invariant); scorr + pdr proves it (about 70 s)."""
    ctx = mu.CONTEXTS["ctrl"]
    mut = "mutate -mode cnot1 -module ctrl -cell $procmux$358 -port A -portbit 7 -ctrlbit 1"
    mu.write_mutant(ctx, mut, RTL, tmp_path / "ctrl.v")
    assert "ch_base_q[7] ^ ch_base_q[1]" in (tmp_path / "ctrl.v").read_text()   # that mutant
    assert mu.pdr_check(ctx, mut, RTL, 900)[0] == "proven"


def _first_cell(ctx: mu.Context) -> str:
    """A comparison cell of argmax (its output bit 0 decides every update)."""
    for m in mu.list_mutations(ctx, 200, 1):
        if "$gt$" in m or "$lt$" in m or "$ge$" in m:
            return m.split(" -cell ")[1].split(" ")[0]
    pytest.skip("no comparison cell in argmax's mutation list")


def test_summary_counts_and_lists_survivors(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(mu, "MUT_DIR", tmp_path)
    res = [{"id": f"m{k}", "module": "ssf_fire", "mutation": f"mutate -mode inv x{k}",
            "src": f"rtl/ssf_fire.v:{k}", "verdict": v}
           for k, v in enumerate(["killed"] * 16 + ["timeout", "survived", "error"])]
    res.append({"id": "m99", "module": "ctrl", "mutation": "mutate -mode const0 y",
                "src": "rtl/ctrl.v:7", "verdict": "equivalent",
                "equivalence": {"evidence": "proven", "log": "reports/mutation/equiv/m99.log"}})
    s = mu.summarize(res, [{"module": "ssf_fire", "verdict": "control_ok"}],
                     {"command": "make mutate", "seconds": 1.0, "workers": 2})
    assert (s["mutants"], s["killed"], s["survived"], s["equivalent"]) == (20, 17, 1, 1)
    assert s["kill_rate"] == round(17 / 18, 4)                 # equivalent + errors set aside
    mu.write_reports(s, res)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert {"mutants", "killed", "survived", "equivalent"} <= set(on_disk)
    md = (tmp_path / "summary.md").read_text()
    assert "`m17` rtl/ssf_fire.v:17: `mutate -mode inv x17`" in md
    assert "m99" in md and "Flow errors" in md


@pytest.mark.sim
def test_control_passes_and_a_mutant_is_killed() -> None:
    if shutil.which("iverilog") is None:
        pytest.skip("iverilog missing")
    ctl = mu.run_mutant({"id": "t-ctl-sram_sp", "module": "sram_sp", "mutation": None})
    assert ctl["verdict"] == "control_ok", ctl.get("log_tail")
    muts = [m for m in mu.list_mutations(mu.CONTEXTS["sram_sp"], 40, 1) if "-port Y" in m]
    r = mu.run_mutant({"id": "t-mut-sram_sp", "module": "sram_sp", "mutation": muts[0],
                       "equiv": False})
    assert r["verdict"] in ("killed", "timeout"), r
    assert r["steps"][0]["step"] == "bench" and r["steps"][0]["status"] != "pass"


@pytest.mark.sim
def test_rejudge_kills_a_survivor_with_todays_bench(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """--rejudge: a campaign survivor (here a real sram_sp mutant that today's bench kills,
    recorded as survived) is judged again: it becomes killed with the failing cocotb test
    and the commit recorded, the kill rate and summary.md follow; a survivor without a
    mutation (malformed row) is left alone."""
    if shutil.which("iverilog") is None:
        pytest.skip("iverilog missing")
    monkeypatch.setattr(mu, "MUT_DIR", tmp_path)
    mut = [m for m in mu.list_mutations(mu.CONTEXTS["sram_sp"], 40, 1) if "-port Y" in m][0]
    res = [{"id": "m1-sram_sp", "module": "sram_sp", "mutation": mut, "src": "rtl/sram_sp.v:1",
            "verdict": "survived", "steps": []},
           {"id": "m2-sram_sp", "module": "sram_sp", "mutation": None, "src": "?",
            "verdict": "survived", "steps": []}]
    s = mu.summarize(res, [{"module": "sram_sp", "verdict": "control_ok"}],
                     {"command": "make mutate", "seconds": 1.0, "workers": 1, "seed": 1,
                      "excluded_modules": []})
    mu.write_reports(s, res)
    out = mu.rejudge()
    assert (out["killed"], out["survived"]) == (1, 1)
    late = out["killed_after_campaign"]
    assert [k["id"] for k in late] == ["m1-sram_sp"] and late[0]["by"].startswith("tb.sram_bench.")
    rows = json.loads((tmp_path / "mutants.json").read_text())
    assert rows[0]["verdict"] == "killed" and rows[0]["rejudged"]["commit"]
    assert "killed by tests added after it" in (tmp_path / "summary.md").read_text()


def test_relocate_moves_a_mutation_to_this_checkout() -> None:
    """Cell names carry the campaign checkout's path: --rejudge / --recheck rewrite it."""
    m = ("mutate -mode const1 -module ctrl -cell $gt$/work/other/rtl/ctrl.v:199$59 -port B "
         "-portbit 1 -src /work/other/rtl/ctrl.v:199.37-199.62")
    out = mu.relocate(m, Path("/repo"))
    assert out == m.replace("/work/other/rtl/", "/repo/rtl/") and "/work/other" not in out
    assert mu.relocate("mutate -mode inv -module stream_in -cell $procmux$21 -port S",
                       Path("/repo")) == "mutate -mode inv -module stream_in -cell $procmux$21 -port S"


def test_wilson_interval_and_time_breakdown() -> None:
    assert mu.wilson(0, 0) is None
    lo, hi = mu.wilson(95, 100)
    assert lo < 0.95 < hi and (lo, hi) == (0.8882, 0.9785)    # p = 0.95, n = 100, z = 1.96
    assert mu.wilson(10, 10)[1] == 1.0 and mu.wilson(10, 10)[0] < 1.0
    res = [{"verdict": "killed", "seconds": 4.0, "setup_seconds": 1.0,
            "steps": [{"step": "bench", "seconds": 3.0}]},
           {"verdict": "survived", "seconds": 20.0, "setup_seconds": 1.0,
            "steps": [{"step": "bench", "seconds": 3.0}, {"step": "top smoke", "seconds": 9.0}],
            "equivalence": {"seconds": 7.0}}]
    tb = mu.time_breakdown(res)
    assert tb["phases"] == {"setup": {"mutants": 2, "seconds": 2.0},
                            "bench": {"mutants": 2, "seconds": 6.0},
                            "top smoke": {"mutants": 1, "seconds": 9.0},
                            "equivalence": {"mutants": 1, "seconds": 7.0}}
    assert tb["per_verdict"]["survived"]["mean_seconds"] == 20.0


def test_step_timeouts_follow_the_control() -> None:
    ctl = [{"module": "ctrl", "steps": [{"step": "bench", "seconds": 4.2},
                                        {"step": "top smoke", "seconds": 9.3}]},
           {"module": "sparrow_top", "steps": [{"step": "top smoke", "seconds": 37.6},
                                               {"step": "bench", "seconds": 187.7}]}]
    assert mu.step_timeouts(ctl, "ctrl") == {"bench": 60, "top smoke": 60}
    assert mu.step_timeouts(ctl, "sparrow_top") == {"top smoke": 112, "bench": 563}
    assert mu.step_timeouts(ctl, "argmax") == {}                  # no control: module limit


def test_combine_two_campaigns(tmp_path: Path) -> None:
    a, b, out = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    for d, verdicts, ctl in ((a, ["killed", "survived"], "control_failed"),
                             (b, ["killed", "equivalent"], "control_ok")):
        d.mkdir()
        res = [{"id": f"{d.name}{k}", "module": "ctrl", "mutation": "m", "src": "rtl/ctrl.v:1",
                "verdict": v, "seconds": 2.0} for k, v in enumerate(verdicts)]
        s = mu.summarize(res, [{"module": "ctrl", "verdict": ctl}],
                         {"command": f"run {d.name}", "seconds": 5.0, "workers": 2,
                          "mutant_cpu_seconds": 4.0})
        (d / "summary.json").write_text(json.dumps(s))
        (d / "mutants.json").write_text(json.dumps(res))
    s = mu.combine([a, b], out)
    assert (s["mutants"], s["killed"], s["survived"], s["equivalent"]) == (4, 2, 1, 1)
    assert s["controls"] == {"ctrl": "control_ok"} and s["excluded_modules"] == []
    assert s["command"] == "run a + run b" and s["projected_full_campaign_seconds"] == 320
    assert "`a1` rtl/ctrl.v:1" in (out / "summary.md").read_text()
