# SparrowSNN verification suite - top-level entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := $(CURDIR)/.venv
PY      := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
export PYTHONPATH := $(CURDIR)

SIM     ?= icarus
WAVES   ?= 0
MODULE  ?=
JOBS    ?= 2

.PHONY: help setup check-tools test lint sim bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup:  ## bootstrap: apt packages, .venv with pinned deps, Verilator 5.052, tool check (idempotent)
	@bash scripts/setup.sh

check-tools:  ## print tool versions; fail when one is missing or too old
	@bash scripts/check_tools.sh

test: setup  ## bootstrap, then run every test: golden model, data, training, lint, all benches (both simulators)
	@mkdir -p reports/junit
	$(PY) -m pytest tests tb -n $(JOBS) -p no:cacheprovider --junitxml=reports/junit/pytest.xml

lint: setup  ## verilator -Wall lint of rtl/ and yosys synthesis check (no latches, no loops)
	@bash scripts/lint.sh

sim: setup  ## one module's bench: make sim MODULE=<name> [SIM=icarus|verilator] [WAVES=1] [COCOTB_RANDOM_SEED=n]
	@if [ -z "$(MODULE)" ] || [ ! -f tb/$(MODULE)/Makefile ]; then \
	    echo "usage: make sim MODULE=<name> [SIM=icarus|verilator] [WAVES=1]; modules:" \
	         $$(ls tb/*/Makefile | xargs -n1 dirname | xargs -n1 basename); exit 2; fi
	$(MAKE) -C tb/$(MODULE) sim SIM=$(SIM) WAVES=$(WAVES)

bench: setup  ## benchmarks: golden-model throughput vs PyTorch, then the RTL (cycles, inputs/s) (reports/bench/)
	$(PY) scripts/bench_golden.py
	$(PY) scripts/bench_rtl.py

# top-level RTL regression (docs/regression.md): SIM=icarus|verilator (default: both), SEED=n,
# FAULT=weight_bit|threshold|stuck_valid (the run must then FAIL with a mismatch report)
.PHONY: regress regress-full demo
REGRESS_ARGS = $(if $(filter file,$(origin SIM)),,--sim $(SIM)) $(if $(SEED),--seed $(SEED)) \
               $(if $(FAULT),--fault $(FAULT))
regress: setup  ## top-level smoke regression: real ECG/EEG beats + 200 random bundles vs golden (both simulators)
	$(PY) scripts/regress.py smoke $(REGRESS_ARGS) --jobs $(JOBS)
regress-full: setup  ## each committed bundle on the whole test part of its protocol (ECG intra+inter, EEG), Verilator, 2 shards
	$(PY) scripts/regress.py full --sim verilator --shards $(JOBS) $(if $(SEED),--seed $(SEED))
demo: setup  ## the committed ECG model on real MIT-BIH test beats through the RTL (Verilator)
	$(PY) scripts/demo.py

.PHONY: data train sweep
data: setup  ## fetch the real data if absent (offline: one-line error), verify checksums, build dataset caches
	$(PY) scripts/make_data.py
train: data  ## retrain the default bundles from fixed seeds (2 threads, ~21 min) and regenerate docs/results.md
	$(PY) -m golden.cli train && $(PY) -m training.results
sweep: data  ## the T / network-size sweep behind models/ecg/sweep*.png
	$(PY) -m training.sweep && $(PY) -m training.results

.PHONY: coverage
coverage: setup  ## Verilator line/branch/toggle + functional coverage of rtl/ (reports/coverage/; fails under target)
	$(PY) scripts/coverage.py --jobs $(JOBS)

clean:  ## remove build products and reports (keeps .venv)
	rm -rf sim_build reports tb/*/sim_build tb/*/results.xml tb/*/*.fst .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +

# silicon evidence (docs/energy.md): synthesis + equivalence, timing + power tables, gate-level
# simulation with switching activity, energy per inference. Logs in build/silicon/, figures in
# reports/energy/. GLS_PER_CLASS / GLS_RANDOM resize the campaign, GLS_SIM picks the simulator.
.PHONY: synth sta gls energy
GLS_PER_CLASS ?= 50
GLS_RANDOM    ?= 50
GLS_SIM       ?= verilator
synth: setup  ## yosys synthesis of sparrow_top to OSU018 + equivalence with the RTL (build/silicon/)
	$(PY) -m silicon synth
sta: synth  ## OpenSTA: slack at 4 MHz, fmax, critical path, per-instance power tables (reports/energy/)
	$(PY) -m silicon sta
gls: sta  ## gate-level simulation: >= 50 real inputs per class (ECG, EEG) + 50 random bundles vs golden
	nice -n 10 $(PY) -m silicon gls --per-class $(GLS_PER_CLASS) --random $(GLS_RANDOM) --sim $(GLS_SIM)
energy: gls  ## energy per inference from the GLS activity: summary.json/.md, breakdown PNG, gls_runs.json
	$(PY) -m silicon energy
