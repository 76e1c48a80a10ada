"""cocotb driver of tb/top/top_harness.v: commands, file exchange, front-door and backdoor loads.

The HDL harness runs APB programs and whole batches of inferences on its own and records the
trace port and the result registers into files in the simulator's working directory; this
driver writes the input files, issues a command (toggle handshake on ``h_go``/``h_ack``) and
parses what the harness wrote. Python therefore wakes up once per command, not once per clock
cycle: the harness generates its own clock (no cocotb Clock at all).

Result registers read by the harness after every inference (docs/architecture.md §6), in order:
STATUS, CLASS, LOGIT[0..15], CNT_CYCLES, CNT_WREADS, CNT_MACS, CNT_SKIPS, CNT_LOAD.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from cocotb.handle import SimHandleBase
from cocotb.triggers import ClockCycles, RisingEdge, ValueChange

from golden.hwimage import HwImage
from golden.regmap import ADDR_BIAS
from tb.common import get_logger
from tb.regress import RESULT_COLS, RtlBatch, batch_from_rows
from tb.sram_bench import backdoor_write

LOG = get_logger("top")

CMD_PROG, CMD_RUN = 1, 2
VMODES = {"full": 0, "random": 1, "bursty": 2, "stalls": 3}
IN_DEPTH = 65536              # top_harness IN_DEPTH (bytes per RUN command)
PROG_DEPTH = 16384            # top_harness PROG_DEPTH (transfers per PROG command)
PROGRESS_EVERY = 100          # large batches: one RUN command (and a progress line) per 100
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_lines(values: np.ndarray, digits: int) -> bytes:
    """Unsigned integers (< 16**digits) as lowercase hex, one per line (fast, vectorised)."""
    v = np.asarray(values, dtype=np.uint64).reshape(-1)
    out = np.empty((v.size, digits + 1), dtype=np.uint8)
    for d in range(digits):
        shift = np.uint64(4 * (digits - 1 - d))
        out[:, d] = _HEX[((v >> shift) & np.uint64(15)).astype(np.intp)]
    out[:, digits] = ord("\n")
    return out.tobytes()


class _Tail:
    """Reads what a file gained since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def restart(self) -> None:
        """The harness rewrites the file from the start (every command)."""
        self.offset = 0

    def read(self) -> str:
        if not self.path.exists():
            return ""
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        return data.decode()

    def read_ints(self, cols: int) -> np.ndarray:
        text = self.read()
        if not text.strip():
            return np.zeros((0, cols), dtype=np.int64)
        arr = np.fromstring(text, dtype=np.int64, sep=" ")   # text mode: fast, not deprecated
        return arr.reshape(-1, cols)


class Harness:
    """Driver of ``top_harness`` (the cocotb toplevel ``dut``)."""

    def __init__(self, dut: SimHandleBase, workdir: Path | None = None) -> None:
        self.dut = dut
        self.top = dut.u_top
        self.dir = Path(workdir or os.getcwd())
        for name in ("psel", "penable", "pwrite", "paddr", "pwdata", "in_valid", "in_data",
                     "h_go", "h_cmd", "h_count", "h_nbytes", "h_timeout", "h_vmode", "h_vprob",
                     "h_seed", "h_ext_stream", "h_stuck_en", "h_stuck_from"):
            getattr(dut, name).value = 0
        dut.rst_n.value = 1
        dut.h_rst_n.value = 1
        self._go = 0
        self._trace = _Tail(self.dir / "harness_trace.txt")
        self._results = _Tail(self.dir / "harness_results.txt")
        self._reads = _Tail(self.dir / "harness_reads.txt")
        self.commands = 0

    # -- reset and commands ----------------------------------------------------------------

    async def reset(self, cycles: int = 3) -> None:
        """Reset core and harness together (synchronous, active low)."""
        self.dut.rst_n.value = 0
        self.dut.h_rst_n.value = 0
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst_n.value = 1
        self.dut.h_rst_n.value = 1
        await RisingEdge(self.dut.clk)
        self._go = int(self.dut.h_ack.value)
        self._drain()

    def _drain(self) -> None:
        """Skip file contents written before now."""
        self._trace.read()
        self._results.read()
        self._reads.read()

    @property
    def cycle(self) -> int:
        """Absolute cycle number of the harness (edges since time 0)."""
        return int(self.dut.h_cycle.value)

    async def _command(self, cmd: int, **fields: int) -> None:
        for name, value in fields.items():
            getattr(self.dut, name).value = int(value)
        self.dut.h_cmd.value = cmd
        for tail in (self._trace, self._results, self._reads):
            tail.restart()
        self._go ^= 1
        self.dut.h_go.value = self._go
        while int(self.dut.h_ack.value) != self._go:
            await ValueChange(self.dut.h_ack)
        self.commands += 1

    async def program(self, ops: list[tuple[int, int, int]]) -> np.ndarray:
        """Run APB transfers (op 1 write / 0 read, address, data) through the harness master.

        Returns (n, 5) rows: index, write, address, data (read data for reads), pslverr.
        """
        out = []
        for lo in range(0, len(ops), PROG_DEPTH):
            chunk = np.array(ops[lo:lo + PROG_DEPTH], dtype=np.uint64).reshape(-1, 3)
            words = (chunk[:, 0] << np.uint64(48)) | ((chunk[:, 1] & np.uint64(0xFFFF))
                                                      << np.uint64(32)) | \
                (chunk[:, 2] & np.uint64(0xFFFF_FFFF))
            (self.dir / "harness_prog.hex").write_bytes(_hex_lines(words, 13))
            await self._command(CMD_PROG, h_count=len(chunk))
            rows = self._reads.read_ints(5)
            stray = self._trace.read_ints(5)
            if len(stray):
                raise AssertionError(f"trace events while the core was idle (APB programming): "
                                     f"first {stray[0, 1:].tolist()} (abs cycle, layer, index, "
                                     f"value)")
            if len(rows) != len(chunk):
                raise RuntimeError(f"harness: {len(rows)} APB results for {len(chunk)} transfers")
            out.append(rows)
        return np.concatenate(out) if out else np.zeros((0, 5), dtype=np.int64)

    async def apb_writes(self, writes: list[tuple[int, int]]) -> None:
        """Front-door writes that must all succeed (no pslverr)."""
        rows = await self.program([(1, a, d & 0xFFFF_FFFF) for a, d in writes])
        bad = rows[rows[:, 4] != 0]
        if len(bad):
            a = int(bad[0, 2])
            raise AssertionError(f"APB write 0x{a:04x} answered pslverr ({len(bad)} refused)")

    async def apb_reads(self, addrs: list[int]) -> np.ndarray:
        """Front-door reads; returns (n, 2) rows of (data, pslverr)."""
        rows = await self.program([(0, a, 0) for a in addrs])
        return rows[:, 3:5]

    # -- loading a bundle ------------------------------------------------------------------

    async def load(self, img: HwImage, mode: str = "front") -> None:
        """Load an image: ``front`` = every APB write of ``img.apb_writes()`` through the port;
        ``backdoor`` = descriptors and NUM_LAYERS through APB, the three memories deposited
        directly into the behavioural SRAM arrays (bulk speed)."""
        if mode == "front":
            await self.apb_writes(img.apb_writes())
            return
        if mode != "backdoor":
            raise ValueError(f"unknown load mode {mode!r}")
        # registers and descriptors (everything below the first memory window) over APB
        await self.apb_writes([op for op in img.apb_writes() if op[0] < ADDR_BIAS])
        for w, word in enumerate(img.wmem):
            backdoor_write(self.top.u_wmem, w, int(word) & ((1 << 64) - 1))
        for g, (b, t) in enumerate(zip(img.bias, img.theta)):
            backdoor_write(self.top.u_bmem, g, sum((int(v) & 0xFFFF_FFFF) << (32 * m)
                                                   for m, v in enumerate(b)))
            backdoor_write(self.top.u_tmem, g, sum((int(v) & 0xFFFF) << (16 * m)
                                                   for m, v in enumerate(t)))
        await RisingEdge(self.dut.clk)

    # -- running inferences ----------------------------------------------------------------

    def max_batch(self, nbytes: int) -> int:
        """Inferences per RUN command for inputs of ``nbytes`` bytes."""
        return max(1, IN_DEPTH // nbytes)

    async def run(self, x: np.ndarray, *, vmode: str = "full", vprob: int = 180,
                  seed: int = 1, timeout: int = 100_000, stuck_from: int | None = None,
                  ext_stream: bool = False, label: str = "") -> RtlBatch:
        """Run every input of x (N, C0, L0) uint8 on the loaded bundle; returns the RTL results.

        ``vmode``/``vprob``/``seed`` choose the valid gaps; ``timeout`` bounds the load and the
        compute of each inference (cycles); ``stuck_from`` injects the stuck-valid fault;
        ``ext_stream`` leaves the input stream to the in_valid/in_data ports (cocotb drivers).
        """
        x = np.asarray(x, dtype=np.uint8)
        n, nbytes = x.shape[0], int(x.shape[1] * x.shape[2])
        per = self.max_batch(nbytes)
        if n > PROGRESS_EVERY:
            per = min(per, PROGRESS_EVERY)
        parts_ev: list[np.ndarray] = []
        parts_res: list[np.ndarray] = []
        lfsr = seed & 0xFFFF_FFFF
        for lo in range(0, n, per):
            chunk = x[lo:lo + per]
            if not ext_stream:
                (self.dir / "harness_in.hex").write_bytes(_hex_lines(chunk.reshape(-1), 2))
            await self._command(
                CMD_RUN, h_count=len(chunk), h_nbytes=nbytes, h_timeout=timeout,
                h_vmode=VMODES[vmode], h_vprob=vprob, h_seed=lfsr,
                h_ext_stream=int(ext_stream), h_stuck_en=int(stuck_from is not None),
                h_stuck_from=stuck_from or 0)
            ev = self._trace.read_ints(5)
            res = self._results.read_ints(len(RESULT_COLS))
            if len(res) != len(chunk):
                raise RuntimeError(f"harness: {len(res)} result lines for {len(chunk)} inputs")
            ev[:, 0] += lo
            res[:, 0] += lo
            parts_ev.append(ev)
            parts_res.append(res)
            lfsr = self._lfsr()
            if n > PROGRESS_EVERY and (n <= 10 * PROGRESS_EVERY or (lo + len(chunk)) % 1000 == 0):
                LOG.info("  %s%d/%d inputs simulated", f"{label}: " if label else "",
                         lo + len(chunk), n)
        ev = np.concatenate(parts_ev) if parts_ev else np.zeros((0, 5), np.int64)
        res = np.concatenate(parts_res) if parts_res else np.zeros((0, len(RESULT_COLS)),
                                                                    np.int64)
        return batch_from_rows(ev, res, n)

    def _lfsr(self) -> int:
        """Current LFSR state (continues the valid pattern across RUN commands)."""
        v = int(self.dut.lfsr_q.value)
        return v or 1
