#!/usr/bin/env bash
# lint.sh: static checks of the RTL (run by `make lint`; tests/test_lint.py runs it too).
#
#   1. Verilator 5 --lint-only -Wall on every module of rtl/ as its own top (submodules found
#      with -y rtl/), zero warnings allowed; waivers only in rtl/lint_waivers.vlt, one comment
#      each. Then a full Verilator elaboration (--cc, no C++ build) of every module, which also
#      reports what --lint-only cannot see (UNOPTFLAT: false combinational loops).
#   0. The generated interface files (rtl/sparrow_*.vh, golden/regmap.py, the docs tables) are
#      up to date with interface/sparrow.rdl + sparrow.toml (scripts/gen_interface.py --check);
#      only when linting this repository's rtl/.
#   2. Yosys: synthesise the top level (`synth -top sparrow_top`, the generic sram_sp read as a
#      black box: that is where the foundry macros go) or, while there is no sparrow_top yet,
#      each module on its own; then the memories (sram_sp mapped to cells at a small geometry,
#      the wrappers at the coarse level). Fails on any latch ("Latch inferred" in the log or a
#      latch cell in the netlist) and any combinational loop (`check -assert`, "found logic loop").
#
# Usage: scripts/lint.sh [RTL_DIR]   (default: rtl/ of this repository)
# Logs: $LINT_OUT, default build/lint/ (verilator-<module>.log, yosys-<unit>.log).
# Exit status: 0 everything passed, 1 a check failed, 2 a tool or the sources are missing.
set -u -o pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$REPO/.venv/bin:$PATH"
RTL=$(cd "${1:-$REPO/rtl}" && pwd)
OUT="${LINT_OUT:-$REPO/build/lint}"
TOP=sparrow_top
rm -rf "$OUT" && mkdir -p "$OUT"

for tool in verilator yosys; do
    command -v "$tool" >/dev/null || { echo "lint: $tool not found (run make setup)" >&2; exit 2; }
done

WAIVERS=()
[ -f "$RTL/lint_waivers.vlt" ] && WAIVERS=("$RTL/lint_waivers.vlt")

# one module per file, named like the file
mapfile -t MODULES < <(for f in "$RTL"/*.v; do basename "$f" .v; done | sort)
if [ ${#MODULES[@]} -eq 0 ]; then
    echo "lint: no Verilog files in $RTL" >&2
    exit 2
fi

declare -a RESULTS=()
fail=0
record() {  # record <PASS|FAIL> <check> <detail>
    RESULTS+=("$(printf '%-4s  %-44s %s' "$1" "$2" "$3" | sed 's/[[:space:]]*$//')")
    [ "$1" = PASS ] || fail=1
}

# ---------------------------------------------------------------------------------------------
# 0. Generated interface files
if [ "$RTL" = "$REPO/rtl" ]; then
    glog="$OUT/gen_interface.log"
    if python "$REPO/scripts/gen_interface.py" --check --root "$REPO" >"$glog" 2>&1; then
        record PASS "generated interface files up to date" ""
    else
        record FAIL "generated interface files up to date" \
            "$(grep -o '[^ ]* is stale' "$glog" | sed 's/ is stale//' | tr '\n' ' ')(make interface): $glog"
        cat "$glog" >&2
    fi
fi

# ---------------------------------------------------------------------------------------------
# 1. Verilator
for m in "${MODULES[@]}"; do
    if ! grep -Eq "^[[:space:]]*module[[:space:]]+$m\b" "$RTL/$m.v"; then
        record FAIL "file $m.v" "does not define module $m (one module per file, named like it)"
        continue
    fi
    log="$OUT/verilator-$m.log"
    verilator --lint-only -Wall -y "$RTL" --top-module "$m" "${WAIVERS[@]}" "$RTL/$m.v" >"$log" 2>&1
    rc=$?
    nwarn=$(grep -c '^%Warning' "$log")
    nerr=$(grep '^%Error' "$log" | grep -vc 'Exiting due to')
    if [ $rc -eq 0 ] && [ "$nwarn" -eq 0 ] && [ "$nerr" -eq 0 ]; then
        record PASS "verilator -Wall lint: $m" ""
    else
        record FAIL "verilator -Wall lint: $m" "$nwarn warning(s), $nerr error(s): $log"
    fi
    elog="$OUT/verilator-elab-$m.log"
    verilator --cc -Wall -y "$RTL" --top-module "$m" -Mdir "$OUT/obj-$m" "${WAIVERS[@]}" \
        "$RTL/$m.v" >"$elog" 2>&1
    rc=$?
    nwarn=$(grep -c '^%Warning' "$elog")
    nerr=$(grep '^%Error' "$elog" | grep -vc 'Exiting due to')
    rm -rf "$OUT/obj-$m"
    if [ $rc -eq 0 ] && [ "$nwarn" -eq 0 ] && [ "$nerr" -eq 0 ]; then
        record PASS "verilator -Wall elaborate: $m" ""
    else
        record FAIL "verilator -Wall elaborate: $m" "$nwarn warning(s), $nerr error(s): $elog"
    fi
done

# ---------------------------------------------------------------------------------------------
# 2. Yosys
LATCH_CELLS='t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH_* t:$_DLATCHSR_*'

# yosys_unit <name> <yosys commands>: run, then look for latches and loops
yosys_unit() {
    local name=$1 cmds=$2 log="$OUT/yosys-$1.log"
    yosys -q -l "$log" -p "$cmds; check -assert; select -assert-none $LATCH_CELLS" >/dev/null 2>&1
    local rc=$?
    local latches loops
    latches=$(grep -c '^Latch inferred' "$log")
    loops=$(grep -ci 'found logic loop' "$log")
    if [ $rc -eq 0 ] && [ "$latches" -eq 0 ] && [ "$loops" -eq 0 ]; then
        record PASS "yosys synth, no latch/loop: $name" ""
    else
        local why="exit $rc"
        [ "$latches" -gt 0 ] && why="$why, $latches latch(es) inferred"
        [ "$loops" -gt 0 ] && why="$why, combinational loop"
        grep -q 'select -assert-none' "$log" && grep -q 'Assertion failed' "$log" \
            && why="$why, latch cells in netlist"
        record FAIL "yosys synth, no latch/loop: $name" "$why: $log"
    fi
}

is_memory() { [[ $1 == sram_sp || $1 == sram_sp_* ]]; }

if [ -f "$RTL/$TOP.v" ]; then
    reads=""
    for m in "${MODULES[@]}"; do
        [ "$m" = sram_sp ] && continue  # black box: the foundry macros
        reads="$reads read_verilog $RTL/$m.v;"
    done
    yosys_unit "$TOP" "read_verilog -lib $RTL/sram_sp.v; $reads hierarchy -check -top $TOP; synth -top $TOP; stat"
else
    for m in "${MODULES[@]}"; do
        is_memory "$m" && continue
        yosys_unit "$m" "read_verilog $RTL/$m.v; hierarchy -check -top $m; synth -top $m; stat"
    done
fi
if [ -f "$RTL/sram_sp.v" ]; then
    # the generic behavioural SRAM, mapped to cells at a small geometry
    yosys_unit "sram_sp (16x16, 4 lanes)" "read_verilog $RTL/sram_sp.v; chparam -set DEPTH 16 -set WIDTH 16 -set MASK_W 4 sram_sp; hierarchy -check -top sram_sp; synth -top sram_sp; stat"
    # each geometry wrapper at the coarse level (memories stay \$mem cells: the macro's place)
    for m in "${MODULES[@]}"; do
        [[ $m == sram_sp_* ]] || continue
        yosys_unit "$m (coarse)" "read_verilog $RTL/sram_sp.v $RTL/$m.v; hierarchy -check -top $m; synth -top $m -run begin:fine; stat"
    done
fi

# ---------------------------------------------------------------------------------------------
echo "lint summary ($RTL):"
for r in "${RESULTS[@]}"; do echo "  $r"; done
npass=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^PASS')
nfail=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^FAIL')
if [ $fail -ne 0 ]; then
    echo "lint: FAILED ($nfail failed, $npass passed; logs in $OUT)"
    exit 1
fi
echo "lint: OK ($npass checks passed)"
