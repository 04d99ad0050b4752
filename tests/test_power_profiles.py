"""Power profile files: shipped ones load with provenance; malformed ones are refused by line."""

from __future__ import annotations

import pytest

from hil.power.profile import ProfileError, list_profiles, load_profile

HEADER = "# name: t\n# kind: synthetic\n# source: test\n# licence: CC0\n"


def test_shipped_profiles():
    names = {p.name for p in list_profiles()}
    assert {"constant_weak", "constant_strong", "thevenin_tinas", "square_wave", "solar_june", "rf_fading"} <= names
    solar = load_profile("solar_june")
    assert solar.kind == "recorded" and "TMY3" in solar.meta["source"]
    sq = load_profile("square_wave")
    assert sq.energy_j == pytest.approx(8e-3 * 10.0, rel=1e-12)  # 8 mW during 0-2, 4-6, 8-10, 12-14, 16-18 s


def test_solar_profile_is_the_tmy3_record():
    """solar_june against pvlib's own copy of the TMY3 file it names: hour k of 21 June (TMY3 rows are
    hour-ending, so row k+1) × 1 cm² × 10 % cell, each hour held for 2 s."""
    from pathlib import Path

    import pvlib

    df, _ = pvlib.iotools.read_tmy3(Path(pvlib.__file__).parent / "data" / "723170TYA.CSV", map_variables=True)
    day = df[(df.index.month == 6) & (df.index.day == 21)]["ghi"].to_numpy(dtype=float)  # rows ending 00:00..23:00
    p = load_profile("solar_june")
    assert list(p.time_s[:3]) == [0.0, 2.0, 4.0] and len(p.power_w) == 24
    assert p.power_w[:23] == pytest.approx(day[1:] * 1e-4 * 0.10, abs=1e-12)
    assert p.power_w[23] == 0.0  # the hour ending at midnight: night
    assert p.energy_j == pytest.approx(2.0 * 1e-5 * day[1:].sum(), rel=1e-12)


@pytest.mark.parametrize("body, needle", [
    ("time_s,power_w\n0,1e-3\n2,1e-3\n1,1e-3\n", "time goes backwards"),
    ("time_s,power_w\n0,1e-3\n1,nan\n", "NaN"),
    ("time_s,power_w\n0,-1e-3\n", "negative power"),
    ("time,power\n0,1\n", "columns must be"),
    ("time_s,power_w\n0,1e-3\n1,abc\n", "not a number"),
])
def test_malformed(tmp_path, body, needle):
    p = tmp_path / "bad.csv"
    p.write_text(HEADER + body)
    with pytest.raises(ProfileError, match=needle):
        load_profile(p)


def test_missing_header_and_file(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("time_s,power_w\n0,1\n")
    with pytest.raises(ProfileError, match="header misses"):
        load_profile(p)
    with pytest.raises(ProfileError, match="not found"):
        load_profile("no_such_profile")


def test_voltage_current_columns(tmp_path):
    p = tmp_path / "vi.csv"
    p.write_text(HEADER + "time_s,voltage_v,current_a\n0,3.0,0.001\n1,3.0,0.002\n")
    prof = load_profile(p)
    assert list(prof.power_w) == pytest.approx([3e-3, 6e-3])
