"""Importers tested on small files written in each real format."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from hil.power.importers import import_energytrace, import_shepherd, import_voltage_log
from hil.power.profile import ProfileError


def write_shepherd(path, n=2000, truncate=False):
    with h5py.File(path, "w") as f:
        g = f.create_group("data")
        g.create_dataset("time", data=(np.arange(n, dtype=np.uint64) * 10_000 + 5_000_000))  # 10 µs steps, ns
        v = g.create_dataset("voltage", data=np.full(n, 3000, dtype=np.uint32))
        v.attrs.update(gain=1e-3, offset=0.0)  # 3.0 V
        i = g.create_dataset("current", data=np.full(n, 2000, dtype=np.uint32))
        i.attrs.update(gain=1e-6, offset=0.0)  # 2 mA
    if truncate:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])


def test_shepherd(tmp_path):
    p = tmp_path / "rec.h5"
    write_shepherd(p)
    prof = import_shepherd(p, interval_s=0.001, chunk=300)
    assert prof.kind == "recorded" and prof.power_w.mean() == pytest.approx(6e-3) and prof.time_s[0] == 0
    bad = tmp_path / "cut.h5"
    write_shepherd(bad, truncate=True)
    with pytest.raises(ProfileError, match="truncated|not a readable"):
        import_shepherd(bad)


def test_energytrace(tmp_path):
    p = tmp_path / "et.csv"
    p.write_text("Time (ns),Current (nA),Voltage (mV),Energy (uJ)\n0,1000000,3300,0\n1000000,2000000,3300,3.3\n")
    prof = import_energytrace(p)
    assert list(prof.power_w) == pytest.approx([3.3e-3, 6.6e-3]) and prof.time_s[-1] == pytest.approx(1e-3)
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ProfileError, match="not an EnergyTrace export"):
        import_energytrace(tmp_path / "x.csv")


def test_voltage_log(tmp_path):
    p = tmp_path / "v.txt"
    p.write_text("# t V\n0 2.0\n0.5 4.0\n")
    prof = import_voltage_log(p, r_source_ohm=1000)
    assert list(prof.power_w) == pytest.approx([1e-3, 4e-3])
    p.write_text("0 2.0\n1 4.0\n0.5 3.0\n")
    with pytest.raises(ProfileError, match="backwards"):
        import_voltage_log(p, 1000)
