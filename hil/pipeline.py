"""The main job: search on the embedded default, export, emulated runs under several profiles,
calibration and report — what a newcomer runs first (README)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

from hil.calibration.calibrate import calibrate
from hil.measurements import read_tables, write_table
from hil.microbench import fit_primitives, primitive_updates, run_microbench_emulator
from hil.report.calibration_report import write_report
from hil.runner import RunSpec, run_matrix
from hil.targets.emulator import NVM_SIZE
from tinas.cost import evaluate
from tinas.datasets import load_dataset
from tinas.export import export_model
from tinas.platform import load_platform
from tinas.quant.graph import ExportError
from tinas.search.pipeline import run_pipeline
from tinas.search.space_setup import search_lists
from tinas.search_space import BlockChoice, SubnetConfig, to_network
from tinas.settings import load_settings
from tinas.supernet import make_supernet


def say(msg: str) -> None:
    print(f"[main job] {msg}", file=sys.stderr, flush=True)


def run_main_job(out: Path, ccap_f: float = 0.00047, latreq_s: float = 60.0, networks: int = 10,
                 profiles: tuple[str, ...] = ("thevenin_tinas", "square_wave", "solar_june"), workers: int = 2,
                 seed: int = 123) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    say("1/5 search: stage 1, supernet, evolution, fine-tune (DIGITS, TiNAS-test settings)")
    settings = load_settings(["DIGITS.json", "TiNAS-test.json"],
                             overrides={"GLOBAL_SETTINGS": {"EXP_SUFFIX": "main"},
                                        # 8×8 inputs: 12×12 networks need more than the emulator's 36 KiB NVM window
                                        "TINAS": {"STAGE1_SETTINGS": {"DROPPING_NET_LEVEL": {
                                            "WIDTH_MULTIPLIER": [0.5, 0.6], "INPUT_RESOLUTION": [12]}}},
                                        "PLATFORM_SETTINGS": {"LAT_E2E_REQ": latreq_s, "CCAP": ccap_f},
                                        "NAS_SETTINGS_GENERAL": {"SEED": seed}})
    base = load_platform()
    platform = base.with_capacitor(ccap_f)
    search_dir = out / "search"
    written = run_pipeline(settings, platform, search_dir)
    sol = json.loads(Path(written["solution"]).read_text())
    say(f"   solution: accuracy {sol['accuracy_finetuned']:.1f} %, predicted L_int {sol['latency_intermittent_s']:.2f} s, "
        f"IMO {sol['imo_percent']:.1f} %")

    say(f"2/5 export: the solution and {networks - 1} more networks of the searched space (supernet weights)")
    space, _, choices = search_lists(settings)
    w, r = sol["width"], sol["resolution"]
    model = make_supernet(settings["NAS_SETTINGS_GENERAL"]["SUPERNET_TYPE"], space, w, r, choices)
    model.load_state_dict(torch.load(search_dir / "main_finetuned.pt", weights_only=False)["model"])
    data = load_dataset("DIGITS", r)
    ss = json.loads((search_dir / "main_ssoptlog.json").read_text())
    cands = [SubnetConfig(width=w, resolution=r, blocks=tuple(BlockChoice.from_list(b) for b in sol["choices"]))]
    pool = [x for x in ss["all_subnet_results"] if x["net_choices"] == [w, r]]
    rng = np.random.default_rng(seed)
    for i in rng.permutation(len(pool)):
        cfg = SubnetConfig(width=w, resolution=r, blocks=tuple(BlockChoice.from_list(b) for b in pool[i]["subnet_choice_per_blk"]))
        if all(b in choices for b in cfg.blocks) and cfg not in cands:
            cands.append(cfg)
    arts = []
    for cfg in cands:
        if len(arts) >= networks:
            break
        net = to_network(cfg, space)
        cost = evaluate(net, platform)
        if not cost.feasible:
            continue
        d = out / "artifacts" / f"net{len(arts):02d}"
        try:
            export_model(net, cost.designs, model.export_weights(cfg), data.x_train[:64], d, golden_input=data.x_test[0],
                         platform=platform, name=f"net{len(arts):02d}", source=cfg.key, nvm_limit_bytes=NVM_SIZE)
        except ExportError as exc:
            say(f"   skipped {cfg.key}: {exc}")
            continue
        arts.append(str(d))
    say(f"   {len(arts)} artifacts")

    say(f"3/5 emulated runs: {len(arts)} networks × {len(profiles)} profiles, intermittent and continuous")
    specs = [RunSpec("emulator", a, p, ccap_f, seed=seed) for a in arts for p in profiles]
    rows, _ = run_matrix(specs, workers=workers)
    meas = write_table(rows, out / "measurements.csv")
    bad = [r for r in rows if not r.output_correct]
    say(f"   {len(rows)} runs, {len(rows) - len(bad)} bit-exact with the golden vectors")

    say("4/5 microbenchmarks of the primitives, then calibration (30 % of the networks held out)")
    mb = run_microbench_emulator(base)
    mb.to_csv(out / "microbench.csv", index=False)
    prims = primitive_updates(fit_primitives(mb))
    res = calibrate(read_tables([meas]), base, 0.3, seed=seed, run_ids=rows[0].run_id, primitives=prims)
    prof_path = res.platform.to_toml(out / "calibrated.toml")
    say("5/5 report")
    report = write_report(res, out / "report", title="TiNAS-HIL main job: predicted vs measured on the emulator")
    say(f"calibrated profile: {prof_path}")
    print(f"report: {report}")
    return report
