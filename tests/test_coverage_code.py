"""tb/covreport.py (make coverage): the code-coverage summary on small hand-made Verilator data.

The .dat files below are written by hand in Verilator's ``SystemC::Coverage-3`` format, so every
expected percentage is counted here from the listed points, independently of the parser. The
merge and the per-category totals are also cross-checked against ``verilator_coverage`` itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import tb.covreport as cov
from tb.paths import REPO_ROOT

REPO = REPO_ROOT
RTL = REPO / "rtl"




def point(cat: str, file: Path, line: int, comment: str, hier: str, count: int,
          col: int = 1) -> str:
    """One coverage.dat line."""
    kind = {"line": "line", "branch": "branch", "toggle": "toggle", "expr": "expr"}[cat]
    key = "".join(f"\x01{k}\x02{v}" for k, v in (
        ("f", file), ("l", line), ("n", col), ("t", kind), ("page", f"v_{cat}/{file.stem}"),
        ("o", comment), ("h", hier)))
    return f"C '{key}' {count}"


def write_dat(path: Path, lines: list[str]) -> Path:
    """A coverage.dat with the given point lines."""
    path.write_text("# SystemC::Coverage-3\n" + "\n".join(lines) + "\n")
    return path


# real rtl/ files (verilator_coverage --annotate reads them); the points themselves are invented
A = RTL / "argmax.v"
B = RTL / "mac_array.v"
HARNESS = REPO / "tb" / "top" / "harness_x.v"

RUN1 = [
    point("line", A, 10, "block", "unit_a", 3),
    point("line", A, 20, "case", "unit_a", 0),
    point("branch", A, 11, "if", "unit_a", 2),
    point("branch", A, 11, "else", "unit_a", 0),
    point("toggle", A, 5, "q[0]:0->1", "unit_a", 1),
    point("toggle", A, 5, "q[0]:1->0", "unit_a", 1),
    point("toggle", A, 5, "q[1]:0->1", "unit_a", 0),
    point("toggle", A, 5, "q[1]:1->0", "unit_a", 0),
    point("toggle", A, 6, "tie:1->0", "unit_a", 0),
    point("expr", A, 12, "(x==1) => 1", "unit_a", 4),
    # the same module inside a top level: another hierarchy, other counts
    point("toggle", A, 5, "q[1]:0->1", "top.u_a", 2),
    point("toggle", A, 5, "q[1]:1->0", "top.u_a", 0),
    point("toggle", B, 7, "d:0->1", "top.u_b", 1),
    point("toggle", B, 7, "d:1->0", "top.u_b", 1),
    point("toggle", HARNESS, 1, "h:0->1", "top", 0),      # not rtl/: never counted
]
RUN2 = [
    point("branch", A, 11, "else", "unit_a", 5),           # closes the branch in a second run
    point("toggle", A, 5, "q[1]:1->0", "top.u_a", 1),
]


@pytest.fixture()
def dats(tmp_path: Path) -> tuple[Path, Path]:
    return write_dat(tmp_path / "run1.dat", RUN1), write_dat(tmp_path / "run2.dat", RUN2)


def test_parse_dat_fields_and_toggle_names(dats: tuple[Path, Path]) -> None:
    pts = cov.parse_dat(dats[0])
    assert len(pts) == len(RUN1)
    q1 = next(p for p in pts if p.comment == "q[1]:0->1" and p.hier == "top.u_a")
    assert (q1.category, q1.line, q1.signal, q1.bit, q1.direction) == ("toggle", 5, "q", 1,
                                                                        "0->1")
    tie = next(p for p in pts if p.comment == "tie:1->0")
    assert (tie.signal, tie.bit, tie.direction) == ("tie", None, "1->0")
    assert cov.rel_path(str(A)) == "rtl/argmax.v" and cov.in_rtl(str(A))
    assert not cov.in_rtl(str(HARNESS))


def test_summary_per_view_on_hand_made_data(dats: tuple[Path, Path]) -> None:
    pts = cov.parse_dat(dats[0])
    inst = cov.summarize(pts, [], "instance")
    # counted by hand from RUN1 (rtl/ only): line 1/2, branch 1/2, toggle 5/9, expr 1/1
    assert (inst.hit["line"], inst.total["line"]) == (1, 2)
    assert (inst.hit["branch"], inst.total["branch"]) == (1, 2)
    assert (inst.hit["toggle"], inst.total["toggle"]) == (5, 9)
    assert inst.percent("toggle") == 55.56 and inst.percent("expr") == 100.0
    assert inst.per_file["rtl/mac_array.v"]["toggle"] == [2, 2]
    # design unit: q[1] of unit_a and top.u_a merge (0->1 hit in top.u_a) -> 5/7
    du = cov.summarize(pts, [], "design_unit")
    assert (du.hit["toggle"], du.total["toggle"]) == (5, 7)
    # top-only: hierarchies under "top" only: q[1] 0->1 hit, 1->0 not, d both -> 3/4
    top = cov.summarize(pts, [], "top", top_prefix="top")
    assert (top.hit["toggle"], top.total["toggle"]) == (3, 4)
    assert top.total.get("line", 0) == 0


def test_exclusions_remove_points_and_are_checked(dats: tuple[Path, Path]) -> None:
    pts = cov.parse_dat(dats[0])
    rules = [cov.CodeRule({"kind": "toggle", "file": "rtl/argmax.v", "signal": "tie",
                           "dir": "1->0", "reason": "tied"}),
             cov.CodeRule({"kind": "line", "file": "rtl/argmax.v", "line": 20, "match": "case",
                           "reason": "default arm"})]
    s = cov.summarize(pts, rules, "instance")
    assert (s.hit["toggle"], s.total["toggle"], s.excluded["toggle"]) == (5, 8, 1)
    assert (s.hit["line"], s.total["line"], s.excluded["line"]) == (1, 1, 1)
    assert s.percent("line") == 100.0 and not s.problems
    # an exclusion of a point that was hit, and one that matches nothing, are problems
    bad = [cov.CodeRule({"kind": "toggle", "file": "rtl/argmax.v", "signal": "q", "bits": "0",
                         "reason": "wrong"}),
           cov.CodeRule({"kind": "toggle", "file": "rtl/argmax.v", "signal": "nothing",
                         "reason": "stale"})]
    s = cov.summarize(pts, bad, "instance")
    assert any("q[0]:0->1" in p and "was hit" in p for p in s.problems), s.problems
    assert any("matches no point" in p and "nothing" in p for p in s.problems), s.problems
    # bits / hier selectors
    r = cov.CodeRule({"kind": "toggle", "file": "rtl/argmax.v", "signal": "q", "bits": ["1-3"],
                      "hier": r"top\..*", "reason": "x"})
    sel = [p for p in pts if r.matches(p)]
    assert sorted(p.comment for p in sel) == ["q[1]:0->1", "q[1]:1->0"]
    assert all(p.hier == "top.u_a" for p in sel)


def test_targets_fail_when_under(dats: tuple[Path, Path]) -> None:
    s = cov.summarize(cov.parse_dat(dats[0]), [], "instance")
    missed = cov.code_targets_met(s)
    assert any(m.startswith("toggle coverage 55.56%") for m in missed)
    assert any(m.startswith("line coverage 50.0%") for m in missed)


def test_filter_info_keeps_rtl_records(tmp_path: Path) -> None:
    info = tmp_path / "all.info"
    info.write_text("TN:verilator_coverage\n"
                    f"SF:{A}\nDA:10,3\nDA:20,0\nBRDA:11,0,if,2\nBRDA:11,0,else,0\n"
                    "BRDA:12,0,({a, b}==1) => 1,4\nend_of_record\n"
                    f"SF:{HARNESS}\nDA:1,0\nend_of_record\n"
                    f"SF:{B}\nDA:7,1\nBRDA:7,0,d:0->1,1\nend_of_record\n")
    out = tmp_path / "rtl.info"
    assert cov.filter_info(info, out) == 2
    text = out.read_text()
    assert text.count("end_of_record") == 2 and str(HARNESS) not in text
    # branches renumbered per line (lcov 1.x needs numbers), counts kept
    assert (f"SF:{A}\nDA:10,3\nDA:20,0\nBRDA:11,0,0,2\nBRDA:11,0,1,0\nBRDA:12,0,0,4\n"
            "end_of_record") in text
    assert f"SF:{B}\nDA:7,1\nBRDA:7,0,0,1\nend_of_record" in text
    assert text.startswith("TN:verilator_coverage")


vc = shutil.which("verilator_coverage", path=str(REPO / ".venv" / "bin"))


@pytest.mark.skipif(vc is None, reason="verilator_coverage not installed (make setup)")
def test_merge_and_totals_agree_with_verilator_coverage(tmp_path: Path,
                                                        dats: tuple[Path, Path]) -> None:
    merged = tmp_path / "merged.dat"
    subprocess.run([vc, "--write", str(merged), *map(str, dats)], check=True,
                   stdout=subprocess.DEVNULL)
    pts = cov.parse_dat(merged)
    key = next(p for p in pts if p.comment == "else")
    assert pts[key] == 5                         # 0 + 5 added by the merge
    s = cov.summarize(pts, [], "instance")
    assert (s.hit["branch"], s.total["branch"]) == (2, 2)
    assert (s.hit["toggle"], s.total["toggle"]) == (6, 9)
    # verilator_coverage's own summary of the rtl/-only points gives the same totals
    rtl_only = write_dat(tmp_path / "rtl_only.dat", [ln for ln in RUN1 if "harness_x" not in ln])
    out = subprocess.run([vc, "--annotate", str(tmp_path / "ann"), str(rtl_only)],
                         capture_output=True, text=True, check=True).stdout
    theirs = {m.group(1): (int(m.group(2)), int(m.group(3)))
              for m in re.finditer(r"^\s+(\w+)\s*:.*\(\s*(\d+)/\s*(\d+)\)", out, re.M)}
    mine = cov.summarize(cov.parse_dat(rtl_only), [], "instance")
    for cat in ("line", "branch", "toggle", "expr"):
        assert theirs[cat] == (mine.hit[cat], mine.total[cat]), (cat, theirs, out)


def test_exclusion_file_is_valid() -> None:
    rules, functional = cov.load_rules()
    assert rules, "the project's exclusion file lists code exclusions"
    for r in rules:
        assert r.entry["kind"] in cov.CATEGORIES and r.entry["reason"].strip()
        assert (REPO / r.entry["file"]).is_file(), r.entry["file"]
    for e in functional:
        re.compile(e["bin"])
