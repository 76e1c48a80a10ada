"""Top-level RTL regression: plans, golden expectations and comparison, reports, launch.

The cocotb side (tb/top/test_top.py with the HDL harness tb/top/top_harness.v, driven by
tb/top/harness.py) runs a *plan*: a list of :class:`Job` (a bundle, a batch of inputs and how to
stream them). For every job the RTL results (:class:`RtlBatch`) are compared, input by input and
event by event, with the golden model (:func:`golden_batch`, :func:`compare`); every divergence
produces ``reports/mismatch/<name>.json`` and ``.md`` (:func:`write_report`) plus a *case* file
that replays that one input (:func:`replay`), with waves.

The pytest / make side (:func:`run_level`, used by scripts/regress.py and the pytest runners)
builds the harness once per configuration through :mod:`tb.launch`, runs the levels
(``quick``, ``smoke``, ``full``, ``bench``, ``demo``) in one or more shards, fails any shard that
executed no input, reruns the first mismatching input of each failing job with waves on, and
writes ``reports/results.xml`` (JUnit, merged) and ``reports/summary.md``. See
docs/regression.md.

Submodules, by concern: :mod:`tb.regress.plan` (what runs), :mod:`tb.regress.compare` (golden
expectations and the checker), :mod:`tb.regress.report` (mismatch reports, waves window, JUnit
merge, summary), :mod:`tb.regress.launch` (simulations). Every public name is importable from
``tb.regress`` itself.
"""

from __future__ import annotations

from golden.randbundle import ECG_CLASSES, ECG_DEFAULT_LAYERS
from tb.core import ECG_CYCLE_BUDGET
from tb.faults import Fault
from tb.paths import JUNIT_DIR, MISMATCH_DIR, REGRESS_DIR, REPO_ROOT
from tb.paths import REPORTS_DIR as REPORTS
from tb.regress.compare import (
    N_CLASS_REGS,
    RESULT_COLS,
    Failure,
    Golden,
    RtlBatch,
    batch_from_rows,
    compare,
    divergence,
    golden_batch,
    timeout_cycles,
)
from tb.regress.launch import (
    SIMULATORS,
    LevelResult,
    SimRun,
    attach_waves,
    build,
    reject_empty,
    replay,
    run_level,
    run_sim,
)
from tb.regress.plan import (
    DEFAULT_SEED,
    LEVELS,
    MODELS,
    Job,
    bundle_split,
    committed_bundles,
    corner_bundles,
    dataset_part,
    corner_report,
    default_bundle,
    make_plan,
    per_class_sample,
    random_jobs,
    real_job,
)
from tb.regress.report import (
    CLK_PERIOD_NS,
    merge_junit,
    render_report,
    repro_commands,
    safe_name,
    wave_window,
    write_gtkw,
    write_report,
    write_summary,
)

__all__ = [
    "dataset_part",
    "CLK_PERIOD_NS", "DEFAULT_SEED", "ECG_CLASSES", "ECG_CYCLE_BUDGET", "ECG_DEFAULT_LAYERS",
    "Failure", "Fault", "Golden", "JUNIT_DIR", "Job", "LEVELS", "LevelResult", "MISMATCH_DIR",
    "MODELS", "N_CLASS_REGS", "REGRESS_DIR", "REPORTS", "REPO_ROOT", "RESULT_COLS", "RtlBatch",
    "SIMULATORS", "SimRun", "attach_waves", "batch_from_rows", "build", "bundle_split",
    "committed_bundles", "compare", "corner_bundles", "corner_report", "default_bundle",
    "divergence", "golden_batch", "make_plan", "merge_junit", "per_class_sample", "random_jobs",
    "real_job", "reject_empty", "render_report", "replay", "repro_commands", "run_level",
    "run_sim", "safe_name", "timeout_cycles", "wave_window", "write_gtkw", "write_report",
    "write_summary",
]
