"""Build limits of the default SparrowSNN build (docs/architecture.md §4).

The numbers come from the one interface source (interface/sparrow.toml, through the generated
golden/regmap.py), the same source as the RTL parameter defaults (rtl/sparrow_build.vh).
"""

from __future__ import annotations

from dataclasses import dataclass

from golden.regmap import LIMITS as _L


@dataclass(frozen=True)
class Limits:
    """Parameters of one RTL build; a bundle is legal for the build only within them."""

    lanes: int = _L["LANES"]                 # output channels per group
    max_layers: int = _L["MAX_LAYERS"]
    max_ch: int = _L["MAX_CH"]               # any channel count (C0, Cin, Cout of conv1d)
    max_len: int = _L["MAX_LEN"]             # any sequence length (L0, Lin, Lout)
    act_depth: int = _L["ACT_DEPTH"]         # C*L of the input and of every layer output
    max_k: int = _L["MAX_K"]                 # kernel 1..max_k
    max_s: int = _L["MAX_S"]                 # stride 1..max_s
    max_p: int = _L["MAX_P"]                 # padding 0..max_p
    max_t: int = (1 << _L["CNT_W"]) - 1      # T in 1..max_t
    max_theta: int = (1 << _L["TH_W"]) - 1   # theta in 1..max_theta
    acc_w: int = _L["ACC_W"]                 # signed accumulator width, bias included
    wmem_depth: int = _L["WMEM_DEPTH"]       # 64-bit weight words
    bmem_depth: int = _L["BMEM_DEPTH"]       # bias / theta groups
    max_classes: int = _L["MAX_CLASSES"]     # outputs of the last layer
    max_out_features: int = _L["MAX_OUT_F"]  # dense out_features

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
