"""Hardware memory image of a bundle (docs/architecture.md §5 memory layout, §6 register map).

``build_image(bundle).apb_writes()`` is the list of (address, 32-bit data) APB writes a host
issues to load the bundle: descriptor table, NUM_LAYERS, bias, theta, weight memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from golden.bundle import Bundle, Layer, load_bundle

ADDR_ID = 0x0000
ADDR_PARAMS = 0x0004
ADDR_CTRL = 0x0008
ADDR_STATUS = 0x000C
ADDR_NUM_LAYERS = 0x0010
ADDR_CLASS = 0x0014
ADDR_IRQ_EN = 0x0018
ADDR_CNT_CYCLES = 0x0020
ADDR_CNT_WREADS = 0x0024
ADDR_CNT_MACS = 0x0028
ADDR_CNT_SKIPS = 0x002C
ADDR_CNT_LOAD = 0x0030
ADDR_LOGIT = 0x0100
ADDR_DESC = 0x0200
ADDR_BIAS = 0x1000
ADDR_THETA = 0x2000
ADDR_WMEM = 0x4000
ID_VALUE = 0x5350_5257

DESC_WORDS = 8
MASK32 = 0xFFFF_FFFF


def desc_addr(layer: int, word: int) -> int:
    """APB address of descriptor word ``word`` of layer ``layer``."""
    return ADDR_DESC + 32 * layer + 4 * word


def bias_addr(group: int, lane: int) -> int:
    """APB address of the bias of (group, lane)."""
    return ADDR_BIAS + 32 * group + 4 * lane


def theta_addr(group: int, lane: int) -> int:
    """APB address of the theta of (group, lane)."""
    return ADDR_THETA + 32 * group + 4 * lane


def wmem_addr(word: int, high: bool) -> int:
    """APB address of the low (lanes 0-3) or high (lanes 4-7) half of weight word ``word``."""
    return ADDR_WMEM + 8 * word + (4 if high else 0)


def descriptor(layer: Layer) -> list[int]:
    """The 8 descriptor words of a layer (docs §6 table)."""
    w0 = (1 if layer.kind == "dense" else 0) | ((1 if layer.is_ssf else 0) << 1) \
        | ((layer.T or 0) << 8)
    w1 = layer.in_ch | (layer.in_len << 16)
    w2 = layer.out_ch | (layer.out_len << 16)
    w3 = layer.kernel | (layer.stride << 8) | (layer.padding << 16)
    return [w0, w1, w2, w3, layer.w_base, layer.b_base, 0, 0]


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
