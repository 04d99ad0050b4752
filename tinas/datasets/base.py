"""Dataset record and the dispatcher by name."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tinas.errors import TinasError

MAX_Q15 = 1.0 - 2.0**-15


class DatasetError(TinasError):
    """A dataset path that is missing, incomplete or corrupt (names the path and the expected layout)."""


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray  # (N, H, W, C) float32 in [-1, 1)
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    normalisation: str
    x_val: np.ndarray | None = None  # carved from the training data by ``with_validation``
    y_val: np.ndarray | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def with_validation(self, fraction: float = 0.2, seed: int = 0) -> "Dataset":
        """A copy whose training split loses a stratified ``fraction`` (at least one sample per class)
        to a validation split. The search selects candidates on it; the test split stays untouched
        for the final report."""
        if self.x_val is not None:
            return self
        if not 0 < fraction < 1:
            raise DatasetError(f"validation fraction must be in (0, 1), got {fraction}")
        rng = np.random.default_rng([seed, 7919])
        val: list[np.ndarray] = []
        for c in np.unique(self.y_train):
            idx = np.flatnonzero(self.y_train == c)
            if len(idx) < 2:
                continue
            k = min(len(idx) - 1, max(1, int(round(fraction * len(idx)))))
            val.append(rng.choice(idx, size=k, replace=False))
        vi = np.sort(np.concatenate(val)) if val else np.array([], dtype=np.int64)
        keep = np.ones(len(self.y_train), dtype=bool)
        keep[vi] = False
        return replace(self, x_train=self.x_train[keep], y_train=self.y_train[keep],
                       x_val=self.x_train[vi], y_val=self.y_train[vi])


def to_unit_range(x: np.ndarray) -> np.ndarray:
    return np.clip(x, -1.0, MAX_Q15).astype(np.float32)


def resize_hwc(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of a batch (N, H, W, C) with torch (align_corners=False)."""
    if x.shape[1:3] == (h, w):
        return x
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    out = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)
    return out.numpy().transpose(0, 2, 3, 1)


def load_dataset(name: str, resolution: int, root: str | Path | None = None, seed: int = 0) -> Dataset:
    n = name.upper()
    if n == "DIGITS":
        from tinas.datasets.digits import load_digits_dataset

        return load_digits_dataset(resolution, seed)
    if n == "MOTION":
        from tinas.datasets.motion import load_motion

        return load_motion(resolution)
    if n == "CIFAR10":
        from tinas.datasets.cifar10 import load_cifar10

        return load_cifar10(_need_root(root, n), resolution)
    if n == "HAR":
        from tinas.datasets.har import load_har

        return load_har(_need_root(root, n), resolution)
    if n in ("KWS", "MSWC"):
        from tinas.datasets.kws import load_kws

        return load_kws(_need_root(root, n), resolution)
    raise DatasetError(f"no loader for dataset {name!r} (DIGITS needs no files; CIFAR10, HAR and KWS need --dataset-dir)")


def _need_root(root: str | Path | None, name: str) -> Path:
    if not root:
        raise DatasetError(f"{name} is not shipped: give its folder with --dataset-dir")
    p = Path(root)
    if not p.is_dir():
        raise DatasetError(f"{p}: dataset folder not found")
    return p
