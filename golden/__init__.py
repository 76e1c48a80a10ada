"""SparrowSNN golden model: bundle validation, integer-exact inference, cycle-exact timing.

Submodules (imported on demand, none imports cocotb):

* :mod:`golden.limits`     build limits of the default RTL build (docs/architecture.md §4)
* :mod:`golden.bundle`     bundle reader / validator / writer (spec §3)
* :mod:`golden.model`      vectorised integer inference (spec §2)
* :mod:`golden.timing`     cycle schedule, trace events and counters (docs §7)
* :mod:`golden.hwimage`    descriptor table and memory images (docs §5, §6)
* :mod:`golden.ifbaseline` reference T-timestep integrate-and-fire run (access counts)
* :mod:`golden.randbundle` seeded random legal bundles for tests and benches
* :mod:`golden.cli`        the ``sparrow`` command
"""

__all__ = ["limits", "bundle", "model", "timing", "hwimage", "ifbaseline", "randbundle", "cli"]
