"""ctypes binding of the FR5994 twin (csrc/twin.h): load an ELF, power on/off, run, UART, external FRAM.

The C side owns all state; this class is a thin typed wrapper. The external FRAM and the main memory
are exposed as NumPy views on the C arrays (no copies), so a harness can pre-fill the model blob and
read results directly.
"""

from __future__ import annotations

import ctypes as C
import enum
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hil.twin.device_table import DeviceTable, load_device_table
from hil.twin.elf import Elf, read_elf
from hil.twin.libbuild import library_path
from tinas.errors import TinasError

ABI_VERSION = 1
NLOAD = 9
MEM_SIZE = 0x44000
EXTFRAM_SIZE = 1 << 20
LOAD_NAMES = ("cpu_active", "lpm0", "lpm3", "lea", "dma", "spi", "mpy", "extfram_active", "extfram_standby")


class Stop(enum.IntEnum):
    CYCLES = 0
    ENERGY = 1
    HALT = 2
    ERROR = 3
    BREAK = 4
    PIN = 5


class TwinError(TinasError):
    """The twin stopped on an error (unmapped address, unmodelled register, illegal instruction)."""


class _Config(C.Structure):
    _fields_ = [("abi_version", C.c_uint32), ("mclk_hz", C.c_double), ("vcc_v", C.c_double),
                ("amps", C.c_double * NLOAD), ("fram_wait_states", C.c_uint32), ("fram_cache_lines", C.c_uint32),
                ("fram_cache_line_bytes", C.c_uint32), ("lea_mac_cycles_fixed", C.c_uint32),
                ("lea_mac_cycles_per_elem", C.c_double), ("dma_cycles_per_transfer", C.c_uint32),
                ("reset_cycles", C.c_uint32)]


class _Twin(C.Structure):
    _fields_ = [("cfg", _Config), ("r", C.c_uint16 * 16), ("mem", C.POINTER(C.c_uint8)),
                ("extfram", C.POINTER(C.c_uint8)), ("cycle", C.c_uint64), ("total_cycles", C.c_uint64),
                ("instructions", C.c_uint64), ("stall_cycles", C.c_uint32), ("next_event", C.c_uint64),
                ("e_per_cycle", C.c_double), ("energy_j", C.c_double), ("energy_by_load", C.c_double * NLOAD),
                ("cycles_by_load", C.c_uint64 * NLOAD), ("active", C.c_uint8 * NLOAD), ("irq_level", C.c_uint8 * 64),
                ("irq_any", C.c_uint32), ("stop", C.c_int), ("error", C.c_char * 256), ("pout", C.c_uint8 * 10),
                ("pdir", C.c_uint8 * 10), ("watch_pins", C.c_uint32), ("uart_tx", C.c_uint8 * 65536),
                ("uart_tx_cycle", C.c_uint64 * 65536), ("uart_tx_len", C.c_uint32), ("uart_rx", C.c_uint8 * 4096),
                ("uart_rx_len", C.c_uint32), ("uart_rx_pos", C.c_uint32), ("periph", C.c_void_p * 7),
                ("breakpoints", C.c_uint32 * 8), ("n_breakpoints", C.c_uint32)]


class _RunArgs(C.Structure):
    _fields_ = [("max_cycles", C.c_uint64), ("energy_budget_j", C.c_double), ("harvest_j_per_cycle", C.c_double)]


class _RunResult(C.Structure):
    _fields_ = [("stop", C.c_int), ("cycles", C.c_uint64), ("energy_j", C.c_double)]


_LIB: C.CDLL | None = None


def _lib() -> C.CDLL:
    global _LIB
    if _LIB is None:
        lib = C.CDLL(str(library_path()))
        P = C.POINTER(_Twin)
        lib.twin_new.restype, lib.twin_new.argtypes = P, [C.POINTER(_Config)]
        lib.twin_free.argtypes = [P]
        lib.twin_load.restype, lib.twin_load.argtypes = C.c_int, [P, C.c_uint32, C.c_char_p, C.c_uint32]
        lib.twin_power_on.argtypes = [P, C.c_uint64]
        lib.twin_power_off.argtypes = [P]
        lib.twin_run.restype, lib.twin_run.argtypes = C.c_int, [P, C.POINTER(_RunArgs), C.POINTER(_RunResult)]
        lib.twin_uart_drain.restype = C.c_uint32
        lib.twin_uart_drain.argtypes = [P, C.c_char_p, C.POINTER(C.c_uint64), C.c_uint32]
        lib.twin_uart_feed.argtypes = [P, C.c_char_p, C.c_uint32]
        lib.twin_error.restype, lib.twin_error.argtypes = C.c_char_p, [P]
        lib.twin_set_break.restype, lib.twin_set_break.argtypes = C.c_int, [P, C.c_uint32]
        lib.twin_clear_breaks.argtypes = [P]
        lib.twin_x_set_idle_skip.argtypes = [P, C.c_int]
        for name in ("twin_x_pucs", "twin_x_fram_misses", "twin_x_fram_reads", "twin_x_skipped_cycles"):
            getattr(lib, name).restype, getattr(lib, name).argtypes = C.c_uint64, [P]
        lib.twin_x_mclk_hz.restype, lib.twin_x_mclk_hz.argtypes = C.c_double, [P]
        lib.twin_irq.argtypes = [P, C.c_uint, C.c_int]
        lib.twin_x_sizeof.restype = C.c_size_t
        if lib.twin_x_sizeof() != C.sizeof(_Twin):
            raise TwinError(f"twin.h layout mismatch: C says {lib.twin_x_sizeof()} B, the binding {C.sizeof(_Twin)} B")
        _LIB = lib
    return _LIB


@dataclass(frozen=True)
class RunOutcome:
    stop: Stop
    cycles: int
    energy_j: float


class Machine:
    """One emulated MSP430FR5994 with its external SPI FRAM."""

    def __init__(self, table: DeviceTable | None = None) -> None:
        self.table = table or load_device_table()
        t = self.table
        cfg = _Config(ABI_VERSION, t.mclk_hz, t.vcc_v, (C.c_double * NLOAD)(*t.amps), t.fram_wait_states,
                      t.fram_cache_lines, t.fram_cache_line_bytes, t.lea_mac_cycles_fixed, t.lea_mac_cycles_per_elem,
                      t.dma_cycles_per_transfer, t.reset_cycles)
        self._lib = _lib()
        self._p = self._lib.twin_new(C.byref(cfg))
        if not self._p:
            raise TwinError("twin_new failed (ABI version or out of memory)")
        self._t = self._p.contents
        self.mem = np.ctypeslib.as_array(self._t.mem, shape=(MEM_SIZE,))
        self.extfram = np.ctypeslib.as_array(self._t.extfram, shape=(EXTFRAM_SIZE,))
        self.elf: Elf | None = None
        self.powered = False

    def close(self) -> None:
        if self._p:
            self._lib.twin_free(self._p)
            self._p = None

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- image ---------------------------------------------------------------------------------
    def load_elf(self, path: str | Path) -> Elf:
        """Program the ELF's loadable segments into FRAM, as a flasher does."""
        elf = read_elf(path)
        for seg in elf.segments:
            if self._lib.twin_load(self._p, seg.paddr, seg.data, len(seg.data)) != 0:
                raise TwinError(f"{path}: {self._lib.twin_error(self._p).decode()}")
        self.elf = elf
        return elf

    def symbol(self, name: str) -> int:
        if self.elf is None or name not in self.elf.symbols:
            raise TwinError(f"symbol {name!r} not in the loaded ELF")
        return self.elf.symbols[name]

    # -- power ---------------------------------------------------------------------------------
    def power_on(self, seed: int) -> None:
        """BOR: SRAM and LEA RAM filled from ``seed``, peripherals reset, PC from the reset vector."""
        self._lib.twin_power_on(self._p, seed & 0xFFFFFFFFFFFFFFFF)
        self.powered = True

    def power_off(self) -> None:
        self._lib.twin_power_off(self._p)
        self.powered = False

    def run(self, max_cycles: int, energy_budget_j: float = float("inf"), harvest_j_per_cycle: float = 0.0,
            raise_on_error: bool = True) -> RunOutcome:
        args = _RunArgs(int(max_cycles), float(energy_budget_j), float(harvest_j_per_cycle))
        res = _RunResult()
        self._lib.twin_run(self._p, C.byref(args), C.byref(res))
        out = RunOutcome(Stop(res.stop), int(res.cycles), float(res.energy_j))
        if out.stop is Stop.ERROR and raise_on_error:
            raise TwinError(self.error)
        return out

    # -- state ---------------------------------------------------------------------------------
    @property
    def error(self) -> str:
        return self._lib.twin_error(self._p).decode(errors="replace")

    @property
    def regs(self) -> list[int]:
        return list(self._t.r)

    def set_reg(self, n: int, value: int) -> None:
        self._t.r[n] = value & 0xFFFF

    @property
    def cycle(self) -> int:
        return int(self._t.cycle)

    @property
    def total_cycles(self) -> int:
        return int(self._t.total_cycles)

    @property
    def instructions(self) -> int:
        return int(self._t.instructions)

    @property
    def energy_j(self) -> float:
        return float(self._t.energy_j)

    def energy_by_load(self) -> dict[str, float]:
        return {n: float(self._t.energy_by_load[i]) for i, n in enumerate(LOAD_NAMES)}

    def cycles_by_load(self) -> dict[str, int]:
        return {n: int(self._t.cycles_by_load[i]) for i, n in enumerate(LOAD_NAMES)}

    def pin(self, port: int, bit: int) -> int:
        """Output level of P<port>.<bit> (port 1..8, 9 = PJ) as the outside sees it (0 unless driven)."""
        i = port - 1
        return (self._t.pout[i] & self._t.pdir[i]) >> bit & 1

    def watch_pin(self, port: int, bit: int, on: bool = True) -> None:
        """Stop a run with ``Stop.PIN`` when P<port>.<bit>'s output level changes (ports 1..4)."""
        if not 1 <= port <= 4 or not 0 <= bit <= 7:
            raise TwinError(f"P{port}.{bit} cannot be watched (P1-P4 only)")
        mask = 1 << ((port - 1) * 8 + bit)
        self._t.watch_pins = (self._t.watch_pins | mask) if on else (self._t.watch_pins & ~mask)

    @property
    def pucs(self) -> int:
        return int(self._lib.twin_x_pucs(self._p))

    def fram_cache_stats(self) -> tuple[int, int]:
        return int(self._lib.twin_x_fram_reads(self._p)), int(self._lib.twin_x_fram_misses(self._p))

    @property
    def skipped_cycles(self) -> int:
        """Cycles of polling loops fast-forwarded to the next peripheral event (same result, less work)."""
        return int(self._lib.twin_x_skipped_cycles(self._p))

    def set_idle_skip(self, on: bool) -> None:
        self._lib.twin_x_set_idle_skip(self._p, int(on))

    def mclk_hz(self) -> float:
        return float(self._lib.twin_x_mclk_hz(self._p))

    def read(self, addr: int, n: int) -> bytes:
        return self.mem[addr:addr + n].tobytes()

    def write(self, addr: int, data: bytes) -> None:
        self.mem[addr:addr + len(data)] = np.frombuffer(data, dtype=np.uint8)

    # -- UART and breakpoints ------------------------------------------------------------------
    def uart_drain(self) -> tuple[bytes, np.ndarray]:
        n = int(self._t.uart_tx_len)
        buf = C.create_string_buffer(max(n, 1))
        cyc = (C.c_uint64 * max(n, 1))()
        got = self._lib.twin_uart_drain(self._p, buf, cyc, n)
        return buf.raw[:got], np.ctypeslib.as_array(cyc)[:got].copy()

    def uart_feed(self, data: bytes) -> None:
        self._lib.twin_uart_feed(self._p, data, len(data))

    def irq(self, vector_index: int, level: int) -> None:
        """Drive an interrupt request line as a peripheral would (vector index = (address - 0xFF80) / 2)."""
        self._lib.twin_irq(self._p, vector_index, level)

    def set_break(self, addr: int) -> None:
        if self._lib.twin_set_break(self._p, addr) != 0:
            raise TwinError("at most 8 breakpoints")

    def clear_breaks(self) -> None:
        self._lib.twin_clear_breaks(self._p)
