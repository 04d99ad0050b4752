"""The firmware cost model as the search uses it: selectable per profile, vectorised, BN folded."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

from tinas.cli import main as tinas_main
from tinas.cost import evaluate
from tinas.cost.fw_counts import Tilings, firmware_layers, fits_firmware, layer_counts
from tinas.cost.tiling import Dims, full_grid
from tinas.network import LayerDesign, Network
from tinas.platform import PlatformError, load_platform
from tinas.settings import SettingsError, load_settings

SOL = Path(__file__).parent / "data" / "tinas-solutions"


def _load(name: str) -> Network:
    with contextlib.redirect_stderr(io.StringIO()):
        return Network.load(SOL / name)


@pytest.mark.parametrize("name", ["TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json",
                                  "TiNAS_CIFAR10-LAT-perc25-CCAP0.005_best_solution_info.json"])
def test_firmware_model_explores_designs_the_runtime_can_run(name):
    net = _load(name)
    p = load_platform().with_cost_model("firmware")
    cost = evaluate(net, p)
    assert cost.feasible and cost.model_version.startswith("firmware")
    assert len(cost.designs) == len(net.layers)
    for fl, i in firmware_layers(net):
        assert fits_firmware(fl, Tilings.of([cost.designs[i]]))[0]
        for covered in fl.covers[1:]:  # a folded BN takes its convolution's design and costs nothing
            lc = next(l for l in cost.layers if l.name == covered)
            assert lc.design == cost.designs[i] and lc.latency_s == 0.0
    commits = sum(int(layer_counts(fl, Tilings.of([cost.designs[i]]))["commits"][0]) for fl, i in firmware_layers(net))
    assert cost.power_cycles == commits  # proactive shutdown: one committed batch per power cycle
    assert 0 < cost.latency_continuous_s < cost.active_time_s < cost.latency_intermittent_s
    # the original model on the same profile is untouched
    assert evaluate(net, load_platform()).model_version == "tinas-cost-1"


def test_vectorised_counts_equal_one_candidate_at_a_time():
    net = _load("TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json")
    for fl, i in firmware_layers(net)[:8]:
        g = full_grid(net.layers[i], Dims.of(net.layers[i]), s_values=(1, 2))
        t = Tilings(g.Tr, g.Tc, g.Tm, g.Tn, g.S)
        allc = layer_counts(fl, t)
        rng = np.random.default_rng(i)
        for j in rng.choice(len(g), size=min(25, len(g)), replace=False):
            d = LayerDesign(Tr=int(g.Tr[j]), Tc=int(g.Tc[j]), Tm=int(g.Tm[j]), Tn=int(g.Tn[j]), order="reuse_O",
                            S=int(g.S[j]))
            one = layer_counts(fl, Tilings.of([d]))
            assert {k: int(v[j]) for k, v in allc.items()} == {k: int(v[0]) for k, v in one.items()}


def test_cost_model_selection_is_checked(tmp_path, capsys):
    p = load_platform()
    with pytest.raises(PlatformError, match="unknown cost model"):
        p.with_cost_model("tinas2024")
    bare = p.__class__(**{**{f: getattr(p, f) for f in ("name", "constants", "overheads", "capacitor", "rehm_table",
                                                          "provenance")}, "firmware": ()})
    with pytest.raises(PlatformError, match=r"\[firmware\]"):
        bare.with_cost_model("firmware")
    with pytest.raises(SettingsError, match="COST_MODEL"):
        load_settings([], overrides={"PLATFORM_SETTINGS": {"COST_MODEL": "other"}}).validate()
    f = str(SOL / "TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json")
    assert tinas_main(["cost", f, "--cost-model", "firmware", "--json"]) == 0
    fw = json.loads(capsys.readouterr().out)
    assert tinas_main(["cost", f, "--json"]) == 0
    orig = json.loads(capsys.readouterr().out)
    assert fw["feasible"] and orig["feasible"] and fw["power_cycles"] != orig["power_cycles"]
