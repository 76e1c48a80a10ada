"""Hardware memory image of a bundle (docs/architecture.md §5 memory layout, §6 register map).

``build_image(bundle).apb_writes()`` is the list of (address, 32-bit data) APB writes a host
issues to load the bundle: descriptor table, NUM_LAYERS, bias, theta, weight memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle
from golden.regmap import (
    ADDR_BIAS,
    ADDR_DESC,
    ADDR_NUM_LAYERS,
    ADDR_THETA,
    ADDR_WMEM,
    DESC_FIELDS,
    DESC_STRIDE,
    DESC_WORDS,
)

MASK32 = 0xFFFF_FFFF


def desc_addr(layer: int, word: int) -> int:
    """APB address of descriptor word ``word`` of layer ``layer``."""
    return ADDR_DESC + DESC_STRIDE * layer + 4 * word


def bias_addr(group: int, lane: int) -> int:
    """APB address of the bias of (group, lane)."""
    return ADDR_BIAS + 32 * group + 4 * lane


def theta_addr(group: int, lane: int) -> int:
    """APB address of the theta of (group, lane)."""
    return ADDR_THETA + 32 * group + 4 * lane


def wmem_addr(word: int, high: bool) -> int:
    """APB address of the low (lanes 0-3) or high (lanes 4-7) half of weight word ``word``."""
    return ADDR_WMEM + 8 * word + (4 if high else 0)


def desc_values(layer: Layer) -> dict[str, int]:
    """The descriptor field values of a layer, by field name (docs §6 descriptor table).

    T of a ``none`` layer is written 0 (ignored by the core); Lout is the layer's output length
    (conv1d: floor((Lin + 2P - K) / S) + 1, dense: 1), exactly what the descriptor check
    recomputes (error code 5).
    """
    return {"kind": int(layer.kind == "dense"), "ssf": int(layer.is_ssf), "T": layer.T or 0,
            "Cin": layer.in_ch, "Lin": layer.in_len, "Cout": layer.out_ch,
            "Lout": layer.out_len, "K": layer.kernel, "S": layer.stride, "P": layer.padding,
            "w_base": layer.w_base, "b_base": layer.b_base}


def pack_words(values: dict[str, int]) -> list[int]:
    """The DESC_WORDS descriptor words holding the given field values (reserved words 0)."""
    words = [0] * DESC_WORDS
    for name, word, lsb, width in DESC_FIELDS:
        value = values[name]
        if not 0 <= value < (1 << width):
            raise ValueError(f"descriptor field {name} = {value} does not fit {width} bits")
        words[word] |= value << lsb
    return words


def descriptor(layer: Layer) -> list[int]:
    """The DESC_WORDS descriptor words of a layer (docs §6 table; reserved words 0)."""
    return pack_words(desc_values(layer))


def layer_words(layer: Layer) -> np.ndarray:
    """The layer's 64-bit weight words in address order (as Python ints in an object array).

    Word (g*Cin + i)*K + k holds in byte lane m the weight of output channel 8g + m for input
    channel i, tap k (dense: word g*F + j); lanes past Cout hold 0.
    """
    G, lanes = layer.groups, layer.lanes
    w = layer.weights3                                        # (O, Cin, K)
    padded = np.zeros((G * lanes,) + w.shape[1:], dtype=np.int64)
    padded[:layer.out_ch] = w
    # (G, lanes, Cin, K) -> (G, Cin, K, lanes): word order g, i, k; byte lane m
    lanes_last = padded.reshape(G, lanes, *w.shape[1:]).transpose(0, 2, 3, 1)
    bytes_ = (lanes_last & 0xFF).astype(np.uint64).reshape(-1, lanes)
    shifts = (np.arange(lanes, dtype=np.uint64) * np.uint64(8))
    words = np.bitwise_or.reduce(bytes_ << shifts[None, :], axis=1)
    return words


@dataclass
class HwImage:
    """Descriptor table and memory contents of one bundle."""

    num_layers: int
    descriptors: list[list[int]]          # per layer 8 x uint32
    wmem: list[int]                       # 64-bit words from address 0
    bias: list[list[int]]                 # per group 8 signed ints
    theta: list[list[int]]                # per group 8 ints (padded lanes: 1)
    lanes: int = 8
    layer_w_base: list[int] = field(default_factory=list)
    layer_b_base: list[int] = field(default_factory=list)

    def apb_writes(self) -> list[tuple[int, int]]:
        """(address, data32) in host order: descriptors, NUM_LAYERS, bias, theta, wmem."""
        ops: list[tuple[int, int]] = []
        for li, words in enumerate(self.descriptors):
            ops += [(desc_addr(li, w), d & MASK32) for w, d in enumerate(words)]
        ops.append((ADDR_NUM_LAYERS, self.num_layers))
        for g, vals in enumerate(self.bias):
            ops += [(bias_addr(g, m), v & MASK32) for m, v in enumerate(vals)]
        for g, vals in enumerate(self.theta):
            ops += [(theta_addr(g, m), v & 0xFFFF) for m, v in enumerate(vals)]
        for w, word in enumerate(self.wmem):
            ops.append((wmem_addr(w, False), word & MASK32))
            ops.append((wmem_addr(w, True), (word >> 32) & MASK32))
        return ops

    @property
    def wmem_bytes(self) -> int:
        """Bytes of weight memory used."""
        return 8 * len(self.wmem)


def build_image(bundle: Bundle | dict) -> HwImage:
    """The hardware image of a (validated) bundle."""
    bundle = load_bundle(bundle)
    descs, wmem, bias, theta = [], [], [], []
    for L in bundle.layers:
        descs.append(descriptor(L))
        assert len(wmem) == L.w_base and len(bias) == L.b_base
        wmem += [int(v) for v in layer_words(L)]
        lanes = L.lanes
        b = np.zeros(L.groups * lanes, dtype=np.int64)
        th = np.ones(L.groups * lanes, dtype=np.int64)
        b[:L.out_ch] = L.bias
        th[:L.out_ch] = L.theta_or_ones
        bias += b.reshape(L.groups, lanes).tolist()
        theta += th.reshape(L.groups, lanes).tolist()
    return HwImage(num_layers=len(bundle.layers), descriptors=descs, wmem=wmem, bias=bias,
                   theta=theta, lanes=bundle.limits.lanes,
                   layer_w_base=[L.w_base for L in bundle.layers],
                   layer_b_base=[L.b_base for L in bundle.layers])
