"""Importers under awkward but real input (issue 16): long high-rate exports keep their time
resolution; header-only, text and 2-D inputs give clear errors; clipped negative power is reported;
Shepherd binning equals a plain per-sample reference across chunk boundaries."""

from __future__ import annotations

import logging

import h5py
import numpy as np
import pytest

from hil.power.importers import import_energytrace, import_shepherd, import_voltage_log
from hil.power.profile import ProfileError, load_profile, write_profile

ET_HEADER = "Time (ns),Current (nA),Voltage (mV),Energy (uJ)\n"


def test_1100_s_at_1_khz_energytrace_keeps_its_samples(tmp_path):
    n = 1_100_000
    t_ns = np.arange(n, dtype=np.int64) * 1_000_000  # 1 kHz for 1,100 s
    p = tmp_path / "long.csv"
    with p.open("w") as f:
        f.write(ET_HEADER)
        np.savetxt(f, np.c_[t_ns, np.full(n, 1000), np.full(n, 3000), np.zeros(n)], fmt="%d", delimiter=",")
    prof = import_energytrace(p)
    assert prof.time_s.size == n and prof.time_s[-1] == pytest.approx(1099.999, abs=1e-9)
    # written and read back as a profile CSV: no two times collapse (6 significant digits did at 1000.0 s)
    out = write_profile(tmp_path / "long_profile.csv", prof.meta, prof.time_s, prof.power_w)
    back = load_profile(out)
    assert back.time_s.size == n and np.array_equal(back.time_s, prof.time_s)


def test_header_only_energytrace(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text(ET_HEADER)
    with pytest.raises(ProfileError, match="header but no samples"):
        import_energytrace(p)


def test_text_energytrace_tab_separated_is_read(tmp_path):
    p = tmp_path / "et.txt"
    p.write_text("Time (ns)\tCurrent (nA)\tVoltage (mV)\tEnergy (uJ)\n0\t1000000\t3300\t0\n1000000\t1000000\t3300\t1\n")
    prof = import_energytrace(p)
    assert list(prof.power_w) == pytest.approx([3.3e-3, 3.3e-3])


@pytest.mark.parametrize("text, needle", [
    ("this is a note, not a recording\nsecond line\n", "not an EnergyTrace export"),
    (ET_HEADER + "0,1000,3000,0\n1000,abc,3000,0\n", "line 3: column 'Current \\(nA\\)'"),
    ("", "not a readable"),
])
def test_non_energytrace_text_is_a_clear_error(tmp_path, text, needle):
    p = tmp_path / "x.txt"
    p.write_text(text)
    with pytest.raises(ProfileError, match=needle):
        import_energytrace(p)


def test_negative_power_is_clipped_with_a_warning_and_count(tmp_path, caplog):
    p = tmp_path / "neg.csv"
    p.write_text(ET_HEADER + "0,1000,3000,0\n1000,-2000,3000,0\n2000,-1000,3000,0\n3000,1000,3000,0\n")
    with caplog.at_level(logging.WARNING):
        prof = import_energytrace(p)
    assert prof.power_w.min() == 0.0
    assert "2 of 4 samples have negative power" in caplog.text
    v = tmp_path / "v.txt"
    v.write_text("0 1.0\n1 -0.5\n")
    with caplog.at_level(logging.WARNING):
        import_voltage_log(v, 100.0)
    assert "1 of 2 samples have a negative voltage" in caplog.text


def _shepherd(path, t_ns, v_raw, i_raw, shape=None):
    with h5py.File(path, "w") as f:
        g = f.create_group("data")
        g.create_dataset("time", data=t_ns if shape is None else t_ns.reshape(shape))
        v = g.create_dataset("voltage", data=v_raw if shape is None else v_raw.reshape(shape))
        v.attrs.update(gain=1e-3, offset=0.0)
        i = g.create_dataset("current", data=i_raw if shape is None else i_raw.reshape(shape))
        i.attrs.update(gain=1e-6, offset=-1e-4)


def test_shepherd_2d_dataset_is_a_clear_error(tmp_path):
    n = 100
    _shepherd(tmp_path / "r.h5", np.arange(n, dtype=np.uint64) * 1000, np.full(n, 3000, np.uint32),
              np.full(n, 2000, np.uint32), shape=(10, 10))
    with pytest.raises(ProfileError, match="1-D dataset"):
        import_shepherd(tmp_path / "r.h5")


def test_shepherd_bins_equal_a_per_sample_reference(tmp_path):
    rng = np.random.default_rng(7)
    n = 5000
    t_ns = np.cumsum(rng.integers(100_000, 3_000_000, n)).astype(np.uint64)  # irregular, 0.1-3 ms steps
    v = rng.integers(1000, 4000, n, dtype=np.uint32)
    i = rng.integers(0, 3000, n, dtype=np.uint32)
    _shepherd(tmp_path / "r.h5", t_ns, v, i)
    prof = import_shepherd(tmp_path / "r.h5", interval_s=0.01, chunk=333)  # chunks cut through bins
    # reference: a dictionary keyed by bin, one sample at a time
    acc: dict[int, list[float]] = {}
    for k in range(n):
        t = (int(t_ns[k]) - int(t_ns[0])) * 1e-9
        b = int(t // 0.01)
        pw = (v[k] * 1e-3) * (i[k] * 1e-6 - 1e-4)
        acc.setdefault(b, [0.0, 0])
        acc[b][0] += pw
        acc[b][1] += 1
    keys = sorted(acc)
    ref = np.clip([acc[b][0] / acc[b][1] for b in keys], 0, None)
    assert np.allclose(prof.time_s, (np.array(keys) - keys[0]) * 0.01)
    assert np.allclose(prof.power_w, ref, rtol=1e-12, atol=1e-15)
