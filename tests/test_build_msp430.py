"""MSP430 builds with clang-14 + ld.lld-14: the fr5994 port builds warning-free (-Werror) in every
variant, fits the small memory model with LEA buffers in LEA RAM and the stack in CPU SRAM; the
project-owned compiler helpers compute what Python computes; an oversized build fails clearly."""

from __future__ import annotations

import subprocess
import textwrap

import numpy as np
import pytest

from hil.build import CFLAGS, BuildError, build_firmware
from hil.firmware_paths import FIRMWARE_DIR
from hil.drivers.mspdebug_sim import MspdebugSim


@pytest.mark.parametrize("flags", [(), ("-DRT_NO_PRESERVATION",), ("-DRT_BROKEN_COMMIT",), ("-DTINAS_MICROBENCH",),
                                   ("-DTINAS_LOADER",)])
def test_fr5994_builds_and_fits(flags):
    r = build_firmware("fr5994", flags=flags)
    assert r.elf.is_file() and 0 < r.text_bytes + r.data_bytes <= r.fram_limit_bytes == 0xFF80 - 0x4000
    assert "lower FRAM" in r.memory_map()
    assert {"hal_nvm_read", "hal_nvm_write", "hal_init"} <= set(r.symbols)  # the loader has no MAC
    # datasheet memory map (SLASE54D Table 9-41): stack top at the end of CPU SRAM, LEA buffers from 0x2C00
    # up to the DSPLib LEA stack at 0x3AC8, code from 0x4000, reset vector at 0xFFFE
    assert r.symbols["__stack_top"] == 0x2C00 and r.symbols["__sram_end"] <= 0x2C00 - 0x300
    assert r.symbols["__learam_start"] == 0x2C00 and r.symbols["__learam_end"] <= 0x3AC8
    assert r.symbols["_start"] >= 0x4000
    if not flags:
        assert r.symbols["vm"] == 0x2C00  # the runtime's tile buffer is in LEA RAM, 4-byte aligned
        assert 0x2C00 <= r.symbols["lea_result"] < 0x3AC8 and r.symbols["lea_result"] % 4 == 0


def test_preservation_flags_exclude_each_other():
    with pytest.raises(BuildError, match="exclude each other"):
        build_firmware("fr5994", flags=("-DRT_NO_PRESERVATION", "-DRT_BROKEN_COMMIT"))


def test_no_preservation_build_has_no_commit_writes():
    """RT_NO_PRESERVATION drops the commit code path: the image is smaller than the default one."""
    assert build_firmware("fr5994", flags=("-DRT_NO_PRESERVATION",)).text_bytes < build_firmware("fr5994").text_bytes


def test_unknown_port():
    with pytest.raises(BuildError, match="unknown port"):
        build_firmware("esp32")


def test_code_too_large_is_refused(tmp_path):
    big = tmp_path / "big.c"
    big.write_text('__attribute__((section(".persistent"))) const unsigned char filler[48000] = {1};\n')
    with pytest.raises(BuildError, match="does not fit the MSP430 small memory model"):
        build_firmware("fr5994", flags=("-DBIG",), extra_sources=(big,))


@pytest.mark.emulator  # runs in mspdebug's simulator
def test_compiler_helpers_match_python(tmp_path):
    """mul/div/rem/shift helpers on pseudo-random values, run in the simulator, against Python."""
    rng = np.random.default_rng(11)
    a = [int(x) for x in rng.integers(-(2**31), 2**31, 24)]
    b = [int(x) or 7 for x in rng.integers(-(2**15), 2**15, 24)]
    src = tmp_path / "ops.c"
    vals = ", ".join(f"{x}L" for x in a)
    divs = ", ".join(f"{x}" for x in b)
    src.write_text(textwrap.dedent(f"""
        #include <stdint.h>
        volatile int32_t A[24] = {{{vals}}};
        volatile int16_t B[24] = {{{divs}}};
        volatile int32_t OUT[24][6];
        int main(void) {{
            for (int i = 0; i < 24; i++) {{
                int32_t x = A[i]; int16_t d = B[i]; uint8_t s = (uint8_t)(i % 31);
                OUT[i][0] = (int32_t)((uint32_t)x * (uint32_t)(int32_t)d);
                OUT[i][1] = x / d;
                OUT[i][2] = x % d;
                OUT[i][3] = (int32_t)((uint32_t)x << s);
                OUT[i][4] = x >> s;
                OUT[i][5] = (int32_t)((uint32_t)x >> s);
            }}
            return 0;
        }}
    """))
    # link the test program with the project's own startup, helpers and linker script
    fw = FIRMWARE_DIR
    objs = []
    for f in (src, fw / "toolchain" / "mspabi.c", fw / "toolchain" / "crt0.S", fw / "toolchain" / "mspabi_shift.S"):
        o = tmp_path / (f.name + ".o")
        subprocess.run(["clang-14", *CFLAGS, "-c", str(f), "-o", str(o)], check=True, capture_output=True)
        objs.append(str(o))
    elf = tmp_path / "ops.elf"
    subprocess.run(["ld.lld-14", "-T", str(fw / "toolchain" / "fr5994.ld"), "--gc-sections", *objs, "-o", str(elf)],
                   check=True, capture_output=True)
    with MspdebugSim() as sim:
        sim.prog(elf)
        sim.cmd("setbreak __halt")
        sim.cmd("reset")
        sim.run(timeout=20)
        out = sim.read(sim.sym("OUT"), 24 * 6 * 4)
    got = np.frombuffer(out, dtype="<i4").reshape(24, 6)

    def wrap(v):
        return ((v + 2**31) % 2**32) - 2**31

    for i, (x, d) in enumerate(zip(a, b)):
        s = i % 31
        q = abs(x) // abs(d) * (1 if (x < 0) == (d < 0) else -1)
        assert got[i, 0] == wrap(x * d)
        assert got[i, 1] == q and got[i, 2] == x - q * d
        assert got[i, 3] == wrap(x << s)
        assert got[i, 4] == x >> s
        assert got[i, 5] == wrap((x % 2**32) >> s)
