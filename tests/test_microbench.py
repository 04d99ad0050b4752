"""Microbenchmarks on the emulator: NVM transfers cost at least the modelled SPI/DMA cycles of the
profile (plus the CPU copy the simulator executes), and fits are linear."""

from __future__ import annotations

import pytest

from hil.microbench import fit_primitives, primitive_updates, run_microbench_emulator
from tinas.platform import load_platform

pytestmark = [pytest.mark.emulator, pytest.mark.skip(reason="the mspdebug emulator port was removed (issue 11); the FR5994 twin running the fr5994 ELF replaces this target (helper twin-core)")]


def test_microbench_fits():
    p = load_platform()
    df = run_microbench_emulator(p)
    assert set(df["kind"]) == {"nvm_read", "nvm_write", "vmac", "add", "mul", "div"}
    fits = fit_primitives(df)
    for k, el, cmd in (("nvm_read", p.dma_read_cycles_per_element, p.dma_read_cycles_per_command),
                       ("nvm_write", p.dma_write_cycles_per_element, p.dma_write_cycles_per_command)):
        assert fits[k].r2 > 0.999
        assert fits[k].slope >= el and fits[k].intercept >= cmd  # modelled DMA + executed copy
    assert fits["vmac"].slope > 50  # software MAC on the classic MSP430 core, no LEA in the simulator
    assert fits["add"] < fits["mul"] < fits["div"]
    u = primitive_updates(fits)
    assert u["vmac_cycles_per_element"] == pytest.approx(fits["vmac"].slope)
