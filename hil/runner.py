"""The experiment runner: artifacts × power profiles × capacitors on a target, as measurement rows.

Each (artifact, profile, capacitor) runs once under the profile (intermittent) and once under
continuous power with the same design, which gives the measured IMO exactly as the cost model defines
it: 100·(active time intermittent − latency continuous) / active time intermittent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from hil.measurements import MeasurementRow, layer_rows_of
from hil.power.energy_model import EnergyModel, active_power_w
from hil.power.profile import load_profile
from hil.power.simple import ContinuousPower
from hil.targets.base import RunResult
from hil.targets.registry import create_target
from tinas.cost import evaluate_design
from tinas.export.artifact import load_artifact
from tinas.platform import load_platform


@dataclass(frozen=True)
class RunSpec:
    target: str
    artifact_dir: str
    profile: str
    ccap_f: float | None
    rehm_ohm: float | None = None
    platform_path: str | None = None
    seed: int = 0
    timeout_s: float = 900.0
    proactive: bool | None = None
    inventory: str | None = None  # board runs: the inventory to take a free board from


def _firmware_hash(target) -> str:
    build = getattr(target, "build", None)
    if build is not None and getattr(build, "elf", None) is not None:
        return hashlib.sha256(Path(build.elf).read_bytes()).hexdigest()[:16]
    return "host"


def run_spec(spec: RunSpec) -> tuple[list[MeasurementRow], dict]:
    """Run one (artifact, profile, capacitor): intermittent, then continuous with the same design."""
    base = load_platform(spec.platform_path)
    platform = base.with_capacitor(spec.ccap_f, spec.rehm_ohm) if spec.ccap_f else base
    art = load_artifact(spec.artifact_dir)
    profile = load_profile(spec.profile)
    rec = art.record
    pred_int = evaluate_design(rec.network, list(rec.designs), platform, power="INT")
    pred_cont = evaluate_design(rec.network, list(rec.designs), platform, power="CONT")
    if spec.target == "board":
        from hil.build import build_firmware
        from hil.inventory import InventoryError, acquire_board, load_inventory

        if not spec.inventory:
            raise InventoryError("a board run needs --inventory FILE (docs/board-setup.md)")
        lease = acquire_board(load_inventory(spec.inventory))
        target = create_target("board", spec=lease.spec, lease=lease, elf=build_firmware("fr5994", platform).elf,
                               loader_elf=build_firmware("fr5994", platform, flags=("-DTINAS_LOADER",)).elf)
        target.set_profile(profile)
    elif spec.target == "emulator":
        target = create_target(spec.target, platform=platform, seed=spec.seed)
    else:
        target = create_target(spec.target)
    try:
        target.load(spec.artifact_dir)
        model = EnergyModel.from_platform(profile, platform)
        r_int: RunResult = target.run(model, timeout_s=spec.timeout_s, proactive=spec.proactive)
        r_cont: RunResult = target.run(ContinuousPower(), timeout_s=spec.timeout_s, proactive=False)
    finally:
        target.close()
    imo = 100.0 * (r_int.active_time_s - r_cont.active_time_s) / r_int.active_time_s if r_int.active_time_s else float("nan")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    fw = _firmware_hash(target)
    p_w = active_power_w(platform)
    rows = []
    for mode, r in (("intermittent", r_int), ("continuous", r_cont)):
        rows.append(MeasurementRow(
            run_id=uuid.uuid4().hex[:12], timestamp=now, target_kind=spec.target, target_id=f"{spec.target}-0",
            firmware_hash=fw, artifact_hash=rec.blob_sha256[:16], artifact_name=rec.name, profile=profile.name,
            profile_hash=profile.sha256[:16], ccap_f=platform.ccap_f, power_mode=mode, latency_s=r.latency_s,
            active_time_s=r.active_time_s, recharge_time_s=r.off_time_s, power_cycles=r.power_cycles,
            cpu_cycles=r.cpu_cycles, modelled_cycles=r.modelled_cycles, compute_cycles=r.compute_cycles,
            preserve_cycles=r.preserve_cycles, recover_cycles=r.recover_cycles,
            imo_percent=imo if mode == "intermittent" else 0.0, energy_j=p_w * r.active_time_s,
            output_correct=r.output_correct, wall_time_s=r.wall_time_s,
            predicted_latency_s=pred_int.latency_intermittent_s if mode == "intermittent" else pred_cont.latency_continuous_s,
            predicted_active_time_s=pred_int.active_time_s if mode == "intermittent" else pred_cont.latency_continuous_s,
            predicted_continuous_s=pred_cont.latency_continuous_s, predicted_imo_percent=pred_int.imo_percent,
            predicted_power_cycles=pred_int.power_cycles, cost_model_version=pred_int.model_version,
            platform_hash=platform.sha256[:16], artifact_dir=str(spec.artifact_dir),
            proactive=int(bool(rec.proactive_shutdown if spec.proactive is None else spec.proactive))
            if mode == "intermittent" else 0,
            predicted_components=json.dumps({"int": pred_int.totals("INT") if pred_int.feasible else {},
                                             "cont": pred_cont.totals("CONT") if pred_cont.feasible else {}}),
        ))
    layers = []
    for row, r in zip(rows, (r_int, r_cont)):
        layers += [dataclasses.asdict(x) for x in layer_rows_of(row, r.layer_counters, rec.firmware_layers)]
    # per-layer records (hil.measurements.LayerRow as dicts) ride with the timeline to keep run_spec's shape
    timeline = {"events": [(e.time_s, e.kind, e.layer) for e in r_int.timeline], "voltage": model.history,
                "layers": layers}
    return rows, timeline


def run_matrix(specs: list[RunSpec], workers: int = 1) -> tuple[list[MeasurementRow], list[dict]]:
    """All specs, in parallel worker processes; a failing spec raises after the others finish."""
    rows: list[MeasurementRow] = []
    timelines: list[dict] = []
    if workers <= 1 or len(specs) == 1:
        for s in tqdm(specs, desc="runs", unit="run"):
            r, tl = run_spec(s)
            rows += r
            timelines.append(tl)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for r, tl in tqdm(pool.map(run_spec, specs), total=len(specs), desc="runs", unit="run"):
                rows += r
                timelines.append(tl)
    return rows, timelines
