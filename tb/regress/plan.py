"""Regression plans: which bundles and inputs each level runs (deterministic for a seed).

A plan is a list of :class:`Job` (a bundle, a batch of inputs and how to stream and load them):
real ECG/EEG examples of the committed bundles' test parts, directed corner bundles and random
legal bundles (:func:`make_plan`). Shard k of n gets every n-th job. No simulator needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from golden.bundle import load_bundle
from golden.randbundle import build_bundle, ecg_default_bundle, random_bundle, random_inputs
from tb.faults import choose_fault
from tb.paths import MODELS_DIR, REPO_ROOT

MODELS = {"ecg": MODELS_DIR / "ecg" / "model.json", "eeg": MODELS_DIR / "eeg" / "model.json"}
LEVELS = ("quick", "smoke", "full", "bench", "demo")
DEFAULT_SEED = 20_260_607

EEG_FALLBACK_LAYERS: list[dict[str, Any]] = [
    {"kind": "conv1d", "out": 8, "kernel": 7, "stride": 2, "padding": 3, "T": 15},
    *[{"kind": "conv1d", "out": 16, "kernel": 5, "stride": 2, "padding": 2, "T": 7}] * 4,
    {"kind": "dense", "out": 16, "T": 7},
    {"kind": "dense", "out": 2, "act": "none"},
]
EEG_CLASSES = ["non-seizure", "seizure"]


@dataclass
class Job:
    """One bundle and a batch of inputs to run on it."""

    name: str
    bundle: dict
    origin: str                      # where the bundle comes from (file, or generator + seed)
    x: np.ndarray                    # (N, C0, L0) uint8
    refs: list[dict[str, Any]]       # provenance of every input (for reports)
    labels: np.ndarray | None = None
    classes: list[str] | None = None  # class names of the labels
    kind: str = "random"             # "real" or "random"
    vmode: str = "random"
    vprob: int = 180
    seed: int = 1                    # valid-pattern LFSR seed
    load: str = "front"
    fault: dict[str, Any] | None = None


def default_bundle(name: str, seed: int = 0) -> tuple[dict, str]:
    """The committed default bundle (models/<name>/model.json) or, until it exists, a stand-in
    with random legal weights on the default network shape; returns (bundle dict, origin)."""
    path = MODELS[name]
    if path.is_file():
        return json.loads(path.read_text()), str(path.relative_to(REPO_ROOT))
    if name == "ecg":
        return ecg_default_bundle(seed), f"stand-in: golden.randbundle.ecg_default_bundle({seed})"
    bd = build_bundle(seed, 1, 256, EEG_FALLBACK_LAYERS, name="eeg-default-shape-random",
                      classes=EEG_CLASSES)
    return bd, f"stand-in: random weights on the EEG default shape (seed {seed})"


def committed_bundles(name: str) -> list[tuple[dict, str, str]]:
    """Every committed bundle of a family (``models/<name>/*.json``, the default first) as
    (bundle dict, origin, protocol it was trained for). Until none is committed: the stand-in of
    :func:`default_bundle` on the family's default protocol."""
    files = sorted(MODELS[name].parent.glob("*.json"), key=lambda p: (p != MODELS[name], p.name))
    out = []
    for path in files:
        bd = json.loads(path.read_text())
        if bd.get("format") != "sparrow-bundle":
            continue  # e.g. sweep.json, *.metrics.json
        out.append((bd, str(path.relative_to(REPO_ROOT)), bundle_split(bd, name)))
    if not out:
        bd, origin = default_bundle(name)
        out.append((bd, origin, bundle_split(bd, name)))
    return out


def bundle_split(bundle: dict, dataset: str) -> str:
    """Protocol the bundle was trained for (its ``training`` key), else ecg intra / eeg inter."""
    tr = bundle.get("training") if isinstance(bundle.get("training"), dict) else {}
    split = tr.get("split") or tr.get("protocol")
    if split in ("intra", "inter"):
        return split
    return "intra" if dataset == "ecg" else "inter"


def dataset_part(name: str, split: str, part: str = "test", bundle: dict | None = None) -> Any:
    """A test part in ``bundle``'s own input format (e.g. the ECG rhythm channel)."""
    from training.datasets import build

    if bundle is not None and name == "ecg":
        from training.rhythm import for_bundle

        return for_bundle(bundle["input"], split, part)
    return build(name, split, part)


def _real_refs(ds: Any, idx: np.ndarray) -> list[dict[str, Any]]:
    meta = ds.meta
    return [{"dataset": ds.name, "split": ds.split, "part": ds.part, "index": int(i),
             "source": str(meta["source"][i]), "sample": int(meta["sample"][i]),
             "annotation": str(meta["annotation"][i]), "label": ds.classes[int(ds.labels[i])]}
            for i in idx]


def real_job(name: str, bundle: dict, origin: str, ds: Any, idx: np.ndarray,
             rng: np.random.Generator, vmode: str | None = None) -> Job:
    """A job of dataset examples ``idx`` (real inputs, labels and provenance)."""
    return Job(name=name, bundle=bundle, origin=origin, x=ds.inputs[idx], refs=_real_refs(ds, idx),
               labels=ds.labels[idx].astype(np.int64), classes=list(ds.classes), kind="real",
               vmode=vmode or str(rng.choice(["random", "bursty", "stalls", "full"])),
               vprob=int(rng.integers(96, 250)), seed=int(rng.integers(1, 2**31)))


def per_class_sample(labels: np.ndarray, n_per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of min(n_per_class, count) random examples of every class."""
    out = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        out.append(rng.choice(idx, size=min(n_per_class, len(idx)), replace=False))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)


def _theta_corner(rng: np.random.Generator) -> dict:
    """A 2-layer bundle whose first layer has θ = 1 on one channel and θ = 65535 on another."""
    bd = build_bundle(rng, 2, 12, [
        {"kind": "conv1d", "out": 4, "kernel": 3, "stride": 1, "padding": 1, "T": 15},
        {"kind": "dense", "out": 3, "act": "none"}], name="corner-theta")
    th = bd["layers"][0]["activation"]["theta"]
    th[0], th[1] = 1, 65535
    load_bundle(bd)
    return bd


def corner_bundles(rng: np.random.Generator) -> list[tuple[str, dict]]:
    """Directed corner bundles (always part of the random regression)."""
    def bb(name: str, c0: int, l0: int, specs: list[dict]) -> tuple[str, dict]:
        return name, build_bundle(rng, c0, l0, specs, name=name)
    return [
        ("corner-T1", random_bundle(rng, T=1, n_layers=3, max_ch=10, max_len=24,
                                    max_cycles=2500, name="corner-T1")),
        ("corner-T255", random_bundle(rng, T=255, n_layers=3, max_ch=10, max_len=24,
                                      max_cycles=2500, name="corner-T255")),
        bb("corner-kernel-eq-len", 2, 9, [
            {"kind": "conv1d", "out": 5, "kernel": 9, "stride": 1, "padding": 0, "T": 7},
            {"kind": "dense", "out": 4, "act": "none"}]),
        bb("corner-stride-gt-kernel", 1, 23, [
            {"kind": "conv1d", "out": 6, "kernel": 2, "stride": 5, "padding": 1, "T": 3},
            {"kind": "conv1d", "out": 3, "kernel": 1, "stride": 3, "padding": 0, "act": "none"}]),
        bb("corner-pad-ge-kernel", 1, 4, [
            {"kind": "conv1d", "out": 3, "kernel": 1, "stride": 1, "padding": 2, "T": 7},
            {"kind": "dense", "out": 4, "T": 3}]),
        ("corner-theta", _theta_corner(rng)),
        bb("corner-dense-first-ssf-last", 3, 5, [
            {"kind": "dense", "out": 11, "T": 255},
            {"kind": "dense", "out": 3, "T": 15}]),
        bb("corner-groups-16-classes", 2, 9, [
            {"kind": "conv1d", "out": 19, "kernel": 3, "stride": 1, "padding": 1, "T": 1},
            {"kind": "conv1d", "out": 9, "kernel": 2, "stride": 3, "padding": 0, "T": 15},
            {"kind": "dense", "out": 16, "act": "none"}]),
        bb("corner-8-layers", 1, 16, [
            {"kind": "conv1d", "out": 3, "kernel": 3, "stride": 1, "padding": 1, "T": 3}] * 6
           + [{"kind": "dense", "out": 4, "T": 7}, {"kind": "dense", "out": 2, "act": "none"}]),
        bb("corner-dense-conv", 2, 3, [
            {"kind": "dense", "out": 6, "T": 7},
            {"kind": "conv1d", "out": 2, "kernel": 1, "stride": 1, "padding": 0, "T": 5}]),
    ]


def random_jobs(n_random: int, seed: int, inputs_per_bundle: int = 3) -> list[Job]:
    """The directed corner bundles plus ``n_random`` random legal bundles (golden.randbundle),
    each with an all-zero input and random inputs, streamed with varied valid patterns; every
    fifth bundle is loaded through the backdoor."""
    rng = np.random.default_rng([seed, 1])
    named = corner_bundles(rng)
    for k in range(n_random):
        named.append((f"rand{k:03d}", random_bundle(
            rng, max_layers=4, max_ch=10, max_len=28, max_words=256, max_cycles=2000,
            name=f"rand{k:03d}")))
    jobs = []
    modes = ["full", "random", "bursty", "stalls"]
    for j, (name, bd) in enumerate(named):
        b = load_bundle(bd)
        shape = (b.in_channels, b.in_length)
        xs = np.concatenate([np.zeros((1, *shape), np.uint8),
                             random_inputs(rng, shape, inputs_per_bundle - 1)])
        refs = [{"generator": "golden.randbundle", "plan_seed": seed, "bundle": name,
                 "bundle_index": j, "input": i,
                 "kind": "all-zero" if i == 0 else "random_inputs"} for i in range(len(xs))]
        jobs.append(Job(name=name, bundle=bd, origin=f"random: plan seed {seed}, bundle {j} "
                        f"({name})", x=xs, refs=refs, kind="random", vmode=modes[j % 4],
                        vprob=int(rng.integers(64, 250)), seed=int(rng.integers(1, 2**31)),
                        load="backdoor" if j % 5 == 4 else "front"))
    return jobs


def corner_report(jobs: list[Job]) -> dict[str, int]:
    """How many jobs exercise each required corner (checked by the plan)."""
    hits = dict.fromkeys(["T=1", "T=255", "kernel=length", "stride>kernel", "padding>=kernel",
                          "theta=1", "theta=65535", "all-zero input", "dense first",
                          "ssf last", "multi-group", "8 layers", "backdoor load"], 0)
    for job in jobs:
        b = load_bundle(job.bundle)
        ls = b.layers
        flags = {
            "T=1": any(L.T == 1 for L in ls), "T=255": any(L.T == 255 for L in ls),
            "kernel=length": any(L.kind == "conv1d" and L.kernel == L.in_len for L in ls),
            "stride>kernel": any(L.kind == "conv1d" and L.stride > L.kernel for L in ls),
            "padding>=kernel": any(L.kind == "conv1d" and L.padding >= L.kernel for L in ls),
            "theta=1": any(L.theta is not None and int(L.theta.min()) == 1 for L in ls),
            "theta=65535": any(L.theta is not None and int(L.theta.max()) == 65535 for L in ls),
            "all-zero input": bool(np.any(~job.x.reshape(len(job.x), -1).any(axis=1))),
            "dense first": ls[0].kind == "dense", "ssf last": ls[-1].is_ssf,
            "multi-group": any(L.groups > 1 for L in ls), "8 layers": len(ls) == 8,
            "backdoor load": job.load == "backdoor",
        }
        for k, v in flags.items():
            hits[k] += int(v)
    return hits


def _chunks(idx: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for lo in range(0, len(idx), size):
        yield idx[lo:lo + size]


def make_plan(level: str, seed: int = DEFAULT_SEED, *, fault: str | None = None,
              shard: int = 0, nshards: int = 1, n_random: int | None = None,
              per_class: int | None = None) -> list[Job]:
    """The jobs of a regression level (deterministic for a seed); shard k of n gets every n-th
    job. Levels: ``quick`` (a few real examples, 20 random bundles), ``smoke`` (>= 50 real test
    examples per class of both default bundles, 200 random bundles + corners), ``full`` (every
    committed ECG and EEG bundle on every test example of its own protocol: ECG intra and inter,
    EEG inter), ``bench`` / ``demo`` (ECG real beats)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    rng = np.random.default_rng([seed, 0])
    jobs: list[Job] = []
    if level in ("quick", "smoke", "bench", "demo"):
        pc = per_class if per_class is not None else {"quick": 2, "smoke": 50, "bench": 40,
                                                      "demo": 50}[level]
        names = ["ecg"] if level in ("bench", "demo") else ["ecg", "eeg"]
        for name in names:
            bd, origin = default_bundle(name)
            ds = dataset_part(name, bundle_split(bd, name), bundle=bd)
            idx = per_class_sample(ds.labels, pc, rng)
            jobs.append(real_job(f"{name}-default", bd, origin, ds, idx, rng,
                                 vmode="full" if level in ("bench", "demo") else None))
        if level in ("quick", "smoke"):
            nr = n_random if n_random is not None else (20 if level == "quick" else 200)
            rand = random_jobs(nr, seed)
            jobs += rand
    elif level == "full":
        # each committed bundle on the whole test part of the protocol it was trained for (a
        # bundle on another protocol's test part would score examples it was trained on)
        for name in ("ecg", "eeg"):
            for bd, origin, split in committed_bundles(name):
                ds = dataset_part(name, split, bundle=bd)
                for part in _chunks(np.arange(len(ds)), 2000):
                    jobs.append(real_job(f"{name}-{split}-test[{part[0]}:{part[-1] + 1}]", bd,
                                         origin, ds, part, rng))
    if fault:
        target = jobs[0]
        f = choose_fault(fault, target.bundle, target.x, np.random.default_rng([seed, 2]))
        target.fault = f.to_dict()
    return jobs[shard::nshards]


