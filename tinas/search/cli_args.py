"""The search's command-line flags, shared by ``python -m tinas.run_nas`` (the original's spelling)
and ``tinas search``."""

from __future__ import annotations

import argparse
import sys
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
    p.add_argument("--latreq", default=None, metavar="SECONDS|LAT-percNN",
                   help="end-to-end intermittent latency requirement: seconds, or LAT-percNN = the NN-th percentile "
                        "of the latency of random subnets of the dataset's space (the original's budgets)")
    p.add_argument("--imcreq", default=None, metavar="PERCENT|IMO-percNN",
                   help="IMO cap in percent (0 disables), or IMO-percNN (percentile of the space's IMO)")
    p.add_argument("--seed", type=int, default=None, help="seed of the whole search (default: the settings' SEED)")
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
    p.add_argument("--restart", action="store_true",
                   help="discard the results of this suffix when they were made with other settings")
    p.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run stage-1 costing and stage-3 scoring as Ray tasks: on the cluster at ADDRESS, or on a "
                        "new local instance (as many CPUs as FIXED_NUM_CPU_WORKERS, at most the machine's) without one")


def _overrides(args: argparse.Namespace, lat: float | None, imc: float | None, label: str | None) -> dict[str, dict[str, Any]]:
    o: dict[str, dict[str, Any]] = {}

    def put(cat: str, key: str, value: Any) -> None:
        if value is not None:
            o.setdefault(cat, {})[key] = value

    put("NAS_SETTINGS_GENERAL", "DATASET", args.dataset)
    put("NAS_SETTINGS_GENERAL", "DATASET_DIR", args.dataset_dir)
    put("PLATFORM_SETTINGS", "CCAP", args.ccap)
    put("PLATFORM_SETTINGS", "REHM", args.rehm)
    put("PLATFORM_SETTINGS", "LAT_E2E_REQ", lat)
    put("PLATFORM_SETTINGS", "IMC_CONSTRAINT", imc)
    put("PLATFORM_SETTINGS", "COST_MODEL", getattr(args, "cost_model", None))
    put("NAS_SETTINGS_GENERAL", "SEED", args.seed)
    put("GLOBAL_SETTINGS", "EXP_SUFFIX", args.suffix)
    put("GLOBAL_SETTINGS", "BUDGET_LABEL", label)
    put("NAS_SETTINGS_GENERAL", "STAGES", args.stages)
    put("NAS_TESTING_SETTINGS", "TRAINED_SUPERNET_FNAME", args.tr_sup_fname)
    return o


def budgets_from_args(args: argparse.Namespace, files: list[str], executor: Any = None) -> tuple[float | None, float | None, str | None]:
    """--latreq / --imcreq as numbers; percentile names (LAT-percNN, IMO-percNN) are resolved on the
    dataset's own latency/IMO distribution at the chosen capacitor and platform."""
    from tinas.search.thresholds import parse_budget, resolve_budget

    lat = parse_budget(str(args.latreq), "LAT") if args.latreq is not None else None
    imc = parse_budget(str(args.imcreq), "IMO") if args.imcreq is not None else None
    if not isinstance(lat, tuple) and not isinstance(imc, tuple):
        return lat, imc, None
    base = load_settings(files, args.settings_json, _overrides(args, None, None, None))
    plat = platform_from(base, args)
    labels = []
    if isinstance(lat, tuple):
        lat, why = resolve_budget(lat[0], lat[1], base.dataset, plat, executor)
        labels.append(why)
    if isinstance(imc, tuple):
        imc, why = resolve_budget(imc[0], imc[1], base.dataset, plat, executor)
        labels.append(why)
    label = "; ".join(labels)
    print(f"budgets: {label}", file=sys.stderr)
    return lat, imc, label


def settings_from_args(args: argparse.Namespace, executor: Any = None) -> Settings:
    files = [f for f in args.settings.split(",") if f.strip()]
    lat, imc, label = budgets_from_args(args, files, executor)
    return load_settings(files, args.settings_json, _overrides(args, lat, imc, label))


def platform_from(settings: Settings, args: argparse.Namespace) -> Platform:
    plat = settings["PLATFORM_SETTINGS"]
    base = load_platform(args.platform)
    return base.with_capacitor(plat["CCAP"], args.rehm).with_cost_model(plat["COST_MODEL"])


def out_dir_from(settings: Settings, args: argparse.Namespace) -> Path:
    return Path(args.out) if args.out else Path("runs") / settings.suffix
