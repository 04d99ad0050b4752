"""Command lines end to end: the seed command, a small full search, 'hil run' with its refusals
(no partial results file), and the dut fixture through pytester."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hil.cli import main as hil_main
from tests.twin_known import is_port_dma_problem
from tests.fw_models import IMAGE_BLOCKS, make_artifact
from tinas.cli import main as tinas_main
from tinas.network import Network
from tinas.export import load_artifact
from tinas.search_space import BlockChoice, SubnetConfig, get_space, to_network

ROOT = Path(__file__).resolve().parent.parent


def test_seed_command_runs_unchanged(tmp_path):
    cmd = [sys.executable, "-m", "tinas.run_nas", "--suffix", "cifar_example_run", "--settings",
           "settings/CIFAR10.json,settings/TiNAS-test.json", "--stages", "1", "--imcreq", "0", "--latreq", "100",
           "--ccap", "0.005", "--no-rlogger", "--out", str(tmp_path)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    log = json.loads((tmp_path / "cifar_example_run_ssoptlog.json").read_text())
    assert set(log["per_supernet_stats"]) == {"(0.6, 32)", "(0.7, 32)", "(0.8, 32)", "(0.9, 32)", "(1.0, 32)"}
    assert "latency_min" in log["per_supernet_stats"]["(0.6, 32)"]
    # no CIFAR subnet at 32 px can meet 100 s (its stem alone costs ~131 s, original-tinas.md, cost model §10.5)
    assert log["best_supernet_config"] is None and "no (width, resolution) pair" in p.stderr
    for stats in log["per_supernet_stats"].values():  # the original's counts: none meets 100 s, IMO not checked
        assert stats["latency_feasible_subnets"] == 0 and stats["imc_feasible_subnets"] == 0
        assert stats["nvm_feasible_subnets"] > 0 and stats["num_subnets"] == 0


def test_small_full_search_and_export(tmp_path, capsys):
    rc = tinas_main(["search", "--settings", "DIGITS.json,TiNAS-test.json", "--latreq", "60", "--ccap", "0.00047",
                     "--suffix", "t", "--out", str(tmp_path)])
    assert rc == 0
    err = capsys.readouterr().err
    assert "stage 2: supernet" in err and "final mean loss" in err  # one summary line for stage 2
    assert "\r" not in err  # progress bars in line mode when stderr is not a terminal
    sol = json.loads((tmp_path / "t_solution.json").read_text())
    assert sol["format"] == "tinas.solution" and sol["latency_intermittent_s"] <= 60
    assert sol["accuracy_finetuned"] > 60  # chance is 10 %
    assert sol["q15_agreement"] >= 0.98  # the firmware arithmetic picks the float model's class
    evo = json.loads((tmp_path / "t_evosearchlog.json").read_text())
    assert evo["memo"]["networks_costed"] == evo["memo"]["cost_misses"]  # each network costed once
    assert tinas_main(["export", str(tmp_path / "t_solution.json"), "--out", str(tmp_path / "art")]) == 0
    assert (tmp_path / "art" / "model.bin").is_file()
    # several networks of the same search, enough to calibrate on (>= 4), without the main job's internals
    assert tinas_main(["export", "--from-search", str(tmp_path), "--networks", "4", "--out", str(tmp_path / "many")]) == 0
    from tinas.export import load_artifact

    many = sorted((tmp_path / "many").iterdir())
    assert len(many) == 4 and len({load_artifact(a).record.blob_sha256 for a in many}) == 4
    assert load_artifact(many[0]).record.network.layers == Network.load(tmp_path / "t_solution.json").layers
    art = load_artifact(tmp_path / "art")  # checks the blob against its recorded hash
    # the exported network is the one the solution's choices describe, rebuilt here from the choices alone
    cfg = SubnetConfig(width=sol["width"], resolution=sol["resolution"],
                       blocks=tuple(BlockChoice.from_list(b) for b in sol["choices"]))
    assert art.record.network.layers == to_network(cfg, get_space("DIGITS")).layers
    # rerun with the same suffix resumes: nothing is recomputed, same solution
    assert tinas_main(["search", "--settings", "DIGITS.json,TiNAS-test.json", "--latreq", "60", "--ccap", "0.00047",
                       "--suffix", "t", "--out", str(tmp_path), "--stages", "2,3,4"]) == 0
    assert json.loads((tmp_path / "t_solution.json").read_text())["choices"] == sol["choices"]


def test_export_refuses_published_solution(tmp_path, capsys):
    path = ROOT / "tests/data/tinas-solutions/TiNAS_CIFAR10-LAT-perc75-CCAP0.005_best_solution_info.json"
    assert tinas_main(["export", str(path), "--out", str(tmp_path / "a")]) == 2
    assert "carry weights" in capsys.readouterr().err and not (tmp_path / "a").exists()


@pytest.mark.emulator
def test_hil_run_and_refusals(tmp_path, capsys):
    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS, proactive=False)
    out = tmp_path / "m.csv"
    rc = hil_main(["run", "--artifact", str(art.directory), "--profile", "thevenin_tinas", "--ccap", "0.0001",
                   "--out", str(out)])
    if rc != 0:
        err = capsys.readouterr().err
        if is_port_dma_problem(err):
            pytest.xfail(f"fr5994 port: {err.strip()[-300:]}")
        raise AssertionError(err)
    df = pd.read_csv(out)
    assert list(df["power_mode"]) == ["intermittent", "continuous", "reference"] and df["output_correct"].all()
    assert df["power_cycles"].iloc[0] >= 2
    import matplotlib.image

    img = matplotlib.image.imread(tmp_path / "m.timeline.png")  # a real image, not an empty file
    assert img.ndim == 3 and len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 3
    bad = tmp_path / "back.csv"
    bad.write_text("# name: b\n# kind: synthetic\n# source: t\n# licence: x\ntime_s,power_w\n0,1e-3\n2,1e-3\n1,1e-3\n")
    for args, needle in ((["--artifact", str(tmp_path / "missing")], "not found"),
                         (["--artifact", str(art.directory), "--profile", str(bad)], "time goes backwards")):
        out2 = tmp_path / "never.csv"
        assert hil_main(["run", *args, "--out", str(out2)]) == 2
        assert needle in capsys.readouterr().err and not out2.exists()


@pytest.mark.emulator
def test_dut_fixture_with_pytester(pytester, tmp_path):
    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)
    pytester.makeconftest(f"""
import pytest
pytest_plugins = ["hil.pytest_plugin"]
@pytest.fixture
def artifact_dir():
    return {str(art.directory)!r}
""")
    pytester.makepyfile("""
def test_inference(dut):
    row = dut.run_inference("square_wave")
    assert row.output_correct and dut.target == "emulator"
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:labgrid")  # labgrid's plugin starts once per process
    if is_port_dma_problem("\n".join(result.outlines)):
        pytest.xfail("fr5994 port: DMA channel plan with triggers the FR5994 lacks (see tests/twin_known.py)")
    result.assert_outcomes(passed=1)
    assert any("hil: target emulator" in line for line in result.outlines)
