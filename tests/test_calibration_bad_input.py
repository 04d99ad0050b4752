"""``hil calibrate`` on unusable measurements: a clear message, exit 2, no profile written (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from hil.cli import main
from hil.measurements import write_table
from tests.test_calibration_flow import artifacts, synthetic_rows  # noqa: F401 - fixture reused


def _run(tmp_path, df, *extra):
    meas = write_table(df, tmp_path / "m.csv")
    out = tmp_path / "cal.toml"
    rc = main(["calibrate", str(meas), "--out", str(out), *extra])
    return rc, out


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_one_non_finite_active_time_is_refused(tmp_path, artifacts, capsys, value):  # noqa: F811
    df = synthetic_rows(artifacts, 1.2, 0.8, 0.01)
    i = df.index[df["power_mode"] == "intermittent"][3]
    df.loc[i, "active_time_s"] = value
    rc, out = _run(tmp_path, df)
    err = capsys.readouterr().err
    assert rc == 2 and "active_time_s" in err and "finite" in err
    assert not out.exists()


def test_nan_in_a_continuous_row_is_refused(tmp_path, artifacts, capsys):  # noqa: F811
    df = synthetic_rows(artifacts, 1.2, 0.8, 0.01)
    df.loc[df.index[df["power_mode"] == "continuous"][0], "active_time_s"] = np.nan
    rc, out = _run(tmp_path, df)
    assert rc == 2 and "continuous" in capsys.readouterr().err and not out.exists()


def test_only_intermittent_rows_are_refused(tmp_path, artifacts, capsys):  # noqa: F811
    df = synthetic_rows(artifacts, 1.2, 0.8, 0.01)
    rc, out = _run(tmp_path, df[df["power_mode"] == "intermittent"])
    assert rc == 2 and "no continuous-power rows" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("h", ["1.5", "0", "-0.2", "x"])
def test_holdout_outside_0_1_is_a_usage_error(tmp_path, artifacts, capsys, h):  # noqa: F811
    df = synthetic_rows(artifacts, 1.2, 0.8, 0.01)
    with pytest.raises(SystemExit) as e:
        _run(tmp_path, df, "--holdout", h)
    assert e.value.code == 2 and "--holdout" in capsys.readouterr().err
    assert not (tmp_path / "cal.toml").exists()


def test_good_rows_print_a_scale_table(tmp_path, artifacts, capsys):  # noqa: F811
    rc, out = _run(tmp_path, synthetic_rows(artifacts, 1.5, 0.5, 0.01), "--holdout", "0.9")
    text = capsys.readouterr().out
    assert rc == 0 and out.is_file()
    assert "{" not in text  # no raw dict
    line = [ln for ln in text.splitlines() if ln.startswith("cp ")][0]
    assert float(line.split()[1]) == pytest.approx(1.5, rel=1e-4)
