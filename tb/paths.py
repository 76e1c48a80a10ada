"""Where the repository's parts live: the one set of paths every bench, the regression, the
coverage report and the scripts import (the repository root itself comes from
:mod:`training.paths`, which also locates the shared data)."""

from __future__ import annotations

from training.paths import REPO_ROOT

RTL_DIR = REPO_ROOT / "rtl"
TB_DIR = REPO_ROOT / "tb"
MODELS_DIR = REPO_ROOT / "models"
REPORTS_DIR = REPO_ROOT / "reports"
JUNIT_DIR = REPORTS_DIR / "junit"            # one JUnit XML per simulation
COVERAGE_DIR = REPORTS_DIR / "coverage"      # make coverage (docs/coverage.md)
SIM_BUILD_DIR = REPO_ROOT / "sim_build"      # every simulator build, git-ignored
MISMATCH_DIR = REPORTS_DIR / "mismatch"      # regression mismatch reports and replay cases
REGRESS_DIR = REPORTS_DIR / "regress"        # regression statistics and logs

__all__ = ["COVERAGE_DIR", "JUNIT_DIR", "MISMATCH_DIR", "MODELS_DIR", "REGRESS_DIR",
           "REPORTS_DIR", "REPO_ROOT", "RTL_DIR", "SIM_BUILD_DIR", "TB_DIR"]
