"""The firmware's integer arithmetic, mirrored on purpose (docs/q15-arithmetic.md).

Written for clarity over speed: int64 NumPy arrays hold values, ``wrap32`` reproduces the C int32
wrap-around, and every helper has the name of its C counterpart in rt_q15.h.
"""

from __future__ import annotations

import numpy as np

INT16_MIN, INT16_MAX = -32768, 32767


def wrap32(x: np.ndarray | int) -> np.ndarray:
    """Two's-complement wrap to int32 (C unsigned arithmetic cast back to int32_t)."""
    a = np.asarray(x, dtype=np.int64)
    return ((a + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def sat16(x: np.ndarray | int) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64), INT16_MIN, INT16_MAX)


def rshift_round(x: np.ndarray | int, s: int) -> np.ndarray:
    """rt_rshift_round: round half up then arithmetic right shift, on int32 with wrap."""
    a = np.asarray(x, dtype=np.int64)
    if s <= 0:
        if s < 0:
            raise ValueError("negative shifts are not part of the arithmetic")
        return a
    return wrap32(a + (1 << (s - 1))) >> s


def div_round(a: np.ndarray | int, d: int) -> np.ndarray:
    """rt_div_round: integer division rounding half away from zero (C truncating division)."""
    x = np.asarray(a, dtype=np.int64)
    q = np.sign(x) * (np.abs(x) // d)  # C truncating division
    r = x - q * d
    h = d // 2
    return q + (r >= d - h) - (-r >= d - h)


def quantize_input(x: np.ndarray) -> np.ndarray:
    """Float input in [-1, 1) → int16 with 15 fractional bits."""
    return sat16(np.round(np.asarray(x, dtype=np.float64) * 32768.0)).astype(np.int16)
