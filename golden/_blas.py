"""Limit the OpenBLAS thread pool that numpy uses, for the duration of a block.

The golden model's matrix products are many small, skinny GEMMs; OpenBLAS threads them, and on
a shared machine its spinning worker threads make them 5-10x slower than one thread. This is
the ctypes equivalent of ``threadpoolctl.threadpool_limits(1, "blas")`` for the OpenBLAS build
that numpy wheels bundle; when no such library is found it does nothing.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

_SET = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
        "openblas_set_num_threads")
_GET = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
        "openblas_get_num_threads")
_api: tuple | None = None
_searched = False


def _find() -> tuple | None:
    global _api, _searched
    if _searched:
        return _api
    _searched = True
    base = os.path.dirname(os.path.dirname(np.__file__))
    pats = [os.path.join(base, "numpy.libs", "*openblas*"),
            os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*")]
    for path in sorted(p for pat in pats for p in glob.glob(pat)):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for s, g in zip(_SET, _GET):
            if hasattr(lib, s) and hasattr(lib, g):
                setf, getf = getattr(lib, s), getattr(lib, g)
                setf.argtypes, setf.restype = [ctypes.c_int], None
                getf.argtypes, getf.restype = [], ctypes.c_int
                _api = (setf, getf)
                return _api
    return None


@contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Run the block with at most n OpenBLAS threads (None: leave the pool alone)."""
    api = _find() if n is not None else None
    if api is None:
        yield
        return
    setf, getf = api
    old = getf()
    setf(int(n))
    try:
        yield
    finally:
        setf(old)
