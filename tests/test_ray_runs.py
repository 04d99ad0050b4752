"""`hil run --ray`: the run matrix as Ray tasks gives the measurement file a local run gives (run ids,
timestamps and wall times aside), rows in the same order; a failing task leaves no file behind."""

from __future__ import annotations

import time


import pandas as pd
import pytest

from hil.cli import main as hil_main
from tests.fw_models import IMAGE_BLOCKS, make_artifact

pytestmark = pytest.mark.emulator
ray = pytest.importorskip("ray")
PER_RUN = {"run_id", "timestamp", "wall_time_s"}  # differ between any two runs, wherever they ran


@pytest.fixture(scope="module")
def cluster():
    """A two-CPU local cluster shared by the module (hil run --ray joins one already up)."""
    from hil.ray_runs import ROOT

    for attempt in (1, 2):  # a cluster start can time out on a loaded 2-core machine; one more try
        try:
            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                     logging_level="WARNING", runtime_env={"env_vars": {"PYTHONPATH": str(ROOT),
                                                                        "TINAS_TORCH_THREADS": "1"}})
            break
        except RuntimeError:
            ray.shutdown()
            if attempt == 2:
                raise
            time.sleep(5)
    yield
    ray.shutdown()


def test_ray_matrix_equals_local_matrix(cluster, tmp_path):
    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)
    args = ["run", "--artifact", str(art.directory), "--profile", "thevenin_tinas", "square_wave",
            "--ccap", "0.00047"]
    assert hil_main([*args, "--out", str(tmp_path / "local.csv")]) == 0
    assert hil_main([*args, "--ray", "--out", str(tmp_path / "ray.csv")]) == 0
    local, remote = pd.read_csv(tmp_path / "local.csv"), pd.read_csv(tmp_path / "ray.csv")
    cols = [c for c in local.columns if c not in PER_RUN]
    assert list(local.columns) == list(remote.columns) and len(local) == 6  # 2 profiles x 3 rows
    pd.testing.assert_frame_equal(local[cols], remote[cols])
    assert list(remote["profile"]) == ["thevenin_tinas"] * 3 + ["square_wave"] * 3  # spec order kept
    assert remote["output_correct"].all()


def test_failing_task_writes_nothing(cluster, tmp_path, capsys):
    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)
    out = tmp_path / "m.csv"
    # a bad input is refused before any task is sent
    rc = hil_main(["run", "--artifact", str(art.directory), str(tmp_path / "missing"), "--ray", "--out", str(out)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "missing" in err and "nothing was run" in err and not out.exists()
    # a run that fails inside its Ray task (no inference finishes within 1 ms of wall time)
    rc = hil_main(["run", "--artifact", str(art.directory), "--ray", "--timeout", "0.001", "--out", str(out)])
    assert rc == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Ray tasks failed" in err
    assert not out.exists() and not (tmp_path / "m.timeline.png").exists()  # only the run log (m.log)


def test_node_with_other_code_is_refused(tmp_path):
    """The check a task makes before running: a digest of another tree is a mismatch, said as one."""
    from hil.ray_runs import RayRunError, _code_version, _task
    from hil.runner import RunSpec

    assert _code_version() == _code_version() and len(_code_version()) == 16
    with pytest.raises(RayRunError, match="same commit"):
        _task(RunSpec("emulator", str(tmp_path), "square_wave", None), expected="0" * 16)
