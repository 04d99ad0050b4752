"""Issue 11's acceptance on the FR5994 twin, end to end: the emulator runs the board's own ELF; the
published TiNAS shapes (random Q15 weights) run bit-exact under continuous power, under the Thevenin
source with 5 mF and under random power failures; broken preservation is caught; the device's timing
hardly depends on the weights; in the brown-out regime the replayed trace matters, and a source
stronger than the device's load never lets it fail.

Expectations come from outside the code under test: the Python reference's golden output (bit-exact), the
ELF file's own bytes (sha256), and the physics of the set-up (a 20 mW constant source is above the
device's draw, which the device table puts at a few mW, so the capacitor never falls to Voff).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from hil.build import build_firmware
from hil.power.energy_model import EnergyModel
from hil.power.profile import load_profile
from hil.power.simple import ContinuousPower, FixedBudgetPower
from hil.targets.emulator import EmulatorTarget
from tests.fw_models import IMAGE_BLOCKS, make_artifact
from tinas.export.published import export_published
from tinas.platform import load_platform

pytestmark = pytest.mark.emulator
SOLUTIONS = sorted((Path(__file__).parent / "data" / "tinas-solutions").glob("*.json"))
# the bounded form: one HAR and one CIFAR-10 shape of each variant family; --hil-sweep=full: all 12
BOUNDED = ("TiNAS_HAR-LAT-perc25-CCAP0.005", "TiNAS-U_HAR-LAT-perc75-CCAP0.005",
           "TiNAS-M_CIFAR10-IMO-perc2-LAT-perc25-CCAP0.005")


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _thevenin_5mf() -> EnergyModel:
    platform = load_platform().with_capacitor(0.005, None)
    return EnergyModel.from_platform(load_profile("thevenin_tinas"), platform)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("acceptance")
    return make_artifact(d / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS, proactive=False)


def test_emulator_and_board_run_the_same_elf(small):
    """The file the twin executes is the file a board is flashed with, and the cost model's platform
    profile (which calibration rewrites) does not enter it."""
    with EmulatorTarget(seed=0) as t:
        t.load(small.directory)
        twin_elf = t.build.elf
    board_elf = build_firmware("fr5994").elf
    calibrated = load_platform().with_capacitor(0.0001, None)
    assert _sha(twin_elf) == _sha(board_elf) == _sha(build_firmware("fr5994", calibrated).elf)


def test_published_shapes_bit_exact_continuous_thevenin_and_random_failures(tmp_path, sweep_budget):
    """Every published shape (bounded: three) exports, builds and runs bit-exact on the twin under
    continuous power, under the Thevenin source with 5 mF, and with power failing at random cycles
    (full sweep: up to 26 failures per shape, over 200 in all)."""
    chosen = SOLUTIONS if sweep_budget == "full" else [p for p in SOLUTIONS if p.stem.split("_best")[0] in BOUNDED]
    assert len(chosen) == (12 if sweep_budget == "full" else len(BOUNDED))
    per_shape = 26 if sweep_budget == "full" else 4
    rng = np.random.default_rng(11)
    failures = 0
    for i, src in enumerate(chosen):
        art = export_published(src, seed=i + 1, out=tmp_path / src.stem)
        with EmulatorTarget(seed=i) as t:
            t.load(tmp_path / src.stem)
            cont = t.run(ContinuousPower(), timeout_s=600)
            assert cont.output_correct, f"{src.stem}: continuous output differs from the reference"
            total = t.last_machine_stats["cycles_with_report"]  # the continuous run, inference and report
            r = t.run(_thevenin_5mf(), timeout_s=600)
            assert r.output_correct, f"{src.stem}: Thevenin 5 mF output differs from the reference"
            # failures spread over the whole run, inference and report (each power cycle a random share of it;
            # a share of the inference alone can be shorter than the largest tile three times in a row)
            budgets = [int(b) for b in rng.integers(total // (per_shape + 4), total // (per_shape // 2 + 1), per_shape)]
            power = FixedBudgetPower(budgets + [10**12], off_time_s=0.01)
            r = t.run(power, timeout_s=600)
            assert r.output_correct, f"{src.stem}: output differs after failures at {power.failures_at}"
            failures += len(power.failures_at)
        assert art.network.layers  # the export carried the published layer list
    assert failures >= (200 if sweep_budget == "full" else 3 * len(chosen))


def test_broken_preservation_is_caught(small):
    """The build that commits progress before a tile's output is written (RT_BROKEN_COMMIT) gives a
    wrong output once a power failure falls between the commit and the write; the same failure schedule
    leaves the correct build bit-exact."""
    rng = np.random.default_rng(2)
    schedules = [[int(b) for b in rng.integers(300_000, 2_500_000, 60)] + [10**12] for _ in range(4)]
    wrong = 0
    with EmulatorTarget(seed=5, flags=("-DRT_BROKEN_COMMIT",)) as broken, EmulatorTarget(seed=5) as good:
        broken.load(small.directory)
        good.load(small.directory)
        for s in schedules:
            assert good.run(FixedBudgetPower(list(s), off_time_s=0.01), timeout_s=600).output_correct
            wrong += not broken.run(FixedBudgetPower(list(s), off_time_s=0.01), timeout_s=600).output_correct
    assert wrong >= 1


def test_same_shapes_different_weights_nearly_same_cycles(tmp_path):
    """Two exports of one published shape with different random weights take almost the same number of
    cycles: LEA, DMA and SPI time does not depend on the values (the old emulator's software multiply
    made 70-79 % of the cycles depend on the weights' bits). What remains is the firmware's own
    data-dependent CPU code, which silicon would show too: the ReLU stores only negative elements, and
    each layer's requantisation shift (chosen by the quantiser from the weights) is a software loop.
    Measured: 0.18 % on this shape; the bound is 0.5 %."""
    src = next(p for p in SOLUTIONS if p.stem.startswith("TiNAS_HAR-LAT-perc25"))
    cycles = []
    for seed in (1, 2):
        export_published(src, seed=seed, out=tmp_path / str(seed))
        with EmulatorTarget(seed=0) as t:
            t.load(tmp_path / str(seed))
            r = t.run(ContinuousPower(), timeout_s=600)
            assert r.output_correct
            cycles.append(r.cpu_cycles)
    weights = [(tmp_path / str(s) / "model.bin").read_bytes() for s in (1, 2)]
    assert weights[0] != weights[1]
    assert abs(cycles[0] - cycles[1]) <= 0.005 * max(cycles)


def test_brownout_regime_follows_the_trace(small):
    """In the brown-out regime the replayed trace decides when power fails: the shipped profiles give
    different power-cycle counts for one network, and a constant 20 mW source never lets it fail."""
    platform = load_platform().with_capacitor(0.0001, None)
    counts = {}
    with EmulatorTarget(seed=1) as t:
        t.load(small.directory)
        for name in ("thevenin_tinas", "square_wave", "solar_june", "constant_strong"):
            model = EnergyModel.from_platform(load_profile(name), platform)
            r = t.run(model, timeout_s=600)
            assert r.output_correct, name
            counts[name] = r.power_cycles
    assert counts["constant_strong"] == 1
    assert len({counts[n] for n in ("thevenin_tinas", "square_wave", "solar_june")}) > 1, counts
