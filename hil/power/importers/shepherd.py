"""Shepherd HDF5 recordings (nes-lab/shepherd): /data/time (uint64 ns) and raw /data/voltage,
/data/current integers with ``gain`` and ``offset`` attributes (SI = raw·gain + offset). Read in chunks,
averaged down to a sample interval, so hour-long recordings do not need to fit in memory."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from hil.power.profile import PowerProfile, ProfileError, parse_profile, to_csv


def import_shepherd(path: str | Path, name: str | None = None, interval_s: float = 0.01,
                    chunk: int = 1_000_000) -> PowerProfile:
    p = Path(path)
    try:
        f = h5py.File(p, "r")
    except (OSError, ValueError) as exc:
        raise ProfileError(f"{p}: not a readable HDF5 file ({exc}); truncated?") from None
    with f:
        try:
            t_ds, v_ds, i_ds = f["data"]["time"], f["data"]["voltage"], f["data"]["current"]
            gv, ov = float(v_ds.attrs["gain"]), float(v_ds.attrs["offset"])
            gi, oi = float(i_ds.attrs["gain"]), float(i_ds.attrs["offset"])
        except KeyError as exc:
            raise ProfileError(f"{p}: not a Shepherd recording (missing {exc}; expected /data/time, /data/voltage, "
                               f"/data/current with gain/offset attributes)") from None
        n = t_ds.shape[0]
        if n == 0 or v_ds.shape[0] != n or i_ds.shape[0] != n:
            raise ProfileError(f"{p}: datasets have different or zero lengths")
        t0 = int(t_ds[0])
        sums: dict[int, list[float]] = {}
        for s in range(0, n, chunk):
            t = (t_ds[s: s + chunk].astype(np.int64) - t0) * 1e-9
            pw = (v_ds[s: s + chunk] * gv + ov) * (i_ds[s: s + chunk] * gi + oi)
            if np.any(np.diff(t) < 0):
                raise ProfileError(f"{p}: time goes backwards inside the recording")
            bins = (t / interval_s).astype(np.int64)
            for b in np.unique(bins):
                sel = bins == b
                acc = sums.setdefault(int(b), [0.0, 0])
                acc[0] += float(pw[sel].sum())
                acc[1] += int(sel.sum())
    keys = sorted(sums)
    time_s = np.array(keys, dtype=float) * interval_s
    power = np.clip([sums[k][0] / sums[k][1] for k in keys], 0, None)
    meta = {"name": name or p.stem, "kind": "recorded", "source": f"Shepherd recording {p.name}",
            "licence": "as the recording", "sample_rate_hz": f"{1 / interval_s:g}", "units": "s, W"}
    return parse_profile(to_csv(meta, time_s - time_s[0], power), str(p))
