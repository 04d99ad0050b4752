"""Calibration of the firmware cost model recovers per-primitive constants it did not see.

Measurements are generated here, independently of the fitting code: each layer's cycles are the sum,
written out below, of its primitive counts times chosen "true" constants (plus noise in one test); each
run's active time adds a chosen per-layer cost and boot time per power cycle. The fit must return the
true constants (exactly without noise, inside its confidence intervals with noise), report a bound that
binds, predict held-out networks from the constants alone, and refuse inputs it cannot use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hil.calibration.fw_calibrate import calibrate_lono, check_inputs
from hil.calibration.fw_fit import fit_bounded
from hil.calibration.linear_fit import CalibrationError
from hil.measurements import COLUMNS, LAYER_COLUMNS
from tests.fw_models import IMAGE_BLOCKS, SERIES_BLOCKS, alternative_designs, make_artifact
from tinas.cost.fw_counts import FwLayer, Tilings, firmware_layers, layer_counts
from tinas.network import LayerDesign
from tinas.platform import FIRMWARE_PRIMITIVES, load_platform

PRIMS = FIRMWARE_PRIMITIVES[:-1]
COUNTER = {"tile": "tiles", "commit": "commits", "rd_cmd": "rd_cmds", "rd_byte": "rd_bytes", "wr_cmd": "wr_cmds",
           "wr_byte": "wr_bytes", "mac_call": "lea_calls", "mac_elem": "lea_elems", "el_requant": "op_requant",
           "el_relu": "op_relu", "el_add": "op_add", "el_gap": "op_gap", "el_zero": "op_zero", "el_div": "op_div",
           "mpy_call": "mpy_calls", "mpy_elem": "mpy_elems", "pad_elem": "pad_elems",
           "conv_pixel": "conv_pix", "conv_tap": "conv_taps", "conv_krow": "conv_krows", "in_row": "in_rows",
           "out_row": "out_rows"}
TRUE = {"tile": 900.0, "commit": 4000.0, "rd_cmd": 400.0, "rd_byte": 30.0, "wr_cmd": 450.0, "wr_byte": 33.0,
        "mac_call": 600.0, "mac_elem": 2.0, "el_requant": 50.0, "el_relu": 14.0, "el_add": 120.0, "el_gap": 11.0,
        "el_zero": 9.0, "el_div": 170.0, "mpy_call": 260.0, "mpy_elem": 50.0, "pad_elem": 16.0,
        "conv_pixel": 900.0, "conv_tap": 80.0, "conv_krow": 70.0, "in_row": 140.0, "out_row": 160.0}


def _random_layers(rng: np.random.Generator, n: int) -> list[tuple[FwLayer, LayerDesign]]:
    out = []
    kinds = ("CONV", "DW", "FC", "RELU", "ADD", "GAP")
    for i in range(n):
        kind = kinds[i % len(kinds)]
        c_in, c_out = int(rng.integers(2, 24)), int(rng.integers(2, 24))
        h = int(rng.integers(2, 12))
        k = int(rng.choice([1, 3, 5])) if kind in ("CONV", "DW") else 1
        s = int(rng.choice([1, 2])) if kind in ("CONV", "DW") else 1
        pad = k // 2
        if kind == "DW":
            c_out = c_in
        if kind in ("RELU", "ADD"):
            c_out = c_in
        if kind == "FC":
            fl = FwLayer(f"l{i}", (f"l{i}",), kind, c_in, 1, 1, c_out, 1, 1)
        elif kind == "GAP":
            fl = FwLayer(f"l{i}", (f"l{i}",), kind, c_in, h, h, c_in, 1, 1)
        elif kind in ("RELU", "ADD"):
            fl = FwLayer(f"l{i}", (f"l{i}",), kind, c_in, h, h, c_in, h, h)
        else:
            o = (h + 2 * pad - k) // s + 1
            fl = FwLayer(f"l{i}", (f"l{i}",), kind, c_in, h, h, c_out, o, o, k, k, s, pad)
        rows = fl.in_h if kind == "GAP" else fl.out_h
        d = LayerDesign(Tr=int(rng.integers(1, rows + 1)), Tc=int(rng.integers(1, rows + 1)),
                        Tm=int(rng.integers(1, fl.out_c + 1)), Tn=int(rng.integers(1, fl.in_c + 1)),
                        order="reuse_O", S=int(rng.integers(1, 4)))
        out.append((fl, d))
    return out


def _cycles(counts: dict[str, np.ndarray], true: dict[str, float]) -> float:
    """The generator: a layer's cycles, summed primitive by primitive."""
    total = 0.0
    for prim, counter in COUNTER.items():
        total += float(counts[counter][0]) * true[prim]
    return total


def _points(rng, n, true):
    X, y = [], []
    for fl, d in _random_layers(rng, n):
        c = layer_counts(fl, Tilings.of([d]))
        X.append([float(c[COUNTER[p]][0]) for p in PRIMS])
        y.append(_cycles(c, true))
    return np.array(X), np.array(y)


def test_recovers_constants_exactly_without_noise():
    X, y = _points(np.random.default_rng(0), 240, TRUE)
    f = fit_bounded(X, y, PRIMS, np.ones(len(PRIMS)), what="test")
    for p, v in zip(PRIMS, f.theta):
        assert v == pytest.approx(TRUE[p], rel=1e-6), p
    assert f.rel_rmse < 1e-9 and not f.binding and np.isfinite(f.condition_number)


def test_recovers_constants_within_confidence_with_noise():
    rng = np.random.default_rng(1)
    X, y = _points(rng, 400, TRUE)
    y_noisy = y * (1 + rng.normal(0, 0.01, y.size))
    f = fit_bounded(X, y_noisy, PRIMS, np.ones(len(PRIMS)), what="test")
    inside = [abs(v - TRUE[p]) <= ci for p, v, ci in zip(PRIMS, f.theta, f.ci95)]
    assert sum(inside) >= 11  # 95 % intervals: almost all of 14 hold the truth
    big = ("rd_cmd", "wr_cmd", "mac_call", "commit", "tile")  # the constants that carry most cycles
    for p in big:
        assert f.theta[PRIMS.index(p)] == pytest.approx(TRUE[p], rel=0.1), p


def test_a_binding_bound_is_reported():
    true = dict(TRUE, el_relu=0.0)
    rng = np.random.default_rng(2)
    X, y = _points(rng, 240, true)
    y = y - 0.5 * X[:, PRIMS.index("el_relu")]  # the data pull el_relu below zero
    f = fit_bounded(X, y, PRIMS, np.ones(len(PRIMS)), what="test")
    assert f.theta[PRIMS.index("el_relu")] == 0.0
    assert any(b.startswith("el_relu = 0") for b in f.binding)


def test_too_few_points_are_refused():
    X, y = _points(np.random.default_rng(3), 6, TRUE)
    with pytest.raises(CalibrationError, match="need at least"):
        fit_bounded(X, y, PRIMS, np.ones(len(PRIMS)), what="test")


# -- the whole flow, leave-one-network-out, on exported networks --------------------------------------
NETS = [dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS),
        dict(dataset="DIGITS", width=0.7, resolution=12, blocks=([1, 7, 1, True], [6, 1, 3, True], [3, 5, 2, False])),
        dict(dataset="MOTION", width=0.6, resolution=32, blocks=SERIES_BLOCKS),
        dict(dataset="DIGITS", width=0.6, resolution=8, blocks=([3, 5, 1, True], [1, 3, 2, False], [6, 3, 2, True])),
        dict(dataset="MOTION", width=0.5, resolution=32, blocks=([1, 3, 1, True], [3, 7, 2, True], [4, 5, 2, False]))]
LAYER_C, BOOT_S, CLK = 2500.0, 0.004, 16e6
UNTIMED = 550.0  # per commit, outside the runtime's timed span: only in run-level times


def _synthetic_tables(tmp_path, s1_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run rows and per-layer rows as a target would write them, with cycles from TRUE: each network runs
    intermittent and continuous, and continuous built without preservation (the reference: no commits)."""
    runs, layers = [], []
    for j, case in enumerate(NETS):
        # S > 1 separates tiles from commits; with s1_only every tile commits and only the reference does
        designs = alternative_designs(seed=j, **case) if j % 2 and not s1_only else None
        art = make_artifact(tmp_path / f"a{j}", seed=j, designs=designs, **case)
        rec = art.record
        work = 0.0
        fls = firmware_layers(rec.network)
        commits = 0
        for li, (fl, i) in enumerate(fls):
            c = layer_counts(fl, Tilings.of([rec.designs[i]]))
            cyc = _cycles(c, TRUE)
            work += cyc
            commits += int(c["commits"][0])
            for mode in ("continuous", "intermittent", "reference"):
                layers.append({**{k: 0 for k in LAYER_COLUMNS}, "run_id": f"{j}-{mode}", "target_kind": "emulator",
                               "firmware_hash": "fw-np" if mode == "reference" else "fw", "artifact_hash": f"h{j}",
                               "artifact_name": f"n{j}", "artifact_dir": str(art.directory), "profile": "p",
                               "ccap_f": 0.005, "power_mode": mode, "layer": li, "layer_name": fl.name, "kind": fl.kind,
                               "cycles": cyc - (c["commits"][0] * TRUE["commit"] if mode == "reference" else 0),
                               "format": "hil.layer_measurements", "version": 1})
        cont = (work + len(fls) * LAYER_C + commits * UNTIMED) / CLK + BOOT_S
        ref = cont - commits * (TRUE["commit"] + UNTIMED) / CLK  # the same run without a single commit
        act = cont + commits * BOOT_S  # proactive shutdown: one boot per commit, plus the first
        for mode, a, pc in (("continuous", cont, 1), ("intermittent", act, commits + 1), ("reference", ref, 1)):
            runs.append({**{k: 0 for k in COLUMNS}, "run_id": f"{j}-{mode}", "target_kind": "host", "target_id": "t",
                         "firmware_hash": "fw-np" if mode == "reference" else "fw", "artifact_hash": f"h{j}",
                         "artifact_name": f"n{j}", "profile": "p",
                         "ccap_f": 0.005, "power_mode": mode, "active_time_s": a, "power_cycles": pc,
                         "imo_percent": 100 * (act - ref) / act if mode == "intermittent" else 0.0,
                         "output_correct": True, "cost_model_version": "firmware-cost-1",
                         "proactive": int(mode == "intermittent"),
                         "artifact_dir": str(art.directory), "format": "hil.measurements", "version": 2})
    layers_df = pd.DataFrame(layers)
    layers_df["target_kind"] = "host"
    return pd.DataFrame(runs), layers_df


def test_lono_predicts_held_out_networks_from_constants_alone(tmp_path):
    runs, layers = _synthetic_tables(tmp_path)
    res = calibrate_lono(runs, layers, load_platform())
    fw = dict(res.final.platform.firmware)
    for p in PRIMS:
        if p in res.final.primitives.no_data:
            continue
        assert fw[f"{p}_cycles"] == pytest.approx(TRUE[p], rel=1e-4), p
    assert fw["boot_time_s"] == pytest.approx(BOOT_S, rel=1e-4)
    assert fw["layer_cycles"] == pytest.approx(LAYER_C, rel=1e-3)
    assert fw["commit_untimed_cycles"] == pytest.approx(UNTIMED, rel=1e-3)
    r = res.runs
    ints = r[r["power_mode"] == "intermittent"]
    assert np.allclose(ints["after_active_s"], ints["active_time_s"], rtol=1e-4)
    assert (ints["after_power_cycles"] == ints["power_cycles"]).all()
    assert np.allclose(ints["after_imo"], ints["imo_percent"], atol=1e-3)
    lt = res.layers[res.layers["power_mode"] == "continuous"]
    assert np.allclose(lt["after_s"], lt["measured_s"], rtol=1e-4)
    refs = r[r["power_mode"] == "reference"]
    assert np.allclose(refs["after_reference_s"], refs["active_time_s"], rtol=1e-4)


def test_reference_runs_separate_the_commit_from_the_tile(tmp_path):
    """Every design commits after each tile (S = 1): tiles and commits are collinear in the preserving
    build's rows, and only the reference build (no commits) tells their costs apart."""
    runs, layers = _synthetic_tables(tmp_path, s1_only=True)
    fw = dict(calibrate_lono(runs, layers, load_platform()).final.platform.firmware)
    assert fw["commit_cycles"] == pytest.approx(TRUE["commit"], rel=1e-3)
    assert fw["tile_cycles"] == pytest.approx(TRUE["tile"], rel=1e-3)
    keep = runs["power_mode"] != "reference"
    blind = dict(calibrate_lono(runs[keep], layers[layers["power_mode"] != "reference"], load_platform())
                 .final.platform.firmware)
    assert blind["tile_cycles"] + blind["commit_cycles"] == pytest.approx(TRUE["tile"] + TRUE["commit"], rel=1e-3)


def test_tables_measured_against_the_preserving_build_are_refused(tmp_path):
    runs, layers = _synthetic_tables(tmp_path)
    with pytest.raises(CalibrationError, match="version 1"):
        check_inputs(runs.assign(version=1), layers)


def test_mixed_firmware_and_too_few_networks_are_refused(tmp_path):
    runs, layers = _synthetic_tables(tmp_path)
    mixed = runs.copy()
    mixed.loc[0, "firmware_hash"] = "other"
    with pytest.raises(CalibrationError, match="firmware builds"):
        check_inputs(mixed, layers)
    mixed = runs.copy()
    mixed.loc[0, "cost_model_version"] = "tinas-cost-1"
    with pytest.raises(CalibrationError, match="cost-model versions"):
        check_inputs(mixed, layers)
    few = runs[runs["artifact_hash"].isin(["h0", "h1"])]
    with pytest.raises(CalibrationError, match="at least 3"):
        check_inputs(few, layers)


# -- trace-aware prediction --------------------------------------------------------------------------
def _har():
    import contextlib
    import io
    from pathlib import Path

    from tinas.cost.firmware_model import evaluate_firmware
    from tinas.network import Network

    f = Path(__file__).parent / "data" / "tinas-solutions" / "TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json"
    with contextlib.redirect_stderr(io.StringIO()):
        net = Network.load(f)
    p = load_platform().with_cost_model("firmware")
    return net, list(evaluate_firmware(net, p).designs), p


def test_trace_prediction_proactive_is_one_batch_per_power_cycle():
    from hil.calibration.trace_predict import predict_run
    from hil.power.profile import load_profile

    net, designs, p = _har()
    commits = sum(int(layer_counts(fl, Tilings.of([designs[i]]))["commits"][0]) for fl, i in firmware_layers(net))
    r = predict_run(net, designs, p, load_profile("thevenin_tinas"), proactive=True)
    assert r.completed and r.power_cycles == commits + 1 and r.off_s > 0
    host = predict_run(net, designs, p, None, proactive=True, target_kind="host")
    assert host.power_cycles == commits + 1 and host.off_s == 0


def test_trace_prediction_browns_out_more_with_a_smaller_capacitor():
    from hil.calibration.trace_predict import predict_run
    from hil.power.profile import load_profile

    net, designs, p = _har()
    prof = load_profile("thevenin_tinas")
    big = predict_run(net, designs, p.with_capacitor(0.005), prof, proactive=False)
    small = predict_run(net, designs, p.with_capacitor(0.00047), prof, proactive=False)
    assert big.completed and small.completed
    assert small.power_cycles > big.power_cycles >= 1


def test_trace_prediction_brown_outs_match_the_energy_balance():
    """A constant 2 mW source under a heavier load: each power cycle delivers the capacitor's usable energy
    stretched by what is harvested meanwhile, E·P/(P − Ph); a brown-out loses at most one batch and a boot."""
    from hil.calibration.trace_predict import batches, predict_run
    from hil.power.energy_model import active_power_w
    from hil.power.profile import load_profile

    net, designs, p = _har()
    p = p.with_capacitor(0.00047)
    r = predict_run(net, designs, p, load_profile("constant_weak"), proactive=False)
    _, en, _, _, _ = batches(net, designs, p, proactive=False)
    k_boot = dict(p.firmware)["boot_energy_j"]
    load, harvest = active_power_w(p), 2e-3
    per_cycle = 0.5 * p.ccap_f * (p.v_on_v**2 - p.v_off_v**2) * load / (load - harvest)
    assert r.completed
    assert r.power_cycles >= np.floor(en.sum() / per_cycle)
    assert r.power_cycles <= np.ceil(en.sum() / (per_cycle - en.max() - k_boot)) + 1


def test_drain_browns_out_where_the_energy_balance_says():
    """One long segment at 6 mW from the 470 µF capacitor under a constant 2 mW source: the power fails
    after t = E_usable / (6 mW − 2 mW − leak), E_usable = C·(Von² − Voff²)/2, the leak C·V²/RC between
    0 and its value at Von (the drain takes it at chunk boundaries, as the twin's target does)."""
    from hil.calibration.trace_predict import _Drain
    from hil.power.energy_model import LEAK_RC_S, EnergyModel
    from hil.power.profile import load_profile

    p = load_platform().with_capacitor(470e-6)
    model = EnergyModel.from_platform(load_profile("constant_weak"), p)
    d = _Drain(model, 16e6)
    model.mark_on()
    d.power_on()
    cycles = 16e6 * 10.0  # 10 s: far longer than the capacitor lasts
    ran, out = d.run(cycles, 6e-3 * 10.0)
    e_u = 0.5 * 470e-6 * (p.v_on_v**2 - p.v_off_v**2)
    leak = 470e-6 * p.v_on_v**2 / LEAK_RC_S
    assert out
    assert e_u / (4e-3 + leak) <= ran / 16e6 <= e_u / 4e-3
    # the segment's work split in two pieces browns out at the same cycle
    model2 = EnergyModel.from_platform(load_profile("constant_weak"), p)
    d2 = _Drain(model2, 16e6)
    model2.mark_on()
    d2.power_on()
    a, out_a = d2.run(cycles / 40, 6e-3 * 0.25)
    b, out_b = d2.run(cycles, 6e-3 * 10.0)
    assert not out_a and out_b and a + b == pytest.approx(ran, abs=1.0)
