"""Random but well-conditioned weights for a network, in the npz layout of the supernet export.

Used by tests and benchmarks of the exporter and the firmware, where the values only need to exercise
every code path (signs, saturation, padding) — not to classify anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinas.network import Network


@dataclass(frozen=True)
class WeightScales:
    """The spread of each kind of random parameter. The default exercises every code path (large enough
    to saturate now and then); ``HE`` keeps activations at a realistic scale through ReLU blocks."""

    conv_std_times_sqrt_fan: float = 1.2
    fc_std_times_sqrt_fan: float = 1.0
    fc_bias_std: float = 0.1
    bn_gamma: tuple[float, float] = (0.5, 1.5)
    bn_beta_std: float = 0.1
    bn_mean_std: float = 0.1
    bn_var: tuple[float, float] = (0.5, 2.0)


HE = WeightScales(conv_std_times_sqrt_fan=float(np.sqrt(2.0)), fc_bias_std=0.05, bn_gamma=(0.8, 1.2),
                  bn_beta_std=0.05, bn_mean_std=0.05, bn_var=(0.8, 1.2))


def random_weights(network: Network, rng: np.random.Generator,
                   scales: WeightScales = WeightScales()) -> dict[str, np.ndarray]:
    """Weights drawn layer by layer in network order, so a seed fixes every array."""
    s = scales
    w: dict[str, np.ndarray] = {}
    for l in network.layers:
        m = int(l.OFM.CH)
        if l.type == "CONV":
            cin = 1 if l.is_depthwise else int(l.IFM.CH)
            fan = cin * int(l.K.H) * int(l.K.W)
            w[f"{l.name}.weight"] = rng.normal(0, s.conv_std_times_sqrt_fan / np.sqrt(fan),
                                               (m, cin, int(l.K.H), int(l.K.W))).astype(np.float32)
        elif l.type == "FC":
            w[f"{l.name}.weight"] = rng.normal(0, s.fc_std_times_sqrt_fan / np.sqrt(int(l.IFM.CH)),
                                               (m, int(l.IFM.CH))).astype(np.float32)
            w[f"{l.name}.bias"] = rng.normal(0, s.fc_bias_std, m).astype(np.float32)
        elif l.type == "BN":
            w[f"{l.name}.gamma"] = rng.uniform(*s.bn_gamma, m).astype(np.float32)
            w[f"{l.name}.beta"] = rng.normal(0, s.bn_beta_std, m).astype(np.float32)
            w[f"{l.name}.mean"] = rng.normal(0, s.bn_mean_std, m).astype(np.float32)
            w[f"{l.name}.var"] = rng.uniform(*s.bn_var, m).astype(np.float32)
    return w


def random_inputs(shape_hwc: tuple[int, int, int], n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1, 1 - 2**-15, (n, *shape_hwc)).astype(np.float32)
