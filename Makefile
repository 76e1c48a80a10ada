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

.PHONY: help setup check-tools test lint sim bench clean interface

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

setup:  ## bootstrap: apt packages, .venv with pinned deps, Verilator 5.052, tool check (idempotent)
	@bash scripts/setup.sh

check-tools:  ## print tool versions; fail when one is missing or too old
	@bash scripts/check_tools.sh

test: setup  ## bootstrap, then run every test: golden model, data, training, lint, all benches (both simulators)
	@mkdir -p reports/junit
	$(PY) -m pytest tests tb -n $(JOBS) -m "not slow" -p no:cacheprovider --junitxml=reports/junit/pytest.xml

interface: setup  ## regenerate rtl/sparrow_*.vh, golden/regmap.py and the docs tables from interface/sparrow.rdl + .toml
	$(PY) scripts/gen_interface.py

lint: setup  ## verilator -Wall lint of rtl/ and yosys synthesis check (no latches, no loops)
	@bash scripts/lint.sh

sim: setup  ## one module's bench: make sim MODULE=<name> [SIM=icarus|verilator] [WAVES=1] [COCOTB_RANDOM_SEED=n]
	@if [ -z "$(MODULE)" ]; then echo "usage: make sim MODULE=<name> [SIM=icarus|verilator] [WAVES=1]" \
	    "[PARAMS=\"A=1 B=2\"]; modules: $$(ls tb/*/test_*.py | xargs -n1 dirname | xargs -n1 basename)"; exit 2; fi
	$(PY) -m tb.launch $(MODULE) --sim $(SIM) --waves $(WAVES) $(if $(PARAMS),--params "$(PARAMS)")

bench: setup  ## benchmarks: golden-model throughput vs PyTorch, then the RTL (cycles, inputs/s) (reports/bench/)
	$(PY) scripts/bench_golden.py
	$(PY) scripts/bench_rtl.py
	$(PY) scripts/bench_campaign.py

# top-level RTL regression (docs/regression.md): SIM=icarus|verilator (default: both), SEED=n,
# FAULT=weight_bit|threshold|stuck_valid (the run must then FAIL with a mismatch report)
.PHONY: regress regress-full demo
REGRESS_ARGS = $(if $(filter file,$(origin SIM)),,--sim $(SIM)) $(if $(SEED),--seed $(SEED)) \
               $(if $(FAULT),--fault $(FAULT))
regress: setup  ## top-level smoke regression: real ECG/EEG beats + 200 random bundles vs golden (both simulators)
	$(PY) scripts/regress.py smoke $(REGRESS_ARGS) --jobs $(JOBS) $(MUTATE_ARGS)
regress-full: setup  ## each committed bundle on the whole test part of its protocol (ECG intra+inter, EEG), Verilator, on Dask (LocalCluster of JOBS workers, or SCHEDULER=/CLUSTER=)
	$(PY) scripts/regress.py full --sim verilator --jobs $(JOBS) --scheduler $(or $(SCHEDULER),$(if $(CLUSTER),cluster,local)) $(if $(SEED),--seed $(SEED))
demo: setup  ## the committed ECG model on real MIT-BIH test beats through the RTL (Verilator)
	$(PY) scripts/demo.py

.PHONY: data train sweep
data: setup  ## fetch the real data if absent (offline: one-line error), verify checksums, build dataset caches
	$(PY) scripts/make_data.py
train: data  ## retrain the default bundles from fixed seeds, then the 22 patient-specific ECG bundles, and regenerate docs/results.md
	$(PY) -m golden.cli train && $(PY) -m training.patient build && $(PY) -m training.results
sweep: data  ## the T / network-size sweep behind models/ecg/sweep*.png
	$(PY) -m training.sweep && $(PY) -m training.results

.PHONY: coverage
coverage: setup  ## Verilator line/branch/toggle + functional coverage of rtl/ (reports/coverage/; fails under target)
	$(PY) scripts/coverage.py --jobs $(JOBS)

clean:  ## remove build products and reports (keeps .venv)
	rm -rf sim_build reports tb/*/sim_build tb/*/results.xml tb/*/*.fst .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +

.PHONY: regress-patient
regress-patient: setup  ## patient-specific ECG: base bundle loaded once, per DS2 record the tuned layers rewritten over APB, its test beats vs golden (Verilator)
	$(PY) scripts/regress_patient.py --sim verilator $(if $(FAULT),--fault $(FAULT)) $(if $(BEATS),--beats $(BEATS))

# campaigns on Dask (docs/campaigns.md): embedded LocalCluster of JOBS workers, or
# SCHEDULER=tcp://host:port (an existing cluster), or CLUSTER=slurm|lsf|sge|pbs
# [CLUSTER_CONFIG=tb/campaign/cluster.yaml] (dask-jobqueue)
.PHONY: fuzz mutate bench-campaign
N       ?= 100
MUTANTS ?= 0
MUTATE_ARGS ?=
fuzz: setup  ## N random legal bundles (+ steered datapath corners) vs golden on Dask: make fuzz N=… [SEED=…] [SCHEDULER=…]
	$(PY) -m tb.campaign.fuzz --n $(N) $(if $(SEED),--seed $(SEED)) --jobs $(JOBS) $(if $(FAULT),--fault $(FAULT))
mutate: setup  ## yosys mutants of every rtl/ module vs their bench + top smoke: make mutate [MUTANTS=n] [SCHEDULER=…]
	$(PY) -m tb.campaign.mutate $(if $(filter-out 0,$(MUTANTS)),--sample $(MUTANTS)) $(if $(SEED),--seed $(SEED)) --jobs $(JOBS) $(MUTATE_ARGS)
bench-campaign: setup  ## campaign throughput on 1 and 2 workers vs the raw Verilated model (reports/bench/campaign.json)
	$(PY) scripts/bench_campaign.py

# formal proofs of the RTL (docs/formal.md): SymbiYosys (YoWASP) + yices; every proof, cover and
# expect-fail mutant; reports/formal/summary.{json,md}. FORMAL_ONLY="unit[:task] ..." runs a subset.
.PHONY: formal
formal: setup  ## formal proofs, covers and expect-fail mutants of the RTL (SymbiYosys; reports/formal/)
	nice -n 10 $(PY) -m formal.run --jobs $(JOBS) $(if $(FORMAL_ONLY),--only $(FORMAL_ONLY))

# energy model (docs/energy-model.md): per-event energies fitted on the gate-level runs, and the
# fair integrate-and-fire baseline against SSF at equal accuracy
.PHONY: energy-fit if-baseline
energy-fit: setup  ## fit silicon/event_energies.json on reports/energy/gls_runs.json (make gls); fails if a held-out run is off by > 5 %
	$(PY) -m silicon.energyfit --campaign reports/energy/gls_runs.json --out silicon/event_energies.json
if-baseline: setup  ## T_sim sweep of the fair IF baseline vs SSF (accuracy vs energy), reports/energy/if_baseline.{json,png}
	nice -n 10 $(PY) -m silicon.if_sweep $(if $(IF_N),--n-test $(IF_N))

# silicon evidence (docs/energy.md): synthesis + equivalence, timing + power tables, gate-level
# simulation with switching activity, energy per inference. Logs in build/silicon/, figures in
# reports/energy/. GLS_PER_CLASS / GLS_RANDOM resize the campaign, GLS_SIM picks the simulator.
.PHONY: netlist synth sta gls energy
GLS_PER_CLASS ?= 50
GLS_RANDOM    ?= 50
GLS_SIM       ?= verilator
netlist: setup  ## yosys synthesis of sparrow_top to OSU018 only (build/silicon/netlist*.v, reports/energy/synth.json)
	$(PY) -m silicon netlist
synth: netlist  ## synthesis + equivalence of the netlist with the RTL (fails unless proven; reports/energy/equiv.json)
	$(PY) -m silicon equiv
sta: netlist  ## OpenSTA: slack at 4 MHz, fmax, critical path, per-instance power tables (reports/energy/)
	$(PY) -m silicon sta
gls: sta  ## gate-level simulation: >= 50 real inputs per class (ECG, EEG) + 50 random bundles vs golden
	nice -n 10 $(PY) -m silicon gls --per-class $(GLS_PER_CLASS) --random $(GLS_RANDOM) --sim $(GLS_SIM)
energy: gls  ## energy per inference from the GLS activity: summary.json/.md, breakdown PNG, gls_runs.json
	$(PY) -m silicon energy
