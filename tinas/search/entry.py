"""What ``tinas search`` and ``python -m tinas.run_nas`` do once their flags are parsed: one pipeline,
or a comparison of variants, on the local pool or on Ray."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tinas.errors import TinasError
from tinas.search.cli_args import _overrides, budgets_from_args, out_dir_from, platform_from, settings_from_args
from tinas.search.executor import make_executor
from tinas.search.stages import run_pipeline
from tinas.settings import load_settings


def _workers(settings) -> int:
    return max(1, min(int(settings["NAS_EVOSEARCH_SETTINGS"]["FIXED_NUM_CPU_WORKERS"]), os.cpu_count() or 1))


def run_search(args: argparse.Namespace) -> dict[str, Path]:
    files = [f for f in args.settings.split(",") if f.strip()]
    base = load_settings(files, args.settings_json)
    executor = make_executor(args.ray, _workers(base)) if args.ray else None
    try:
        settings = settings_from_args(args, executor)
        return run_pipeline(settings, platform_from(settings, args), out_dir_from(settings, args), executor, args.restart)
    finally:
        if executor is not None:
            executor.close()


def run_compare(args: argparse.Namespace) -> Path:
    from tinas.search.compare import compare_variants

    files = [f for f in args.settings.split(",") if f.strip()]
    if not files:
        raise TinasError("--compare needs --settings with at least the dataset's file (e.g. DIGITS.json)")
    variants = [v.strip() for v in args.compare.split(",") if v.strip()]
    if len(variants) < 1:
        raise TinasError("--compare: name at least one variant (e.g. TiNAS,TiNAS-M,TiNAS-U)")
    if args.seeds < 1:
        raise TinasError("--seeds must be ≥ 1")
    base = load_settings(files, args.settings_json)
    executor = make_executor(args.ray, _workers(base)) if args.ray else None
    try:
        lat, imc, label = budgets_from_args(args, files, executor)
        settings = load_settings(files, args.settings_json, _overrides(args, None, None, None))
        seed0 = args.seed if args.seed is not None else int(settings["NAS_SETTINGS_GENERAL"]["SEED"])
        o = _overrides(args, lat, None, label)
        for cat, key in (("GLOBAL_SETTINGS", "EXP_SUFFIX"), ("NAS_SETTINGS_GENERAL", "SEED"),
                         ("NAS_SETTINGS_GENERAL", "STAGES")):
            o.get(cat, {}).pop(key, None)
        out = Path(args.out) if args.out else Path("runs") / "compare"
        return compare_variants(files, variants, platform_from(settings, args), out, o,
                                [seed0 + i for i in range(args.seeds)], imo_cap=imc, executor=executor,
                                restart=args.restart, budget_label=label or "")
    finally:
        if executor is not None:
            executor.close()
