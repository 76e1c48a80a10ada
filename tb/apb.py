"""APB3 master driver and transfer monitor for cocotb benches (cocotb-bus based).

:class:`ApbMaster` issues single transfers (a setup cycle, then an access cycle extended while
``pready`` is low) and can run them back to back: a transfer started right after the previous one
ended skips the idle cycle. :class:`ApbMonitor` reports every completed transfer as an
:class:`ApbTransfer` stamped with the cycle of its (last) access cycle.

Signal names are the bare APB names (``psel``, ``penable``, ``pwrite``, ``paddr``, ``pwdata``,
``prdata``, ``pready``, ``pslverr``), optionally behind a bus prefix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cocotb.handle import SimHandleBase
from cocotb.triggers import Lock, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time
from cocotb_bus.drivers import BusDriver
from cocotb_bus.monitors import BusMonitor

from tb.common import CycleCounter, get_logger

APB_SIGNALS = ["psel", "penable", "pwrite", "paddr", "pwdata", "prdata", "pready"]
APB_OPTIONAL = ["pslverr"]


class ApbError(Exception):
    """A transfer that had to succeed got an error response (pslverr)."""


@dataclass(frozen=True)
class ApbTransfer:
    """One completed APB transfer."""

    addr: int
    write: bool
    data: int          # pwdata of a write, prdata of a read
    error: bool        # pslverr in the completing access cycle

    def __str__(self) -> str:
        kind = "W" if self.write else "R"
        err = " SLVERR" if self.error else ""
        return f"{kind} 0x{self.addr:04x} = 0x{self.data:08x}{err}"


class ApbMaster(BusDriver):
    """APB3 master: ``await write(addr, data)`` / ``await read(addr)``.

    Transfers never overlap (a lock serialises callers). The driver never samples outputs at a
    rising edge: it reads ``pready``/``prdata``/``pslverr`` in the ReadOnly phase of the access
    cycle, which is what the slave presents before the completing edge.
    """

    _signals = APB_SIGNALS
    _optional_signals = APB_OPTIONAL

    def __init__(self, entity: SimHandleBase, clock: SimHandleBase, prefix: str | None = None,
                 log: logging.Logger | None = None, timeout_cycles: int = 64,
                 **kwargs: Any) -> None:
        super().__init__(entity, prefix, clock, **kwargs)
        self.log = log or get_logger("apb")
        self.timeout_cycles = timeout_cycles
        self._lock = Lock()
        self._edge_time: int | None = None   # sim time of the edge the last transfer ended on
        self.bus.psel.value = 0
        self.bus.penable.value = 0
        self.bus.pwrite.value = 0
        self.bus.paddr.value = 0
        self.bus.pwdata.value = 0
        self.transfers = 0

    async def _transfer(self, addr: int, write: bool, data: int) -> ApbTransfer:
        async with self._lock:
            if self._edge_time != get_sim_time("step"):
                await RisingEdge(self.clock)            # align: setup starts after an edge
            self.bus.psel.value = 1
            self.bus.penable.value = 0
            self.bus.pwrite.value = int(write)
            self.bus.paddr.value = addr
            self.bus.pwdata.value = data if write else 0
            await RisingEdge(self.clock)                # end of the setup cycle
            self.bus.penable.value = 1
            waited = 0
            while True:
                await ReadOnly()
                if int(self.bus.pready.value):
                    break
                waited += 1
                if waited > self.timeout_cycles:
                    raise ApbError(f"APB {'write' if write else 'read'} 0x{addr:04x}: pready "
                                   f"low for {waited} cycles")
                await RisingEdge(self.clock)
            err = bool(int(self.bus.pslverr.value)) if hasattr(self.bus, "pslverr") else False
            rdata = 0 if write else int(self.bus.prdata.value)
            await RisingEdge(self.clock)                # the transfer completes at this edge
            self.bus.psel.value = 0
            self.bus.penable.value = 0
            self._edge_time = get_sim_time("step")
            self.transfers += 1
            return ApbTransfer(addr, write, data if write else rdata, err)

    async def write(self, addr: int, data: int, check: bool = False) -> bool:
        """Write ``data`` to ``addr``; returns pslverr (raises ApbError if ``check`` and set)."""
        tr = await self._transfer(addr, True, data & 0xFFFF_FFFF)
        if check and tr.error:
            raise ApbError(f"APB write 0x{addr:04x} = 0x{data & 0xFFFF_FFFF:08x}: pslverr")
        return tr.error

    async def read(self, addr: int, check: bool = False) -> tuple[int, bool]:
        """Read ``addr``; returns (prdata, pslverr) (raises ApbError if ``check`` and set)."""
        tr = await self._transfer(addr, False, 0)
        if check and tr.error:
            raise ApbError(f"APB read 0x{addr:04x}: pslverr")
        return tr.data, tr.error

    async def read_ok(self, addr: int) -> int:
        """Read ``addr``, which must not answer with pslverr."""
        data, _ = await self.read(addr, check=True)
        return data

    async def write_many(self, ops: list[tuple[int, int]]) -> None:
        """Back-to-back writes, each of which must succeed."""
        for addr, data in ops:
            await self.write(addr, data, check=True)

    async def _driver_send(self, transaction: tuple[int, int] | int, sync: bool = True,
                           **kwargs: Any) -> None:
        """``append((addr, data))`` writes, ``append(addr)`` reads (result dropped)."""
        if isinstance(transaction, tuple):
            await self.write(*transaction)
        else:
            await self.read(transaction)


class ApbMonitor(BusMonitor):
    """Reports each completed transfer as ``Observed``-like pairs via ``callback`` /
    :attr:`log_transfers`: (cycle of the completing access cycle, :class:`ApbTransfer`)."""

    _signals = APB_SIGNALS
    _optional_signals = APB_OPTIONAL

    def __init__(self, entity: SimHandleBase, clock: SimHandleBase, counter: CycleCounter,
                 prefix: str | None = None, keep: bool = True, **kwargs: Any) -> None:
        self.counter = counter
        self.keep = keep
        self.seen: list[tuple[int, ApbTransfer]] = []
        super().__init__(entity, prefix, clock, **kwargs)

    async def _monitor_recv(self) -> None:
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            b = self.bus
            if not (int(b.psel.value) and int(b.penable.value) and int(b.pready.value)):
                continue
            write = bool(int(b.pwrite.value))
            err = bool(int(b.pslverr.value)) if hasattr(b, "pslverr") else False
            data = int(b.pwdata.value) if write else int(b.prdata.value)
            tr = ApbTransfer(int(b.paddr.value), write, data, err)
            if self.keep:
                self.seen.append((self.counter.cycle, tr))
            self._recv((self.counter.cycle, tr))


def start_apb(dut: SimHandleBase, counter: CycleCounter,
              log: logging.Logger | None = None) -> tuple[ApbMaster, ApbMonitor]:
    """APB master and monitor on the bare APB ports of ``dut`` (clock ``dut.clk``)."""
    master = ApbMaster(dut, dut.clk, log=log)
    monitor = ApbMonitor(dut, dut.clk, counter)
    return master, monitor
