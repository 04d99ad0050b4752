"""The experiment runner: artifacts × power profiles × capacitors on a target, as measurement rows.

Each (artifact, profile, capacitor) runs three times with the same design: under the profile
(intermittent), under continuous power (the same build: its commits still run), and under continuous
power built with -DRT_NO_PRESERVATION (the ``reference`` row: no commits, no recovery). The measured IMO is
the original's (docs/original-tinas.md, cost model §5) against that reference, the latency an inference
would have without any intermittency management:
100·(active time intermittent − latency of the reference) / active time intermittent.
"""

from __future__ import annotations

import dataclasses
import ctypes
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tinas.progress import tqdm

from hil.lab.address import BoardAddress
from hil.measurements import MeasurementRow, layer_rows_of
from hil.power.energy_model import EnergyModel, active_power_w
from hil.power.profile import load_profile
from hil.power.simple import ContinuousPower
from hil.targets.base import RunResult
from hil.targets.registry import open_target
from tinas.cost import evaluate_design
from tinas.errors import TinasError
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
    board: BoardAddress | None = None  # board runs: the labgrid environment file or coordinator place
    max_recharge_s: float = 86_400.0  # a longer single recharge is refused (hil.power.energy_model)


def _firmware_hash(target) -> str:
    """The loaded image's hash: the emulator's build, the board's flashed ELF, "host" for the native build."""
    build = getattr(target, "build", None)
    elf = build.elf if build is not None and getattr(build, "elf", None) is not None else getattr(target, "loaded_elf", None)
    if elf is not None:
        return hashlib.sha256(Path(elf).read_bytes()).hexdigest()[:16]
    return "host"


def run_spec(spec: RunSpec) -> tuple[list[MeasurementRow], dict]:
    """Run one (artifact, profile, capacitor): intermittent, then continuous with the same design."""
    base = load_platform(spec.platform_path)
    platform = base.with_capacitor(spec.ccap_f, spec.rehm_ohm)  # 0 F is refused there, not read as "default"
    art = load_artifact(spec.artifact_dir)
    profile = load_profile(spec.profile)
    rec = art.record
    pred_int = evaluate_design(rec.network, list(rec.designs), platform, power="INT")
    pred_cont = evaluate_design(rec.network, list(rec.designs), platform, power="CONT")
    target = open_target(spec, platform, profile)
    target_id = f"{spec.target}-{getattr(target, 'board_id', 0)}"
    try:
        target.load(spec.artifact_dir)
        model = EnergyModel.from_platform(profile, platform, max_recharge_s=spec.max_recharge_s)
        r_int: RunResult = target.run(model, timeout_s=spec.timeout_s, proactive=spec.proactive)
        r_cont: RunResult = target.run(ContinuousPower(), timeout_s=spec.timeout_s, proactive=False)
        fw = _firmware_hash(target)
        target.load(spec.artifact_dir, preservation=False)
        r_ref: RunResult = target.run(ContinuousPower(), timeout_s=spec.timeout_s, proactive=False)
        fw_ref = _firmware_hash(target)
    except TinasError as exc:
        target.close()
        raise type(exc)(f"{exc} ({target_id} closed{getattr(target, 'release_note', '')})") from None
    finally:
        target.close()
    imo = 100.0 * (r_int.active_time_s - r_ref.active_time_s) / r_int.active_time_s if r_int.active_time_s else float("nan")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    p_w = active_power_w(platform)
    rows = []
    for mode, r in (("intermittent", r_int), ("continuous", r_cont), ("reference", r_ref)):
        rows.append(MeasurementRow(
            run_id=uuid.uuid4().hex[:12], timestamp=now, target_kind=spec.target, target_id=target_id,
            firmware_hash=fw_ref if mode == "reference" else fw, artifact_hash=rec.blob_sha256[:16],
            artifact_name=rec.name, profile=profile.name,
            profile_hash=profile.sha256[:16], ccap_f=platform.ccap_f, power_mode=mode, latency_s=r.latency_s,
            active_time_s=r.active_time_s, recharge_time_s=r.off_time_s, power_cycles=r.power_cycles,
            cpu_cycles=r.cpu_cycles, modelled_cycles=r.modelled_cycles, compute_cycles=r.compute_cycles,
            preserve_cycles=r.preserve_cycles, recover_cycles=r.recover_cycles,
            imo_percent=imo if mode == "intermittent" else 0.0,
            energy_j=r.energy_j if r.energy_j == r.energy_j else p_w * r.active_time_s,
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
    for row, r in zip(rows, (r_int, r_cont, r_ref)):
        layers += [dataclasses.asdict(x) for x in layer_rows_of(row, r.layer_counters, rec.firmware_layers)]
    # per-layer records (hil.measurements.LayerRow as dicts) ride with the timeline to keep run_spec's shape
    timeline = {"events": [(e.time_s, e.kind, e.layer) for e in r_int.timeline], "voltage": model.history,
                "layers": layers}
    return rows, timeline


log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1


def _watch_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(1.0)


def _worker_init(parent_pid: int) -> None:
    """Pool workers die with the parent: the kernel sends SIGKILL when it goes (Linux prctl
    PR_SET_PDEATHSIG), and a watchdog thread covers other systems and the race before prctl."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it keeps finished rows)


def make_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers cannot outlive this process."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(os.getpid(),))


@dataclass
class MatrixResult:
    """What a matrix of runs produced: rows of the specs that finished (in spec order), and why others did not."""

    rows: list[MeasurementRow] = field(default_factory=list)
    timelines: list[dict] = field(default_factory=list)
    failures: list[tuple[RunSpec, str]] = field(default_factory=list)
    interrupted: bool = False
    done: int = 0
    total: int = 0

    @property
    def complete(self) -> bool:
        return not self.failures and not self.interrupted and self.done == self.total


def _describe(spec: RunSpec) -> str:
    return f"{Path(spec.artifact_dir).name} / {spec.profile} / {spec.ccap_f} F / repeat {spec.seed}"


def run_matrix_collect(specs: list[RunSpec], workers: int = 1) -> MatrixResult:
    """Run every spec; keep finished runs when others fail or Ctrl-C arrives (never raises for a run)."""
    res = MatrixResult(total=len(specs))
    got: dict[int, tuple[list[MeasurementRow], dict]] = {}
    bar = tqdm(total=len(specs), desc="runs", unit="run")
    try:
        if workers <= 1 or len(specs) == 1:
            for i, s in enumerate(specs):
                try:
                    got[i] = run_spec(s)
                except Exception as exc:  # noqa: BLE001 - recorded per run, the others go on
                    res.failures.append((s, f"{type(exc).__name__}: {exc}" if not isinstance(exc, TinasError) else str(exc)))
                bar.update()
        else:
            pool = make_pool(workers)
            futures: dict[Future, int] = {pool.submit(run_spec, s): i for i, s in enumerate(specs)}
            try:
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in finished:
                        i = futures[f]
                        exc = f.exception()
                        if exc is None:
                            got[i] = f.result()
                        else:
                            res.failures.append((specs[i], str(exc) if isinstance(exc, TinasError)
                                                 else f"{type(exc).__name__}: {exc}"))
                        bar.update()
                pool.shutdown(wait=True)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                for proc in list(getattr(pool, "_processes", {}).values()):
                    proc.kill()
                raise
    except KeyboardInterrupt:
        res.interrupted = True
    finally:
        bar.close()
    for i in sorted(got):
        r, tl = got[i]
        res.rows += r
        res.timelines.append(tl)
    res.done = len(got)
    return res


def run_matrix(specs: list[RunSpec], workers: int = 1, ray_address: str | None = None,
               use_ray: bool = False) -> tuple[list[MeasurementRow], list[dict]]:
    """All specs: in this process, in parallel worker processes, or as Ray tasks (``use_ray``; a new
    local cluster when ``ray_address`` is None). Rows come in spec order whichever way they ran; a failing
    spec raises after the others finish."""
    if use_ray:
        from hil.ray_runs import run_on_ray

        return run_on_ray(specs, ray_address, num_cpus=max(1, workers))
    res = run_matrix_collect(specs, workers)
    if res.interrupted:
        raise KeyboardInterrupt
    if res.failures:
        spec, msg = res.failures[0]
        raise RunFailed(f"{len(res.failures)} of {res.total} runs failed; first: {_describe(spec)}: {msg}")
    return res.rows, res.timelines


class RunFailed(TinasError):
    """Some runs of a matrix failed (the message names the first)."""
