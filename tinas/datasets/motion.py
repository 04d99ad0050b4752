"""The embedded default time-series dataset: BasicMotions, real smartwatch recordings (accelerometer
x/y/z; standing, running, walking, badminton; 40 + 40 series of 100 steps) that ship inside the
sktime package as a .ts file — read here directly, without importing sktime."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from tinas.datasets.base import Dataset, DatasetError, resize_hwc, to_unit_range


def _ts_file(split: str) -> Path:
    spec = importlib.util.find_spec("sktime")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("the MOTION dataset ships with the 'sktime' package, which is not installed")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "BasicMotions" / f"BasicMotions_{split}.ts"


def read_ts(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A multivariate .ts file (sktime/UEA format): returns (N, length, dims), labels, class names."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    classes: list[str] = []
    series, labels = [], []
    in_data = False
    for ln in lines:
        if not ln.strip() or ln.startswith("#"):
            continue
        if ln.lower().startswith("@classlabel"):
            classes = ln.split()[2:]
        elif ln.lower().startswith("@data"):
            in_data = True
        elif in_data:
            *dims, label = ln.split(":")
            try:
                series.append(np.array([[float(v) for v in d.split(",")] for d in dims], dtype=np.float32).T)
            except ValueError:
                raise DatasetError(f"{path}: malformed data line {ln[:60]!r}") from None
            labels.append(classes.index(label.strip()))
    if not series:
        raise DatasetError(f"{path}: no series found")
    return np.stack(series), np.array(labels, dtype=np.int64), classes


def load_motion(resolution: int = 64) -> Dataset:
    xtr, ytr, classes = read_ts(_ts_file("TRAIN"))
    xte, yte, _ = read_ts(_ts_file("TEST"))
    scale = float(np.abs(xtr[..., :3]).max())

    def prep(x: np.ndarray) -> np.ndarray:  # accelerometer x/y/z only, as (N, L, 1, 3)
        return to_unit_range(resize_hwc(x[..., :3][:, :, None, :] / scale, resolution, 1))

    return Dataset("MOTION", prep(xtr), ytr, prep(xte), yte, len(classes),
                   f"accelerometer / {scale:.3g} (max of the training split), resized to {resolution} steps")
