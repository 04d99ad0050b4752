"""Calibration end to end on synthetic measurements generated with known constants: the fit recovers
them; mixed versions and too few networks are refused."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hil.calibration.calibrate import calibrate, split_cpu_nvm
from hil.calibration.linear_fit import CalibrationError
from hil.measurements import COLUMNS
from tests.fw_models import make_artifact
from tinas.cost import evaluate_design
from tinas.export import load_artifact
from tinas.platform import load_platform

BLOCKS = [([3, 3, 2, True], [1, 5, 1, False], [4, 3, 2, True]), ([1, 3, 1, False], [3, 3, 1, False], [1, 1, 2, True]),
          ([6, 3, 1, False], [1, 7, 1, True], [3, 5, 1, False]), ([4, 5, 2, True], [3, 3, 2, True], [1, 3, 1, False]),
          ([1, 1, 1, False], [6, 1, 1, False], [4, 7, 2, True]), ([3, 7, 2, True], [4, 5, 1, False], [6, 3, 1, True])]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    d = tmp_path_factory.mktemp("cal")
    return [make_artifact(d / f"a{i}", dataset="DIGITS", width=0.5, resolution=8, blocks=b, seed=i).directory
            for i, b in enumerate(BLOCKS)]


def synthetic_rows(artifacts, theta_cp, theta_nvm, reboot_s, firmware="fw1"):
    p = load_platform()
    rows = []
    for i, a in enumerate(artifacts):
        rec = load_artifact(a).record
        cont = evaluate_design(rec.network, list(rec.designs), p, power="CONT").totals("CONT")
        cpu, nvm = split_cpu_nvm(str(a), p)
        lc = theta_cp * cpu + theta_nvm * nvm
        for prof, npc in (("thevenin_tinas", 20 + 3 * i), ("square_wave", 25 + 2 * i)):
            act = lc + reboot_s * npc
            base = dict.fromkeys(COLUMNS, 0)
            base.update(run_id=f"r{i}{prof}", target_kind="emulator", target_id="emu", firmware_hash=firmware,
                        artifact_hash=rec.blob_sha256[:16], artifact_name=rec.name, artifact_dir=str(a), profile=prof,
                        ccap_f=p.ccap_f, output_correct=True, cost_model_version="tinas-cost-1", format="hil.measurements",
                        version=1, predicted_components=json.dumps({"cont": cont}))
            rows.append({**base, "power_mode": "intermittent", "active_time_s": act, "power_cycles": npc,
                         "imo_percent": 100 * (act - lc) / act})
            rows.append({**base, "power_mode": "continuous", "active_time_s": lc, "power_cycles": 1})
    return pd.DataFrame(rows)


def test_fit_recovers_known_constants(artifacts):
    base = load_platform()
    res = calibrate(synthetic_rows(artifacts, 1.7, 0.6, 0.012), base, holdout_fraction=0.34)
    assert res.cont_fit.as_dict()["cp"] == pytest.approx(1.7, rel=1e-6)
    assert res.cont_fit.as_dict()["nvm"] == pytest.approx(0.6, rel=1e-6)
    assert res.reboot_time_s == pytest.approx(0.012, rel=1e-6)
    assert res.platform.vmac_cycles_per_call == pytest.approx(1.7 * base.vmac_cycles_per_call)
    assert res.platform.provenance_of("reboot_time_s").source.startswith("hil calibrate")
    after = res.summaries["continuous_s"][1]
    before = res.summaries["continuous_s"][0]
    assert after.mape_percent < 1e-3 < before.mape_percent


def test_mixed_firmware_refused(artifacts):
    df = pd.concat([synthetic_rows(artifacts[:3], 1, 1, 0.01, "fwA"), synthetic_rows(artifacts[3:], 1, 1, 0.01, "fwB")])
    with pytest.raises(CalibrationError, match="mix 2 firmware builds"):
        calibrate(df, load_platform())


def test_too_few_networks(artifacts):
    with pytest.raises(CalibrationError, match="needs at least 4"):
        calibrate(synthetic_rows(artifacts[:3], 1, 1, 0.01), load_platform())
