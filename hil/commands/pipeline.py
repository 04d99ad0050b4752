"""``hil pipeline``: the README's main job (search, export, emulated runs, calibration, report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hil.pipeline import run_main_job


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pipeline", help="the main job on the embedded default dataset")
    p.add_argument("--out", default="runs/main-job")
    p.add_argument("--ccap", type=float, default=0.00047)
    p.add_argument("--latreq", type=float, default=60.0)
    p.add_argument("--networks", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=123, help="seed of the search, the network draw and the runs")
    p.add_argument("--target", choices=("emulator", "host"), default="emulator",
                   help="where the exported networks run (host: native build, wall-time cycles)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    run_main_job(Path(args.out), args.ccap, args.latreq, args.networks, workers=args.workers, seed=args.seed,
                 target=args.target)
    return 0
