"""The one interface source (interface/sparrow.rdl + sparrow.toml) and its generated copies:
the staleness check passes on the repository and fails, naming the file, on a stale or edited
copy; the generated constants agree with golden.limits and the RTL includes the headers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from golden import regmap
from golden.hwimage import descriptor
from golden.limits import DEFAULT_LIMITS

REPO = Path(__file__).resolve().parents[1]
GEN = REPO / "scripts" / "gen_interface.py"
GENERATED = ["rtl/sparrow_build.vh", "rtl/sparrow_regs.vh", "golden/regmap.py",
             "docs/architecture.md"]
SOURCES = ["interface/sparrow.rdl", "interface/sparrow.toml"]


def gen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GEN), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the source and the generated files, as the repository has them."""
    for rel in SOURCES + GENERATED:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, tmp_path / rel)
    return tmp_path


def stale_named(res: subprocess.CompletedProcess[str]) -> set[str]:
    """Generated files the --check run named as stale."""
    return {ln.split()[1] for ln in res.stderr.splitlines() if " is stale " in ln}


def test_repository_is_up_to_date() -> None:
    res = gen(REPO, "--check")
    assert res.returncode == 0, res.stderr


def test_check_names_each_edited_file(tree: Path) -> None:
    assert gen(tree, "--check").returncode == 0
    vh = tree / "rtl/sparrow_regs.vh"
    vh.write_text(vh.read_text().replace("ADDR_CTRL = 16'h0008", "ADDR_CTRL = 16'h000C"))
    py = tree / "golden/regmap.py"
    py.write_text(py.read_text() + "# a hand edit\n")
    res = gen(tree, "--check")
    assert res.returncode == 1
    assert stale_named(res) == {"rtl/sparrow_regs.vh", "golden/regmap.py"}, res.stderr
    assert py.read_text().endswith("# a hand edit\n"), "--check must not write"
    assert gen(tree).returncode == 0                # regenerate
    assert gen(tree, "--check").returncode == 0
    assert (tree / "golden/regmap.py").read_text() == (REPO / "golden/regmap.py").read_text()


def test_check_fails_on_an_edited_docs_table(tree: Path) -> None:
    doc = tree / "docs/architecture.md"
    text = doc.read_text()
    assert "| 0x0010 | `NUM_LAYERS` | RW |" in text
    doc.write_text(text.replace("| 0x0010 | `NUM_LAYERS` | RW |", "| 0x0010 | `NUM_LAYERS` | RO |"))
    res = gen(tree, "--check")
    assert res.returncode == 1 and stale_named(res) == {"docs/architecture.md"}, res.stderr


def test_source_change_makes_its_products_stale(tree: Path) -> None:
    toml = tree / "interface/sparrow.toml"
    toml.write_text(toml.read_text().replace('name = "MAX_P"\nvalue = 31',
                                             'name = "MAX_P"\nvalue = 15'))
    res = gen(tree, "--check")
    assert res.returncode == 1
    # MAX_P is a build parameter: not among the localparams of sparrow_regs.vh
    assert stale_named(res) == set(GENERATED) - {"rtl/sparrow_regs.vh"}, res.stderr
    assert gen(tree).returncode == 0
    assert "`define SPARROW_MAX_P 15" in (tree / "rtl/sparrow_build.vh").read_text()
    assert "'MAX_P': 15," in (tree / "golden/regmap.py").read_text()


def test_bad_source_is_one_line_and_exit_2(tree: Path) -> None:
    toml = tree / "interface/sparrow.toml"
    toml.write_text(toml.read_text().replace("code = 2\n", "code = 7\n", 1))
    res = gen(tree, "--check")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].startswith("gen_interface: interface/sparrow.toml")
    rdl = tree / "interface/sparrow.rdl"
    shutil.copy(REPO / "interface/sparrow.toml", toml)
    rdl.write_text(rdl.read_text().replace("} PARAMS @ 0x0004;", "} PARAMS @ 0x0000;"))
    res = gen(tree, "--check")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].startswith("gen_interface: interface/sparrow.rdl")


def test_constants_agree_with_golden() -> None:
    lim = regmap.LIMITS
    assert DEFAULT_LIMITS.lanes == lim["LANES"] and DEFAULT_LIMITS.max_layers == lim["MAX_LAYERS"]
    assert DEFAULT_LIMITS.max_t == (1 << lim["CNT_W"]) - 1
    assert DEFAULT_LIMITS.max_theta == (1 << lim["TH_W"]) - 1
    assert DEFAULT_LIMITS.wmem_depth == lim["WMEM_DEPTH"]
    assert regmap.DESC_W == sum(f[3] for f in regmap.DESC_FIELDS)
    assert regmap.LOGIT_COUNT == lim["MAX_CLASSES"]
    assert regmap.REGISTERS["PARAMS"][2] == (lim["LANES"] | lim["MAX_LAYERS"] << 8
                                             | lim["ACC_W"] << 16 | lim["MAX_CLASSES"] << 24)
    for word, mask in enumerate(regmap.DESC_WORD_MASKS):
        fields = [f for f in regmap.DESC_FIELDS if f[1] == word]
        assert mask == sum(((1 << w) - 1) << lsb for _n, _w, lsb, w in fields)


def test_rtl_includes_the_generated_headers() -> None:
    for name in ("apb_regs", "ctrl", "sparrow_top"):
        text = (REPO / "rtl" / f"{name}.v").read_text()
        assert '`include "sparrow_build.vh"' in text, name
    for name in ("apb_regs", "ctrl"):
        assert '`include "sparrow_regs.vh"' in (REPO / "rtl" / f"{name}.v").read_text(), name


def test_descriptor_reserved_words_are_zero(make_bundle) -> None:
    from golden.bundle import load_bundle  # noqa: PLC0415
    for L in load_bundle(make_bundle()).layers:
        words = descriptor(L)
        assert len(words) == regmap.DESC_WORDS
        assert all(w == 0 for w in words[regmap.DESC_USED_WORDS:])
        assert all(w & ~m == 0 for w, m in zip(words, regmap.DESC_WORD_MASKS))
