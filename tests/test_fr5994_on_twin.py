"""The fr5994 ELF on the FR5994 twin (hil/twin): bit-exact against the
Python reference on every MAC path of the port (MPY32 for short vectors, LEA on the tile buffer, LEA on
padded copies for odd lengths), with full-scale values that saturate the LEA's Q31 result, on a whole
network under continuous power and brown-outs at random cycles, on a published TiNAS shape in both power
regimes, and in the RT_NO_PRESERVATION build. Skipped where the twin is not built into the tree."""

from __future__ import annotations

import numpy as np
import pytest

from tinas.export.layout import HEADER, HEADER_FIELDS, unpack
from tinas.export.writer import build_blob, place
from tinas.network import LayerDesign
from tinas.quant.graph import QLayer
from tinas.quant.quantize import QModel
from tinas.quant.reference import run
from tests.test_vmac_saturation import crafted_model

machine_mod = pytest.importorskip("hil.twin.machine", reason="the FR5994 twin is not in this tree")
from hil.build import build_firmware  # noqa: E402
from hil.twin.device_table import load_device_table  # noqa: E402

Machine, Stop = machine_mod.Machine, machine_mod.Stop


def run_blob(blob: bytes, out_len: int, flags: tuple[str, ...] = ()) -> np.ndarray:
    """Boot the ELF once on a fresh twin with the blob in its external FRAM; the final layer's output."""
    hdr = unpack(HEADER, HEADER_FIELDS, blob)
    with Machine(load_device_table()) as m:
        m.load_elf(build_firmware("fr5994", flags=flags).elf)
        fill = np.random.default_rng(0).integers(0, 256, len(m.extfram), dtype=np.uint8)
        fill[: len(blob)] = np.frombuffer(blob, dtype=np.uint8)
        m.extfram[:] = fill
        m.power_on(1)
        out = m.run(1 << 28, raise_on_error=False)
        assert out.stop is Stop.HALT, m.error
        assert m.pin(1, 0), "DONE (P1.0) not raised"
        nvm = m.extfram.tobytes()
    return np.frombuffer(nvm[hdr["out_off"]: hdr["out_off"] + 2 * out_len], dtype="<i2")


def single_layer(kind: str, in_c: int, tn: int, k: int, seed: int = 0) -> tuple[QModel, np.ndarray]:
    rng = np.random.default_rng(seed)
    h = w = 4
    out_c = in_c if kind == "DW" else 4
    ql = QLayer(name="l", covers=("l",), kind=kind, in_idx=-1, in2_idx=-1, in_c=in_c, in_h=h, in_w=w, out_c=out_c,
                out_h=h, out_w=w, kh=k, kw=k, pad=k // 2,
                design=LayerDesign(Tr=2, Tc=4, Tm=out_c, Tn=tn, order="reuse_O"))
    ql.w_q = rng.integers(-3000, 3000, (k, k, out_c) if kind == "DW" else (k, k, out_c, in_c)).astype(np.int16)
    ql.b_q = rng.integers(-1000, 1000, out_c)
    ql.shift = 9
    return QModel([ql], (h, w, in_c)), rng.integers(-3000, 3000, (h, w, in_c)).astype(np.int16)


@pytest.mark.parametrize(("kind", "in_c", "tn", "k"), [
    ("DW", 4, 4, 3),      # length-1 MACs: MPY32
    ("CONV", 3, 3, 3),    # MPY32 (first-layer shape)
    ("CONV", 16, 16, 1),  # LEA on the tile buffer
    ("CONV", 24, 12, 3),  # LEA, two slices
    ("CONV", 13, 13, 1),  # odd: LEA on padded copies
    ("CONV", 25, 11, 1),  # odd slices 11, 11 and a 3-long MPY32 tail
])
def test_every_mac_path_bit_exact(kind, in_c, tn, k):
    qm, x = single_layer(kind, in_c, tn, k)
    want = run(qm, x)[-1].reshape(-1)
    got = run_blob(build_blob(qm, place(qm), x, proactive=False), want.size)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("tn", [12, 11, 6])  # LEA direct, LEA padded, MPY32
def test_saturating_macs_bit_exact(tn):
    qm, x = crafted_model(tn, c=12)
    want = run(qm, x)[-1].reshape(-1)
    got = run_blob(build_blob(qm, place(qm), x, proactive=False), want.size)
    assert np.array_equal(got, want)


@pytest.fixture(scope="module")
def small_artifact(tmp_path_factory):
    from tests.fw_models import IMAGE_BLOCKS, make_artifact
    return make_artifact(tmp_path_factory.mktemp("twin") / "a", dataset="DIGITS", width=0.5, resolution=8,
                         blocks=IMAGE_BLOCKS, proactive=False)


def test_network_continuous_and_brownouts(small_artifact):
    from hil.power.simple import ContinuousPower, FixedBudgetPower
    from hil.targets.emulator import EmulatorTarget
    rng = np.random.default_rng(7)
    with EmulatorTarget(seed=5) as t:
        t.load(small_artifact.directory)
        r = t.run(ContinuousPower())
        assert r.output_correct and r.power_cycles == 1
        for _ in range(3):  # power fails at random cycles; every budget exceeds the largest tile
            r = t.run(FixedBudgetPower([int(b) for b in rng.integers(1_500_000, 4_000_000, 40)]))
            assert r.output_correct and r.power_cycles > 1


@pytest.mark.slow
def test_published_shape_both_regimes_and_baseline(tmp_path):
    from pathlib import Path

    from hil.power.simple import ContinuousPower
    from hil.targets.emulator import EmulatorTarget
    from tinas.export.published import export_published
    src = Path(__file__).parent / "data" / "tinas-solutions" / "TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json"
    export_published(src, 1, tmp_path / "a")
    with EmulatorTarget(seed=3) as t:
        t.load(tmp_path / "a")
        assert t.run(ContinuousPower()).output_correct
        r = t.run(ContinuousPower(), proactive=True)
        assert r.output_correct and r.power_cycles > 40
    with EmulatorTarget(seed=3, flags=("-DRT_NO_PRESERVATION",)) as t:
        t.load(tmp_path / "a")
        assert t.run(ContinuousPower()).output_correct


def test_mpy32_compiler_helpers_on_the_twin(tmp_path):
    """The port's MPY32 multiplication helpers (ports/fr5994/mspabi_mpy32.c) against Python's products,
    on pseudo-random operands incl. the extremes; run on the twin, whose MPY32 checks result timing."""
    import subprocess
    import textwrap

    from hil.build import CFLAGS
    from hil.firmware_paths import FIRMWARE_DIR

    rng = np.random.default_rng(12)
    a = [int(x) for x in rng.integers(0, 2**32, 30)] + [0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0]
    b = [int(x) for x in rng.integers(0, 2**32, 30)] + [0xFFFFFFFF, 0x80000000, 3, 0xFFFF]
    src = tmp_path / "mul.c"
    src.write_text(textwrap.dedent(f"""
        #include <stdint.h>
        volatile uint32_t A[{len(a)}] = {{{", ".join(f"{x}UL" for x in a)}}};
        volatile uint32_t B[{len(b)}] = {{{", ".join(f"{x}UL" for x in b)}}};
        volatile uint32_t P32[{len(a)}];
        volatile uint16_t P16[{len(a)}];
        int main(void) {{
            for (int i = 0; i < {len(a)}; i++) {{
                P32[i] = A[i] * B[i];
                P16[i] = (uint16_t)((uint16_t)A[i] * (uint16_t)B[i]);
            }}
            return 0;
        }}
    """))
    fw = FIRMWARE_DIR
    objs = []
    for f in (src, fw / "ports" / "fr5994" / "mspabi_mpy32.c", fw / "toolchain" / "mspabi.c",
              fw / "toolchain" / "crt0.S", fw / "toolchain" / "mspabi_shift.S"):
        o = tmp_path / (f.name + ".o")
        subprocess.run(["clang-14", *CFLAGS, f"-I{fw / 'toolchain'}", "-c", str(f), "-o", str(o)], check=True,
                       capture_output=True)
        objs.append(str(o))
    elf = tmp_path / "mul.elf"
    subprocess.run(["ld.lld-14", "-T", str(fw / "toolchain" / "fr5994.ld"), "--gc-sections", "-z", "max-page-size=2",
                    "-z", "noseparate-code", *objs, "-o", str(elf)], check=True, capture_output=True)
    with Machine(load_device_table()) as m:
        m.load_elf(elf)
        m.power_on(1)
        out = m.run(1 << 24, raise_on_error=False)
        assert out.stop is Stop.HALT, m.error
        p32 = np.frombuffer(m.read(m.symbol("P32"), 4 * len(a)), dtype="<u4")
        p16 = np.frombuffer(m.read(m.symbol("P16"), 2 * len(a)), dtype="<u2")
    assert p32.tolist() == [(x * y) % 2**32 for x, y in zip(a, b)]
    assert p16.tolist() == [((x & 0xFFFF) * (y & 0xFFFF)) % 2**16 for x, y in zip(a, b)]
