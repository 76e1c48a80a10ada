"""Quantisation-aware hybrid ANN-SNN network whose deployed forward is the spec's integer model.

A network is a chain of `QLayer`s (conv1d or dense). Each layer has two forwards:

* float mode (training phase 1): conv/linear + BatchNorm + clip-floor activation
  `y = clamp(floor(z), 0, T)` in *count units* (the layer outputs integer spike counts 0..T
  directly) with a straight-through gradient; the readout layer returns z (float logits).
* integer mode (phase 2 after `fold_bn()`, and deployment): the folded float weights W_f and
  bias b_f of output channel o are mapped to integers with a threshold
  `theta[o] = clamp(floor(127 / max|W_f[o]|), 1, 65535)`, `W = clamp(round(W_f * theta), -128,
  127)`, `bias = round(b_f * theta)`; the layer computes `acc = bias + sum W * c` exactly (in
  float64, all values are integers far below 2^53) and `y = clamp(floor(acc / theta), 0, T)`
  (spec §2), or returns `acc` (readout: one theta for the whole layer, so arg-max is unchanged).
  Rounding and flooring use straight-through gradients, so this forward is trained directly
  (QAT) and is, bit for bit, what the exported bundle computes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

W_MIN, W_MAX = -128, 127
THETA_MAX = 65535
BN_EPS = 1e-5


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:
        return g


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """round(x) forward, identity gradient."""
    return _RoundSTE.apply(x)


class _ClipFloorSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, z: torch.Tensor, T: int) -> torch.Tensor:
        ctx.save_for_backward(z)
        ctx.T = T
        return torch.clamp(torch.floor(z), 0, T)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None]:
        (z,) = ctx.saved_tensors
        return g * ((z >= 0) & (z <= ctx.T + 1)).to(g.dtype), None


def clip_floor(z: torch.Tensor, T: int) -> torch.Tensor:
    """(T+1)-level clip-floor activation clamp(floor(z), 0, T) with a straight-through gradient."""
    return _ClipFloorSTE.apply(z, T)


class _SSFSTE(torch.autograd.Function):
    """y = clamp(floor(acc / theta), 0, T) exactly on integer-valued acc and theta."""

    @staticmethod
    def forward(ctx: Any, acc: torch.Tensor, theta: torch.Tensor, T: int) -> torch.Tensor:
        u = acc / theta
        ctx.save_for_backward(u, theta)
        ctx.T = T
        return torch.clamp(torch.div(acc, theta, rounding_mode="floor"), 0, T)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        u, theta = ctx.saved_tensors
        mask = ((u >= 0) & (u <= ctx.T + 1)).to(g.dtype)
        return g * mask / theta, None, None


def ssf_ste(acc: torch.Tensor, theta: torch.Tensor, T: int) -> torch.Tensor:
    """Spec SSF activation on integer-valued tensors; gradient d/dacc = 1/theta inside 0..T."""
    return _SSFSTE.apply(acc, theta, T)


@dataclass
class LayerSpec:
    """Shape and activation of one layer: kind 'conv1d' or 'dense'; T None on the readout."""

    kind: str
    out: int
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    T: int | None = None

    @classmethod
    def parse(cls, d: dict) -> "LayerSpec":
        """From a dict such as {'kind': 'conv1d', 'out': 8, 'kernel': 7, 'stride': 2, ...}."""
        return cls(**d)


class QLayer(nn.Module):
    """One conv1d/dense layer with float (BN) and integer (folded, QAT/deployed) forwards."""

    def __init__(self, spec: LayerSpec, in_ch: int, in_len: int, last: bool) -> None:
        super().__init__()
        self.spec, self.last = spec, last
        self.in_ch, self.in_len = in_ch, in_len
        if spec.kind == "conv1d":
            self.out_len = (in_len + 2 * spec.padding - spec.kernel) // spec.stride + 1
            shape: tuple[int, ...] = (spec.out, in_ch, spec.kernel)
            fan_in = in_ch * spec.kernel
        elif spec.kind == "dense":
            self.out_len = 1
            shape = (spec.out, in_ch * in_len)
            fan_in = in_ch * in_len
        else:
            raise ValueError(f"unknown layer kind {spec.kind!r}")
        if self.out_len < 1:
            raise ValueError(f"layer {spec} gives no output for input length {in_len}")
        if (spec.T is None) != last:
            raise ValueError("exactly the last layer (readout) has T = None")
        self.weight = nn.Parameter(torch.randn(shape) * math.sqrt(2.0 / fan_in))
        self.bias = nn.Parameter(torch.zeros(spec.out))
        self.bn: nn.BatchNorm1d | None = None if last else nn.BatchNorm1d(spec.out, eps=BN_EPS)
        if self.bn is not None:
            nn.init.constant_(self.bn.weight, spec.T / 3.0)
            nn.init.constant_(self.bn.bias, spec.T / 4.0 + 0.5)
        self.folded = False
        self.fixed: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    # ---------------------------------------------------------------- float mode
    def _linear(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        if self.spec.kind == "conv1d":
            return F.conv1d(x, w, b, stride=self.spec.stride, padding=self.spec.padding)
        return F.linear(x.flatten(1), w, b)

    def forward_float(self, x: torch.Tensor) -> torch.Tensor:
        """Float forward: BN, then clip-floor counts (or float logits on the readout)."""
        z = self._linear(x, self.weight.to(x.dtype), self.bias.to(x.dtype))
        if self.last:
            return z
        assert self.bn is not None
        return clip_floor(self.bn(z), self.spec.T)

    # ---------------------------------------------------------------- folding
    @torch.no_grad()
    def fold_bn(self) -> None:
        """Fold BatchNorm (running statistics) into weight and bias; switch to integer mode."""
        if self.folded:
            return
        if self.bn is not None:
            scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
            shape = (-1,) + (1,) * (self.weight.dim() - 1)
            self.weight.mul_(scale.view(shape))
            self.bias.copy_((self.bias - self.bn.running_mean) * scale + self.bn.bias)
            self.bn = None
        self.folded = True

    # ---------------------------------------------------------------- integer mode
    def theta(self) -> torch.Tensor:
        """Integer thresholds (float tensor, detached): per channel, one value on the readout."""
        w = self.weight.detach().abs().flatten(1).amax(dim=1)
        if self.last:
            w = w.amax().expand_as(w)
        th = torch.floor(127.0 / w.clamp_min(1e-12))
        return th.clamp(1, THETA_MAX)

    def int_params(self, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, ...]:
        """(W, bias, theta) as integer-valued tensors; W and bias carry STE gradients."""
        if self.fixed is not None:
            return tuple(t.to(dtype) for t in self.fixed)
        th = self.theta().to(dtype)
        shape = (-1,) + (1,) * (self.weight.dim() - 1)
        w = torch.clamp(round_ste(self.weight.to(dtype) * th.view(shape)), W_MIN, W_MAX)
        b = round_ste(self.bias.to(dtype) * th)
        return w, b, th

    def forward_int(self, c: torch.Tensor) -> torch.Tensor:
        """Integer forward (spec §2): counts 0..T, or the readout's integer accumulators."""
        w, b, th = self.int_params(c.dtype)
        acc = self._linear(c, w, b)
        if self.last:
            return acc
        shape = (1, -1) + (1,) * (acc.dim() - 2)
        return ssf_ste(acc, th.view(shape), self.spec.T)


class QNet(nn.Module):
    """Chain of QLayers over uint8 inputs (C0, L0); `.folded` selects the integer forward."""

    def __init__(self, in_ch: int, in_len: int, specs: list[LayerSpec | dict]) -> None:
        super().__init__()
        specs = [s if isinstance(s, LayerSpec) else LayerSpec.parse(s) for s in specs]
        self.in_ch, self.in_len = in_ch, in_len
        layers = []
        ch, ln = in_ch, in_len
        for i, s in enumerate(specs):
            layer = QLayer(s, ch, ln, last=i == len(specs) - 1)
            layers.append(layer)
            ch, ln = s.out, layer.out_len
        self.layers = nn.ModuleList(layers)
        self.specs = specs

    @classmethod
    def from_bundle(cls, bundle: dict) -> "QNet":
        """A folded QNet that runs the integers of a bundle dict (spec §3) unchanged."""
        specs = []
        for layer in bundle["layers"]:
            act = layer["activation"]
            T = act["T"] if act["type"] == "ssf" else None
            if layer["kind"] == "conv1d":
                specs.append(LayerSpec("conv1d", layer["out_channels"], layer["kernel"],
                                       layer["stride"], layer["padding"], T))
            else:
                specs.append(LayerSpec("dense", layer["out_features"], T=T))
        if specs[-1].T is not None:
            raise ValueError("QNet needs a readout (activation none) as the last layer")
        net = cls(bundle["input"]["channels"], bundle["input"]["length"], specs)
        net.fold_bn()
        for q, layer in zip(net.layers, bundle["layers"]):
            w = torch.tensor(layer["weights"], dtype=torch.float64)
            b = torch.tensor(layer["bias"], dtype=torch.float64)
            th = (torch.tensor(layer["activation"]["theta"], dtype=torch.float64)
                  if q.spec.T is not None else torch.ones(q.spec.out, dtype=torch.float64))
            q.fixed = (w, b, th)
        return net

    @property
    def folded(self) -> bool:
        return all(layer.folded for layer in self.layers)

    @property
    def n_classes(self) -> int:
        return self.specs[-1].out

    def n_weights(self) -> int:
        """Number of weights (bias and thresholds excluded)."""
        return sum(layer.weight.numel() for layer in self.layers)

    def fold_bn(self) -> None:
        """Fold every BatchNorm; afterwards forward() is the integer (deployed) forward."""
        for layer in self.layers:
            layer.fold_bn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits: float logits before folding; integer accumulators (as float) after.

        Integer inputs are converted to float32 before folding and float64 after (exact).
        """
        h = x
        if not torch.is_floating_point(h):
            h = h.to(torch.float64 if self.folded else torch.float32)
        for layer in self.layers:
            h = layer.forward_int(h) if layer.folded else layer.forward_float(h)
        return h

    def float_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits on the float scale (integer logits / readout theta once folded), for losses."""
        out = self.forward(x)
        if self.folded:
            out = out / self.layers[-1].theta().to(out.dtype)[0]
        return out

    @torch.no_grad()
    def deployed(self, x: np.ndarray | torch.Tensor,
                 batch: int = 8192) -> tuple[np.ndarray, np.ndarray]:
        """Deployed-mode (classes, logits) int64 of uint8 inputs (N, C0, L0): exact integers."""
        if not self.folded:
            raise RuntimeError("fold_bn() first: the deployed forward is the integer forward")
        was_training = self.training
        self.eval()
        xs = torch.as_tensor(np.asarray(x))
        logits = []
        for i in range(0, len(xs), batch):
            out = self.forward(xs[i:i + batch].to(torch.float64))
            logits.append(out.to(torch.int64))
        self.train(was_training)
        lg = torch.cat(logits).numpy() if logits else np.zeros((0, self.n_classes), np.int64)
        return np.argmax(lg, axis=1).astype(np.int64), lg

    def integer_layers(self) -> list[dict]:
        """Per layer: kind, geometry, W/bias/theta as int64 numpy arrays, T (None on readout)."""
        out = []
        for layer in self.layers:
            w, b, th = layer.int_params(torch.float64)
            out.append({"kind": layer.spec.kind, "in_ch": layer.in_ch, "in_len": layer.in_len,
                        "out": layer.spec.out, "out_len": layer.out_len,
                        "kernel": layer.spec.kernel, "stride": layer.spec.stride,
                        "padding": layer.spec.padding, "T": layer.spec.T,
                        "weights": w.detach().numpy().astype(np.int64),
                        "bias": b.detach().numpy().astype(np.int64),
                        "theta": th.detach().numpy().astype(np.int64)})
        return out
