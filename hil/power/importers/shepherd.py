"""Shepherd HDF5 recordings (nes-lab/shepherd): /data/time (uint64 ns) and raw /data/voltage,
/data/current integers with ``gain`` and ``offset`` attributes (SI = raw·gain + offset). Read in chunks,
averaged down to a sample interval, so hour-long recordings do not need to fit in memory.

Binning is linear in the number of samples: time is monotonic, so each chunk's bins are contiguous runs,
summed with one ``np.add.reduceat``; a bin cut by a chunk boundary is merged at the end.
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np

from hil.power.profile import PowerProfile, ProfileError, make_profile

log = logging.getLogger(__name__)


def bin_means(t_s: np.ndarray, x: np.ndarray, interval_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bin index, sum, count) of ``x`` per ``interval_s`` bin of non-decreasing ``t_s``; O(n)."""
    bins = np.floor(t_s / interval_s).astype(np.int64)
    if bins.size == 0:
        return bins, np.zeros(0), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    sums = np.add.reduceat(x.astype(float), starts)
    counts = np.diff(np.r_[starts, bins.size])
    return bins[starts], sums, counts


def import_shepherd(path: str | Path, name: str | None = None, interval_s: float = 0.01,
                    chunk: int = 1_000_000) -> PowerProfile:
    p = Path(path)
    if not interval_s > 0:
        raise ProfileError(f"sample interval must be positive, got {interval_s} s")
    try:
        f = h5py.File(p, "r")
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{p}: not a readable HDF5 file ({exc}); truncated?") from None
    keys, sums, counts = [], [], []
    with f:
        try:
            t_ds, v_ds, i_ds = f["data"]["time"], f["data"]["voltage"], f["data"]["current"]
            gv, ov = float(v_ds.attrs["gain"]), float(v_ds.attrs["offset"])
            gi, oi = float(i_ds.attrs["gain"]), float(i_ds.attrs["offset"])
        except (KeyError, TypeError) as exc:
            raise ProfileError(f"{p}: not a Shepherd recording (missing {exc}; expected /data/time, /data/voltage, "
                               f"/data/current with gain/offset attributes)") from None
        for label, ds in (("time", t_ds), ("voltage", v_ds), ("current", i_ds)):
            if not isinstance(ds, h5py.Dataset) or ds.ndim != 1:
                shape = getattr(ds, "shape", "a group")
                raise ProfileError(f"{p}: /data/{label} must be a 1-D dataset (one value per sample), has shape {shape}")
        n = t_ds.shape[0]
        if n == 0 or v_ds.shape[0] != n or i_ds.shape[0] != n:
            raise ProfileError(f"{p}: datasets have different or zero lengths")
        t0 = int(t_ds[0])
        last_t = -np.inf
        for s in range(0, n, chunk):
            t = (t_ds[s: s + chunk].astype(np.int64) - t0) * 1e-9
            if np.any(np.diff(t) < 0) or t[0] < last_t:
                raise ProfileError(f"{p}: time goes backwards inside the recording")
            last_t = t[-1]
            pw = (v_ds[s: s + chunk] * gv + ov) * (i_ds[s: s + chunk] * gi + oi)
            k, sm, c = bin_means(t, pw, interval_s)
            keys.append(k)
            sums.append(sm)
            counts.append(c)
    k, sm, c = np.concatenate(keys), np.concatenate(sums), np.concatenate(counts)
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])  # a bin split by a chunk boundary appears twice
    k, sm, c = k[starts], np.add.reduceat(sm, starts), np.add.reduceat(c, starts)
    power = sm / c
    if not np.all(np.isfinite(power)):
        raise ProfileError(f"{p}: NaN or infinite power after applying gain/offset")
    neg = int(np.sum(power < 0))
    if neg:
        log.warning("%s: %d of %d binned samples had negative power (down to %.3g W); set to 0 W", p, neg,
                    power.size, float(power.min()))
    time_s = k.astype(float) * interval_s
    meta = {"name": name or p.stem, "kind": "recorded", "source": f"Shepherd recording {p.name}",
            "licence": "as the recording", "sample_rate_hz": f"{1 / interval_s:g}", "units": "s, W"}
    return make_profile(meta, time_s - time_s[0], np.clip(power, 0, None), str(p))
