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
from hil.targets.emulator import NVM_SIZE
from tinas.export.from_search import export_search_networks
from tinas.platform import load_platform
from tinas.search.pipeline import run_pipeline
from tinas.settings import load_settings

log = logging.getLogger("hil.main_job")


def say(msg: str) -> None:
    log.info("[main job] %s", msg)


def run_main_job(out: Path, ccap_f: float = 0.00047, latreq_s: float = 60.0, networks: int = 10,
                 profiles: tuple[str, ...] = ("thevenin_tinas", "square_wave", "solar_june"), workers: int = 2,
                 seed: int = 123, target: str = "emulator", rehm_ohm: float | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    say("1/5 search: stage 1, supernet, evolution, fine-tune (DIGITS, TiNAS-test settings)")
    settings = load_settings(["DIGITS.json", "TiNAS-test.json"],
                             overrides={"GLOBAL_SETTINGS": {"EXP_SUFFIX": "main"},
                                        "PLATFORM_SETTINGS": {"LAT_E2E_REQ": latreq_s, "CCAP": ccap_f},
                                        "NAS_SETTINGS_GENERAL": {"SEED": seed}})
    base = load_platform()
    platform = base.with_capacitor(ccap_f, rehm_ohm)  # checked first: a bad capacitor fails before the search
    search_dir = out / "search"
    written = run_pipeline(settings, platform, search_dir)
    sol = json.loads(Path(written["solution"]).read_text())
    say(f"   solution: accuracy {sol['accuracy_finetuned']:.1f} %, predicted L_int {sol['latency_intermittent_s']:.2f} s, "
        f"IMO {sol['imo_percent']:.1f} %")

    say(f"2/5 export: the solution and {networks - 1} more networks of the searched space (supernet weights)")
    arts = [str(a) for a in export_search_networks(search_dir, out / "artifacts", networks, platform, suffix="main",
                                                   seed=seed, nvm_limit_bytes=NVM_SIZE)]
    say(f"   {len(arts)} artifacts")

    say(f"3/5 runs on the {target}: {len(arts)} networks × {len(profiles)} profiles, intermittent and continuous")
    specs = [RunSpec(target, a, p, ccap_f, rehm_ohm=rehm_ohm, seed=seed) for a in arts for p in profiles]
    rows, timelines = run_matrix(specs, workers=workers)
    meas = write_table(rows, out / "measurements.csv")
    layer_rows = [LayerRow(**x) for tl in timelines for x in tl.get("layers", [])]
    write_layer_table(layer_rows, meas)
    bad = [r for r in rows if not r.output_correct]
    say(f"   {len(rows)} runs, {len(rows) - len(bad)} bit-exact with the golden vectors")

    if layer_rows:
        return _firmware_calibration(out, meas, rows, base, target, seed)
    say("   the target reported no per-layer counters: falling back to the original model's calibration")
    say("4/5 microbenchmarks of the primitives, then calibration (30 % of the networks held out)")
    mb = run_microbench_emulator(base)
    mb.to_csv(out / "microbench.csv", index=False)
    prims = primitive_updates(fit_primitives(mb))
    res = calibrate(read_tables([meas]), base, 0.3, seed=seed, run_ids=rows[0].run_id, primitives=prims)
    prof_path = res.platform.to_toml(out / "calibrated.toml")
    say("5/5 report")
    report = write_report(res, out / "report", title="TiNAS-HIL main job: predicted vs measured on the emulator")
    say(f"calibrated profile: {prof_path}")
    hold = res.summaries.get("active_s")
    mape = f"{hold[0].mape_percent:.1f} % -> {hold[1].mape_percent:.1f} %" if hold else "n/a"
    print(f"main job done: accuracy {sol['accuracy_finetuned']:.1f} %, {len(arts)} networks x {len(profiles)} "
          f"profiles = {len(rows)} runs ({len(rows) - len(bad)} bit-exact); hold-out active-time MAPE {mape} after "
          f"calibration\nreport: {report}\ncalibrated profile: {prof_path}\nmeasurements: {meas}")
    return report


def _firmware_calibration(out: Path, meas: Path, rows: list, base, target: str, seed: int) -> Path:  # noqa: ANN001
    """4/5 and 5/5 with the firmware cost model: per-primitive fit, leave-one-network-out report, and the
    JSON summary printed last."""
    from hil.calibration.fw_calibrate import calibrate_lono
    from hil.commands.report import target_note
    from hil.report.fw_report import summary, worse_lines, write_fw_report

    say("4/5 calibration of the firmware cost model (bounded least squares, leave-one-network-out)")
    runs, layers = read_tables([meas]), read_layer_tables([meas])
    res = calibrate_lono(runs, layers, base, run_ids=rows[0].run_id, progress=True,
                         min_cycles=16.0 if target == "host" else 0.0)
    prof_path = res.final.platform.to_toml(out / "calibrated.toml")
    say("5/5 report")
    report = write_fw_report(res, out / "report", target_note(runs),
                             title=f"TiNAS-HIL main job (seed {seed}): firmware cost model vs the {target}")
    s = summary(res)
    for line in worse_lines(s):
        say(line.strip("*"))
    say(f"calibrated profile: {prof_path}")
    print(f"report: {report}")
    print(json.dumps(s, indent=1))
    return report
