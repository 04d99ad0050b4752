"""CIFAR-10 in its python-batch form (cifar-10-batches-py: data_batch_1..5, test_batch, batches.meta)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from tinas.datasets.base import Dataset, DatasetError, resize_hwc, to_unit_range

LAYOUT = "cifar-10-batches-py/ with data_batch_1..data_batch_5, test_batch (pickled dicts with b'data', b'labels')"


def _batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as f:
            d = pickle.load(f, encoding="bytes")
        data = np.asarray(d[b"data"], dtype=np.uint8)
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except FileNotFoundError:
        raise DatasetError(f"{path}: missing; expected {LAYOUT}") from None
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: corrupt or truncated CIFAR-10 batch ({type(exc).__name__}); expected {LAYOUT}") from None
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DatasetError(f"{path}: expected N×3072 uint8 data and N labels, got {data.shape} and {len(labels)}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_cifar10(root: Path, resolution: int = 32) -> Dataset:
    base = root / "cifar-10-batches-py" if (root / "cifar-10-batches-py").is_dir() else root
    xs, ys = zip(*(_batch(base / f"data_batch_{i}") for i in range(1, 6)))
    xt, yt = _batch(base / "test_batch")

    def norm(x: np.ndarray) -> np.ndarray:  # ToTensor + Normalize(0.5, 0.5) as the original
        return to_unit_range(resize_hwc((x.astype(np.float32) / 255.0 - 0.5) / 0.5, resolution, resolution))

    return Dataset("CIFAR10", norm(np.concatenate(xs)), np.concatenate(ys), norm(xt), yt, 10,
                   "x/255, (x−0.5)/0.5 per channel, clipped to [-1, 1)")
