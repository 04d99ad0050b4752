"""Load a model blob into a device's NVM over its serial port, through the loader firmware
(firmware/runtime/rt_loader.c): LOAD frames acknowledged one by one, then LOAD_END with the CRC-32
that the device checks by reading its NVM back."""

from __future__ import annotations

import os
import pty
import select
import struct
import threading
import time
import zlib

import serial

from hil.build import build_firmware
from hil.drivers.mspdebug_sim import MspdebugSim
from hil.serial_protocol import FrameParser, encode_frame
from hil.targets.emulator import NVM_BASE, NVM_SIZE
from tinas.errors import TinasError

LOAD, ACK, LOAD_END = 0x10, 0x11, 0x12
CHUNK = 192


class LoadError(TinasError):
    """The device did not take the blob (no answer, or its CRC check failed)."""


def _wait_ack(port: serial.Serial, parser: FrameParser, timeout_s: float) -> bytes:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for f in parser.feed(port.read(256)):
            if f.type == ACK:
                return f.payload
    raise LoadError(f"no acknowledgement from the device within {timeout_s} s")


def send_blob(port: serial.Serial, blob: bytes, timeout_s: float = 10.0) -> None:
    """Send ``blob`` to NVM address 0 and check the device's CRC verdict."""
    parser = FrameParser()
    seq = 0
    for off in range(0, len(blob), CHUNK):
        port.write(encode_frame(LOAD, seq, struct.pack("<I", off) + blob[off: off + CHUNK]))
        seq += 1
        ack = _wait_ack(port, parser, timeout_s)
        if struct.unpack_from("<I", ack)[0] != off:
            raise LoadError(f"device acknowledged offset {struct.unpack_from('<I', ack)[0]}, expected {off}")
    port.write(encode_frame(LOAD_END, seq, struct.pack("<II", len(blob), zlib.crc32(blob) & 0xFFFFFFFF)))
    ack = _wait_ack(port, parser, timeout_s)
    if len(ack) < 9 or not ack[8]:
        raise LoadError("the device's CRC-32 of the loaded blob does not match: load failed")


def load_on_emulator(blob: bytes, timeout_s: float = 60.0, send=None) -> bytes:
    """Run the loader image in the simulator with ``send_blob`` (or ``send(port, blob, timeout_s)``, for
    tests that damage the transfer) on the other end of a pty; returns the NVM window afterwards (the
    end-to-end test of both sides)."""
    if len(blob) > NVM_SIZE:
        raise LoadError(f"blob of {len(blob)} B exceeds the emulator's {NVM_SIZE} B NVM window")
    elf = build_firmware("emulator", flags=("-DTINAS_LOADER",)).elf
    master, slave = pty.openpty()
    port = serial.Serial(os.ttyname(slave), timeout=0.05)
    errors: list[BaseException] = []
    host = threading.Thread(target=lambda: _guard(errors, send or send_blob, port, blob, timeout_s))
    try:
        with MspdebugSim() as sim:
            sim.prog(elf)
            addr = {n: sim.sym(n) for n in ("hal_uart_read", "hal_uart_write", "hal_done", "hal_fatal")}
            for n in addr:
                sim.cmd(f"setbreak {n}")
            sim.cmd("reset")
            host.start()
            deadline = time.monotonic() + timeout_s
            while True:
                sim.run(timeout=max(1.0, deadline - time.monotonic()))
                regs = sim.regs()
                pc = regs["PC"]
                if pc in (addr["hal_done"], addr["hal_fatal"]):
                    break
                if pc == addr["hal_uart_write"]:
                    if regs["R13"]:
                        os.write(master, sim.read(regs["R12"], regs["R13"]))
                    n = 0
                else:  # hal_uart_read: wait for the host's bytes
                    r, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
                    if not r:
                        raise LoadError("the loader waited for serial input that never came")
                    data = os.read(master, min(regs["R13"], 256))
                    sim.write(regs["R12"], data)
                    n = len(data)
                sp = regs["SP"]
                sim.set_reg("R12", n)
                sim.set_reg("PC", struct.unpack("<H", sim.read(sp, 2))[0])
                sim.set_reg("SP", sp + 2)
            nvm = sim.read(NVM_BASE, NVM_SIZE)
    finally:
        host.join(timeout_s)
        port.close()
        os.close(master)
    if errors:
        raise errors[0]
    return nvm


def _guard(errors: list[BaseException], fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - reported to the caller's thread
        errors.append(exc)
