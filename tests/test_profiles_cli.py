"""``hil profiles``: imports never touch shipped profiles and never overwrite without --force; the
list shows thevenin energy as n/a; plots go where the user says (issues 15 and 16)."""

from __future__ import annotations

import os
import stat

import pytest

from hil.cli import main
from hil.power.profile import PROFILE_DIR, load_profile


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    d = tmp_path / "user-profiles"
    monkeypatch.setenv("HIL_PROFILE_DIR", str(d))
    return d


def _voltage_log(path, volts=3.0):
    path.write_text("".join(f"{t * 0.5},{volts}\n" for t in range(5)))
    return path


def test_import_named_like_a_shipped_profile_is_refused_and_shipped_file_intact(tmp_path, user_dir, capsys):
    before = (PROFILE_DIR / "square_wave.csv").read_bytes()
    rec = _voltage_log(tmp_path / "square_wave.csv")
    rc = main(["profiles", "import", str(rec), "--format", "voltage"])
    assert rc == 2
    assert "shipped profile" in capsys.readouterr().err
    assert (PROFILE_DIR / "square_wave.csv").read_bytes() == before
    # an explicit --out into the shipped folder is refused as well
    rc = main(["profiles", "import", str(rec), "--format", "voltage", "--out", str(PROFILE_DIR / "square_wave.csv")])
    assert rc == 2 and (PROFILE_DIR / "square_wave.csv").read_bytes() == before


def test_import_goes_to_the_user_folder_and_loads_by_name(tmp_path, user_dir, capsys):
    rec = _voltage_log(tmp_path / "my_rec.csv", volts=2.0)
    assert main(["profiles", "import", str(rec), "--format", "voltage", "--r-source", "100"]) == 0
    dest = user_dir / "my_rec.csv"
    assert dest.is_file() and str(dest) in capsys.readouterr().out
    prof = load_profile("my_rec")
    assert prof.power_w[0] == pytest.approx(2.0**2 / (4 * 100))  # V^2/(4R)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_import_refuses_to_overwrite_without_force(tmp_path, user_dir, capsys):
    rec = _voltage_log(tmp_path / "twice.csv", volts=2.0)
    assert main(["profiles", "import", str(rec), "--format", "voltage"]) == 0
    old = (user_dir / "twice.csv").read_bytes()
    _voltage_log(rec, volts=1.0)
    assert main(["profiles", "import", str(rec), "--format", "voltage"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (user_dir / "twice.csv").read_bytes() == old
    assert main(["profiles", "import", str(rec), "--format", "voltage", "--force"]) == 0
    assert (user_dir / "twice.csv").read_bytes() != old


def test_list_shows_thevenin_energy_as_na(user_dir, capsys):
    assert main(["profiles"]) == 0
    line = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("thevenin_tinas")][0]
    assert "n/a (source model)" in line and "nan" not in line


def test_plot_goes_to_the_chosen_path_not_the_cwd(tmp_path, monkeypatch, user_dir):
    monkeypatch.chdir(tmp_path)
    assert main(["profiles", "plot", "square_wave", "--out", str(tmp_path / "p" / "sq.png")]) == 0
    assert (tmp_path / "p" / "sq.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["profiles", "plot", "square_wave"]) == 0
    assert (tmp_path / "runs" / "plots" / "square_wave.png").is_file()
    assert not (tmp_path / "square_wave.png").exists()
