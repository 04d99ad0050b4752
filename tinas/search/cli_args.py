"""The search's command-line flags, shared by ``python -m tinas.run_nas`` (the original's spelling)
and ``tinas search``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tinas.platform import Platform, load_platform
from tinas.settings import Settings, load_settings


def add_search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--settings", default="", help="comma-separated settings files, merged left to right")
    p.add_argument("--settings-json", default=None, help="inline JSON applied after the files")
    p.add_argument("--dataset", default=None, help="CIFAR10 | HAR | MSWC | KWS | DIGITS | MOTION")
    p.add_argument("--dataset-dir", default=None, help="folder of the real dataset (embedded datasets need none)")
    p.add_argument("--ccap", type=float, default=None, help="capacitor in farads")
    p.add_argument("--rehm", type=float, default=None, help="harvester resistance in ohms (default: table for --ccap)")
    p.add_argument("--latreq", type=float, default=None, help="end-to-end intermittent latency requirement, seconds")
    p.add_argument("--imcreq", type=float, default=None, help="IMO cap in percent (0 disables)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--suffix", default=None, help="run name; a rerun with the same suffix resumes")
    p.add_argument("--stages", default=None, help="e.g. 1,2,3,4")
    p.add_argument("--platform", default=None, help="platform profile TOML (e.g. a calibrated one)")
    p.add_argument("--cost-model", default=None, choices=("tinas2025", "firmware"),
                   help="cost model of the search (setting PLATFORM_SETTINGS.COST_MODEL, default tinas2025)")
    p.add_argument("--out", default=None, help="output folder (default runs/<suffix>)")
    p.add_argument("--gpuid", default=None, help="accepted for compatibility; this build runs on the CPU")
    p.add_argument("--no-rlogger", action="store_true", help="accepted for compatibility (no remote logger here)")
    p.add_argument("--rlogger-proj-name", default=None, help=argparse.SUPPRESS)
    p.add_argument("--tr-sup-fname", default=None, help="trained supernet checkpoint to use in stages 3-4")


def settings_from_args(args: argparse.Namespace) -> Settings:
    files = [f for f in args.settings.split(",") if f.strip()]
    o: dict[str, dict[str, Any]] = {}

    def put(cat: str, key: str, value: Any) -> None:
        if value is not None:
            o.setdefault(cat, {})[key] = value

    put("NAS_SETTINGS_GENERAL", "DATASET", args.dataset)
    put("NAS_SETTINGS_GENERAL", "DATASET_DIR", args.dataset_dir)
    put("PLATFORM_SETTINGS", "CCAP", args.ccap)
    put("PLATFORM_SETTINGS", "REHM", args.rehm)
    put("PLATFORM_SETTINGS", "LAT_E2E_REQ", args.latreq)
    put("PLATFORM_SETTINGS", "IMC_CONSTRAINT", args.imcreq)
    put("PLATFORM_SETTINGS", "COST_MODEL", getattr(args, "cost_model", None))
    put("NAS_SETTINGS_GENERAL", "SEED", args.seed)
    put("GLOBAL_SETTINGS", "EXP_SUFFIX", args.suffix)
    put("NAS_SETTINGS_GENERAL", "STAGES", args.stages)
    put("NAS_TESTING_SETTINGS", "TRAINED_SUPERNET_FNAME", args.tr_sup_fname)
    return load_settings(files, args.settings_json, o)


def platform_from(settings: Settings, args: argparse.Namespace) -> Platform:
    plat = settings["PLATFORM_SETTINGS"]
    base = load_platform(args.platform)
    return base.with_capacitor(plat["CCAP"], args.rehm).with_cost_model(plat["COST_MODEL"])


def out_dir_from(settings: Settings, args: argparse.Namespace) -> Path:
    return Path(args.out) if args.out else Path("runs") / settings.suffix
