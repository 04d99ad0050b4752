"""Microbenchmarks of the cost model's primitives on a target, and the linear fits they give.

The microbenchmark image (built with -DTINAS_MICROBENCH) times NVM reads and writes and the vector MAC
across sizes and the scalar ops, and leaves its records in NVM. On the emulator (the FR5994 twin running
the fr5994 microbenchmark ELF) the cycles are the twin's MCLK cycles read from Timer_A0 by the firmware,
as on a board.
"""

from __future__ import annotations

import hashlib
import struct

import pandas as pd

from hil.build import build_firmware
from hil.calibration.linear_fit import LinearFit, fit_linear
from hil.twin.machine import Machine, Stop
from tinas.errors import TinasError
from tinas.platform import Platform, load_platform

KINDS = {1: "nvm_read", 2: "nvm_write", 3: "vmac", 4: "add", 5: "mul", 6: "div"}
FORMAT = "hil.microbench"


def predicted_cycles(kind: str, size: int, p: Platform) -> float:
    if kind == "nvm_read":
        return p.dma_read_cycles_per_command + p.dma_read_cycles_per_element * size
    if kind == "nvm_write":
        return p.dma_write_cycles_per_command + p.dma_write_cycles_per_element * size
    if kind == "vmac":
        return p.vmac_cycles_per_call + p.vmac_cycles_per_element * size
    return {"add": p.op_add_cycles, "mul": p.op_mul_cycles, "div": p.op_div_cycles}[kind] * size


def run_microbench_emulator(platform: Platform | None = None, timeout_s: float = 120.0) -> pd.DataFrame:
    """Run the microbenchmark image on the FR5994 twin and read its records from the external FRAM."""
    import time

    platform = platform or load_platform()
    build = build_firmware("fr5994", platform, flags=("-DTINAS_MICROBENCH",))
    deadline = time.monotonic() + timeout_s
    with Machine() as m:
        m.load_elf(build.elf)
        m.extfram[:] = 0
        m.power_on(0)
        while True:
            out = m.run(1 << 22, raise_on_error=False)
            if out.stop is Stop.ERROR:
                raise TinasError(f"microbenchmark firmware on the twin: {m.error}")
            if out.stop is Stop.HALT:
                if not m.pin(1, 0):
                    raise TinasError("microbenchmark firmware stopped with a fatal error")
                break
            if time.monotonic() > deadline:
                raise TinasError(f"microbenchmark firmware did not finish within {timeout_s} s")
        head = m.extfram[:8].tobytes()
        magic, n = struct.unpack_from("<HH", head)
        if magic != 0x424D:
            raise TinasError("microbenchmark results not found in NVM")
        raw = m.extfram[8: 8 + 8 * n].tobytes()
    rows = []
    fw = hashlib.sha256(build.elf.read_bytes()).hexdigest()[:16]
    for i in range(n):
        kind, size, lo, hi = struct.unpack_from("<HHHH", raw, 8 * i)
        k = KINDS.get(kind, str(kind))
        rows.append({"format": FORMAT, "version": 1, "target_kind": "emulator", "firmware_hash": fw, "kind": k,
                     "size": size, "cycles": lo | (hi << 16), "predicted_cycles": predicted_cycles(k, size, platform)})
    return pd.DataFrame(rows)


def fit_primitives(df: pd.DataFrame) -> dict[str, LinearFit | float]:
    """Linear fits (cycles = per-element·size + per-command) and per-op cycles for the scalar ops."""
    out: dict[str, LinearFit | float] = {}
    for k in ("nvm_read", "nvm_write", "vmac"):
        sub = df[df["kind"] == k]
        out[k] = fit_linear(sub["size"].to_numpy(), sub["cycles"].to_numpy(), what=f"microbenchmark {k}")
    for k in ("add", "mul", "div"):
        sub = df[df["kind"] == k]
        if len(sub):
            out[k] = float((sub["cycles"] / sub["size"]).mean())
    return out


def primitive_updates(fits: dict) -> dict[str, float]:
    """Platform-profile constants from the fits (cycles; energies are left as they are)."""
    u = {}
    for k, (cmd, el) in {"nvm_read": ("dma_read_cycles_per_command", "dma_read_cycles_per_element"),
                         "nvm_write": ("dma_write_cycles_per_command", "dma_write_cycles_per_element"),
                         "vmac": ("vmac_cycles_per_call", "vmac_cycles_per_element")}.items():
        f = fits[k]
        u[cmd], u[el] = max(f.intercept, 0.0), max(f.slope, 0.0)
    return u


