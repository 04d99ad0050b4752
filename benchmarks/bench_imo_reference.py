"""IMO against a continuous reference WITHOUT preservation, on the emulator (FR5994 twin).

The runner's measured IMO takes its continuous latency from a continuous-power run of the same build, whose
commits still run. This benchmark adds, for a finished ``bench_calibration.py`` draw, one continuous run per
network of the no-preservation build (``-DRT_NO_PRESERVATION``: no commits, no progress writes) and judges

    IMO_np = 100 · (active time intermittent − L_cont,np) / L_cont,np

measured against predicted, leave-one-network-out: the predicted L_cont,np is the held-out fold's continuous
latency minus the network's commits priced at the fold's fitted commit constant. Nothing measured enters a
prediction. Where tile and commit are collinear (all S = 1, the brown-out draws), the commit constant is not
identified and the prediction says so by its error.

    PYTHONPATH=. python benchmarks/bench_imo_reference.py runs/bench-calibration-twin/seed1 ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hil.calibration.fw_calibrate import artifact_model, calibrate_lono  # noqa: E402
from hil.measurements import read_layer_tables, read_tables  # noqa: E402
from hil.power.simple import ContinuousPower  # noqa: E402
from hil.targets.emulator import EmulatorTarget  # noqa: E402
from tinas.cost.firmware_model import FwConstants  # noqa: E402
from tinas.platform import FIRMWARE_PRIMITIVES, load_platform  # noqa: E402


def nopres_latency(artifact_dir: str) -> float:
    t = EmulatorTarget(seed=1, flags=("-DRT_NO_PRESERVATION",))
    try:
        t.load(artifact_dir)
        r = t.run(ContinuousPower(), proactive=False)
        if not r.output_correct:
            raise SystemExit(f"{artifact_dir}: the no-preservation build's output is wrong")
        return r.active_time_s
    finally:
        t.close()


def judge(draw: Path) -> dict:
    table = draw / "measurements.csv"
    runs, layers = read_tables([table]), read_layer_tables([table])
    res = calibrate_lono(runs, layers, load_platform())
    nets = sorted(runs["artifact_hash"].unique())  # the folds' order (calibrate_lono)
    ci = FIRMWARE_PRIMITIVES.index("commit")
    rows = []
    for net, fold in zip(nets, res.folds):
        r0 = runs[runs["artifact_hash"] == net].iloc[0]
        a = artifact_model(str(r0["artifact_dir"]), load_platform())
        k = FwConstants.of(fold.platform)
        commits = float(a.X[:, ci].sum())
        l_np = nopres_latency(str(r0["artifact_dir"]))
        rt = res.runs[(res.runs["artifact_hash"] == net)]
        cont_pred = float(rt["after_continuous_s"].iloc[0])
        l_np_pred = cont_pred - commits * k.cycles[ci] / k.clock_hz
        for _, r in rt[rt["power_mode"] == "intermittent"].iterrows():
            rows.append({"network": r["artifact_name"], "profile": r["profile"], "l_cont_np_s": l_np,
                         "l_cont_np_pred_s": l_np_pred,
                         "imo_np": 100 * (r["active_time_s"] - l_np) / l_np,
                         "imo_np_pred": 100 * (r["after_active_s"] - l_np_pred) / l_np_pred})
    df = pd.DataFrame(rows)
    ref = df.drop_duplicates("network")
    return {"draw": str(draw), "n_runs": len(df),
            "l_cont_np_mape_percent": float(np.mean(np.abs(ref.l_cont_np_pred_s / ref.l_cont_np_s - 1)) * 100),
            "imo_np_measured_range": [float(df.imo_np.min()), float(df.imo_np.max())],
            "imo_np_mae_pp": float(np.mean(np.abs(df.imo_np_pred - df.imo_np))),
            "imo_np_max_abs_pp": float(np.max(np.abs(df.imo_np_pred - df.imo_np)))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("draws", nargs="+", help="bench_calibration draw folders (with measurements.csv)")
    ap.add_argument("--out", default=None, help="JSON file for the results")
    a = ap.parse_args()
    out = []
    for d in a.draws:
        s = judge(Path(d))
        print(json.dumps(s), flush=True)
        out.append(s)
    if a.out:
        p = Path(a.out)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(json.dumps({"format": "tinas.bench_imo_reference", "version": 1, "draws": out}, indent=1))
        tmp.replace(p)


if __name__ == "__main__":
    main()
