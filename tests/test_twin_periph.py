"""The twin's peripheral models (hil/twin/csrc: lea.c, dma.c, mpy32.c, eusci.c, extfram.c), driven by the C
scenario program tests/twin_c/test_periph.c with the register sequences of the firmware contract.

Expectations are computed here, independently of the C code: NumPy for the LEA MAC (exact sum, then
saturate(2 * acc)), the user's guide's formulas for UART/SPI/DMA timing, the user's guide's worked MPY32
examples (SLAU367, chapter "32-Bit Hardware Multiplier"), and the CY15B108QI datasheet's WEL rules.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "hil" / "twin" / "csrc"
MODULES = ("lea.c", "dma.c", "mpy32.c", "eusci.c", "extfram.c")
DEVICE_TABLE = ROOT / "hil" / "twin" / "device_fr5994.toml"

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
DMA_CYCLES = 2  # UG SLAU367 DMA chapter: a byte/word transfer takes 2 MCLK cycles (the C stand-in passes 2)


@pytest.fixture(scope="module")
def periph(tmp_path_factory):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not installed")
    exe = tmp_path_factory.mktemp("twin_periph") / "test_periph"
    cmd = [gcc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{CSRC}", "-o", str(exe),
           str(ROOT / "tests" / "twin_c" / "test_periph.c"), *(str(CSRC / m) for m in MODULES)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)

    def run(*args, stdin: str | None = None) -> dict:
        out = subprocess.run([str(exe), *map(str, args)], input=stdin, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    return run


# ---------------------------------------------------------------------------------------------------- LEA
def mac_reference(a: np.ndarray, b: np.ndarray) -> int:
    """docs/fr5994-port.md / docs/q15-arithmetic.md: exact sum of int16 products, then saturate_int32(2 * acc)."""
    acc = int(np.dot(a.astype(np.int64), b.astype(np.int64)))
    return max(INT32_MIN, min(INT32_MAX, 2 * acc))


def lea_run(periph, a, b, fixed=480, per_elem=1.5, *extra):
    stdin = " ".join(str(int(v)) for v in [len(a), *a, *b])
    return periph("lea", fixed, per_elem, *extra, stdin=stdin)


def _vectors():
    rng = np.random.default_rng(20261129)
    cases = [(rng.integers(-32768, 32768, n), rng.integers(-32768, 32768, n)) for n in (2, 10, 64, 256, 900)]
    full = np.full(900, 32767)
    cases.append((full, full))                                  # positive saturation
    cases.append((np.full(900, -32768), full))                 # negative saturation
    cases.append((np.full(2, -32768), np.full(2, -32768)))     # acc = 2^31: 2 * acc saturates, acc itself fits
    cases.append((np.array([16384, 16384, 0, 0, 0, 0, 0, 0]), np.array([32767, 32767, 2, 0, 0, 0, 0, 0])))
    return cases


@pytest.mark.parametrize("case", range(len(_vectors())))
def test_lea_mac_matches_numpy_reference(periph, case):
    a, b = _vectors()[case]
    r = lea_run(periph, a, b)
    assert r["error"] == ""
    assert r["result"] == mac_reference(a, b)


def test_lea_saturation_boundary(periph):
    # acc = 2^30 - 1 -> 2^31 - 2; acc = 2^30 -> saturates to 2^31 - 1 (hand-computed)
    a = np.array([32767, 2, 0, 0]); b = np.array([32767, 32767, 1, 0])
    assert int(a @ b) == 2**30 - 1
    assert lea_run(periph, a, b)["result"] == 2**31 - 2
    a2 = np.array([32767, 2, 1, 0])
    assert int(a2 @ b) == 2**30
    assert lea_run(periph, a2, b)["result"] == INT32_MAX
    assert lea_run(periph, -a2, b)["result"] == -(2**31)  # -2^31 is representable: no clipping needed


@pytest.mark.parametrize("n,fixed,per_elem", [(4, 480, 1.5), (10, 100, 1.3), (6, 0, 1.3), (900, 516, 1.5)])
def test_lea_timing_from_config(periph, n, fixed, per_elem):
    a = np.arange(n); b = np.ones(n, dtype=int)
    r = lea_run(periph, a, b, fixed, per_elem)
    assert r["cycles"] == fixed + math.ceil(n * per_elem - 1e-9)


def test_lea_timing_from_device_table(periph):
    from hil.twin.device_table import load_device_table

    t = load_device_table(DEVICE_TABLE)
    n = 128
    r = lea_run(periph, np.ones(n, dtype=int), np.ones(n, dtype=int), t.lea_mac_cycles_fixed,
                t.lea_mac_cycles_per_elem)
    assert r["cycles"] == t.lea_mac_cycles_fixed + math.ceil(n * t.lea_mac_cycles_per_elem)


@pytest.mark.parametrize("use_iv", [False, True])
def test_lea_register_protocol(periph, use_iv):
    r = lea_run(periph, np.arange(8), np.arange(8), 480, 1.5, *(["iv"] if use_iv else []))
    assert (r["leamb"], r["leamt"]) == (0x2C00, 0x3C00)
    assert r["cnf2_init"] == 0x3C00 >> 2 and r["cnf2_after"] == 0x3C00 >> 2  # stack pointer restored
    assert r["busy_seen"] == 1 and r["active_during"] == 1                  # LEABUSY, LEA load on while running
    assert r["busy_after"] == 0 and r["active_after"] == 0
    assert r["irq_at_done"] == 1                                             # LEAIE.PMCMDIE & LEAIFG.PMCMDIFG
    assert r["irq_after_clear"] == 0 and r["ifg_after_clear"] == 0
    assert r["iv"] == (0x0A if use_iv else 0)                                # LEAIV: PMCMD complete = 0Ah


@pytest.mark.parametrize("kind,words,oor", [
    ("oor", ["outside LEA RAM", "input 1"], 1),
    ("oor_end", ["outside LEA RAM", "0x03C0F"], 1),
    ("odd", ["vector length 3", "even"], 0),
    ("cmd", ["LEA command 0x100 not modelled"], 0),
    ("twice", ["while LEA is busy"], 0),
    ("ram_busy", ["LEA RAM", "busy"], 0),
])
def test_lea_errors(periph, kind, words, oor):
    r = periph("lea_err", kind)
    assert r["stop"] == 3
    for w in words:
        assert w in r["error"]
    assert r["oorifg"] == oor


# ---------------------------------------------------------------------------------------------------- UART
def uart_byte_cycles(brw: int, brf: int, brs: int, os16: bool) -> int:
    """UG eUSCI UART baud generation: each of the 10 bits (start, 8 data, stop) lasts 16*UCBRW + UCBRF BRCLK
    cycles with oversampling (UCBRW without), plus one when that bit's UCBRS bit is set."""
    per_bit = 16 * brw + brf if os16 else brw
    return sum(per_bit + ((brs >> (i % 8)) & 1) for i in range(10))


def test_uart_tx_double_buffered_timing(periph):
    byte = uart_byte_cycles(8, 10, 0xF7, True)
    assert byte == 1389 and abs(byte - 16e6 / 115200 * 10) < 1  # 115200 baud from 16 MHz
    r = periph("uart_tx")
    assert r["error"] == "" and r["n"] == 3 and r["bytes"] == [0x41, 0x42, 0x43]
    t0 = r["t_write"][0]
    # the first byte moves to the shift register at once (UCTXIFG back to 1); the second waits in TXBUF (UCTXIFG 0)
    assert r["txifg_after_write"] == [1, 0, 0]
    # stop bits end back to back: the shift register never idles while TXBUF is full
    assert r["stamps"] == [t0 + byte, t0 + 2 * byte, t0 + 3 * byte]
    assert r["t_write"][2] >= t0 + byte  # the third write had to wait for UCTXIFG
    assert r["busy_mid"] == 1 and r["busy_end"] == 0


def test_uart_rx_and_overrun(periph):
    r = periph("uart_rx")
    assert r["error"] == ""
    assert r["b0"] == ord("x")
    assert r["first_after"] >= uart_byte_cycles(8, 10, 0xF7, True)
    # 'y' and 'z' arrive while nobody reads: UCOE set and RXBUF holds the last byte (UG overrun rule)
    assert r["overrun"] == 1 and r["b1"] == ord("z") and r["overrun_after_read"] == 0


# ---------------------------------------------------------------------------------------------------- SPI + DMA
@pytest.mark.parametrize("n,addr,brw", [(64, 0x12345, 4), (1, 0xFFFFF, 4), (300, 0xFFF00, 2), (17, 0, 8)])
def test_spi_dma_read(periph, n, addr, brw):
    r = periph("spi_read_dma", n, hex(addr), brw)
    assert r["error"] == "" and r["match"] == 1 and r["bytes_read"] == n
    # bytes back to back from the UCTXIFG edge: n * 8 * UCBRW SMCLK (= MCLK) cycles to the last RX DMA
    assert r["dma_done_after_edge"] == n * 8 * brw
    assert r["stall"] == 2 * n * DMA_CYCLES                 # one TX and one RX transfer per byte
    assert r["ctl4"] & 0x18 == 0x08                          # DMAIFG set, DMAEN cleared
    assert r["ctl3"] & 0x10 == 0
    assert r["sz4"] == n                                     # DMAxSZ reloaded with its initial value
    assert (r["sa4"], r["da4"]) == (0x062C, 0x1C00)         # SA/DA read back unchanged
    assert r["started_without_edge"] == 0                    # DMAEN with UCTXIFG already high: no edge, no start


@pytest.mark.parametrize("n", [40, 2, 3])
def test_spi_b1_dma_write(periph, n):
    r = periph("spi_b1_write_dma", n, "0xFFFF0")
    assert r["error"] == ""
    assert r["sr_after_wren"] == 0x02 and r["sr_after_write"] == 0x00  # WEL set by WREN, cleared by CS high
    assert r["match"] == 1 and r["readback"] == 1 and r["written"] == n
    # TX only: the DMA's last move (byte n-1 into TXBUF) happens when byte n-2 moves into the shift register
    assert r["dma_done_after_edge"] == (n - 2) * 32
    assert r["idle_after_edge"] == n * 32                    # UCBUSY clears when the last byte is out
    assert r["overrun_seen"] == 1                            # nobody read RXBUF during the burst


def test_contract_dma_channels_refused_with_reason(periph):
    r = periph("contract_channels")
    assert r["stop"] == 3
    assert "UCB0" in r["error"] and "channel 3" in r["error"]


def test_extfram_wel_wrap_ids(periph):
    r = periph("wel")
    assert r["error"] == ""
    assert r["kept_without_wren"] == 1 and r["refused"] == 4  # WRITE without WEL writes nothing
    assert r["sr_after_wren"] == 0x02 and r["sr_after_wrdi"] == 0x00 and r["kept_after_wrdi"] == 1
    assert (r["top"], r["wrapped"]) == (0x33, 0x44)          # the address wraps at 1 MiB during a burst
    assert r["sr_after_write"] == 0
    assert r["read_dontcare"] == 0x44                        # address bits 23:20 are don't-care
    assert r["fstrd"] == 0x33                                # FSTRD: one dummy byte after the address
    assert r["rdid"] == [0x7F] * 6 + [0xC2, 0x27, 0x08]


@pytest.mark.parametrize("k", [0, 5, 15])
def test_torn_write_at_byte_boundary(periph, k):
    r = periph("torn", 16, k, 4)
    assert r["error"] == ""
    assert r["written"] == k and r["first_old"] == k         # bytes before the cut persist, the one in flight not
    assert r["old_kept"] == 1
    assert r["sr_after_power_on"] == 0                       # WEL is cleared at power-on


# ---------------------------------------------------------------------------------------------------- DMA
def test_dma_modes(periph):
    r = periph("dma")
    assert r["error"] == ""
    assert r["copied_a"] == 1 and r["stall_a"] == 5 * DMA_CYCLES  # block of 5 words: CPU held 10 cycles
    assert r["ctl_a"] & 0x1C == 0x0C and r["sz_a"] == 5 and r["sa_a"] == 0x1C00
    assert r["irq_a"] == 1 and r["iv1"] == 2 and r["iv2"] == 0 and r["irq_after_iv"] == 0
    assert r["sz_b2"] == 1 and r["ifg_b2"] == 0                   # single transfer: one per request
    assert r["sz_b3"] == 3 and r["ctl_b3"] & 0x18 == 0x08
    assert r["b_bytes"] == [0x10, 0x11, 0x12]                     # destination decrementing
    assert r["word_c"] == 0x0013                                  # byte -> word clears the high byte
    assert r["ctl_d"] & 0x18 == 0x18                              # repeated single keeps DMAEN


@pytest.mark.parametrize("kind,word", [("burst", "burst-block"), ("level", "DMALEVEL"), ("timer", "does not model"),
                                       ("size0", "SZ = 0")])
def test_dma_errors(periph, kind, word):
    r = periph("dma_err", kind)
    assert r["stop"] == 3 and word in r["error"]


# ---------------------------------------------------------------------------------------------------- MPY32
def words(v: int, n: int = 4) -> list[int]:
    v &= (1 << (16 * n)) - 1
    return [(v >> (16 * i)) & 0xFFFF for i in range(n)]


def test_mpy32(periph):
    r = periph("mpy")
    assert r["mpy_ffff"][:2] == words(0xFFFF * 0xFFFF, 2) and r["mpy_ffff"][4:] == [0, 0]
    assert r["mpys_m2x3"][:2] == words(-6, 2) and r["mpys_m2x3"][4] == 0xFFFF
    pairs = r["macs_pairs"]
    total = sum(a * b for a, b in pairs)
    wrapped = (total + 2**31) % 2**32 - 2**31                     # 32-bit accumulator, no saturation
    assert r["macs_sum"][:2] == words(wrapped, 2)
    assert r["macs_sum"][4] == (0xFFFF if wrapped < 0 else 0)     # SUMEXT: sign of the stored result
    assert r["mac_carry"][:2] == [0, 0] and r["mac_carry"][4:] == [1, 1]  # FFFFFFFF + 1: carry
    assert r["frac_half_half"][1] == 0x2000                       # 0.5 * 0.5 = 0.25 in Q15 from RES1
    assert r["fracsat_m1m1"][:2] == [0xFFFF, 0x7FFF]              # -1 * -1 saturates to the largest Q31
    # SLAU367 worked examples (results printed in the user's guide)
    assert r["ug_fracsat"] == [0xFFFF, 0x7FFF]
    assert r["ug_mix_32"] == [0x0E97, 0xA6EA, 0x4F06, 0x000D]
    assert r["ug_mix_macs"] == [0xFFFF, 0x7FFF]
    assert r["ug_mpyc"] == [0x0000, 0x8000]
    assert r["mpy32_u"][:4] == words(0x12341234 * 0x56785678)
    assert r["mpy32_s"][:4] == words(-5) and r["mpy32_s"][4] == 0xFFFF
    assert r["stop"] == 3 and "RES3 is ready after 6" in r["error"]  # read before the UG's availability


# ---------------------------------------------------------------------------------------------------- eUSCI modes
@pytest.mark.parametrize("kind,word", [("i2c", "I2C"), ("slave", "slave"), ("uart_a1", "eUSCI_A1"),
                                       ("parity", "parity"), ("fram_mode1", "mode 1/2"), ("tx_in_reset", "held in reset"),
                                       ("reset_safe", None)])
def test_eusci_unmodelled_modes(periph, kind, word):
    r = periph("eusci_err", kind)
    if word is None:
        assert r["stop"] == 0 and r["error"] == ""
    else:
        assert r["stop"] == 3 and word in r["error"]


# ---------------------------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """tests/twin_c/periph_e2e.c built for the MSP430 and run on the twin to its halt."""
    if shutil.which("clang-14") is None or shutil.which("ld.lld-14") is None:
        pytest.skip("clang-14/ld.lld-14 not installed")
    from hil.twin.machine import Machine, Stop
    from tests.twin_progs import build_program

    tmp = tmp_path_factory.mktemp("periph_e2e")
    elf = build_program(tmp, {"periph_e2e.c": (ROOT / "tests" / "twin_c" / "periph_e2e.c").read_text()})
    m = Machine()
    m.load_elf(elf)
    m.power_on(7)
    m.extfram[:] = 0xA5
    m.set_break(m.symbol("__halt"))
    out = m.run(50_000_000)
    assert out.stop is Stop.BREAK, m.error
    yield m
    m.close()


def _sym(m, name: str, n: int) -> bytes:
    return m.read(m.symbol(name), n)


@pytest.mark.emulator
def test_e2e_lea_mac_and_timing(e2e):
    i = np.arange(200, dtype=np.int64)
    a = ((i * 331 + 7) & 0xFFFF).astype(np.uint16).astype(np.int16)
    b = ((32767 - i * 97) & 0xFFFF).astype(np.uint16).astype(np.int16)
    assert int.from_bytes(_sym(e2e, "r_mac", 4), "little", signed=True) == mac_reference(a, b)
    lea = tomllib.loads(DEVICE_TABLE.read_text())["lea"]
    hw = int.from_bytes(_sym(e2e, "r_mac_hw_cycles", 2), "little")
    expect = lea["mac_cycles_fixed"] + math.ceil(200 * lea["mac_cycles_per_elem"])
    # Timer_A0 read before the LEAPMCB write and after the poll loop that sees LEAPMCMDIFG: the LEA time plus
    # the store, the TA0R read and at most one poll iteration (a few tens of cycles)
    assert expect <= hw <= expect + 40
    # the whole DSPLib-style call, CPU overhead included, lands on TiNAS's board fit 622 + 1.5 N (within a
    # poll iteration): the device table's fixed part was chosen for that (its mac_source)
    call = int.from_bytes(_sym(e2e, "r_mac_cycles", 2), "little")
    assert abs(call - (622 + 1.5 * 200)) <= 10


@pytest.mark.emulator
def test_e2e_extfram_dma_roundtrip(e2e):
    src = bytes((k * 13 + 5) & 0xFF for k in range(100))
    addr = 0xFFFC0
    stored = bytes(e2e.extfram[addr:]) + bytes(e2e.extfram[: 100 - (0x100000 - addr)])
    assert stored == src                                     # written through DMA, wrapping at 1 MiB
    assert bytes(e2e.extfram[0x24:0x30]) == b"\xa5" * 12     # nothing past the burst
    assert _sym(e2e, "r_buf", 100) == src                    # read back through DMA
    assert _sym(e2e, "r_sr", 1) == b"\x00"                   # WEL cleared when CS rose after the WRITE
    cycles = int.from_bytes(_sym(e2e, "r_read_cycles", 2), "little")
    data = 100 * 8 * 4                                       # 100 bytes at SMCLK/4, back to back
    assert data < cycles < data + 4 * 8 * 4 + 600            # + 4 polled command bytes + CPU overhead


@pytest.mark.emulator
def test_e2e_rdid_mpy_uart(e2e):
    assert list(_sym(e2e, "r_id", 9)) == [0x7F] * 6 + [0xC2, 0x27, 0x08]
    macs = sum((k * 1000 - 4000) * (k * 300 + 11) for k in range(10))
    assert int.from_bytes(_sym(e2e, "r_macs", 4), "little", signed=True) == macs
    data, stamps = e2e.uart_drain()
    assert data == b"OK\n"
    assert list(np.diff(stamps)) == [uart_byte_cycles(8, 10, 0xF7, True)] * 2


@pytest.mark.emulator
def test_e2e_energy_ledger_sees_the_peripherals(e2e):
    """The components the models switch on draw current for as long as they work: the LEA for its modelled
    time, the DMA 2 cycles per transfer (100 written + 100 dummy + 100 read bytes), the SPI while shifting.
    The core accounts in whole instructions, so a few cycles of slack."""
    lea = tomllib.loads(DEVICE_TABLE.read_text())["lea"]
    cyc = e2e.cycles_by_load()
    lea_cycles = lea["mac_cycles_fixed"] + math.ceil(200 * lea["mac_cycles_per_elem"])
    assert lea_cycles <= cyc["lea"] <= lea_cycles + 6
    assert 300 * DMA_CYCLES <= cyc["dma"] <= 300 * DMA_CYCLES + 6
    spi_bytes = 1 + 4 + 100 + 4 + 100 + 2 + 10  # WREN, WRITE+addr, data, READ+addr, data, RDSR, RDID
    assert cyc["spi"] >= spi_bytes * 32 + 3 * uart_byte_cycles(8, 10, 0xF7, True)
    assert cyc["extfram_active"] >= spi_bytes * 32 and cyc["mpy"] > 0
