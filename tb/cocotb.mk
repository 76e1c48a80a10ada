# tb/cocotb.mk: `make sim` inside a bench directory (tb/<module>/Makefile includes this file).
# A thin wrapper: it runs the root's `make sim MODULE=<this directory>`, i.e. the one launcher
# tb/launch.py (docs/testbenches.md). Knobs: SIM=icarus|verilator, WAVES=0|1,
# PARAMS="NAME=VALUE ...", COCOTB_RANDOM_SEED=N, COCOTB_TEST_FILTER=regex.
SIM ?= icarus
WAVES ?= 0
BENCH := $(notdir $(patsubst %/,%,$(CURDIR)))
REPO_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

.PHONY: sim clean
sim:
	$(MAKE) -C $(REPO_ROOT) sim MODULE=$(BENCH) SIM=$(SIM) WAVES=$(WAVES) $(if $(PARAMS),PARAMS="$(PARAMS)")

clean:
	rm -rf $(REPO_ROOT)/sim_build/$(BENCH)
