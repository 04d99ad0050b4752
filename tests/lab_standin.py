"""A LaunchPad stand-in for labgrid tests: what the harness sees of a board, without one.

Its UART is a pseudo-terminal (``uart_path``) that an exporter can share through ser2net. Behind it
sits a *device* that runs the firmware; today the emulator target (hil/targets/emulator.py), chosen
through the one seam ``device_factory`` so a twin of the FR5994 can take its place. The device's own
serial port is bridged to the UART, so the bytes the host reads are the firmware's.

A real board reacts to its supply and its probe; the stand-in reads the same facts from the
harness's logs: ``hil.lab.probe`` says which image is being programmed, ``hil.lab.supply`` when the
output goes on or off. With the loader image programmed it answers LOAD frames as the loader firmware
does (firmware/runtime/rt_loader.c) and keeps the blob it received; with the inference image, each
power-on runs one inference on the device under continuous power. The UART carries the device's frames
only while the board is powered and not held by the probe (a halted or unpowered MCU says nothing);
a run cut off that way finishes silently before the next one starts. ``die_after_frames`` makes it
stop after that many frames: a board that stops answering mid-run.
"""

from __future__ import annotations

import logging
import os
import pty
import select
import struct
import threading
import time
import tty
import zlib
from collections.abc import Callable
from pathlib import Path

import serial

from hil.build import build_firmware
from hil.loader import ACK, LOAD, LOAD_END
from hil.power.simple import ContinuousPower
from hil.serial_protocol import FrameParser, encode_frame


def emulator_device():
    from hil.targets.emulator import EmulatorTarget

    return EmulatorTarget()


class StandInBoard(logging.Handler):
    def __init__(self, artifact_dir: str | Path, loader_elf: Path, device_factory: Callable = emulator_device,
                 die_after_frames: int | None = None, visa: str = "", probe_id: str = "sim:-") -> None:
        """``visa`` and ``probe_id``: this board's supply address and probe (driver:serial) in the logs."""
        super().__init__(level=logging.INFO)
        self.visa, self.probe_id = visa, probe_id
        self.loader_elf = str(loader_elf)
        self.die_after_frames = die_after_frames
        self.device = device_factory()
        self.artifact_dir = artifact_dir
        self.device.load(artifact_dir)
        # the -DRT_NO_PRESERVATION image a board target flashes for the IMO reference run
        self.reference_elf = str(build_firmware("fr5994", flags=("-DRT_NO_PRESERVATION",)).elf)
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)  # no echo, no line editing, before anyone opens it
        self.uart_path = os.ttyname(self._slave)
        self._dev_port = serial.Serial(self.device.serial_port, timeout=0.05)
        self._stop = threading.Event()
        self.image = ""
        self.powered = False
        self.forwarding = False
        self.runs: list = []  # RunResult of each inference the device ran
        self.received_blob = b""
        self.frames_out = 0
        self._run_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._bridge, daemon=True),
                         threading.Thread(target=self._host_input, daemon=True)]
        for t in self._threads:
            t.start()
        self._levels = {}
        for name in ("hil.lab.supply", "hil.lab.probe"):
            lg = logging.getLogger(name)
            self._levels[name] = lg.level
            lg.setLevel(logging.INFO)
            lg.addHandler(self)

    # -- what the harness did (from its logs) ---------------------------------------------------
    def emit(self, record: logging.LogRecord) -> None:
        words = record.getMessage().split(" ")
        if record.name == "hil.lab.probe" and words[0] == self.probe_id and len(words) == 3:
            if words[1] == "programming":
                self.image, self.forwarding = "", False  # the probe halts the MCU
            elif words[1] in ("programmed", "holds"):
                self.image = words[2]
        elif record.name == "hil.lab.supply" and (not self.visa or words[0] == self.visa):
            cmd = " ".join(words[1:]).upper()
            if cmd.startswith("OUTP") or cmd.startswith(":OUTP"):
                self._power(cmd.endswith(("ON", " 1")))

    def _power(self, on: bool) -> None:
        with self._lock:
            was, self.powered = self.powered, on
            if not on:
                self.forwarding = False
            elif not was and self.image and self.image != self.loader_elf:
                self._run_thread = threading.Thread(target=self._infer, args=(self._run_thread, self.image),
                                                    daemon=True)
                self._run_thread.start()

    def _infer(self, previous: threading.Thread | None, image: str) -> None:
        if previous is not None:
            previous.join()  # a run cut off by the probe or the supply ends first, unheard
            time.sleep(0.2)  # and the bridge drops what it still had in flight
        with self._lock:
            if not self.powered or self.image != image:
                return  # switched off or reprogrammed meanwhile: this boot never happened
            self.forwarding = True
        self.device.load(self.artifact_dir, preservation=image != self.reference_elf)  # what was flashed runs
        self.runs.append(self.device.run(ContinuousPower(), timeout_s=300))

    # -- the UART ---------------------------------------------------------------------------------
    def _bridge(self) -> None:
        """Device → host, frame by frame (so a dying board stops at a frame boundary)."""
        parser = FrameParser()
        while not self._stop.is_set():
            data = self._dev_port.read(4096)
            if not data:
                continue
            for f in parser.feed(data):
                if not self.forwarding:
                    continue
                if self.die_after_frames is not None and self.frames_out >= self.die_after_frames:
                    continue
                self._write(encode_frame(f.type, f.seq, f.payload))
                self.frames_out += 1

    def _write(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except OSError:
            pass

    def _host_input(self) -> None:
        """Host → device: the loader's side of hil/loader.py's exchange (only while the loader is flashed)."""
        parser = FrameParser()
        blob = bytearray()
        while not self._stop.is_set():
            r, _, _ = select.select([self._master], [], [], 0.1)
            if not r:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                continue
            if self.image != self.loader_elf or not self.powered:
                continue  # the inference firmware does not read its UART
            for f in parser.feed(data):
                if f.type == LOAD:
                    off = struct.unpack_from("<I", f.payload)[0]
                    chunk = f.payload[4:]
                    blob[off: off + len(chunk)] = chunk
                    self._write(encode_frame(ACK, f.seq, f.payload[:4]))
                elif f.type == LOAD_END:
                    n, crc = struct.unpack_from("<II", f.payload)
                    ok = len(blob) >= n and zlib.crc32(bytes(blob[:n])) & 0xFFFFFFFF == crc
                    self.received_blob = bytes(blob[:n])
                    self._write(encode_frame(ACK, f.seq, f.payload[:8] + bytes([ok])))

    def close(self) -> None:
        self._stop.set()
        for name, level in self._levels.items():
            logging.getLogger(name).removeHandler(self)
            logging.getLogger(name).setLevel(level)
        for t in self._threads:
            t.join(2)
        if self._run_thread is not None:
            self._run_thread.join(300)
        self._dev_port.close()
        self.device.close()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
