# tb/cocotb.mk: shared cocotb Makefile fragment of every SparrowSNN bench (docs/testbenches.md).
#
# A bench Makefile (tb/<module>/Makefile) sets
#   COCOTB_TOPLEVEL  HDL top module of the bench; the test module is test_$(COCOTB_TOPLEVEL)
#   RTL_FILES        its sources, relative to rtl/
#   PARAMS           optional top-level parameter overrides, e.g. PARAMS="ACC_W=20 CNT_W=4"
# and then includes this file. Knobs (all optional, `make sim` needs none):
#   SIM=icarus|verilator   simulator (default icarus)
#   WAVES=0|1              1: dump an FST of the whole design (see WAVE_FILE)
#   COCOTB_RANDOM_SEED=N   reproduce a run; COCOTB_TEST_FILTER=regex runs matching tests only
# Build products: sim_build/<module>/make-<sim>[-<params>][-waves]/ at the repository root;
# JUnit results: reports/junit/<module>-<sim>[-<params>]-make.xml.

SIM ?= icarus
WAVES ?= 0
TOPLEVEL_LANG ?= verilog

TB_MK_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
REPO_ROOT := $(abspath $(TB_MK_DIR)/..)
RTL_DIR := $(REPO_ROOT)/rtl
VENV_BIN := $(REPO_ROOT)/.venv/bin

# Use the project's venv even when it is not activated. GNU make 4.3 runs $(shell ...) with the
# environment make was started with, so an exported PATH alone does not reach cocotb's own
# $(shell cocotb-config ...) calls: pin the Python interpreter and the Verilator directory.
ifneq ($(wildcard $(VENV_BIN)/python),)
export PATH := $(VENV_BIN):$(PATH)
override PYTHON_BIN := $(VENV_BIN)/python
VERILATOR_BIN_DIR ?= $(VENV_BIN)
COCOTB_MAKEFILES := $(shell $(VENV_BIN)/python -m cocotb_tools.config --makefiles)
else
COCOTB_MAKEFILES := $(shell cocotb-config --makefiles)
endif

# The root Makefile runs `make sim MODULE=<bench>`; MODULE is also cocotb's deprecated alias of
# COCOTB_TEST_MODULES and command-line variables reach this sub-make, so neutralise it here.
override MODULE :=
unexport MODULE

COCOTB_TEST_MODULES ?= test_$(COCOTB_TOPLEVEL)
VERILOG_SOURCES += $(addprefix $(RTL_DIR)/,$(RTL_FILES))
# the generated interface headers (rtl/sparrow_*.vh)
VERILOG_INCLUDE_DIRS += $(RTL_DIR)

empty :=
space := $(empty) $(empty)
PARAM_TAG := $(if $(strip $(PARAMS)),-$(subst =,,$(subst $(space),-,$(strip $(PARAMS)))))
BUILD_TAG := make-$(SIM)$(PARAM_TAG)$(if $(filter 1,$(WAVES)),-waves)
SIM_BUILD := $(REPO_ROOT)/sim_build/$(COCOTB_TOPLEVEL)/$(BUILD_TAG)
COCOTB_RESULTS_FILE := $(REPO_ROOT)/reports/junit/$(COCOTB_TOPLEVEL)-$(SIM)$(PARAM_TAG)-make.xml
WAVE_FILE := $(SIM_BUILD)/$(COCOTB_TOPLEVEL).fst
export PYTHONPATH := $(REPO_ROOT):$(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
export COCOTB_REWRITE_ASSERTION_FILES ?= test_*.py

ifeq ($(SIM),icarus)
COMPILE_ARGS += $(foreach p,$(PARAMS),-P$(COCOTB_TOPLEVEL).$(p))
# WAVES=1: cocotb's Icarus makefile adds its generated iverilog_dump module, writing
# $(SIM_BUILD)/$(COCOTB_TOPLEVEL).fst (= WAVE_FILE), and runs vvp with -fst.
else ifeq ($(SIM),verilator)
COMPILE_ARGS += $(foreach p,$(PARAMS),-G$(p))
ifeq ($(WAVES),1)
COMPILE_ARGS += --trace-fst --trace-structs
SIM_ARGS += --trace --trace-file $(WAVE_FILE)
endif
endif

$(shell mkdir -p $(REPO_ROOT)/reports/junit)

include $(COCOTB_MAKEFILES)/Makefile.sim

.PHONY: waves-info
sim: waves-info
waves-info: $(COCOTB_RESULTS_FILE)
	@if [ "$(WAVES)" = "1" ]; then echo "waves: $(WAVE_FILE)"; fi
	@echo "results: $(COCOTB_RESULTS_FILE)"
