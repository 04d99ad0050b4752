"""Calibration of the firmware cost model, judged leave-one-network-out.

1. Per-primitive cycles: bounded least squares of every layer's measured cycles (the runtime's own
   compute + preserve counters) against the model's counts for that layer's design, plus microbenchmark
   points when given (``fw_fit.fit_bounded``).
2. Per-layer and per-boot time: bounded least squares of each run's active time minus the predicted layer
   work against the number of layers and the PREDICTED power cycles.
   Rows of the reference build (-DRT_NO_PRESERVATION, continuous power) enter both fits with their commits
   at zero: they identify the commit's cost apart from the tile's.
3. Every quantity of a held-out network is then predicted by the calibrated model alone
   (``trace_predict.predict_run``): continuous latency, active time, power cycles (trace-aware on targets
   with an energy model) and IMO. Measurements enter only the fit, never a prediction.

Each network is held out in turn; its continuous latency is one point (the mean of its continuous runs,
not one per profile), its intermittent runs one point each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from hil.calibration.fw_fit import BoundedFit, fit_bounded
from hil.calibration.linear_fit import CalibrationError
from hil.calibration.trace_predict import predict_run
from hil.power.energy_model import active_power_w
from hil.power.profile import load_profile
from tinas.cost.network_cost import evaluate_layer_cont
from tinas.cost.firmware_model import FwConstants, count_matrix
from tinas.cost.fw_counts import Tilings, firmware_layers, layer_counts
from tinas.export.artifact import load_artifact
from tinas.network import LayerDesign
from tinas.platform import FIRMWARE_PRIMITIVES, Platform, Provenance

LAYER_PRIMS = FIRMWARE_PRIMITIVES[:-1]  # what a layer's measured cycles contain (not the per-layer cost)
QUANTITIES = ("continuous_latency", "reference_latency", "active_time", "power_cycles", "imo")
MIN_NETWORKS = 3


@dataclass
class _Art:
    network: object
    designs: list[LayerDesign]
    proactive: bool
    X: np.ndarray  # firmware layers × LAYER_PRIMS counts
    kinds: list[str]
    names: list[str]
    tinas_cont_s: list[float]  # the original model's continuous latency per firmware layer (prior profile)


_ART_CACHE: dict[str, _Art] = {}


def artifact_model(directory: str, base: Platform) -> _Art:
    if directory in _ART_CACHE:
        return _ART_CACHE[directory]
    rec = load_artifact(directory).record
    designs = list(rec.designs)
    fls = firmware_layers(rec.network)
    X = np.vstack([count_matrix(layer_counts(fl, Tilings.of([designs[i]])), with_layer=False)[0][:-1] for fl, i in fls])
    # the original model's price of each layer with the same design; its VM check (C0, which counts the
    # output tile too) is not applied: the firmware's own check admitted the design and it ran
    orig_p = base.with_cost_model("tinas2025")
    by_name = {l.name: evaluate_layer_cont(l, d, orig_p).latency_s for l, d in zip(rec.network.layers, designs)}
    tin = [sum(by_name.get(n, np.nan) for n in fl.covers) for fl, _ in fls]
    a = _Art(rec.network, designs, rec.proactive_shutdown, X, [fl.kind for fl, _ in fls], [fl.name for fl, _ in fls], tin)
    _ART_CACHE[directory] = a
    return a


def check_inputs(runs: pd.DataFrame, layers: pd.DataFrame) -> None:
    """Refuse what cannot be calibrated together, naming it."""
    if "version" in runs and len(runs) and (runs["version"].astype(int) < 2).any():
        raise CalibrationError("run rows of measurement table version 1 measured IMO against the preserving build under "
                               "continuous power and carry no reference rows (-DRT_NO_PRESERVATION); re-run `hil run`")
    for df, what in ((runs, "run rows"), (layers, "per-layer rows")):
        ref = df["power_mode"].astype(str) == "reference"
        for col, label in (("firmware_hash", "firmware builds"), ("target_kind", "target kinds")):
            for part, tag in ((df[~ref], ""), (df[ref], " (reference runs)")):  # the reference is its own build
                vals = sorted(part[col].astype(str).unique()) if len(part) else []
                if len(vals) > 1:
                    raise CalibrationError(f"{what}{tag} mix {len(vals)} {label} ({', '.join(vals)}); calibrate each "
                                           f"separately so their constants are not averaged")
    vals = sorted(runs["cost_model_version"].astype(str).unique())
    if len(vals) > 1:
        raise CalibrationError(f"run rows mix {len(vals)} cost-model versions ({', '.join(vals)}); re-run or filter them")
    if not runs["output_correct"].all():
        raise CalibrationError("some runs produced a wrong output; fix the firmware before calibrating on them")
    if len(layers) == 0:
        raise CalibrationError("no per-layer rows (<table>.layers.csv): the firmware model is fitted per primitive "
                               "from the runtime's per-layer counters — re-run with a target that reports them")
    nets = runs["artifact_hash"].nunique()
    if nets < MIN_NETWORKS:
        raise CalibrationError(f"{nets} networks measured; leave-one-network-out calibration needs at least "
                               f"{MIN_NETWORKS} — no profile written")


COMMIT = LAYER_PRIMS.index("commit")


def _counts(a: _Art, reference: bool) -> np.ndarray:
    """A network's per-layer counts; the reference build (-DRT_NO_PRESERVATION) commits nothing."""
    if not reference:
        return a.X
    X = a.X.copy()
    X[:, COMMIT] = 0
    return X


def _layer_points(layers: pd.DataFrame, base: Platform) -> tuple[np.ndarray, np.ndarray, list[str]]:
    X, y, arts = [], [], []
    for d, grp in layers.groupby("artifact_dir"):
        a = artifact_model(str(d), base)
        for _, r in grp.iterrows():
            X.append(_counts(a, r["power_mode"] == "reference")[int(r["layer"])])
            y.append(float(r["cycles"]))
            arts.append(str(r["artifact_hash"]))
    return np.array(X), np.array(y), arts


def _micro_points(micro: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Microbenchmark rows (hil microbench: kind, size in Q15 elements, cycles) as design-matrix rows."""
    if micro is None or not len(micro):
        return np.zeros((0, len(LAYER_PRIMS))), np.zeros(0)
    X, y = [], []
    col = {p: j for j, p in enumerate(LAYER_PRIMS)}
    for _, r in micro.iterrows():
        row = np.zeros(len(LAYER_PRIMS))
        n = float(r["size"])
        if r["kind"] == "nvm_read":
            row[col["rd_cmd"]], row[col["rd_byte"]] = 1, 2 * n
        elif r["kind"] == "nvm_write":
            row[col["wr_cmd"]], row[col["wr_byte"]] = 1, 2 * n
        elif r["kind"] == "vmac":
            row[col["mac_call"]], row[col["mac_elem"]] = 1, n
        else:
            continue
        if float(r["cycles"]) > 0:
            X.append(row)
            y.append(float(r["cycles"]))
    return np.array(X).reshape(-1, len(LAYER_PRIMS)), np.array(y)


@dataclass
class FirmwareFit:
    primitives: BoundedFit
    overhead: BoundedFit  # OVERHEAD_NAMES: per layer, per boot, per resume, per commit outside the timed span
    platform: Platform
    power_w: float | None = None  # mean active power fitted from metered energy (None: the profile's)
    group_w: dict[str, float] | None = None  # power while each engine group works (POWER_GROUPS), fitted likewise


def fit_layers(layers: pd.DataFrame) -> pd.DataFrame:
    """The per-layer rows the per-primitive fit uses: continuous runs (both builds) when there are any (an
    intermittent run's layers on the host restart cold in a new process every batch). The reference build's
    layers run the same tiles without commits, which separates the commit's cost from the tile's when every
    design commits after each tile (S = 1)."""
    cont = layers[layers["power_mode"].isin(("continuous", "reference"))]
    return cont if len(cont) else layers


def fit(runs: pd.DataFrame, layers: pd.DataFrame, base: Platform, micro: pd.DataFrame | None = None,
        provenance: Provenance | None = None, min_cycles: float = 0.0) -> FirmwareFit:
    """Fit on the given rows only (the caller leaves networks out)."""
    k = FwConstants.of(base)
    X, y, _ = _layer_points(fit_layers(layers), base)
    Xm, ym = _micro_points(micro)
    X, y = np.vstack([X, Xm]), np.concatenate([y, ym])
    # layers near the timer's resolution (min_cycles) weigh in absolute terms, the others relatively
    prim = fit_bounded(X, y, LAYER_PRIMS, k.cycles[:-1], what="per-primitive cycles", floor=min_cycles)
    clk = k.clock_hz
    power_w = _metered_power(runs)
    group_w = _group_power(runs, base, prim.theta)
    # run level: active time − predicted layer work = per-layer cost × layers + boot time × power cycles
    # the predicted power cycles depend on the boot's energy in the brown-out regime: iterate to a fixed point
    theta = np.array([k.cycles[-1], k.boot_time_s, k.resume_cycles, k.commit_untimed_cycles])
    for _ in range(4):
        tmp = _with(base, prim.theta, *theta, power_w=power_w, group_w=group_w)
        Xr, yr, work = [], [], []
        for _, r in runs.iterrows():
            a = artifact_model(str(r["artifact_dir"]), base)
            X = _counts(a, r["power_mode"] == "reference")
            work.append(float(X.sum(axis=0) @ prim.theta) / clk)
            pc, mid = _predicted_pc(r, a, tmp)
            Xr.append([len(a.kinds) / clk, pc, mid / clk, X[:, COMMIT].sum() / clk])
            yr.append(float(r["active_time_s"]))
        ovh = fit_bounded(np.array(Xr), np.array(yr), OVERHEAD_NAMES, np.array([k.cycles[-1], k.boot_time_s,
                          k.resume_cycles, k.commit_untimed_cycles]),
                          what="per-layer, per-boot, per-resume and untimed per-commit time", offset=np.array(work))
        done = np.all(np.abs(ovh.theta - theta) <= 1e-6 * np.maximum(np.abs(theta), [1.0, 1e-12, 1.0, 1.0]))
        theta = ovh.theta
        if done:
            break
    new = _with(base, prim.theta, *ovh.theta, provenance=provenance, power_w=power_w, group_w=group_w)
    return FirmwareFit(prim, ovh, new, power_w, group_w)


def _metered_power(runs: pd.DataFrame) -> float | None:
    """The device's mean power when on, Σ energy / Σ active time over the (training) runs of a target that
    meters energy (the twin's energy model, EnergyTrace on a board); None when none does (host)."""
    if "energy_j" not in runs or not len(runs):
        return None
    e = pd.to_numeric(runs["energy_j"], errors="coerce").to_numpy(dtype=float)
    t = runs["active_time_s"].to_numpy(dtype=float)
    ok = np.isfinite(e) & (e > 0) & (t > 0)
    return float(e[ok].sum() / t[ok].sum()) if ok.sum() else None


OVERHEAD_NAMES = ("layer_cycles", "boot_time_s", "resume_cycles", "commit_untimed_cycles")
# Primitives by the engine whose current dominates while they run (the rest, and every per-layer, per-boot
# and per-resume cost, is CPU work): the twin's and a board's power differ by ±5 % between networks with
# the mix of these, which moves a brown-out by as much.
POWER_GROUPS = {"nvm": ("rd_cmd", "rd_byte", "wr_cmd", "wr_byte", "commit"), "lea": ("mac_call", "mac_elem", "pad_elem"),
                "mpy": ("mpy_call", "mpy_elem")}
GROUP_OF = {p: g for g, ps in POWER_GROUPS.items() for p in ps}


def _group_power(runs: pd.DataFrame, base: Platform, theta: np.ndarray) -> dict[str, float] | None:
    """Power of each engine group (W) from the training runs' metered energy: non-negative least squares
    of each continuous-power run's energy against its predicted cycles per group (the CPU group takes the
    rest of the run's measured cycles). None without enough metered runs (host)."""
    if "energy_j" not in runs:
        return None
    rows, y = [], []
    clk = base.cpu_clock_hz
    idx = {g: [LAYER_PRIMS.index(p) for p in ps] for g, ps in POWER_GROUPS.items()}
    for _, r in runs[runs["power_mode"].isin(("continuous", "reference"))].iterrows():
        e = pd.to_numeric(r["energy_j"], errors="coerce")
        if not (np.isfinite(e) and e > 0 and r["active_time_s"] > 0):
            continue
        cyc = _counts(artifact_model(str(r["artifact_dir"]), base), r["power_mode"] == "reference").sum(axis=0) * theta
        g = [float(cyc[i].sum()) for i in idx.values()]
        rows.append([*g, max(float(r["active_time_s"]) * clk - sum(g), 0.0)])
        y.append(float(e))
    if len(rows) < 2 * (len(POWER_GROUPS) + 1):
        return None
    from scipy.optimize import nnls

    w, _ = nnls(np.array(rows) / clk, np.array(y))
    if not (w > 0).all():
        return None  # a group the data cannot price: keep the single mean power
    return {**dict(zip(POWER_GROUPS, map(float, w[:-1]))), "cpu": float(w[-1])}


def _with(base: Platform, prim_cycles: np.ndarray, layer_cycles: float, boot_s: float,
          resume_cycles: float | None = None, commit_untimed_cycles: float | None = None,
          provenance: Provenance | None = None, power_w: float | None = None,
          group_w: dict[str, float] | None = None) -> Platform:
    """A profile with fitted cycles; the energies follow from them at the device's active power, because
    no target here meters energy per primitive: the power fitted from the training runs' metered energy
    when the target meters it (the profile's op_add energy is rescaled to it, so the source models of the
    trace-aware prediction budget at that power too), else the profile's own."""
    upd = {f"{p}_cycles": float(v) for p, v in zip(LAYER_PRIMS, prim_cycles)}
    upd["layer_cycles"] = float(layer_cycles)
    upd["boot_time_s"] = float(boot_s)
    if resume_cycles is not None:
        upd["resume_cycles"] = float(resume_cycles)
    if power_w is not None:
        upd["op_add_energy_j"] = power_w * base.op_add_cycles / base.cpu_clock_hz
    j_per_cycle = (active_power_w(base) if power_w is None else power_w) / base.cpu_clock_hz
    jpc = {g: w / base.cpu_clock_hz for g, w in group_w.items()} if group_w else {}
    cpu = jpc.get("cpu", j_per_cycle)
    upd |= {f"{p}_energy_j": v * jpc.get(GROUP_OF.get(p, "cpu"), j_per_cycle) for p, v in zip(LAYER_PRIMS, prim_cycles)}
    upd["layer_energy_j"] = float(layer_cycles) * cpu
    upd["boot_energy_j"] = float(boot_s) * cpu * base.cpu_clock_hz
    if resume_cycles is not None:
        upd["resume_energy_j"] = float(resume_cycles) * cpu
    if commit_untimed_cycles is not None:
        upd["commit_untimed_cycles"] = float(commit_untimed_cycles)
        upd["commit_untimed_energy_j"] = float(commit_untimed_cycles) * jpc.get("nvm", j_per_cycle)
    prov = provenance or Provenance("hil calibrate --cost-model firmware (leave-one-network-out fold)", "-", "-")
    return base.with_constants(upd, prov)


def _proactive(r: pd.Series, a: _Art) -> bool:
    """Whether the run shut down after every batch: recorded in the row, else the artifact's flag."""
    v = int(r.get("proactive", -1)) if pd.notna(r.get("proactive", -1)) else -1
    return a.proactive if v < 0 else bool(v)


def _predicted_pc(r: pd.Series, a: _Art, platform: Platform) -> tuple[int, int]:
    """Predicted (power cycles, boots that resume inside a layer) of a run."""
    if r["power_mode"] in ("continuous", "reference"):
        return 1, 0
    pr = predict_run(a.network, a.designs, platform, None, _proactive(r, a), "host") \
        if r["target_kind"] == "host" else _trace(r, a, platform)
    return pr.power_cycles, pr.mid_resumes


def _trace(r: pd.Series, a: _Art, platform: Platform):  # noqa: ANN202
    p = platform.with_capacitor(float(r["ccap_f"])) if float(r["ccap_f"]) != platform.ccap_f else platform
    return predict_run(a.network, a.designs, p, _profile(str(r["profile"])), _proactive(r, a), str(r["target_kind"]),
                       need_off_time=False)


_PROFILES: dict[str, object] = {}


def _profile(name: str):  # noqa: ANN202 - PowerProfile, parsed once per process
    if name not in _PROFILES:
        _PROFILES[name] = load_profile(name)
    return _PROFILES[name]


def predict_rows(runs: pd.DataFrame, platform: Platform) -> pd.DataFrame:
    """Model-only predictions for run rows: continuous latency, active time, power cycles, IMO."""
    out = []
    for _, r in runs.iterrows():
        a = artifact_model(str(r["artifact_dir"]), platform)
        if r["power_mode"] in ("continuous", "reference"):
            pr = predict_run(a.network, a.designs, platform, None, False, "host")
        elif r["target_kind"] == "host":
            pr = predict_run(a.network, a.designs, platform, None, _proactive(r, a), "host")
        else:
            pr = _trace(r, a, platform)
        out.append({"pred_continuous_s": pr.continuous_s, "pred_reference_s": pr.reference_s, "pred_active_s": pr.active_s,
                    "pred_power_cycles": pr.power_cycles, "pred_imo": pr.imo_percent, "pred_completed": pr.completed})
    return pd.DataFrame(out, index=runs.index)


def predict_layers(layers: pd.DataFrame, platform: Platform) -> np.ndarray:
    k = FwConstants.of(platform)
    return np.array([_counts(artifact_model(str(r["artifact_dir"]), platform), r["power_mode"] == "reference")[int(r["layer"])]
                     @ k.cycles[:-1] for _, r in layers.iterrows()])


@dataclass
class LonoResult:
    runs: pd.DataFrame  # one row per evaluation point with measured, before, after
    layers: pd.DataFrame  # per-layer: measured, before, after, tinas2025
    folds: list[FirmwareFit]
    final: FirmwareFit


def calibrate_lono(runs: pd.DataFrame, layers: pd.DataFrame, base: Platform, micro: pd.DataFrame | None = None,
                   run_ids: str = "", progress: bool = False, min_cycles: float = 0.0) -> LonoResult:
    check_inputs(runs, layers)
    base = base.with_cost_model("firmware")
    nets = sorted(runs["artifact_hash"].unique())
    before_r = predict_rows(runs, base)
    before_l = predict_layers(layers, base)
    after_r = pd.DataFrame(index=runs.index, columns=before_r.columns, dtype=float)
    after_l = np.full(len(layers), np.nan)
    folds = []
    it = nets
    if progress:
        from tinas.progress import tqdm  # line mode when redirected (the main job's log)

        it = tqdm(nets, desc="leave-one-network-out", unit="network")
    for net in it:
        tr_r, tr_l = runs[runs["artifact_hash"] != net], layers[layers["artifact_hash"] != net]
        f = fit(tr_r, tr_l, base, micro, min_cycles=min_cycles)
        folds.append(f)
        te = runs["artifact_hash"] == net
        after_r.loc[te] = predict_rows(runs[te], f.platform).astype(float).to_numpy()
        tl = (layers["artifact_hash"] == net).to_numpy()
        after_l[tl] = predict_layers(layers[tl], f.platform)
    now = datetime.now(timezone.utc).date().isoformat()
    prov = Provenance(f"hil calibrate --cost-model firmware: bounded least squares on {len(layers)} per-layer rows and "
                      f"{len(runs)} runs of {len(nets)} networks (target {runs['target_kind'].iloc[0]}; runs {run_ids or 'n/a'})",
                      now, str(runs["target_id"].iloc[0]))
    final = fit(runs, layers, base, micro, prov, min_cycles=min_cycles)
    final.platform = final.platform.with_constants({}, prov, name=f"{base.name}-fw-calibrated")
    clk = base.cpu_clock_hz
    lt = layers[["artifact_hash", "artifact_name", "profile", "power_mode", "layer", "layer_name", "kind", "cycles",
                 "power_cycles"]].copy()
    lt["measured_s"] = lt["cycles"] / clk
    lt["before_s"] = before_l / clk
    lt["after_s"] = after_l / clk
    lt["timed"] = lt["cycles"] >= max(min_cycles, 1e-9)  # per-layer errors are judged on these
    lt["tinas2025_s"] = [artifact_model(str(d), base).tinas_cont_s[int(i)] for d, i in zip(layers["artifact_dir"], layers["layer"])]
    rt = runs[["run_id", "artifact_hash", "artifact_name", "profile", "power_mode", "active_time_s", "power_cycles",
               "imo_percent"]].copy()
    for tag, pr in (("before", before_r), ("after", after_r)):
        for c in pr.columns:
            rt[f"{tag}_{c[5:]}"] = pr[c]
    return LonoResult(rt, lt, folds, final)


def evaluation_points(res: LonoResult) -> dict[str, pd.DataFrame]:
    """measured/before/after per quantity, deduplicated: continuous latency once per network."""
    rt = res.runs
    cont = rt[rt["power_mode"] == "continuous"].groupby("artifact_hash").agg(
        artifact=("artifact_name", "first"), measured=("active_time_s", "mean"), before=("before_continuous_s", "first"),
        after=("after_continuous_s", "first")).reset_index()
    ref = rt[rt["power_mode"] == "reference"].groupby("artifact_hash").agg(
        artifact=("artifact_name", "first"), measured=("active_time_s", "mean"), before=("before_reference_s", "first"),
        after=("after_reference_s", "first")).reset_index()
    ints = rt[rt["power_mode"] == "intermittent"]
    # the measured IMO (imo_percent) is against the reference run of the same network and profile
    out = {"continuous_latency": cont.assign(profile="-"), "reference_latency": ref.assign(profile="-")}
    base_cols = {"artifact_hash": ints["artifact_hash"], "artifact": ints["artifact_name"], "profile": ints["profile"]}
    out["active_time"] = pd.DataFrame({**base_cols, "measured": ints["active_time_s"], "before": ints["before_active_s"],
                                       "after": ints["after_active_s"]})
    out["power_cycles"] = pd.DataFrame({**base_cols, "measured": ints["power_cycles"].astype(float),
                                        "before": ints["before_power_cycles"].astype(float),
                                        "after": ints["after_power_cycles"].astype(float)})
    out["imo"] = pd.DataFrame({**base_cols, "measured": ints["imo_percent"], "before": ints["before_imo"],
                               "after": ints["after_imo"]})
    return out
