"""Microbenchmarks on the emulator (the FR5994 twin running the fr5994 microbenchmark ELF): the fits are
linear, and their slopes are what the hardware description says: a Q15 element over SPI at SMCLK/4 is
2 bytes x 8 bits x 4 = 64 MCLK cycles (UG eUSCI SPI: bit clock = SMCLK / UCBRW); the LEA MAC costs about
1.5 cycles per element (TiNAS board fit, the device table's source)."""

from __future__ import annotations

import numpy as np
import pytest

from hil.microbench import fit_primitives, primitive_updates, run_microbench_emulator
from tests.twin_known import xfail_on_port_dma_problem
from tinas.platform import load_platform

pytestmark = pytest.mark.emulator


def test_microbench_fits():
    p = load_platform()
    with xfail_on_port_dma_problem():
        df = run_microbench_emulator(p)
    assert set(df["kind"]) == {"nvm_read", "nvm_write", "vmac", "add", "mul", "div"}
    fits = fit_primitives(df)
    for k in ("nvm_read", "nvm_write"):
        assert fits[k].r2 > 0.999
        assert 64 <= fits[k].slope < 64 * 1.15, fits[k]   # SPI bit time + DMA cycles + loop overhead
        assert fits[k].intercept > 5 * 32                 # command + 3 address bytes at least
    # the port runs short vectors on MPY32 and long ones on LEA: the LEA part alone is ~1.5 cycles/element
    lea = df[(df["kind"] == "vmac") & (df["size"] >= 16)]
    slope = np.polyfit(lea["size"], lea["cycles"], 1)[0]
    assert len(lea) >= 3 and 1.0 <= slope <= 3.0
    assert fits["add"] < fits["mul"] < fits["div"]
    u = primitive_updates(fits)
    assert u["vmac_cycles_per_element"] == pytest.approx(fits["vmac"].slope)
