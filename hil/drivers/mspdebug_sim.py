"""Driver for ``mspdebug --embedded sim``: one simulator process, commands with the resend rule.

mspdebug 0.22 prints ``\\ready`` a moment before its reader thread listens, so a command sent at once can
be lost. Every command is therefore sent 50 µs after ``\\ready`` and sent again
if no ``\\busy`` follows within 250 ms. A ``run`` that exceeds its wall-clock limit is interrupted with
``\\break`` and reported as a timeout.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tinas.errors import TinasError

SRAM_START, SRAM_SIZE = 0x1C00, 0x2000


class SimulatorError(TinasError):
    """mspdebug is missing, refused a command, or did not answer in time."""


class SimulatorTimeout(SimulatorError):
    pass


class MspdebugSim:
    """An open simulator session. Use as a context manager; ``close()`` always ends the process."""

    def __init__(self, exe: str = "mspdebug") -> None:
        path = shutil.which(exe)
        if path is None:
            raise SimulatorError(f"'{exe}' not found: install it with 'apt-get install mspdebug' (or run bash scripts/setup.sh)")
        self.proc = subprocess.Popen([path, "--embedded", "-n", "-q", "sim"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        self._buf = b""
        self._tmp = Path(tempfile.mkdtemp(prefix="mspsim-"))
        self.resends = 0
        self._wait_for(b"\\ready", 10.0)

    # -- low level ------------------------------------------------------------------------------
    def _readline(self, deadline: float) -> bytes | None:
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise SimulatorError("mspdebug exited unexpectedly")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def _wait_for(self, token: bytes, timeout: float) -> list[bytes]:
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            line = self._readline(deadline)
            if line is None:
                raise SimulatorTimeout(f"mspdebug did not answer within {timeout} s")
            if line == token:
                return lines
            lines.append(line)

    def _send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def cmd(self, text: str, timeout: float = 30.0, check: bool = True) -> list[str]:
        """Run one command; returns its normal output lines (sigil removed). ``!`` lines raise."""
        time.sleep(50e-6)
        self._send(":" + text)
        deadline = time.monotonic() + 0.25
        pre: list[bytes] = []
        while True:
            line = self._readline(deadline)
            if line is None:  # lost: resend (safe, see module docstring)
                self.resends += 1
                self._send(":" + text)
                deadline = time.monotonic() + 0.25
                continue
            if line == b"\\busy":
                break
            pre.append(line)
        try:
            lines = pre + self._wait_for(b"\\ready", timeout)
        except SimulatorTimeout:
            self._send("\\break")
            try:
                self._wait_for(b"\\ready", 5.0)
            except SimulatorTimeout:
                self.close()
                raise SimulatorTimeout(f"simulator hung on '{text}' and did not stop on \\break") from None
            raise SimulatorTimeout(f"'{text}' did not finish within {timeout} s (simulator interrupted)") from None
        errors = [l[1:].decode(errors="replace") for l in lines if l.startswith(b"!")]
        if errors and check:
            raise SimulatorError(f"mspdebug: '{text}': {'; '.join(errors)}")
        return [l[1:].decode(errors="replace") for l in lines if l.startswith(b":")]

    # -- commands -------------------------------------------------------------------------------
    def prog(self, elf: str | Path) -> None:
        p = Path(elf)
        if not p.is_file():
            raise SimulatorError(f"ELF file {p} does not exist")
        self.cmd(f"prog {p}")

    def sym(self, name: str) -> int:
        out = self.cmd(f"= {name}")
        m = re.match(r"\s*0x([0-9a-fA-F]+)", out[0]) if out else None
        if not m:
            raise SimulatorError(f"symbol {name} not found")
        return int(m.group(1), 16)

    def read(self, addr: int, n: int) -> bytes:
        """Read memory. Small reads use ``md``; bulk reads use ``save_raw``, which in mspdebug 0.22's
        simulator clears the status register as a side effect, so SR is put back afterwards."""
        if n <= 256:
            out = bytearray()
            for line in self.cmd(f"md 0x{addr:x} {n}"):
                m = re.match(r"\s*[0-9a-fA-F]+:\s((?:[0-9a-fA-F]{2}\s)+)", line)
                if m:
                    out += bytes.fromhex(m.group(1).replace(" ", ""))
            return bytes(out[:n])
        sr = self.regs()["SR"]
        f = self._tmp / "r.bin"
        self.cmd(f"save_raw 0x{addr:x} 0x{n:x} {f}")
        self.set_reg("SR", sr)
        return f.read_bytes()

    def write(self, addr: int, data: bytes) -> None:
        """Write memory: ``mw`` for small writes; bulk writes use ``load_raw``, which in mspdebug 0.22's
        simulator disturbs the CPU registers, so all of them are saved and put back."""
        if len(data) <= 128:
            for i in range(0, len(data), 64):
                part = data[i: i + 64]
                self.cmd(f"mw 0x{addr + i:x} " + " ".join(f"0x{b:02x}" for b in part))
            return
        regs = self.regs()
        f = self._tmp / "w.bin"
        f.write_bytes(data)
        self.cmd(f"load_raw {f} 0x{addr:x}")
        after = self.regs()
        for name, value in regs.items():
            if after.get(name) != value and name != "R3":
                self.set_reg(name, value)

    def regs(self) -> dict[str, int]:
        out = " ".join(self.cmd("regs"))
        return {k.strip(): int(v, 16) for k, v in re.findall(r"\(\s*(\w+):\s*([0-9a-fA-F]+)\)", out)}

    def set_reg(self, name: str, value: int) -> None:
        self.cmd(f"set {name} 0x{value & 0xFFFF:x}")

    def counters(self) -> tuple[int, int]:
        """(instructions, MCLK cycles) from the tracer device."""
        out = "\n".join(self.cmd("simio info tr"))
        ins = re.search(r"Instruction count:\s*(\d+)", out)
        clk = re.search(r"MCLK:\s*(\d+)", out)
        if not ins or not clk:
            raise SimulatorError("tracer counters not found (was 'simio add tracer tr' run?)")
        return int(ins.group(1)), int(clk.group(1))

    def run(self, timeout: float) -> int:
        """Run to a breakpoint; returns the PC where it stopped."""
        self.cmd("run", timeout=timeout)
        return self.regs()["PC"]

    def step(self, n: int) -> None:
        self.cmd(f"step {n}", timeout=120.0)

    def power_fail(self, pattern: bytes) -> None:
        """Reset the CPU and wipe SRAM with ``pattern`` (FRAM and the NVM window are kept)."""
        self.cmd("reset")
        self.write(SRAM_START, (pattern * (SRAM_SIZE // len(pattern) + 1))[:SRAM_SIZE])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send(":exit")
                self.proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> MspdebugSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
