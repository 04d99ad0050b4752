"""Flashing with ``mspdebug`` in batch mode: program, verify, reset, read memory.

Drivers: ``tilib`` (FR-series LaunchPads; needs TI's libmsp430.so, detected before anything runs),
``ezfet`` and ``sim`` (tests). Every call has a timeout and bounded retries; the FET firmware is never
updated (``--allow-fw-update`` is never passed); the hash of the last image programmed on each probe is
remembered, so an unchanged image is not flashed again. A probe on another lab host is reached by
putting a command prefix (labgrid's ssh prefix) before ``mspdebug``; see hil/lab/flash_driver.py.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock

from tinas.errors import TinasError
from tinas.records import atomic_write_text

DRIVERS = ("tilib", "ezfet", "sim")
STATE_DIR = Path(os.environ.get("TINAS_HIL_STATE", Path.home() / ".cache" / "tinas-hil"))


class FlashError(TinasError):
    """mspdebug is missing, the probe does not answer, or programming failed."""


def tilib_available() -> bool:
    dirs = ["/usr/lib", "/usr/local/lib", *[d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]]
    return ctypes.util.find_library("msp430") is not None or any(Path(d, "libmsp430.so").is_file() for d in dirs)


class Mspdebug:
    """``mspdebug DRIVER [-s SERIAL]`` in batch mode, on this host or behind ``prefix`` (e.g. ssh)."""

    def __init__(self, driver: str = "tilib", serial: str | None = None, prefix: Sequence[str] = (),
                 exe: str = "mspdebug", timeout_s: float = 60.0, retries: int = 2) -> None:
        if driver not in DRIVERS:
            raise FlashError(f"unknown mspdebug driver {driver!r}; use one of {', '.join(DRIVERS)}")
        self.prefix = list(prefix)
        self.exe = exe if self.prefix else shutil.which(exe)  # a remote host finds it on its own PATH
        if self.exe is None:
            raise FlashError(f"'{exe}' not found: apt-get install mspdebug (bash scripts/setup.sh does)")
        if driver == "tilib" and not self.prefix and not tilib_available():
            raise FlashError("driver 'tilib' needs TI's libmsp430.so (MSP Debug Stack), which is not installed; "
                             "install it from TI and put it on LD_LIBRARY_PATH, or use driver 'ezfet'")
        self.driver, self.serial = driver, serial
        self.timeout_s = timeout_s
        self.retries = retries
        self.transcript: list[str] = []  # stdout of every call, for the run's log

    def _run(self, *commands: str) -> str:
        args = [self.exe, "-n", "-q", self.driver]
        if self.serial and self.driver != "sim":
            args[3:3] = ["-s", self.serial]
        args = self.prefix + args + list(commands)
        last = ""
        for attempt in range(self.retries + 1):
            try:
                p = subprocess.run(args, capture_output=True, text=True, timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                last = f"no answer within {self.timeout_s} s"
            else:
                if p.returncode == 0:
                    self.transcript.append(f"$ mspdebug {self.driver} {' '.join(commands)}\n{p.stdout}")
                    return p.stdout
                last = (p.stderr or p.stdout).strip()[-500:]
                if "No such file" in last or "can't open" in last.lower():
                    break  # not worth retrying
            time.sleep(0.5 * (attempt + 1))
        raise FlashError(f"mspdebug {self.driver} failed after {self.retries + 1} attempts: {last}")

    def program(self, elf: str | Path, force: bool = False, remote_path: str | None = None) -> bool:
        """Program and verify ``elf``; returns False if the same image was already on this probe.
        ``remote_path``: where the image lies on the probe's host when mspdebug runs there."""
        p = Path(elf)
        if not p.is_file():
            raise FlashError(f"image {p} does not exist")
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        key = f"{self.driver}:{self.serial or 'default'}"
        state = STATE_DIR / "flashed.json"
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        with FileLock(str(state) + ".lock"):
            known = json.loads(state.read_text()) if state.is_file() else {}
            if not force and known.get(key) == digest and self.driver != "sim":
                return False
            image = remote_path or str(p)
            self._run(f"prog {image}", f"verify {image}")
            known[key] = digest
            atomic_write_text(state, json.dumps(known, indent=1))
        return True

    def reset(self) -> None:
        self._run("reset")

    def read_memory(self, addr: int, n: int, elf: str | Path | None = None) -> bytes:
        """Read ``n`` bytes at ``addr`` (on ``sim``, program ``elf`` first: each call is a new process)."""
        cmds = ([f"prog {elf}"] if elf else []) + [f"md 0x{addr:x} {n}"]
        out = self._run(*cmds)
        data = bytearray()
        for line in out.splitlines():  # "    0fffe: 00 40                 |.@|"
            head, sep, rest = line.partition(":")
            if sep and "|" in rest and all(c in "0123456789abcdefABCDEF" for c in head.strip()):
                data += bytes.fromhex("".join(rest.split("|")[0].split()))
        return bytes(data[:n])
