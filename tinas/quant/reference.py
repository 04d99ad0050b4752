"""Run a quantised model with the firmware's arithmetic: the golden vectors come from here."""

from __future__ import annotations

import numpy as np

from tinas.quant.ops import int_forward
from tinas.quant.quantize import QModel


def run(qmodel: QModel, x_q15: np.ndarray) -> list[np.ndarray]:
    """Every firmware layer's int16 output (HWC) for one int16 input (HWC)."""
    outs: list[np.ndarray] = []
    for ql in qmodel.layers:
        a = x_q15 if ql.in_idx < 0 else outs[ql.in_idx]
        b = outs[ql.in2_idx] if ql.in2_idx >= 0 else None
        outs.append(int_forward(ql, a, b))
    return outs
