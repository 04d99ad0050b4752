"""The host port of the firmware as a process: NVM in a file, power failures injected at an NVM write.

The runner restarts the process after each injected failure or proactive shutdown, like a power
supply coming back, and tells a completed run, an injected failure, a crash and a run that stopped
making progress apart by the exit codes of firmware/include/hal.h.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock

from hil.firmware_paths import FIRMWARE_DIR
from hil.serial_protocol import Frame, FrameParser
from tinas.errors import TinasError
from tinas.export.artifact import LoadedArtifact
from tinas.export.layout import COUNTER_FIELDS, COUNTERS, CTRL, CTRL_FIELDS, HEADER, HEADER_FIELDS, unpack

EXIT_DONE, EXIT_POWER_FAIL, EXIT_YIELD, EXIT_FATAL = 0, 3, 4, 5  # hal.h


class HostRunError(TinasError):
    """The host firmware crashed, failed fatally, or stopped making progress."""


HOST_VARIANTS = ("host", "host-broken", "host-nopres")  # firmware/Makefile targets


def build_host_firmware(broken: bool = False, variant: str | None = None) -> Path:
    """Build (incrementally) the native firmware with make; returns the executable. ``variant``: one of
    HOST_VARIANTS (``host-nopres``: RT_NO_PRESERVATION, the continuous-power baseline)."""
    target = variant or ("host-broken" if broken else "host")
    if target not in HOST_VARIANTS:
        raise TinasError(f"unknown host firmware variant {target!r}; choose from {', '.join(HOST_VARIANTS)}")
    (FIRMWARE_DIR / "build").mkdir(exist_ok=True)
    with FileLock(str(FIRMWARE_DIR / "build" / f".{target}.lock")):  # parallel test workers build once
        proc = subprocess.run(["make", "-s", "-C", str(FIRMWARE_DIR), target], capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinasError(f"host firmware build failed:\n{proc.stderr[-2000:]}")
    return FIRMWARE_DIR / "build" / target / "tinas_fw"


@dataclass
class ProcessResult:
    exit_code: int
    nvm_writes: int
    stdout: bytes
    stderr: str


@dataclass
class HostRunSummary:
    completed: bool
    output: np.ndarray
    correct: bool
    restarts: int
    injected_failures: int
    frames: list[Frame] = field(default_factory=list)
    ctrl: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0


class HostDevice:
    """One simulated device: a firmware executable and an NVM file holding one artifact."""

    def __init__(self, exe: Path, artifact: LoadedArtifact, nvm_path: Path, fill_seed: int = 1,
                 tick_clock: bool = False) -> None:
        """``tick_clock``: the firmware's clock counts its own reads (exact, hand-countable cycle counters)."""
        self.exe = exe
        self.tick_clock = tick_clock
        self.artifact = artifact
        self.nvm_path = nvm_path
        self.fill_seed = fill_seed
        self.header = unpack(HEADER, HEADER_FIELDS, artifact.blob)

    def flash(self) -> None:
        """A fresh NVM: the blob, then random bytes (so nothing can rely on zeroed memory)."""
        rng = np.random.default_rng(self.fill_seed)
        size = max(self.artifact.record.nvm_size, len(self.artifact.blob))
        data = bytearray(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        data[: len(self.artifact.blob)] = self.artifact.blob
        self.nvm_path.write_bytes(bytes(data))

    def run_once(self, fail_at_write: int | None = None, torn_bytes: int = 0, yield_mode: bool = False,
                 timeout_s: float = 60.0) -> ProcessResult:
        args = [str(self.exe), str(self.nvm_path)]
        if fail_at_write:
            args += ["--fail-at-write", str(fail_at_write), "--torn-bytes", str(torn_bytes)]
        if yield_mode:
            args.append("--yield")
        if self.tick_clock:
            args.append("--tick-clock")
        try:
            p = subprocess.run(args, capture_output=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise HostRunError(f"host firmware did not finish within {timeout_s} s (hang?)") from None
        err = p.stderr.decode(errors="replace")
        writes = 0
        for line in err.splitlines():
            if line.startswith("nvm_writes="):
                writes = int(line.split("=", 1)[1])
        return ProcessResult(p.returncode, writes, p.stdout, err)

    def ctrl(self) -> dict[str, int]:
        data = self.nvm_path.read_bytes()
        off = self.header["ctrl_off"]
        return unpack(CTRL, CTRL_FIELDS, data[off: off + CTRL.size])

    def layer_table(self) -> tuple[dict[str, int], ...]:
        """The runtime's per-layer counter entries in NVM (rt_counters.h), for layers whose LAYER-end
        frame was lost; an entry written at recovery lacks the last batch's preserve cycles."""
        data = self.nvm_path.read_bytes()
        base = self.header["ctrl_off"] + CTRL.size + 2 * COUNTERS.size
        return tuple(unpack(COUNTERS, COUNTER_FIELDS, data[base + i * COUNTERS.size: base + (i + 1) * COUNTERS.size])
                     for i in range(self.header["n_layers"]))

    def output(self) -> np.ndarray:
        data = self.nvm_path.read_bytes()
        off, n = self.header["out_off"], self.header["out_len"]
        return np.frombuffer(data[off: off + 2 * n], dtype="<i2").copy()

    def run(self, failures: list[tuple[int, int]] | None = None, yield_mode: bool = False,
            max_restarts: int = 100000) -> HostRunSummary:
        """Run to completion from a fresh NVM, injecting ``failures`` = [(k-th write, torn bytes), …]
        one per power cycle, then running on without failures."""
        t0 = time.perf_counter()
        self.flash()
        parser = FrameParser()
        frames: list[Frame] = []
        pending = list(failures or [])
        restarts = injected = 0
        last_progress = None
        stalled = 0
        while True:
            fail = pending.pop(0) if pending else None
            r = self.run_once(fail[0] if fail else None, fail[1] if fail else 0, yield_mode)
            frames += parser.feed(r.stdout)
            if r.exit_code == EXIT_DONE:
                break
            if r.exit_code == EXIT_POWER_FAIL:
                injected += 1
            elif r.exit_code == EXIT_YIELD:
                pass
            elif r.exit_code == EXIT_FATAL:
                raise HostRunError(f"firmware stopped with a fatal error: {r.stderr.strip()[-300:]}")
            else:
                raise HostRunError(f"firmware crashed (exit code {r.exit_code}): {r.stderr.strip()[-300:]}")
            restarts += 1
            c = self.ctrl()
            progress = (c["slot0_seq"], c["slot1_seq"])
            stalled = stalled + 1 if progress == last_progress and fail is None else 0
            last_progress = progress
            if stalled > 3 or restarts > max_restarts:
                raise HostRunError(f"no progress after {restarts} restarts")
        out = self.output()
        return HostRunSummary(True, out, bool(np.array_equal(out, self.artifact.expected_output)), restarts,
                              injected, frames, self.ctrl(), time.perf_counter() - t0)
