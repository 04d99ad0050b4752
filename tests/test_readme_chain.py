"""The newcomer's path: the README's command table, top to bottom, as written, on the inputs the
repository ships (examples/, tests/data/), in a fresh folder that holds only those inputs.

``CHAIN`` is the table's text (one command per row, in order). Every input a command reads is either
tracked by git or written by an earlier row. The rows that search, train or run many networks are
``slow``; the default run takes the shipped example solution instead of a fresh search, so the part a
newcomer tries first (cost, export, build, profiles, one run) is always tested.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (command as in the README, heavy (needs the fresh search or runs many networks), files it must write)
CHAIN: list[tuple[str, bool, list[str]]] = [
    (".venv/bin/tinas cost examples/net_small.json --ccap 0.00047", False, []),
    (".venv/bin/tinas cost tests/data/tinas-solutions/TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json --json",
     False, []),
    (".venv/bin/tinas export examples/solution_digits.json --out runs/art/digits", False,
     ["runs/art/digits/artifact.json", "runs/art/digits/manifest.json"]),
    (".venv/bin/hil build --target emulator", False, []),
    (".venv/bin/hil build --target host", False, []),
    (".venv/bin/hil profiles", False, []),
    (".venv/bin/hil profiles import examples/recording_shepherd.h5 --format shepherd", False, []),
    (".venv/bin/hil profiles import examples/recording_voltage.csv --format voltage", False, []),
    (".venv/bin/hil profiles plot recording_shepherd --out runs/plots/recording_shepherd.png", False,
     ["runs/plots/recording_shepherd.png"]),
    (".venv/bin/hil run --target emulator --artifact runs/art/digits --profile thevenin_tinas square_wave "
     "--ccap 0.00047 --out runs/m.csv", False, ["runs/m.csv", "runs/m.layers.csv"]),
    (".venv/bin/hil microbench --out runs/mb.csv", False, ["runs/mb.csv"]),
    (".venv/bin/python -m tinas.run_nas --suffix cifar_example_run --settings settings/CIFAR10.json,settings/TiNAS-test.json "
     "--stages 1 --imcreq 0 --latreq 100 --ccap 0.005 --no-rlogger", False,
     ["runs/cifar_example_run/cifar_example_run_ssoptlog.json"]),
    (".venv/bin/tinas search --settings DIGITS.json,examples/search_quick.json --latreq 60 --ccap 0.00047 "
     "--suffix mine --out runs/mine", True, ["runs/mine/mine_solution.json", "runs/mine/mine_ssoptlog.json"]),
    (".venv/bin/tinas export --space runs/mine --count 4 --seed 1 --out runs/art/space", True,
     ["runs/art/space/net00/artifact.json", "runs/art/space/net03/artifact.json"]),
    (".venv/bin/hil run --target host --artifact runs/art/space/* --profile square_wave --out runs/space.csv", True,
     ["runs/space.csv", "runs/space.layers.csv"]),
    (".venv/bin/hil report runs/space.csv --out runs/fw-report", True, ["runs/fw-report/report.md"]),
    (".venv/bin/hil calibrate runs/space.csv --cost-model firmware --microbench runs/mb.csv "
     "--out runs/calibrated.toml --report runs/cal-report", True, ["runs/calibrated.toml", "runs/cal-report/report.md"]),
    (".venv/bin/tinas cost examples/net_small.json --platform runs/calibrated.toml --cost-model firmware", True, []),
    (".venv/bin/tinas sensitivity --dataset HAR --samples 30", True, ["runs/sensitivity/sensitivity.md"]),
    (".venv/bin/tinas search --settings DIGITS.json,examples/search_quick.json --compare TiNAS,TiNAS-U --latreq 60 "
     "--ccap 0.00047 --out runs/cmp", True, ["runs/cmp/comparison.md", "runs/cmp/comparison.json"]),
]

# files each row reads that must be shipped (tracked), checked against git when it is there
SHIPPED = ["examples/net_small.json", "examples/solution_digits.json", "examples/digits_weights.npz",
           "examples/search_quick.json", "examples/recording_shepherd.h5", "examples/recording_voltage.csv",
           "tests/data/tinas-solutions/TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json"]


def argv_of(cmd: str) -> list[str]:
    """The README's spelling (.venv/bin/X) as this interpreter runs it; shell globs expanded."""
    words = shlex.split(cmd)
    head = {".venv/bin/tinas": [sys.executable, "-m", "tinas.cli"], ".venv/bin/hil": [sys.executable, "-m", "hil.cli"],
            ".venv/bin/python": [sys.executable]}[words[0]]
    rest: list[str] = []
    for w in words[1:]:
        rest.extend(sorted(glob.glob(w)) or [w] if any(c in w for c in "*?[") else [w])
    return head + rest


def fresh_folder(tmp: Path) -> Path:
    """A folder holding only the shipped inputs (what a fresh clone has besides the code)."""
    d = tmp / "clone"
    for rel in SHIPPED:
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, d / rel)
    return d


def run_row(i: int, d: Path, env: dict[str, str]) -> str:
    cmd, _, produces = CHAIN[i]
    old = Path.cwd()
    os.chdir(d)  # globs in the command expand in the fresh folder
    try:
        argv = argv_of(cmd)
    finally:
        os.chdir(old)
    r = subprocess.run(argv, cwd=d, env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"README row {i + 1} failed: {cmd}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    for rel in produces:
        assert (d / rel).is_file(), f"README row {i + 1} ({cmd}) did not write {rel}"
    return r.stdout


@pytest.fixture
def chain_env(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HIL_PROFILE_DIR": str(tmp_path / "profiles"),
           "TINAS_PROGRESS_INTERVAL": "30", "MPLBACKEND": "Agg"}
    return fresh_folder(tmp_path), env


def test_chain_inputs_are_shipped():
    """Every input the table reads is in the repository (tracked), not only on the author's disk."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    r = subprocess.run(["git", "ls-files", "--error-unmatch", *SHIPPED], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_chain_bounded(chain_env):
    """The rows that need no fresh search, in order, with checks a newcomer would make by eye."""
    d, env = chain_env
    outs = {i: run_row(i, d, env) for i, (_, heavy, _) in enumerate(CHAIN) if not heavy}
    # the small network and the shipped solution are the same layers: same predicted latency
    # as the solution file records (written by the search that produced it, not by `tinas cost`)
    import json

    sol = json.loads((d / "examples/solution_digits.json").read_text())
    assert f"intermittent latency {sol['latency_intermittent_s']:.4f} s" in outs[0]
    assert json.loads(outs[1])  # --json prints one JSON object
    assert "same ELF" in outs[3] and "sha256:" in outs[3]
    # both recordings describe one source behind 2800 ohm: the power into a matched load is V^2/(4R),
    # computed here from the CSV's voltages directly
    import numpy as np

    v = np.loadtxt(d / "examples/recording_voltage.csv", delimiter=",")[:, 1]
    expect_mw = 1e3 * np.mean(v * v) / (4 * 2800)
    means = [float(o.split("mean ")[1].split(" mW")[0]) for o in (outs[6], outs[7])]
    assert means == pytest.approx([expect_mw, expect_mw], rel=0.01)
    assert "outputs correct" in outs[9]
    runs = (d / "runs/m.csv").read_text().splitlines()
    assert len(runs) == 1 + 6  # 2 profiles x (intermittent, continuous, reference)


@pytest.mark.slow
def test_chain_whole(chain_env):
    """The whole table, search included (the quick settings keep it to minutes)."""
    d, env = chain_env
    for i in range(len(CHAIN)):
        run_row(i, d, env)
    assert len(list((d / "runs/art/space").glob("net*/artifact.json"))) == 4
