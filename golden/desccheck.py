"""Reference model of the descriptor check the core runs at ``start`` (docs/architecture.md §6).

Written from the document, independently of rtl/ctrl.v: the benches of ctrl and sparrow_top
compare the RTL's (error code, layer) with :func:`check_reference`. Field layout, error codes and
limits come from the one interface source (golden.regmap, golden.limits).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from golden.limits import DEFAULT_LIMITS, Limits
from golden.regmap import (
    DESC_FIELDS,
    ERR_ACT,
    ERR_ACT_SIZE,
    ERR_BMEM,
    ERR_CHAIN,
    ERR_CLASSES,
    ERR_KSP,
    ERR_LOUT,
    ERR_NUM_LAYERS,
    ERR_SHAPE,
    ERR_WMEM,
)

FIELD: dict[str, tuple[str, int, int, int]] = {f[0]: f for f in DESC_FIELDS}


def desc_field(words: Sequence[int], name: str) -> int:
    """Value of descriptor field ``name`` in a layer's descriptor words."""
    _n, word, lsb, width = FIELD[name]
    return (words[word] >> lsb) & ((1 << width) - 1)


def set_field(words: list[int], name: str, value: int) -> None:
    """Set descriptor field ``name`` in place (the value is truncated to the field width)."""
    _n, word, lsb, width = FIELD[name]
    mask = ((1 << width) - 1) << lsb
    words[word] = (words[word] & ~mask) | ((value << lsb) & mask)


def check_reference(descriptors: Sequence[Sequence[int]], num_layers: int,
                    lim: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """(error code, layer) of the docs §6 check for a descriptor table; (0, 0) if it passes.

    Code ERR_NUM_LAYERS first (layer 0 reported); then layer by layer, the lowest failing code of
    the lowest failing layer; each rule may assume the lower-numbered rules of its layer pass.
    """
    if num_layers == 0 or num_layers > lim.max_layers:
        return ERR_NUM_LAYERS, 0
    prev: tuple[int, int] | None = None
    for li in range(num_layers):
        d = {n: desc_field(descriptors[li], n) for n in FIELD}
        dense, last = d["kind"] == 1, li == num_layers - 1
        cin, lin, cout, lout, k, s, p = (d[n] for n in ("Cin", "Lin", "Cout", "Lout", "K", "S",
                                                        "P"))
        if dense:
            bad_shape = not (1 <= cin <= lim.act_depth and 1 <= cout <= lim.max_out_features
                             and lin == 1 and lout == 1)
        else:
            bad_shape = not (1 <= cin <= lim.max_ch and 1 <= cout <= lim.max_ch
                             and 1 <= lin <= lim.max_len and 1 <= lout <= lim.max_len)
        groups = -(-cout // lim.lanes)
        span = lin + 2 * p
        rules: list[tuple[int, Callable[[], bool]]] = [   # in code order
            (ERR_SHAPE, lambda: bad_shape),
            (ERR_ACT_SIZE, lambda: cin * lin > lim.act_depth or cout * lout > lim.act_depth),
            (ERR_KSP, lambda: (k, s, p) != (1, 1, 0) if dense
             else not (1 <= k <= lim.max_k and 1 <= s <= lim.max_s and p <= lim.max_p)),
            (ERR_LOUT, lambda: span < k or (span - k) // s + 1 != lout),
            (ERR_CHAIN, lambda: prev is not None and ((cin != prev[0] * prev[1]) if dense
                                                      else (cin, lin) != prev)),
            (ERR_WMEM, lambda: d["w_base"] + groups * cin * k > lim.wmem_depth),
            (ERR_BMEM, lambda: d["b_base"] + groups > lim.bmem_depth),
            (ERR_ACT, lambda: (d["ssf"] == 1 and d["T"] == 0) or (d["ssf"] == 0 and not last)),
            (ERR_CLASSES, lambda: last and cout * lout > lim.max_classes),
        ]
        for code, bad in rules:
            if bad():
                return code, li
        prev = (cout, lout)
    return 0, 0


def pack_layer(words: Sequence[int]) -> int:
    """The DESC_W-bit packed fields of one layer, as apb_regs drives them on ``desc_o`` to ctrl
    (fields in DESC_FIELDS order, LSB first)."""
    packed, pos = 0, 0
    for name, _word, _lsb, width in DESC_FIELDS:
        packed |= desc_field(words, name) << pos
        pos += width
    return packed
