"""Random but well-conditioned weights for a network, in the npz layout of the supernet export.

Used by tests and benchmarks of the exporter and the firmware, where the values only need to exercise
every code path (signs, saturation, padding) — not to classify anything.
"""

from __future__ import annotations

import numpy as np

from tinas.network import Network


def random_weights(network: Network, rng: np.random.Generator) -> dict[str, np.ndarray]:
    w: dict[str, np.ndarray] = {}
    for l in network.layers:
        m = int(l.OFM.CH)
        if l.type == "CONV":
            cin = 1 if l.is_depthwise else int(l.IFM.CH)
            fan = cin * int(l.K.H) * int(l.K.W)
            w[f"{l.name}.weight"] = rng.normal(0, 1.2 / np.sqrt(fan), (m, cin, int(l.K.H), int(l.K.W))).astype(np.float32)
        elif l.type == "FC":
            w[f"{l.name}.weight"] = rng.normal(0, 1 / np.sqrt(int(l.IFM.CH)), (m, int(l.IFM.CH))).astype(np.float32)
            w[f"{l.name}.bias"] = rng.normal(0, 0.1, m).astype(np.float32)
        elif l.type == "BN":
            w[f"{l.name}.gamma"] = rng.uniform(0.5, 1.5, m).astype(np.float32)
            w[f"{l.name}.beta"] = rng.normal(0, 0.1, m).astype(np.float32)
            w[f"{l.name}.mean"] = rng.normal(0, 0.1, m).astype(np.float32)
            w[f"{l.name}.var"] = rng.uniform(0.5, 2.0, m).astype(np.float32)
    return w


def random_inputs(shape_hwc: tuple[int, int, int], n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1, 1 - 2**-15, (n, *shape_hwc)).astype(np.float32)
