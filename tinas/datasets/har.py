"""UCI HAR (inertial signals) in its distributed folder layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinas.datasets.base import Dataset, DatasetError, resize_hwc, to_unit_range

SIGNALS = ["body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z",
           "total_acc_x", "total_acc_y", "total_acc_z"]
LAYOUT = "UCI HAR Dataset/{train,test}/Inertial Signals/<signal>_{train,test}.txt (9 files, 128 columns) and y_{train,test}.txt"


def _split(base: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    chans = []
    for s in sorted(SIGNALS):
        p = base / split / "Inertial Signals" / f"{s}_{split}.txt"
        try:
            a = np.loadtxt(p, dtype=np.float32, ndmin=2)
        except FileNotFoundError:
            raise DatasetError(f"{p}: missing; expected {LAYOUT}") from None
        except ValueError as exc:
            raise DatasetError(f"{p}: not a table of numbers ({exc})") from None
        if a.shape[1] != 128:
            raise DatasetError(f"{p}: expected 128 values per row, got {a.shape[1]}")
        chans.append(a)
    if len({c.shape[0] for c in chans}) != 1:
        raise DatasetError(f"{base / split}: the 9 signal files have different row counts (truncated?)")
    yp = base / split / f"y_{split}.txt"
    try:
        y = np.loadtxt(yp, dtype=np.int64, ndmin=1) - 1
    except (FileNotFoundError, ValueError):
        raise DatasetError(f"{yp}: missing or not integers; expected {LAYOUT}") from None
    x = np.stack(chans, axis=-1)  # (N, 128, 9)
    if len(y) != len(x):
        raise DatasetError(f"{yp}: {len(y)} labels for {len(x)} windows")
    return x, y


def load_har(root: Path, resolution: int = 128) -> Dataset:
    base = root / "UCI HAR Dataset" if (root / "UCI HAR Dataset").is_dir() else root
    xtr, ytr = _split(base, "train")
    xte, yte = _split(base, "test")

    def norm(x: np.ndarray) -> np.ndarray:  # each split standardised with its own statistics (as the original)
        z = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6) / 4.0
        return to_unit_range(resize_hwc(z[:, :, None, :], resolution, 1))

    return Dataset("HAR", norm(xtr), ytr, norm(xte), yte, 6, "per split standardised, /4, clipped to [-1, 1)")
