"""The C arithmetic (rt_q15.h, compiled natively) and its Python mirror agree on edge values, and
the Python mirror agrees with hand-computed cases of docs/q15-arithmetic.md."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from hil.firmware_paths import FIRMWARE_DIR
from tinas.quant import q15


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    exe = tmp_path_factory.mktemp("probe") / "q15_probe"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", f"-I{FIRMWARE_DIR / 'include'}", "-o", str(exe),
                    str(FIRMWARE_DIR / "tests" / "q15_probe.c")], check=True)
    return exe


def test_hand_cases():
    assert int(q15.rshift_round(5, 1)) == 3  # 2.5 rounds half up
    assert int(q15.rshift_round(-5, 1)) == -2  # -2.5 rounds half up to -2
    assert int(q15.rshift_round(-6, 2)) == -1  # -1.5 -> -1
    assert int(q15.sat16(40000)) == 32767 and int(q15.sat16(-40000)) == -32768
    assert int(q15.div_round(7, 2)) == 4 and int(q15.div_round(-7, 2)) == -4  # half away from zero
    assert int(q15.div_round(-5, 3)) == -2 and int(q15.div_round(5, 3)) == 2
    assert int(q15.wrap32(2**31)) == -(2**31)
    assert q15.quantize_input(np.array([0.5, -1.0, 0.99999]))[0] == 16384


@pytest.mark.tools("gcc")
def test_c_and_python_agree_on_edges(probe):
    rng = np.random.default_rng(5)
    edges = [0, 1, -1, 2, -2, 32767, 32768, -32768, -32769, 2**31 - 1, -(2**31), 2**30, -(2**30) - 1]
    xs = edges + list(rng.integers(-(2**31), 2**31, 300))
    cases = [(int(x), int(s), int(d)) for x in xs for s in (0, 1, 7, 15, 31) for d in (1, 3, 64)
             if not (x == -(2**31))]  # -INT32_MIN is undefined in C; the quantiser never produces it
    text = "\n".join(f"{x} {s} {d}" for x, s, d in cases)
    out = subprocess.run([str(probe)], input=text, capture_output=True, text=True, check=True).stdout.split("\n")
    for (x, s, d), line in zip(cases, out):
        r, sat, div = (int(v) for v in line.split())
        assert r == int(q15.rshift_round(x, s)), (x, s)
        assert sat == int(q15.sat16(x)), x
        assert div == int(q15.div_round(x, d)), (x, d)


def test_narrow_integer_inputs_are_widened():
    """Values arrive as int16/int32 arrays (activations, accumulators): the helpers must widen before
    adding, or 32767 + 1 would wrap in int16."""
    assert int(q15.rshift_round(np.array([32767], dtype=np.int16), 1)[0]) == 16384  # (32767 + 1) >> 1
    assert int(q15.rshift_round(np.array([-32768], dtype=np.int16), 15)[0]) == -1  # (-32768 + 16384) >> 15
    assert int(q15.wrap32(np.array([2**31 - 1], dtype=np.int32))[0]) == 2**31 - 1
    assert int(q15.div_round(np.array([32767], dtype=np.int16), 2)[0]) == 16384  # 16383.5 away from zero
    assert int(q15.div_round(np.array([-32768], dtype=np.int16), 3)[0]) == -10923  # |−32768| overflows int16
    for f in (q15.wrap32, q15.sat16):
        assert f(np.array([1], dtype=np.int16)).dtype == np.int64


def test_quantize_input_hand_values():
    # 0.9·32768 = 29491.2 -> 29491; -0.3·32768 = -9830.4 -> -9830; 2^-16 rounds half to even -> 0
    assert q15.quantize_input(np.array([0.9, -0.3, 2.0**-16])).tolist() == [29491, -9830, 0]
    assert q15.quantize_input(np.array([0.9])).dtype == np.int16


def test_quantize_input_saturates_whatever_the_float_type():
    # out-of-range inputs clamp to the int16 ends; half-precision inputs too (4·32768 = 131072 exceeds
    # float16's largest finite 65504, so the scaling must not happen in float16); float32 scales exactly
    for dtype in (np.float16, np.float32, np.float64):
        x = np.array([4.0, -4.0, 0.5, -1.0], dtype=dtype)
        assert q15.quantize_input(x).tolist() == [32767, -32768, 16384, -32768], dtype


def test_negative_shift_is_refused():
    with pytest.raises(ValueError, match="^negative shifts are not part of the arithmetic$"):
        q15.rshift_round(4, -1)
