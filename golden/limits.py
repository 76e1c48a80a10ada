"""Build limits of the default SparrowSNN build (docs/architecture.md §4)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Parameters of one RTL build; a bundle is legal for the build only within them."""

    lanes: int = 8                # LANES: output channels per group
    max_layers: int = 8           # MAX_LAYERS
    max_ch: int = 256             # MAX_CH: any channel count (C0, Cin, Cout, dense F / O)
    max_len: int = 1024           # MAX_LEN: any sequence length (L0, Lin, Lout)
    act_depth: int = 4096         # ACT_DEPTH: C*L of the input and of every layer output
    max_k: int = 32               # MAX_K: kernel 1..max_k
    max_s: int = 32               # MAX_S: stride 1..max_s
    max_p: int = 31               # MAX_P: padding 0..max_p
    max_t: int = 255              # T in 1..max_t (CNT_W = 8)
    max_theta: int = 65535        # theta in 1..max_theta (TH_W = 16)
    acc_w: int = 32               # ACC_W: signed accumulator width, bias included
    wmem_depth: int = 2048        # WMEM_DEPTH: 64-bit weight words
    bmem_depth: int = 128         # BMEM_DEPTH: bias / theta groups
    max_classes: int = 16         # MAX_CLASSES: outputs of the last layer
    max_out_features: int = 256   # dense out_features

    @property
    def acc_min(self) -> int:
        """Smallest accumulator value the build holds."""
        return -(1 << (self.acc_w - 1))

    @property
    def acc_max(self) -> int:
        """Largest accumulator value the build holds."""
        return (1 << (self.acc_w - 1)) - 1

    @property
    def max_in_features(self) -> int:
        """Largest dense in_features (the whole activation buffer)."""
        return self.act_depth


DEFAULT_LIMITS = Limits()

WEIGHT_MIN = -128
WEIGHT_MAX = 127
INPUT_MAX = 255
