"""Static RTL checks: scripts/lint.sh passes on rtl/ and each of its checks can fail; illegal
parameter values stop elaboration on Icarus and Verilator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = REPO / "scripts" / "lint.sh"


def run_lint(out: Path, rtl: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the lint script (on ``rtl`` if given) with its logs in ``out``."""
    cmd = ["bash", str(LINT)] + ([str(rtl)] if rtl else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "LINT_OUT": str(out)})


def summary_line(stdout: str, check: str) -> str:
    """The summary line of one check (e.g. ``verilator -Wall lint: bad``)."""
    lines = [ln.strip() for ln in stdout.splitlines() if check in ln]
    assert lines, f"no summary line for {check!r} in:\n{stdout}"
    return lines[0]


def test_rtl_is_lint_clean(tmp_path: Path) -> None:
    """Every module of rtl/ passes Verilator -Wall and the Yosys latch / loop checks."""
    res = run_lint(tmp_path / "out")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "lint: OK" in res.stdout
    assert "FAIL" not in res.stdout


GOOD = """`default_nettype none
module good (input wire clk, input wire d, output reg q);
    always @(posedge clk) q <= d;
endmodule
`default_nettype wire
"""

BAD = {
    # an unused input: Verilator -Wall UNUSEDSIGNAL
    "unused": ("""`default_nettype none
module bad (input wire clk, input wire d, input wire spare, output reg q);
    always @(posedge clk) q <= d;
endmodule
`default_nettype wire
""", ["verilator -Wall lint: bad"]),
    # an incomplete combinational if: a latch
    "latch": ("""`default_nettype none
module bad (input wire en, input wire d, output reg q);
    always @* begin
        if (en) q = d;
    end
endmodule
`default_nettype wire
""", ["yosys synth, no latch/loop: bad"]),
    # a combinational loop through two assigns
    "loop": ("""`default_nettype none
module bad (input wire x, output wire y);
    wire a, b;
    assign a = b ^ x;
    assign b = a;
    assign y = b;
endmodule
`default_nettype wire
""", ["yosys synth, no latch/loop: bad", "verilator -Wall elaborate: bad"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_lint_catches(tmp_path: Path, case: str) -> None:
    """A seeded defect makes the script fail, on the check meant to find it only."""
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "good.v").write_text(GOOD)
    source, checks = BAD[case]
    (rtl / "bad.v").write_text(source)
    res = run_lint(tmp_path / "out", rtl)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "lint: FAILED" in res.stdout
    for check in checks:
        assert summary_line(res.stdout, check).startswith("FAIL"), res.stdout
    for check in ("verilator -Wall lint: good", "yosys synth, no latch/loop: good"):
        assert summary_line(res.stdout, check).startswith("PASS"), res.stdout


# illegal parameter values: every unit must refuse to elaborate (module, sources, overrides, rule)
ILLEGAL_PARAMS = [
    ("ssf_fire", ["ssf_fire.v"], {"ACC_W": 8, "CNT_W": 8}, "ACC_W_must_exceed_CNT_W"),
    ("ssf_fire", ["ssf_fire.v"], {"TH_W": 0}, "TH_W_must_be_at_least_1"),
    ("mac_array", ["mac_array.v"], {"ACC_W": 16}, "ACC_W_must_be_at_least_17"),
    ("mac_array", ["mac_array.v"], {"LANES": 0}, "LANES_must_be_at_least_1"),
    ("argmax", ["argmax.v"], {"IDX_W": 0}, "IDX_W_must_be_at_least_1"),
    ("sram_sp", ["sram_sp.v"], {"DEPTH": 1}, "DEPTH_must_be_at_least_2"),
    ("sram_sp", ["sram_sp.v"], {"WIDTH": 12, "MASK_W": 5}, "MASK_W_must_divide_WIDTH"),
]


@pytest.mark.parametrize("tool", ["icarus", "verilator"])
@pytest.mark.parametrize("module,sources,params,rule", ILLEGAL_PARAMS,
                         ids=[f"{m}-{r}" for m, _, _, r in ILLEGAL_PARAMS])
def test_illegal_parameters_rejected(tmp_path: Path, tool: str, module: str,
                                     sources: list[str], params: dict[str, int],
                                     rule: str) -> None:
    """Elaboration stops with the violated rule in the message; legal defaults elaborate."""
    files = [str(REPO / "rtl" / f) for f in sources]
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    def elaborate(overrides: dict[str, int]) -> subprocess.CompletedProcess[str]:
        if tool == "icarus":
            cmd = ["iverilog", "-g2012", "-o", str(tmp_path / "a.vvp"), "-s", module,
                   *[f"-P{module}.{k}={v}" for k, v in overrides.items()], *files]
        else:
            cmd = ["verilator", "--lint-only", "-Wall", "--top-module", module,
                   *[f"-G{k}={v}" for k, v in overrides.items()], *files]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    good = elaborate({})
    assert good.returncode == 0, good.stdout + good.stderr
    bad = elaborate(params)
    assert bad.returncode != 0, f"{module} {params} elaborated on {tool}"
    assert f"{module}_parameter_error_{rule}" in bad.stdout + bad.stderr
