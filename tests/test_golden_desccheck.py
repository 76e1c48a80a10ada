"""golden.desccheck: the shared reference of the descriptor check (docs/architecture.md §6)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from golden.bundle import load_bundle
from golden.desccheck import check_reference, desc_field, pack_layer, set_field
from golden.hwimage import build_image
from golden.randbundle import build_bundle
from golden.regmap import DESC_FIELDS, DESC_W, ERROR_CODES


def base_table() -> tuple[list[list[int]], int]:
    """A legal 3-layer table: conv 2->10 (2 groups), conv 10->4 (s2), dense -> 5 logits."""
    bd = build_bundle(np.random.default_rng(5), 2, 12, [
        {"kind": "conv1d", "out": 10, "kernel": 3, "stride": 1, "padding": 1, "T": 7},
        {"kind": "conv1d", "out": 4, "kernel": 3, "stride": 2, "padding": 0, "T": 7},
        {"kind": "dense", "out": 5, "act": "none"}])
    img = build_image(load_bundle(bd))
    return [list(w) for w in img.descriptors], img.num_layers


def bump(layer: int, name: str, delta: int) -> Callable[[list[list[int]]], None]:
    def f(d: list[list[int]]) -> None:
        set_field(d[layer], name, desc_field(d[layer], name) + delta)
    return f


def put(layer: int, name: str, value: int) -> Callable[[list[list[int]]], None]:
    return lambda d: set_field(d[layer], name, value)


# (name, mutation, num_layers or None, expected (code, layer))
CASES = [
    ("num_layers 0", None, 0, (1, 0)),
    ("num_layers 9", None, 9, (1, 0)),
    ("Cin 0", put(1, "Cin", 0), None, (2, 1)),
    ("Lout 1025", put(0, "Lout", 1025), None, (2, 0)),
    ("dense Lin 2", put(2, "Lin", 2), None, (2, 2)),
    ("C*L > 4096", lambda d: (set_field(d[0], "Cin", 200), set_field(d[0], "Lin", 100)),
     None, (3, 0)),
    ("K 33", put(0, "K", 33), None, (4, 0)),
    ("dense S 2", put(2, "S", 2), None, (4, 2)),
    ("Lout + 1", bump(1, "Lout", 1), None, (5, 1)),
    ("Cin mismatch", bump(1, "Cin", 1), None, (6, 1)),
    ("dense F mismatch", bump(2, "Cin", -1), None, (6, 2)),
    ("w_base past end", put(2, "w_base", 2040), None, (7, 2)),
    ("b_base past end", put(1, "b_base", 128), None, (8, 1)),
    ("ssf T 0", put(0, "T", 0), None, (9, 0)),
    ("none not last", put(1, "ssf", 0), None, (9, 1)),
    ("17 classes", put(2, "Cout", 17), None, (10, 2)),
    ("two faults: lowest layer wins", lambda d: (set_field(d[2], "K", 2),
                                                 set_field(d[1], "T", 0)), None, (9, 1)),
    ("two faults: lowest code wins", lambda d: (set_field(d[1], "T", 0),
                                                set_field(d[1], "b_base", 200)), None, (8, 1)),
]


def test_legal_table_passes() -> None:
    descs, n = base_table()
    assert check_reference(descs, n) == (0, 0)


@pytest.mark.parametrize("name,mutate,num,expected", CASES, ids=[c[0] for c in CASES])
def test_each_rule_fires(name: str, mutate: Callable | None, num: int | None,
                         expected: tuple[int, int]) -> None:
    descs, n = base_table()
    if mutate:
        mutate(descs)
    assert check_reference(descs, n if num is None else num) == expected, name


def test_every_error_code_is_covered() -> None:
    assert {c[3][0] for c in CASES} == set(ERROR_CODES)


def test_field_helpers_and_packing() -> None:
    words = [0] * 8
    for i, (name, _w, _l, width) in enumerate(DESC_FIELDS):
        set_field(words, name, (i + 1) % (1 << width))
    for i, (name, _w, _l, width) in enumerate(DESC_FIELDS):
        assert desc_field(words, name) == (i + 1) % (1 << width)
    packed = pack_layer(words)
    assert packed < (1 << DESC_W)
    pos = 0
    for name, _w, _l, width in DESC_FIELDS:
        assert (packed >> pos) & ((1 << width) - 1) == desc_field(words, name)
        pos += width
    set_field(words, "T", 0x1FF)                 # truncated to the field
    assert desc_field(words, "T") == 0xFF and desc_field(words, "ssf") == 0
