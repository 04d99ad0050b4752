"""The main job: search on the embedded default, export, emulated runs under several profiles,
calibration and report — what a newcomer runs first (README)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from hil.calibration.calibrate import calibrate
from hil.measurements import LayerRow, read_layer_tables, read_tables, write_layer_table, write_table
from hil.microbench import fit_primitives, primitive_updates, run_microbench_emulator
from hil.report.calibration_report import write_report
from hil.runner import RunSpec, run_matrix
from hil.joblog import JobLog
from hil.targets.emulator import NVM_SIZE
from tinas.export.from_search import export_search_networks
from tinas.platform import load_platform
from tinas.records import atomic_path
from tinas.search.stages import run_pipeline
from tinas.settings import load_settings

log = logging.getLogger("hil.main_job")

DEFAULT_SETTINGS = ("DIGITS.json", "TiNAS-test.json")
DEFAULT_PROFILES = ("thevenin_tinas", "square_wave", "solar_june")


def run_main_job(out: Path, ccap_f: float = 0.00047, latreq_s: float = 60.0, networks: int = 10,
                 profiles: tuple[str, ...] = DEFAULT_PROFILES, workers: int = 2,
                 seed: int = 123, target: str = "emulator", rehm_ohm: float | None = None,
                 settings_files: tuple[str, ...] = DEFAULT_SETTINGS) -> Path:
    """The whole job; every stage is announced with an ETA and the job ends with a summary block
    (:class:`hil.joblog.JobLog`), also when a stage fails."""
    out.mkdir(parents=True, exist_ok=True)
    job = JobLog(out)
    try:
        report = _run(job, out, ccap_f, latreq_s, networks, profiles, workers, seed, target, rehm_ohm,
                      settings_files)
    except BaseException as exc:
        job.finish(failed=exc)
        raise
    job.finish()
    return report


def _run(job: JobLog, out: Path, ccap_f: float, latreq_s: float, networks: int, profiles: tuple[str, ...],
         workers: int, seed: int, target: str, rehm_ohm: float | None, settings_files: tuple[str, ...]) -> Path:
    settings = load_settings(list(settings_files),
                             overrides={"GLOBAL_SETTINGS": {"EXP_SUFFIX": "main"},
                                        "PLATFORM_SETTINGS": {"LAT_E2E_REQ": latreq_s, "CCAP": ccap_f},
                                        "NAS_SETTINGS_GENERAL": {"SEED": seed}})
    base = load_platform()
    platform = base.with_capacitor(ccap_f, rehm_ohm)  # checked first: a bad capacitor fails before the search
    per = settings.per_dataset
    epochs = int(per.get("TRAIN_SUPERNET_EPOCHS", 0)) + int(per.get("FINETUNE_SUBNET_EPOCHS", 0))
    job.begin("search", f"1/5 search: stage 1, supernet, evolution, fine-tune ({settings.dataset}, "
                        f"{', '.join(settings_files)})", max(1, epochs))
    search_dir = out / "search"
    job.output("search", search_dir)
    written = run_pipeline(settings, platform, search_dir)
    sol = json.loads(Path(written["solution"]).read_text())
    job.output("solution", written["solution"])
    job.say(f"   solution: accuracy {sol['accuracy_finetuned']:.1f} %, predicted L_int "
            f"{sol['latency_intermittent_s']:.2f} s, IMO {sol['imo_percent']:.1f} %")

    job.begin("export", f"2/5 export: the solution and {networks - 1} more networks of the searched space", networks)
    arts = [str(a) for a in export_search_networks(search_dir, out / "artifacts", networks, platform, suffix="main",
                                                   seed=seed, nvm_limit_bytes=NVM_SIZE)]
    job.output("artifacts", out / "artifacts")
    job.say(f"   {len(arts)} artifacts")
    if len(arts) < networks:
        job.headline(f"only {len(arts)} of {networks} networks could be exported")

    n_runs = len(arts) * len(profiles)
    job.begin("runs", f"3/5 runs on the {target}: {len(arts)} networks x {len(profiles)} profiles, "
                      f"intermittent, continuous and the reference without preservation",
              n_runs / max(1, min(workers, n_runs)))
    specs = [RunSpec(target, a, p, ccap_f, rehm_ohm=rehm_ohm, seed=seed) for a in arts for p in profiles]
    rows, timelines = run_matrix(specs, workers=workers)
    meas = write_table(rows, out / "measurements.csv")
    job.output("measurements", meas)
    layer_rows = [LayerRow(**x) for tl in timelines for x in tl.get("layers", [])]
    write_layer_table(layer_rows, meas)
    bad = [r for r in rows if not r.output_correct]
    job.say(f"   {len(rows)} runs, {len(rows) - len(bad)} bit-exact with the golden vectors")
    if bad:
        job.headline(f"{len(bad)} of {len(rows)} runs were not bit-exact with the golden vectors")

    if layer_rows:
        return _firmware_calibration(job, out, meas, rows, base, target, seed)
    job.say("   the target reported no per-layer counters: falling back to the original model's calibration")
    job.begin("calibration", "4/5 microbenchmarks of the primitives, then calibration (30 % of the networks "
                             "held out)", 1)
    mb = run_microbench_emulator(base)
    mb.to_csv(out / "microbench.csv", index=False)
    prims = primitive_updates(fit_primitives(mb))
    res = calibrate(read_tables([meas]), base, 0.3, seed=seed, run_ids=rows[0].run_id, primitives=prims)
    prof_path = res.platform.to_toml(out / "calibrated.toml")
    job.say("5/5 report")
    report = write_report(res, out / "report", title="TiNAS-HIL main job: predicted vs measured on the emulator")
    job.output("calibrated profile", prof_path)
    job.output("report", report)
    hold = res.summaries.get("active_s")
    mape = f"{hold[0].mape_percent:.1f} % -> {hold[1].mape_percent:.1f} %" if hold else "n/a"
    job.say(f"main job done: accuracy {sol['accuracy_finetuned']:.1f} %, {len(arts)} networks x {len(profiles)} "
            f"profiles = {len(rows)} runs ({len(rows) - len(bad)} bit-exact); hold-out active-time MAPE {mape}")
    return report


def _firmware_calibration(job: JobLog, out: Path, meas: Path, rows: list, base, target: str,  # noqa: ANN001
                          seed: int) -> Path:
    """4/5 and 5/5 with the firmware cost model: per-primitive fit, leave-one-network-out report, and the
    JSON summary printed last."""
    from hil.calibration.fw_calibrate import calibrate_lono
    from hil.commands.report import target_note
    from hil.report.fw_report import summary, worse_lines, write_fw_report

    job.begin("calibration", "4/5 calibration of the firmware cost model (bounded least squares, "
                             "leave-one-network-out)", 1)
    runs, layers = read_tables([meas]), read_layer_tables([meas])
    res = calibrate_lono(runs, layers, base, run_ids=rows[0].run_id, progress=True,
                         min_cycles=16.0 if target == "host" else 0.0)
    prof_path = res.final.platform.to_toml(out / "calibrated.toml")
    job.say("5/5 report")
    report = write_fw_report(res, out / "report", target_note(runs),
                             title=f"TiNAS-HIL main job (seed {seed}): firmware cost model vs the {target}")
    s = summary(res)
    for line in worse_lines(s):
        job.headline(line.strip("* "))
    job.output("calibrated profile", prof_path)
    job.output("report", report)
    job.output("summary (JSON)", out / "summary.json")
    with atomic_path(out / "summary.json") as tmp:
        Path(tmp).write_text(json.dumps(s, indent=1))
    print(json.dumps(s, indent=1))
    return report
