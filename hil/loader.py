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
from hil.serial_protocol import FrameParser, encode_frame
from hil.twin.machine import EXTFRAM_SIZE, Machine, Stop
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
    """Run the loader image (the fr5994 ELF built with -DTINAS_LOADER) on the FR5994 twin with
    ``send_blob`` (or ``send(port, blob, timeout_s)``, for tests that damage the transfer) on the other end
    of a pty; returns the external FRAM afterwards (the end-to-end test of both sides: UART frames in,
    SPI/DMA writes to the external FRAM, the CRC read back)."""
    if len(blob) > EXTFRAM_SIZE:
        raise LoadError(f"blob of {len(blob)} B exceeds the external FRAM's {EXTFRAM_SIZE} B")
    elf = build_firmware("fr5994", flags=("-DTINAS_LOADER",)).elf
    master, slave = pty.openpty()
    port = serial.Serial(os.ttyname(slave), timeout=0.05)
    os.set_blocking(master, False)
    errors: list[BaseException] = []
    host = threading.Thread(target=lambda: _guard(errors, send or send_blob, port, blob, timeout_s))
    try:
        with Machine() as m:
            m.load_elf(elf)
            m.power_on(0)
            host.start()
            deadline = time.monotonic() + timeout_s
            while True:
                out = m.run(1 << 16, raise_on_error=False)
                data, _ = m.uart_drain()
                if data:
                    os.write(master, data)
                if out.stop is Stop.ERROR:
                    raise LoadError(f"loader firmware on the twin: {m.error}")
                if out.stop is Stop.HALT:
                    break
                r, _, _ = select.select([master], [], [], 0.0 if data else 0.002)
                if r:
                    try:
                        m.uart_feed(os.read(master, 4096))
                    except BlockingIOError:
                        pass
                if errors:  # the host side gave up (e.g. no acknowledgement): its reason is the one to report
                    break
                if time.monotonic() > deadline:
                    raise LoadError("the loader did not finish (no serial input, or it never answered)")
            nvm = m.extfram.tobytes()
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
