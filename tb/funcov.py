"""Functional coverage model of the SparrowSNN core (cocotb-coverage), shared by every bench.

The benches call four sampling functions; each feeds cover points and crosses of the global
``cocotb_coverage.coverage.coverage_db`` under ``sparrow.*``:

* :func:`sample_bundle` (each bundle loaded into the core): per layer the kind, its position in
  the network, kind x position, T (binned, 1 and 255 on their own), kernel / stride / padding
  corners (K = 1, K = Lin, K > Lin; S = 1, S > K; P = 0, P >= K), lane groups (1, 2, 3+; full or
  partial last group), theta extremes (1, 65535); per bundle the number of layers (1..8), the
  first layer's kind, the last layer's activation (ssf / none) and their cross, classes.
* :func:`sample_inference` (each checked inference): zero skipping happened or not, all-zero /
  some-zero / no-zero input, the predicted class per bundle family (the committed ECG bundle:
  every one of its 5 classes, the EEG bundle: both classes -- these bins exist only when the
  family has a committed bundle under ``models/``; any other bundle: class-index bins), the
  range of the largest |logit| and the winner's sign, tied maxima.
* :func:`sample_stream`: input-stream pattern (no gaps, regular gaps, random gaps, long stalls).
* :func:`sample_event`: reset / abort while loading and mid-inference, error codes 1..10.

:func:`export` writes the database as cocotb-coverage XML or YAML. Inside a cocotb simulation
started by ``tb.launch.run_bench`` with ``SPARROW_COVERAGE=1`` the database is exported
automatically at the end of the simulation to ``$SPARROW_FUNCOV_FILE``. :func:`merge` adds the
hits of several exports, :func:`check` compares the merged bins with the documented exclusion file
``tb/coverage_exclusions.yaml`` (docs/coverage.md). This module imports neither cocotb nor the
simulator at import time, so it works from plain Python too.
"""

from __future__ import annotations

import atexit
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

from golden.bundle import Bundle, load_bundle
from golden.regmap import ERROR_CODES
from tb.launch import FUNCOV_FILE_ENV
from tb.paths import REPO_ROOT, TB_DIR

EXCLUSIONS_FILE = TB_DIR / "coverage_exclusions.yaml"
ROOT = "sparrow"

# ---------------------------------------------------------------------------------------------
# bins

T_BINS: tuple[tuple[str, int, int], ...] = (
    ("1", 1, 1), ("2-3", 2, 3), ("4-7", 4, 7), ("8-15", 8, 15), ("16-31", 16, 31),
    ("32-254", 32, 254), ("255", 255, 255))
CLASS_BINS: tuple[tuple[str, int, int], ...] = (
    ("0", 0, 0), ("1", 1, 1), ("2-3", 2, 3), ("4-7", 4, 7), ("8-15", 8, 15))
N_CLASSES_BINS: tuple[tuple[str, int, int], ...] = (
    ("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5-8", 5, 8), ("9-16", 9, 16))
LOGIT_BINS: tuple[tuple[str, int, int], ...] = (
    ("<2^8", 0, (1 << 8) - 1), ("<2^16", 1 << 8, (1 << 16) - 1),
    ("<2^24", 1 << 16, (1 << 24) - 1), (">=2^24", 1 << 24, 1 << 40))
POSITIONS = ("only", "first", "middle", "last")
KINDS = ("conv1d", "dense")
KERNEL_BINS = ("K=1", "K=Lin", "1<K<Lin", "K>Lin")
STRIDE_BINS = ("S=1", "1<S<=K", "S>K")
PADDING_BINS = ("P=0", "0<P<K", "P>=K")
GROUP_BINS = ("1", "2", "3+")
THETA_BINS = ("theta=1", "theta=65535", "1<theta<65535")
STREAM_BINS = ("none", "regular_gaps", "random_gaps", "long_stalls")
# tb.common.pattern names -> stream bins (the bin names themselves are accepted too)
STREAM_ALIASES = {"full": "none", "alternate": "regular_gaps", "bursty": "regular_gaps",
                  "sparse": "regular_gaps", "random": "random_gaps", "stall": "long_stalls"}
EVENT_BINS = (("reset_while_loading", "reset_mid_inference", "abort_while_loading",
               "abort_mid_inference") + tuple(f"error_code_{c}" for c in sorted(ERROR_CODES)))
# committed default bundles: family -> (name prefixes, number of classes, models/ directory)
FAMILIES: dict[str, tuple[tuple[str, ...], int, str]] = {
    "ecg": (("ecg-aami5",), 5, "models/ecg"),
    "eeg": (("eeg-bonn",), 2, "models/eeg"),
}


def bin_of(value: int, bins: Sequence[tuple[str, int, int]]) -> str | None:
    """Label of the (label, lo, hi) bin holding ``value`` (None if none does)."""
    for label, lo, hi in bins:
        if lo <= value <= hi:
            return label
    return None


def _labels(bins: Sequence[tuple[str, int, int]]) -> list[str]:
    return [b[0] for b in bins]


def _member(got: Any, bin_: str) -> bool:
    """Relation of the non-injective points: the sample is a set of labels."""
    return bin_ in got


# ---------------------------------------------------------------------------------------------
# facts handed to the decorated sampling functions (plain values only)


@dataclass(frozen=True)
class LayerFacts:
    """What the layer cover points look at."""

    kind: str
    position: str
    act: str
    t_bin: str | None
    kernel: frozenset[str]
    stride: str | None
    padding: str | None
    groups: str
    last_group: str
    theta: frozenset[str]


@dataclass(frozen=True)
class BundleFacts:
    """What the bundle cover points look at."""

    n_layers: str
    first_kind: str
    last_act: str
    n_classes: str | None


@dataclass(frozen=True)
class InferenceFacts:
    """What the inference cover points look at."""

    skipping: str
    zeros: str
    family: str
    cls: str | None
    logit_range: str | None
    winner_sign: str | None
    tie: str


def layer_facts(bundle: Bundle, idx: int) -> LayerFacts:
    """Cover-point view of layer ``idx`` of a validated bundle."""
    layer = bundle.layers[idx]
    n = len(bundle.layers)
    position = "only" if n == 1 else ("first" if idx == 0 else
                                      ("last" if idx == n - 1 else "middle"))
    kernel: set[str] = set()
    stride = padding = None
    if layer.kind == "conv1d":
        k, s, p, lin = layer.kernel, layer.stride, layer.padding, layer.in_len
        if k == 1:
            kernel.add("K=1")
        if k == lin:
            kernel.add("K=Lin")
        if 1 < k < lin:
            kernel.add("1<K<Lin")
        if k > lin:
            kernel.add("K>Lin")
        stride = "S=1" if s == 1 else ("1<S<=K" if s <= k else "S>K")
        padding = "P=0" if p == 0 else ("0<P<K" if p < k else "P>=K")
    g = layer.groups
    theta: set[str] = set()
    if layer.is_ssf and layer.theta is not None:
        th = np.asarray(layer.theta)
        if (th == 1).any():
            theta.add("theta=1")
        if (th == 65535).any():
            theta.add("theta=65535")
        if ((th > 1) & (th < 65535)).any():
            theta.add("1<theta<65535")
    return LayerFacts(
        kind=layer.kind, position=position, act=layer.act,
        t_bin=bin_of(int(layer.T), T_BINS) if layer.is_ssf and layer.T is not None else None,
        kernel=frozenset(kernel), stride=stride, padding=padding,
        groups="1" if g == 1 else ("2" if g == 2 else "3+"),
        last_group="full" if layer.out_ch % layer.lanes == 0 else "partial",
        theta=frozenset(theta))


@lru_cache(maxsize=None)
def _committed_names(family: str) -> frozenset[str]:
    """Names of the committed bundles of a family (models/<family>/*.json), if any."""
    folder = REPO_ROOT / FAMILIES[family][2]
    names = set()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == "sparrow-bundle":
            names.add(str(data.get("name", "")))
    return frozenset(names)


def bundle_family(bundle: Bundle) -> str:
    """``ecg`` / ``eeg`` for the committed default bundles (by name and class count),
    ``random`` for anything else."""
    for family, (prefixes, n_classes, _folder) in FAMILIES.items():
        named = bundle.name in _committed_names(family) or bundle.name.startswith(prefixes)
        if named and bundle.n_classes == n_classes:
            return family
    return "random"


# ---------------------------------------------------------------------------------------------
# cover points (created once per process, at import; sampling = calling the decorated function)

_L = f"{ROOT}.layer"
_B = f"{ROOT}.bundle"
_I = f"{ROOT}.inference"


@CoverPoint(f"{_L}.kind", xf=lambda f: f.kind, bins=list(KINDS))
@CoverPoint(f"{_L}.position", xf=lambda f: f.position, bins=list(POSITIONS))
@CoverCross(f"{_L}.kind_x_position", items=[f"{_L}.kind", f"{_L}.position"])
@CoverPoint(f"{_L}.T", xf=lambda f: f.t_bin, bins=_labels(T_BINS))
@CoverPoint(f"{_L}.activation", xf=lambda f: f.act, bins=["ssf", "none"])
@CoverPoint(f"{_L}.kernel", xf=lambda f: f.kernel, rel=_member, bins=list(KERNEL_BINS),
            inj=False)
@CoverPoint(f"{_L}.stride", xf=lambda f: f.stride, bins=list(STRIDE_BINS))
@CoverPoint(f"{_L}.padding", xf=lambda f: f.padding, bins=list(PADDING_BINS))
@CoverPoint(f"{_L}.groups", xf=lambda f: f.groups, bins=list(GROUP_BINS))
@CoverPoint(f"{_L}.last_group", xf=lambda f: f.last_group, bins=["full", "partial"])
@CoverPoint(f"{_L}.theta", xf=lambda f: f.theta, rel=_member, bins=list(THETA_BINS), inj=False)
def _sample_layer(facts: LayerFacts) -> None:
    """Sampling hook of the layer points."""


@CoverPoint(f"{_B}.n_layers", xf=lambda f: f.n_layers, bins=[str(n) for n in range(1, 9)])
@CoverPoint(f"{_B}.first_kind", xf=lambda f: f.first_kind, bins=list(KINDS))
@CoverPoint(f"{_B}.last_act", xf=lambda f: f.last_act, bins=["ssf", "none"])
@CoverCross(f"{_B}.first_kind_x_last_act", items=[f"{_B}.first_kind", f"{_B}.last_act"])
@CoverPoint(f"{_B}.n_classes", xf=lambda f: f.n_classes, bins=_labels(N_CLASSES_BINS))
def _sample_bundle(facts: BundleFacts) -> None:
    """Sampling hook of the bundle points."""


def _family_class_point(family: str, n_classes: int) -> CoverPoint:
    """Class bins of one committed default bundle family: every class must be predicted."""
    return CoverPoint(f"{_I}.class_{family}",
                      xf=lambda f: f.cls if f.family == family else None,
                      bins=[str(c) for c in range(n_classes)])


def committed_families() -> list[str]:
    """Families with a committed bundle under models/ (their class bins exist only then: with
    no committed default bundle there is nothing to cover)."""
    return [fam for fam in FAMILIES if _committed_names(fam)]


@CoverPoint(f"{_I}.zero_skipping", xf=lambda f: f.skipping, bins=["skipped", "none_skipped"])
@CoverPoint(f"{_I}.input_zeros", xf=lambda f: f.zeros,
            bins=["all_zero", "some_zero", "no_zero"])
@CoverPoint(f"{_I}.class_random", xf=lambda f: f.cls if f.family == "random" else None,
            bins=_labels(CLASS_BINS))
@CoverPoint(f"{_I}.logit_range", xf=lambda f: f.logit_range, bins=_labels(LOGIT_BINS))
@CoverPoint(f"{_I}.winner_sign", xf=lambda f: f.winner_sign,
            bins=["negative", "zero", "positive"])
@CoverPoint(f"{_I}.tie", xf=lambda f: f.tie, bins=["unique_max", "tied_max"])
def _sample_inference_common(facts: InferenceFacts) -> None:
    """Sampling hook of the inference points."""


_sample_inference = _sample_inference_common
for _fam in committed_families():
    _sample_inference = _family_class_point(_fam, FAMILIES[_fam][1])(_sample_inference)


@CoverPoint(f"{ROOT}.stream.pattern", bins=list(STREAM_BINS))
def _sample_stream(name: str) -> None:
    """Sampling hook of the stream point."""


@CoverPoint(f"{ROOT}.event.kind", bins=list(EVENT_BINS))
def _sample_event(name: str) -> None:
    """Sampling hook of the event point."""


# ---------------------------------------------------------------------------------------------
# public sampling API


def _as_bundle(bundle: Bundle | Mapping[str, Any] | str | Path) -> Bundle:
    return bundle if isinstance(bundle, Bundle) else load_bundle(bundle)  # type: ignore[arg-type]


def sample_bundle(bundle: Bundle | Mapping[str, Any] | str | Path) -> None:
    """Sample a bundle loaded into the core (a validated Bundle, a bundle dict or a path)."""
    b = _as_bundle(bundle)
    for idx in range(len(b.layers)):
        _sample_layer(layer_facts(b, idx))
    _sample_bundle(BundleFacts(
        n_layers=str(len(b.layers)), first_kind=b.layers[0].kind, last_act=b.layers[-1].act,
        n_classes=bin_of(b.n_classes, N_CLASSES_BINS)))


def _trace_parts(trace: Any) -> tuple[np.ndarray, Mapping[str, int]]:
    """(events (E, 4), counters) of a golden ``Trace`` or a mapping with those keys."""
    if isinstance(trace, Mapping):
        events, counters = trace.get("events"), trace.get("counters", {})
    else:
        events, counters = getattr(trace, "events", None), getattr(trace, "counters", {})
    ev = np.zeros((0, 4), np.int64) if events is None else np.asarray(events, np.int64)
    return ev.reshape(-1, 4), counters


def sample_inference(bundle: Bundle | Mapping[str, Any] | str | Path, x1: np.ndarray,
                     trace: Any, cls: int) -> None:
    """Sample one checked inference.

    ``x1``: the input (C0, L0); ``trace``: its golden ``golden.timing.Trace`` (or a mapping with
    ``events`` (E, 4) [cycle, layer, index, value] and ``counters`` {'skips', ...}); ``cls``: the
    class the core reported.
    """
    b = _as_bundle(bundle)
    x = np.asarray(x1)
    events, counters = _trace_parts(trace)
    nz = int(np.count_nonzero(x))
    zeros = "all_zero" if nz == 0 else ("no_zero" if nz == x.size else "some_zero")
    skips = counters.get("skips") if counters else None
    skipping = "none_skipped" if skips == 0 else "skipped"
    if skips is None:
        raise ValueError("sample_inference: the trace carries no 'skips' counter")
    last = len(b.layers) - 1
    outs = events[events[:, 1] == last, 3] if len(events) else np.zeros(0, np.int64)
    logit_range = winner_sign = None
    tie = "unique_max"
    if outs.size:
        top = int(outs.max())
        tie = "tied_max" if int((outs == top).sum()) > 1 else "unique_max"
        if b.layers[-1].act == "none":
            logit_range = bin_of(int(np.abs(outs).max()), LOGIT_BINS)
            winner_sign = "negative" if top < 0 else ("zero" if top == 0 else "positive")
    family = bundle_family(b)
    label = str(int(cls)) if family != "random" else bin_of(int(cls), CLASS_BINS)
    _sample_inference(InferenceFacts(skipping=skipping, zeros=zeros, family=family, cls=label,
                                     logit_range=logit_range, winner_sign=winner_sign, tie=tie))


def sample_stream(pattern_name: str) -> None:
    """Sample the input-stream pattern of an inference: a ``tb.common.pattern`` name (full,
    alternate, bursty, sparse, random, stall) or a bin name (none, regular_gaps, random_gaps,
    long_stalls)."""
    name = STREAM_ALIASES.get(pattern_name, pattern_name)
    if name not in STREAM_BINS:
        raise ValueError(f"sample_stream: unknown pattern {pattern_name!r}")
    _sample_stream(name)


def sample_event(name: str) -> None:
    """Sample a control event: reset_while_loading, reset_mid_inference, abort_while_loading,
    abort_mid_inference or error_code_<1..10>."""
    if name not in EVENT_BINS:
        raise ValueError(f"sample_event: unknown event {name!r}; expected one of {EVENT_BINS}")
    _sample_event(name)


# ---------------------------------------------------------------------------------------------
# export, merge, check


def export(path: str | Path) -> Path:
    """Write the coverage database to ``path``: cocotb-coverage XML (``.xml``) or YAML
    (``.yml``/``.yaml``). Works inside a simulation and from plain Python."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".xml":
        coverage_db.export_to_xml(str(p))
    elif p.suffix in (".yml", ".yaml"):
        coverage_db.export_to_yaml(str(p))
    else:
        raise ValueError(f"export: {p.name}: use a .xml, .yml or .yaml file name")
    return p


def _auto_export() -> None:
    target = os.environ.get(FUNCOV_FILE_ENV)
    if target:
        export(target)


def _register_auto_export() -> None:
    """Export to $SPARROW_FUNCOV_FILE when the simulation (or the Python process) ends."""
    if not os.environ.get(FUNCOV_FILE_ENV):
        return
    try:
        import cocotb  # noqa: PLC0415
        from cocotb import _shutdown  # noqa: PLC0415  (the hook cocotb's own coverage uses)
        if getattr(cocotb, "is_simulation", False):
            _shutdown.register(_auto_export)
            return
    except ImportError:
        pass
    atexit.register(_auto_export)


_register_auto_export()


@dataclass
class CoverBin:
    """One bin of a merged database."""

    point: str          # e.g. sparrow.layer.kind
    label: str          # e.g. conv1d, or ('conv1d', 'first') for a cross
    hits: int = 0
    at_least: int = 1

    @property
    def key(self) -> str:
        """``<point>:<label>``, as written in the exclusion file."""
        return f"{self.point}:{self.label}"


def _read_xml(path: Path) -> list[CoverBin]:
    out = []
    root = ElementTree.parse(path).getroot()
    for elem in root.iter():
        if "at_least" not in elem.attrib:
            continue
        point = elem.attrib["abs_name"].removeprefix("top.")
        for child in elem:
            if "bin" in child.attrib and "hits" in child.attrib:
                out.append(CoverBin(point, child.attrib["bin"], int(child.attrib["hits"]),
                                    int(elem.attrib["at_least"])))
    return out


def _read_yaml(path: Path) -> list[CoverBin]:
    import yaml  # noqa: PLC0415

    data = yaml.safe_load(path.read_text()) or {}
    out = []
    for point, attrs in data.items():
        if not isinstance(attrs, dict) or "bins:_hits" not in attrs:
            continue
        for label, hits in attrs["bins:_hits"].items():
            out.append(CoverBin(str(point).removeprefix("top."), str(label), int(hits),
                                int(attrs.get("at_least", 1))))
    return out


def read_export(path: str | Path) -> list[CoverBin]:
    """Bins of one export (XML or YAML, as written by :func:`export`)."""
    p = Path(path)
    return _read_yaml(p) if p.suffix in (".yml", ".yaml") else _read_xml(p)


def merge(paths: Iterable[str | Path]) -> dict[str, CoverBin]:
    """Add up the hits of several exports; bins are matched by point name and bin label
    (a bin missing from some files counts 0 there). Returns ``{key: CoverBin}``."""
    merged: dict[str, CoverBin] = {}
    n = 0
    for path in paths:
        n += 1
        for b in read_export(path):
            have = merged.get(b.key)
            if have is None:
                merged[b.key] = CoverBin(b.point, b.label, b.hits, b.at_least)
            else:
                have.hits += b.hits
                have.at_least = max(have.at_least, b.at_least)
    if n == 0:
        raise ValueError("merge: no functional-coverage files given")
    return merged


def current_bins() -> dict[str, CoverBin]:
    """Bins of this process's database (no file round trip)."""
    out: dict[str, CoverBin] = {}
    for name in coverage_db:
        item = coverage_db[name]
        if not name.startswith(ROOT) or not hasattr(item, "_hits"):
            continue
        for label, hits in item.detailed_coverage.items():
            b = CoverBin(name, str(label), int(hits), int(item.at_least))
            out[b.key] = b
    return out


@dataclass
class FuncovReport:
    """Outcome of :func:`check`."""

    total: int
    hit: int
    excluded: list[tuple[str, str]] = field(default_factory=list)     # (bin key, reason)
    unhit: list[str] = field(default_factory=list)                      # failures
    problems: list[str] = field(default_factory=list)                   # bad exclusions

    @property
    def ok(self) -> bool:
        """True when every bin is hit or excluded and the exclusions are consistent."""
        return not self.unhit and not self.problems

    @property
    def percent(self) -> float:
        """Hit bins over bins that are not excluded, in %."""
        denom = self.total - len(self.excluded)
        return 100.0 * self.hit / denom if denom else 100.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (summary.json)."""
        return {"bins": self.total, "hit": self.hit, "excluded": len(self.excluded),
                "percent": round(self.percent, 2), "unhit": self.unhit,
                "excluded_bins": [{"bin": k, "reason": r} for k, r in self.excluded],
                "problems": self.problems, "ok": self.ok}


def load_exclusions(path: str | Path = EXCLUSIONS_FILE) -> dict[str, Any]:
    """The parsed exclusion file (``functional`` and ``code`` lists; every entry has a reason)."""
    import yaml  # noqa: PLC0415

    data = yaml.safe_load(Path(path).read_text()) or {}
    for section in ("functional", "code"):
        for entry in data.get(section) or []:
            if not isinstance(entry, dict) or not str(entry.get("reason", "")).strip():
                raise ValueError(f"{path}: {section} exclusion without a reason: {entry!r}")
    return data


def check(bins: Mapping[str, CoverBin], exclusions: Sequence[Mapping[str, Any]]) -> FuncovReport:
    """Every bin must be hit (``hits >= at_least``) or excluded. An exclusion is a mapping
    ``{bin: "<point>:<label>" (a regex, full match), reason: ...}``; one that matches no bin, or
    matches a bin that was hit, is a problem (the file must stay true)."""
    rules = [(re.compile(str(e["bin"])), str(e["reason"]), str(e["bin"])) for e in exclusions]
    used = {raw: 0 for _, _, raw in rules}
    rep = FuncovReport(total=len(bins), hit=0)
    for key in sorted(bins):
        b = bins[key]
        rule = next(((rx, why, raw) for rx, why, raw in rules if rx.fullmatch(key)), None)
        covered = b.hits >= b.at_least
        if rule is not None:
            used[rule[2]] += 1
            if covered:
                rep.problems.append(f"{key}: excluded ({rule[1]}) but hit {b.hits} times")
            else:
                rep.excluded.append((key, rule[1]))
            continue
        if covered:
            rep.hit += 1
        else:
            rep.unhit.append(key)
    rep.problems += [f"exclusion {raw!r} matches no bin" for raw, n in used.items() if n == 0]
    return rep


# ---------------------------------------------------------------------------------------------
# datapath corners (sampled from the RTL by the campaign monitor, tb/campaign/sim.py)

DATAPATH_BINS = ("count_saturated_at_T", "negative_sum_clamped", "acc_near_max",
                 "acc_near_min", "theta=1", "theta=65535", "T=1", "T=255",
                 "all_zero_layer_input", "argmax_tie")
ACC_NEAR = 0.01                 # "within 1 % of ±2^31"
_datapath_hook: Any = None


def datapath_fire_labels(accs: Sequence[int], thetas: Sequence[int], t: int,
                         ssf: bool) -> set[str]:
    """Datapath bins of one FIRE cycle, from the fire units' exact accumulators (sum + bias),
    θ and T as the RTL holds them. Lanes with θ = 0 (no output channel) never count as ssf
    lanes; accumulator bins apply to every lane (an idle lane holds 0)."""
    out: set[str] = set()
    lim = 1 << 31
    for acc, th in zip(accs, thetas):
        if acc >= (1 - ACC_NEAR) * (lim - 1):
            out.add("acc_near_max")
        if acc <= -(1 - ACC_NEAR) * lim:
            out.add("acc_near_min")
        if not ssf or th < 1:
            continue
        if acc < 0:
            out.add("negative_sum_clamped")
        elif acc // th >= t:
            out.add("count_saturated_at_T")
        if th == 1:
            out.add("theta=1")
        if th == 65535:
            out.add("theta=65535")
    if ssf and any(th >= 1 for th in thetas):
        if t == 1:
            out.add("T=1")
        if t == 255:
            out.add("T=255")
    return out


def datapath_trace_labels(bundle: Bundle, x1: np.ndarray, events: np.ndarray) -> set[str]:
    """Datapath bins of one inference from the trace events the RTL wrote (E, 4): a layer whose
    whole input is zero (the input itself, or every event of the previous layer 0) and a tie
    of the maximum among the last layer's outputs."""
    out: set[str] = set()
    ev = np.asarray(events, np.int64).reshape(-1, 4)
    if not np.asarray(x1).any():
        out.add("all_zero_layer_input")
    n = len(bundle.layers)
    for li in range(n - 1):
        vals = ev[ev[:, 1] == li, 3]
        if vals.size and not vals.any():
            out.add("all_zero_layer_input")
    last = ev[ev[:, 1] == n - 1, 3]
    if last.size > 1 and int((last == last.max()).sum()) > 1:
        out.add("argmax_tie")
    return out


def sample_datapath(labels: Iterable[str]) -> None:
    """Sample datapath-corner bins (``sparrow.datapath.corner``). The cover point is created on
    the first call, so only runs that monitor the datapath (``make fuzz``) export it."""
    global _datapath_hook
    labels = frozenset(labels)
    bad = labels - set(DATAPATH_BINS)
    if bad:
        raise ValueError(f"sample_datapath: unknown bins {sorted(bad)}")
    if _datapath_hook is None:
        @CoverPoint(f"{ROOT}.datapath.corner", xf=lambda f: f, rel=_member,
                    bins=list(DATAPATH_BINS), inj=False)
        def _hook(facts: frozenset[str]) -> None:
            """Sampling hook of the datapath point."""
        _datapath_hook = _hook
    _datapath_hook(labels)
