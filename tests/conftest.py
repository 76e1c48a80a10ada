"""Shared pytest fixtures: seeded random generators and random legal bundles.

Every random stream derives from one suite seed (``SPARROW_SEED``, default below) and the test's
node id, so a failure is reproduced by re-running the test with the seed shown in its report.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from golden.randbundle import ecg_default_bundle, random_bundle, random_inputs

SUITE_SEED = int(os.environ.get("SPARROW_SEED", "20240506"))


def pytest_report_header(config: pytest.Config) -> str:
    """Show the suite seed in the session header."""
    return f"sparrow: SPARROW_SEED={SUITE_SEED}"


def seed_for(nodeid: str) -> int:
    """Seed of one test: the suite seed mixed with the test's node id (stable across runs)."""
    return (SUITE_SEED * 1_000_003 + zlib.crc32(nodeid.encode())) % (1 << 63)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Append the seed to the report of a failing test that used a seeded fixture."""
    outcome = yield
    rep = outcome.get_result()
    seed = getattr(item, "_sparrow_seed", None)
    if rep.failed and seed is not None:
        rep.sections.append(("sparrow seed", f"reproduce with SPARROW_SEED={SUITE_SEED} "
                             f"(test rng seed {seed}): pytest '{item.nodeid}'"))


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """The test's seed (recorded for the failure report)."""
    s = seed_for(request.node.nodeid)
    request.node._sparrow_seed = s
    return s


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    """A numpy Generator seeded from the test's seed."""
    return np.random.default_rng(seed)


@pytest.fixture
def make_bundle(rng: np.random.Generator) -> Callable[..., dict]:
    """Factory: make_bundle(**constraints) -> a random legal bundle dict (golden.randbundle)."""
    def make(**constraints: Any) -> dict:
        return random_bundle(rng, **constraints)
    return make


@pytest.fixture
def make_inputs(rng: np.random.Generator) -> Callable[[tuple[int, int], int], np.ndarray]:
    """Factory: make_inputs((C0, L0), n) -> uint8 inputs with zeros, ramps and extremes."""
    def make(shape: tuple[int, int], n: int) -> np.ndarray:
        return random_inputs(rng, shape, n)
    return make


@pytest.fixture(scope="session")
def ecg_bundle() -> dict:
    """Random legal weights on the default ECG network shape (fixed seed)."""
    return ecg_default_bundle(SUITE_SEED)
