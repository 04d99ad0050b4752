"""Platform profiles: strict loading with errors naming key and file, round trip, capacitor lookup."""

from __future__ import annotations

import pytest

from tinas.platform import DEFAULT_PROFILE, PlatformError, Provenance, load_platform


def edited(tmp_path, old: str, new: str):
    text = DEFAULT_PROFILE.read_text()
    assert old in text
    p = tmp_path / "p.toml"
    p.write_text(text.replace(old, new, 1))
    return p


def test_default_profile_has_original_constants():
    p = load_platform()
    assert p.cpu_clock_hz == 16e6 and p.vm_capacity_bytes == 2048
    assert p.reboot_time_s == 0.055 and p.ccap_f == 0.005 and p.rehm_ohm == 2800
    assert p.provenance_of("reboot_time_s").source.startswith("TiNAS")


@pytest.mark.parametrize(
    "old, new, needle",
    [
        ("ccap_f = { value = 0.005", "ccap_f = { value = -0.005", "ccap_f must"),
        ("v_on_v = { value = 4.535", "v_on_v = { value = 3.0", "v_on_v (3.0 V) must be above v_off_v"),
        ("v_sup_v = { value = 5.892", "v_sup_v = { value = 4.0", "below v_on_v"),
        ('reboot_time_s = { value = 0.055, unit = "s"', 'reboot_time_s = { value = 55, unit = "ms"', "unit is 'ms'"),
        ("index_elements = ", "index_elementz = ", "unknown key [constants].index_elementz"),
        ('op_max_cycles = { value = 15.0, unit = "cycles", source = "Timer_A, latency_model_microbench.py" }', "", "missing key [constants].op_max_cycles"),
    ],
)
def test_refusals_name_key_and_file(tmp_path, old, new, needle):
    path = edited(tmp_path, old, new)
    with pytest.raises(PlatformError) as exc:
        load_platform(path)
    assert needle in str(exc.value) and str(path) in str(exc.value)


def test_round_trip_and_calibrated_copy(tmp_path):
    p = load_platform()
    q = p.with_constants({"reboot_time_s": 0.04}, Provenance("calibration run abc", "2026-11-24", "emulator"), name="cal")
    out = q.to_toml(tmp_path / "cal.toml")
    r = load_platform(out)
    assert r == q and r.reboot_time_s == 0.04 and r.provenance_of("reboot_time_s").source == "calibration run abc"
    assert r.sha256 != p.sha256


def test_capacitor_lookup():
    p = load_platform()
    assert p.with_capacitor(0.00047).rehm_ohm == 3000
    assert p.with_capacitor(0.002, 2500).rehm_ohm == 2500
    with pytest.raises(PlatformError, match="no harvester resistance"):
        p.with_capacitor(0.002)
