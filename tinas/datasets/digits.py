"""The embedded default image dataset: scikit-learn's 1,797 handwritten digits (8×8, 17 grey levels),
shipped inside scikit-learn, so nothing is downloaded."""

from __future__ import annotations

import numpy as np

from tinas.datasets.base import Dataset, resize_hwc, to_unit_range


def load_digits_dataset(resolution: int = 8, seed: int = 0, test_fraction: float = 0.25) -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0) * 2.0 - 1.0  # [0, 16] -> [-1, 1]
    x = resize_hwc(x[..., None], resolution, resolution)
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(seed).permutation(len(y))
    n_test = int(len(y) * test_fraction)
    te, tr = idx[:n_test], idx[n_test:]
    return Dataset("DIGITS", to_unit_range(x[tr]), y[tr], to_unit_range(x[te]), y[te], 10,
                   f"pixels/16·2−1, bilinear to {resolution}×{resolution}, clipped to [-1, 1)")
