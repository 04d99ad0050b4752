"""``hil run``: run artifacts under power profiles and capacitors on a target; write measurement rows."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from hil.lab.address import BoardAddress
from hil.measurements import to_frame, write_table
from hil.report.timeline import plot_timeline
from hil.runner import RunSpec, run_matrix
from tinas.errors import TinasError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run model artifacts on a target under power profiles")
    p.add_argument("--target", default="emulator", choices=("emulator", "host", "board"))
    p.add_argument("--artifact", nargs="+", required=True, help="artifact folder(s) from 'tinas export'")
    p.add_argument("--profile", nargs="+", default=["thevenin_tinas"], help="shipped profile name(s) or CSV file(s)")
    p.add_argument("--ccap", nargs="+", type=float, default=[None], help="capacitor(s) in farads")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--workers", type=int, default=1,
                   help="parallel local processes (with --ray and no address: CPUs of the local Ray cluster)")
    p.add_argument("--timeout", type=float, default=900.0, help="wall-clock limit per inference, seconds")
    p.add_argument("--platform", default=None)
    lab = p.add_argument_group("board (labgrid; docs/board-setup.md)")
    lab.add_argument("--lg-env", default=None, metavar="FILE", help="labgrid environment file describing the board")
    lab.add_argument("--lg-place", default=None, metavar="NAME[,NAME…]",
                     help="labgrid coordinator place(s) holding the board(s); several share out the matrix")
    lab.add_argument("--lg-coordinator", default=None, metavar="HOST:PORT",
                     help="labgrid coordinator (default: $LG_COORDINATOR, else 127.0.0.1:20408)")
    lab.add_argument("--lg-wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait this long for a place someone else holds (default: refuse at once)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the matrix as Ray tasks on the cluster at ADDRESS (none: a local cluster)")
    p.add_argument("--out", required=True, help="measurement table (.csv or .parquet)")
    p.add_argument("--log", default=None, metavar="FILE",
                   help="run log: UART frames, supply commands, probe calls (default: the table's name + .log)")
    p.set_defaults(func=run)


def board_address(args: argparse.Namespace) -> list[BoardAddress] | None:
    """The board(s) of a board run; a board option given to another target is a mistake, said as one."""
    given = [o for o, v in (("--lg-env", args.lg_env), ("--lg-place", args.lg_place),
                            ("--lg-coordinator", args.lg_coordinator)) if v is not None]
    if args.target != "board":
        if given:
            raise TinasError(f"{', '.join(given)} only apply to --target board (target is {args.target})")
        return None
    places = [p.strip() for p in args.lg_place.split(",") if p.strip()] if args.lg_place is not None else [None]
    return [BoardAddress(env=args.lg_env, place=p, coordinator=args.lg_coordinator, wait_s=args.lg_wait)
            for p in places]


def build_specs(args: argparse.Namespace) -> list[RunSpec]:
    """One spec per (artifact, profile, capacitor, repeat), in that order."""
    boards = board_address(args) or [None]
    cells = [(a, prof, c, r) for a in args.artifact for prof in args.profile for c in args.ccap
             for r in range(args.repeat)]
    # several places: the matrix is dealt out over them in turn (parallel with --workers or --ray)
    specs = [RunSpec(args.target, a, prof, c, platform_path=args.platform, seed=r, timeout_s=args.timeout,
                     board=boards[i % len(boards)]) for i, (a, prof, c, r) in enumerate(cells)]
    return specs


def run(args: argparse.Namespace) -> int:
    specs = build_specs(args)
    log_path = Path(args.log) if args.log else Path(args.out).with_suffix(".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)  # as the table's writer does for the table
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("hil")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("hil run: %d run(s) on target %s", len(specs), args.target)
        rows, timelines = run_matrix(specs, workers=args.workers, use_ray=args.ray is not None,
                                     ray_address=args.ray or None)
    except TinasError as exc:
        logger.error("%s", exc)
        raise type(exc)(f"{exc}\n  log: {log_path}") from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
    out = write_table(rows, args.out)
    df = to_frame(rows)
    cols = ["artifact_name", "profile", "ccap_f", "power_mode", "output_correct", "power_cycles", "latency_s",
            "predicted_latency_s", "active_time_s", "predicted_active_time_s", "imo_percent", "predicted_imo_percent"]
    print(df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    png = plot_timeline(timelines[0], out.with_suffix(".timeline.png"))
    print(f"\nmeasurements: {out}\ntimeline of the first run: {png}")
    print("cycles: executed by the target's CPU (cpu_cycles) and modelled for peripherals it lacks (modelled_cycles)")
    return 0 if df["output_correct"].all() else 1
