"""Primitive costs from a platform profile, in one of two currencies: joules or seconds.

Every layer formula of the cost model is written once and evaluated twice, with ``energy`` and with
``latency`` primitives, so the two can never drift apart (except for the one quirk the original has:
BN compute latency counts 2 ADDs where its energy counts 3; see ``bn_add_count``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tinas.platform import Platform


@dataclass(frozen=True)
class Primitives:
    """Costs of the runtime's primitive operations, all in one unit (J or s)."""

    is_latency: bool
    rd_per_el: float
    rd_per_cmd: float
    wr_per_el: float
    wr_per_cmd: float
    mac_per_el: float
    mac_per_call: float
    ADD: float
    MUL: float
    DIV: float
    MAX: float
    RB: float
    index_elements: float
    ovh: dict[str, float]
    unit_divisor: float = 1.0  # the clock for latency: linear fits are in cycles, converted per call


    def rd(self, v: np.ndarray | float) -> np.ndarray | float:
        """DMA read of v Q15 elements from NVM."""
        return (self.rd_per_el * v + self.rd_per_cmd) / self.unit_divisor

    def wr(self, v: np.ndarray | float) -> np.ndarray | float:
        """DMA write of v Q15 elements to NVM."""
        return (self.wr_per_el * v + self.wr_per_cmd) / self.unit_divisor

    def mac(self, v: np.ndarray | float) -> np.ndarray | float:
        """One vector MAC (LEA) of length v."""
        return (self.mac_per_el * v + self.mac_per_call) / self.unit_divisor

    @property
    def bn_add_count(self) -> int:
        """ADDs per BN element in INT compute: 2 for latency, 3 for energy (the original's quirk)."""
        return 2 if self.is_latency else 3


@lru_cache(maxsize=64)
def primitives_of(platform: Platform) -> tuple[Primitives, Primitives]:
    """(energy, latency) primitives of a platform; latency converts cycles to seconds at the clock."""
    c = dict(platform.constants)
    clk = c["cpu_clock_hz"]

    def build(latency: bool) -> Primitives:
        def v(energy_key: str, cycles_key: str) -> float:
            return c[cycles_key] / clk if latency else c[energy_key]

        def raw(energy_key: str, cycles_key: str) -> float:
            return c[cycles_key] if latency else c[energy_key]

        add = v("op_add_energy_j", "op_add_cycles")
        mul = v("op_mul_energy_j", "op_mul_cycles")
        ovh = {k: o.adds * add + o.muls * mul for k, o in platform.overheads}
        return Primitives(
            unit_divisor=clk if latency else 1.0,
            is_latency=latency,
            rd_per_el=raw("dma_read_energy_per_element_j", "dma_read_cycles_per_element"),
            rd_per_cmd=raw("dma_read_energy_per_command_j", "dma_read_cycles_per_command"),
            wr_per_el=raw("dma_write_energy_per_element_j", "dma_write_cycles_per_element"),
            wr_per_cmd=raw("dma_write_energy_per_command_j", "dma_write_cycles_per_command"),
            mac_per_el=raw("vmac_energy_per_element_j", "vmac_cycles_per_element"),
            mac_per_call=raw("vmac_energy_per_call_j", "vmac_cycles_per_call"),
            ADD=add,
            MUL=mul,
            DIV=v("op_div_energy_j", "op_div_cycles"),
            MAX=v("op_max_energy_j", "op_max_cycles"),
            RB=c["reboot_time_s"] if latency else c["reboot_energy_j"],
            index_elements=c["index_elements"],
            ovh=ovh,
        )

    return build(False), build(True)
