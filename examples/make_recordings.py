"""Write the two small example recordings that ``hil profiles import`` reads in the README:

* ``recording_voltage.csv``: time_s,voltage_v of a harvester behind a known series resistance (2 s at
  100 Hz; a slow solar-like swell with a 5 Hz flicker), imported with ``--format voltage``;
* ``recording_shepherd.h5``: the same kind of source in the Shepherd HDF5 layout (nes-lab/shepherd,
  docs/user/data_format.md): root attribute ``mode``; group ``data`` (attributes ``datatype``,
  ``window_samples``) with raw ``time`` (uint64, ns), ``voltage`` and ``current`` (uint32 ADC counts) each
  carrying ``gain``/``offset``/``unit``/``description``; an empty ``gpio`` group (``time``, ``values``).

Deterministic (no random numbers), so rerunning it rewrites the same samples:
    .venv/bin/python examples/make_recordings.py
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent


def source_voltage(t_s: np.ndarray) -> np.ndarray:
    """Open-circuit-ish voltage: 2.0-3.0 V swell over the recording, ±0.2 V flicker at 5 Hz."""
    return 2.5 - 0.5 * np.cos(np.pi * t_s / t_s[-1]) + 0.2 * np.sin(2 * np.pi * 5 * t_s)


def write_voltage_csv(path: Path, rate_hz: float = 100.0, seconds: float = 2.0) -> None:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    np.savetxt(path, np.c_[t, source_voltage(t)], delimiter=",", fmt="%.4f",
               header="time_s,voltage_v (example: a harvester behind 2800 ohm; see examples/make_recordings.py)")


def write_shepherd(path: Path, rate_hz: float = 1000.0, seconds: float = 2.0) -> None:
    n = int(rate_hz * seconds)
    t_ns = (np.arange(n, dtype=np.uint64) * np.uint64(round(1e9 / rate_hz))) + np.uint64(1_700_000_000 * 10**9)
    t = (t_ns - t_ns[0]).astype(float) * 1e-9
    v = source_voltage(t) / 2  # the same source into a matched load: half its voltage ...
    i = v / 2800.0  # ... and half its short-circuit current, so P = V_source^2 / (4 R) as for the CSV
    gv, gi = 1e-6, 1e-9  # V and A per ADC count
    with h5py.File(path, "w") as f:
        f.attrs["mode"] = "harvester"
        d = f.create_group("data")
        d.attrs["datatype"] = "ivsample"
        d.attrs["window_samples"] = 0
        for name, raw, gain, unit in (("time", t_ns, 1e-9, "s"),
                                      ("voltage", np.round(v / gv).astype(np.uint32), gv, "V"),
                                      ("current", np.round(i / gi).astype(np.uint32), gi, "A")):
            ds = d.create_dataset(name, data=raw, compression="gzip")
            ds.attrs["gain"] = gain
            ds.attrs["offset"] = 0.0
            ds.attrs["unit"] = unit
            ds.attrs["description"] = f"{name} [{unit}] = value * gain + (offset)"
        g = f.create_group("gpio")
        g.create_dataset("time", data=np.zeros(0, dtype=np.uint64))
        g.create_dataset("values", data=np.zeros(0, dtype=np.uint16))


if __name__ == "__main__":
    write_voltage_csv(HERE / "recording_voltage.csv")
    write_shepherd(HERE / "recording_shepherd.h5")
    print(f"wrote {HERE / 'recording_voltage.csv'} and {HERE / 'recording_shepherd.h5'}")
