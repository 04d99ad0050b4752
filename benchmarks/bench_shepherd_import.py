"""Shepherd import speed: a synthetic recording of MINUTES at RATE_HZ (uint64 ns time, uint32 raw
voltage/current with gain/offset, as Shepherd writes), imported at the default 10 ms bins.

    PYTHONPATH=. python benchmarks/bench_shepherd_import.py [MINUTES] [RATE_HZ] [--old PATH_TO_OLD_MODULE]

``--old`` times another implementation of ``import_shepherd`` (e.g. a previous version saved from git
with ``git show REV:hil/power/importers/shepherd.py > old.py``) on the same file."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hil.power.importers.shepherd import import_shepherd  # noqa: E402


def write_recording(path: Path, minutes: float, rate_hz: float, seed: int = 0) -> int:
    n = int(minutes * 60 * rate_hz)
    rng = np.random.default_rng(seed)
    step = int(round(1e9 / rate_hz))
    with h5py.File(path, "w") as f:
        g = f.create_group("data")
        g.create_dataset("time", data=np.arange(n, dtype=np.uint64) * step + 1_000_000_000, chunks=True)
        v = g.create_dataset("voltage", data=rng.integers(2000, 3500, n, dtype=np.uint32), chunks=True)
        v.attrs.update(gain=1e-3, offset=0.0)
        i = g.create_dataset("current", data=rng.integers(0, 5000, n, dtype=np.uint32), chunks=True)
        i.attrs.update(gain=1e-6, offset=0.0)
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("minutes", type=float, nargs="?", default=55.0)
    ap.add_argument("rate_hz", type=float, nargs="?", default=1000.0)
    ap.add_argument("--old", default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        rec = Path(d) / "rec.h5"
        n = write_recording(rec, a.minutes, a.rate_hz)
        res = {"minutes": a.minutes, "rate_hz": a.rate_hz, "samples": n}
        t0 = time.perf_counter()
        prof = import_shepherd(rec)
        res["import_s"] = round(time.perf_counter() - t0, 3)
        res["bins"] = int(prof.time_s.size)
        print(json.dumps(res), flush=True)
        if a.old:
            spec = importlib.util.spec_from_file_location("old_shepherd", a.old)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            t0 = time.perf_counter()
            old = mod.import_shepherd(rec)
            res["old_import_s"] = round(time.perf_counter() - t0, 3)
            res["max_abs_diff_w"] = float(np.max(np.abs(old.power_w - prof.power_w)))
            print(json.dumps(res))


if __name__ == "__main__":
    main()
