"""Valid/ready byte source, handshake monitor and trace-port monitor for the SparrowSNN benches.

* :class:`StreamSource` drives ``in_valid``/``in_data`` from a list of bytes with seeded random
  gaps on valid (a ``tb.common.pattern`` iterator). Once valid is raised it is held, with the
  same data, until the byte is accepted (AXI-stream rule); between bytes valid may drop and the
  data lines carry random junk.
* :class:`HandshakeMonitor` records the cycle of every accepted byte (``in_valid && in_ready``).
* :class:`TraceMonitor` records ``(cycle, layer, index, value)`` of every trace event; cycles are
  given relative to a settable origin (the compute start: the cycle after the last input byte).

Cycle numbering (same as ``tb.common.CycleCounter``): cycle N is the clock period that follows
rising edge N; a monitor samples it in the ReadOnly phase after edge N, and a handshake seen there
is taken by the DUT at edge N+1.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from cocotb.handle import SimHandleBase
from cocotb.triggers import Event, ReadOnly, RisingEdge
from cocotb_bus.drivers import BusDriver
from cocotb_bus.monitors import BusMonitor

from tb.common import CycleCounter, get_logger, pattern

LOG = get_logger("stream")


class StreamSource(BusDriver):
    """Byte source on ``<prefix>_valid``, ``<prefix>_ready``, ``<prefix>_data``.

    ``await send(data)`` returns when the last byte has been accepted; ``valid_pattern`` is an
    endless iterator of booleans (True: offer a byte this cycle if one is pending).
    """

    _signals = ["valid", "ready", "data"]

    def __init__(self, entity: SimHandleBase, prefix: str, clock: SimHandleBase,
                 rng: random.Random, valid_pattern: Iterator[bool] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(entity, prefix, clock, **kwargs)
        self.log = LOG.getChild("source")
        self.rng = rng
        self.valid_pattern = valid_pattern or pattern("full")
        self.accepted = 0
        self.bus.valid.value = 0
        self.bus.data.value = 0

    async def send(self, data: Sequence[int]) -> None:
        """Offer every byte of ``data`` in order and wait until all are accepted."""
        done = Event()
        self.append(list(data), event=done)
        await done.wait()

    async def _driver_send(self, transaction: list[int], sync: bool = True,
                           **kwargs: Any) -> None:
        if sync:
            await RisingEdge(self.clock)
        for byte in transaction:
            offered = False
            while True:
                if not offered and next(self.valid_pattern):
                    offered = True
                if offered:
                    self.bus.valid.value = 1
                    self.bus.data.value = int(byte)
                else:
                    self.bus.valid.value = 0
                    self.bus.data.value = self.rng.getrandbits(8)
                await ReadOnly()
                taken = offered and bool(int(self.bus.ready.value))
                await RisingEdge(self.clock)
                if taken:
                    self.accepted += 1
                    break
        self.bus.valid.value = 0
        self.bus.data.value = 0


class HandshakeMonitor(BusMonitor):
    """Records (cycle, byte) of every accepted byte in :attr:`accepted`."""

    _signals = ["valid", "ready", "data"]

    def __init__(self, entity: SimHandleBase, prefix: str, clock: SimHandleBase,
                 counter: CycleCounter, **kwargs: Any) -> None:
        self.counter = counter
        self.accepted: list[tuple[int, int]] = []
        super().__init__(entity, prefix, clock, **kwargs)

    def clear(self) -> None:
        """Forget the recorded handshakes."""
        self.accepted = []

    @property
    def last_cycle(self) -> int | None:
        """Cycle of the most recent accepted byte (None if none)."""
        return self.accepted[-1][0] if self.accepted else None

    async def _monitor_recv(self) -> None:
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if int(self.bus.valid.value) and int(self.bus.ready.value):
                item = (self.counter.cycle, int(self.bus.data.value))
                self.accepted.append(item)
                self._recv(item)


class TraceMonitor(BusMonitor):
    """Records trace events as ``[cycle - origin, layer, index, value]`` rows in :attr:`events`.

    ``origin`` is read when an event is seen: set it (e.g. from the handshake monitor) before the
    first event of an inference. ``origin_fn``, if given, is called instead.
    """

    _signals = {"valid": "valid", "layer": "layer", "index": "index", "val": "value"}

    def __init__(self, entity: SimHandleBase, prefix: str, clock: SimHandleBase,
                 counter: CycleCounter, origin_fn: Any = None, **kwargs: Any) -> None:
        self.counter = counter
        self.origin_fn = origin_fn
        self.origin = 0
        self.events: list[list[int]] = []
        super().__init__(entity, prefix, clock, **kwargs)

    def clear(self) -> None:
        """Forget the recorded events."""
        self.events = []

    async def _monitor_recv(self) -> None:
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if not int(self.bus.valid.value):
                continue
            origin = self.origin_fn() if self.origin_fn is not None else self.origin
            ev = [self.counter.cycle - (origin if origin is not None else 0),
                  int(self.bus.layer.value), int(self.bus.index.value),
                  self.bus.val.value.to_signed()]
            self.events.append(ev)
            self._recv(ev)
