"""``hil pipeline``: the README's main job (search, export, emulated runs, calibration, report)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pipeline", help="the main job on the embedded default dataset",
                       description="Search, export the best networks, run them on the emulator under the shipped "
                                   "power profiles, calibrate the cost model and write a report.")
    p.add_argument("--out", default="runs/main-job", help="folder for every output of the job (default runs/main-job)")
    p.add_argument("--ccap", type=float, default=0.00047, help="capacitor in farads (default 470 µF)")
    p.add_argument("--rehm", type=float, default=None,
                   help="harvester series resistance in ohms (default: looked up for --ccap)")
    p.add_argument("--latreq", type=float, default=60.0,
                   help="end-to-end intermittent latency requirement of the search, seconds (default 60)")
    p.add_argument("--networks", type=int, default=10,
                   help="how many networks to export, run and calibrate on (at least 4; default 10)")
    p.add_argument("--workers", type=int, default=2, help="parallel emulator runs (default 2)")
    p.add_argument("--seed", type=int, default=123, help="seed of the search, the network draw and the runs")
    p.add_argument("--target", choices=("emulator", "host"), default="emulator",
                   help="where the exported networks run (host: native build, wall-time cycles)")
    p.add_argument("--settings", default="DIGITS.json,TiNAS-test.json",
                   help="comma-separated search settings (default DIGITS.json,TiNAS-test.json; a smaller budget: "
                        "DIGITS.json,examples/search_quick.json)")
    p.add_argument("--profile", nargs="+", default=None, metavar="PROFILE",
                   help="power profiles to run under (default thevenin_tinas square_wave solar_june)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hil.main_job import run_main_job
    from tinas.errors import TinasError

    if not (args.ccap > 0 and args.latreq > 0 and (args.rehm is None or args.rehm > 0)):
        raise TinasError("--ccap, --latreq and --rehm must be positive")
    if args.networks < 4:
        raise TinasError(f"--networks {args.networks}: calibration needs at least 4 networks")
    if args.workers < 1:
        raise TinasError("--workers must be at least 1")
    from hil.main_job import DEFAULT_PROFILES

    files = tuple(f.strip() for f in args.settings.split(",") if f.strip())
    if not files:
        raise TinasError("--settings: give at least one settings file")
    run_main_job(Path(args.out), args.ccap, args.latreq, args.networks, workers=args.workers, seed=args.seed,
                 target=args.target, rehm_ohm=args.rehm, settings_files=files,
                 profiles=tuple(args.profile) if args.profile else DEFAULT_PROFILES)
    return 0
