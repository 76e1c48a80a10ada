"""What the benches of the whole core share (tb/sparrow_top, tb/top, tb/ctrl and the regression
driver :mod:`tb.regress`): the default ECG network's cycle budget and the record-by-record
comparison of trace tables and streams (the core's RTL file list is ``tb.launch.CORE_RTL``).

:func:`first_difference` is the record-stream comparison under both this module's
:func:`first_divergence` and the ctrl bench's per-stream check. Importing this module never
starts a simulation and does not import cocotb.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# docs/architecture.md §9: the default ECG network must finish within this many compute cycles.
ECG_CYCLE_BUDGET = 20_600

# Columns of a trace event table (golden.timing.trace(...).events and the RTL's trace port).
EV_COLS = ("cycle", "layer", "index", "value")


def first_difference(expected: Sequence[Any], actual: Sequence[Any],
                     same: Callable[[Any, Any], bool] = operator.eq) -> int | None:
    """Index of the first record where two record sequences differ, or None when they are
    equal; when one is a prefix of the other, the index of the first missing or extra record."""
    n = min(len(expected), len(actual))
    for i in range(n):
        if not same(expected[i], actual[i]):
            return i
    return None if len(expected) == len(actual) else n


def _event(row: np.ndarray) -> str:
    return f"(cycle {row[0]}, layer {row[1]}, index {row[2]}, value {row[3]})"


def first_divergence(expected: np.ndarray, actual: np.ndarray) -> tuple[int, str] | None:
    """(event number, description) of the first row where two event tables differ, or None.

    Rows are (cycle, layer, index, value); a table that ends early or runs on is a divergence at
    the first missing or extra row.
    """
    i = first_difference(expected, actual, np.array_equal)
    if i is None:
        return None
    if i < len(expected) and i < len(actual):
        return i, f"event {i}: expected {_event(expected[i])}, got {_event(actual[i])}"
    if i < len(expected):
        return i, (f"event {i}: expected {_event(expected[i])}, got no further event "
                   f"({len(actual)} events in all)")
    return i, f"event {i}: unexpected extra event {_event(actual[i])}, {len(expected)} expected"
