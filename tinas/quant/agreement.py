"""How often the Q15 firmware arithmetic picks the same class as the float model (top-1 agreement)."""

from __future__ import annotations

import numpy as np

from tinas.network import LayerDesign, Network
from tinas.quant.q15 import quantize_input
from tinas.quant.quantize import forward_float, quantize
from tinas.quant.reference import run


def q15_agreement(network: Network, designs: list[LayerDesign], weights: dict[str, np.ndarray],
                  calib: np.ndarray, test_x: np.ndarray, test_y: np.ndarray | None = None) -> dict[str, float]:
    """Top-1 agreement of Q15 vs float (BN folded) on ``test_x``, and both accuracies when labels are given."""
    qm = quantize(network, designs, weights, calib)
    agree = correct_q = correct_f = 0
    for i, x in enumerate(test_x):
        qf = int(np.argmax(run(qm, quantize_input(x))[-1].reshape(-1)))
        ff = int(np.argmax(forward_float(qm.layers, x.astype(np.float64))[-1].reshape(-1)))
        agree += qf == ff
        if test_y is not None:
            correct_q += qf == test_y[i]
            correct_f += ff == test_y[i]
    n = len(test_x)
    out = {"agreement": agree / n, "n": float(n)}
    if test_y is not None:
        out |= {"accuracy_q15": correct_q / n, "accuracy_float": correct_f / n}
    return out
