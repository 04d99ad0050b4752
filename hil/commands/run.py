"""``hil run``: run artifacts under power profiles and capacitors on a target; write measurement rows.

Every input is checked before the first run (a bad profile among three fails at once, not after two
runs); the output is locked so two runs cannot write one file; runs that finished before a failure or
Ctrl-C are written to ``OUT.partial.csv`` and the message says so.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from hil.lab.address import BoardAddress
from tinas.errors import TinasError

log = logging.getLogger(__name__)


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return v


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (v > 0 and v != float("inf")):
        raise argparse.ArgumentTypeError(f"{text} must be a positive, finite number")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run model artifacts on a target under power profiles",
                       description="Each (artifact, profile, capacitor) runs three times and writes three rows: "
                                   "intermittent under the profile, continuous, and continuous with the "
                                   "-DRT_NO_PRESERVATION build (the reference the IMO is measured against).")
    p.add_argument("--target", default="emulator", choices=("emulator", "host", "board"),
                   help="emulator (the FR5994 twin, default), host (native build) or board (labgrid: --lg-env/--lg-place)")
    p.add_argument("--artifact", nargs="+", required=True, help="artifact folder(s) from 'tinas export'")
    p.add_argument("--profile", nargs="+", default=["thevenin_tinas"], help="shipped profile name(s) or CSV file(s)")
    p.add_argument("--ccap", nargs="+", type=positive_float, default=[None],
                   help="capacitor(s) in farads (default: the platform profile's)")
    p.add_argument("--rehm", type=positive_float, default=None,
                   help="harvester series resistance in ohms (default: looked up for the capacitor)")
    p.add_argument("--repeat", type=positive_int, default=1, help="runs per (artifact, profile, capacitor)")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="parallel local processes (with --ray and no address: CPUs of the local Ray cluster)")
    p.add_argument("--timeout", type=positive_float, default=900.0, help="wall-clock limit per inference, seconds")
    p.add_argument("--max-recharge", type=positive_float, default=86_400.0,
                   help="refuse a run whose single recharge to Von would take longer, seconds (default a day)")
    p.add_argument("--platform", default=None, help="platform profile TOML (default: packaged MSP430FR5994)")
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
    p.add_argument("--force", action="store_true", help="replace an existing measurement table")
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


def build_specs(args: argparse.Namespace) -> list:
    """One spec per (artifact, profile, capacitor, repeat), in that order."""
    from hil.runner import RunSpec

    boards = board_address(args) or [None]
    cells = [(a, prof, c, r) for a in args.artifact for prof in args.profile for c in args.ccap
             for r in range(args.repeat)]
    # several places: the matrix is dealt out over them in turn (parallel with --workers or --ray)
    specs = [RunSpec(args.target, a, prof, c, rehm_ohm=args.rehm, platform_path=args.platform, seed=r,
                     timeout_s=args.timeout, board=boards[i % len(boards)], max_recharge_s=args.max_recharge)
             for i, (a, prof, c, r) in enumerate(cells)]
    return specs


def validate(specs) -> None:
    """Load every artifact, profile and capacitor once, so a bad input fails before any run; all
    problems are reported together."""
    from hil.power.energy_model import EnergyModel
    from hil.power.profile import load_profile
    from tinas.export.artifact import load_artifact
    from tinas.platform import load_platform

    problems: list[str] = []
    seen: set = set()
    for s in specs:
        for key, check in ((("a", s.artifact_dir), lambda: load_artifact(s.artifact_dir)),
                           (("p", s.profile), lambda: load_profile(s.profile)),
                           (("c", s.platform_path, s.ccap_f, s.rehm_ohm, s.profile),
                            lambda: EnergyModel.from_platform(load_profile(s.profile), load_platform(
                                s.platform_path).with_capacitor(s.ccap_f, s.rehm_ohm),
                                max_recharge_s=s.max_recharge_s))):
            if key in seen:
                continue
            seen.add(key)
            try:
                check()
            except TinasError as exc:
                if str(exc) not in problems:
                    problems.append(str(exc))
    if problems:
        raise TinasError("nothing was run; fix these inputs first:\n  " + "\n  ".join(problems))


def _partial_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.partial{out.suffix or '.csv'}")


def _write_layers(timelines: list[dict], out: Path) -> Path | None:
    """The per-layer counter rows beside the run table (what 'hil report' fits), when the target sent them."""
    from hil.measurements import LayerRow, write_layer_table

    rows = [LayerRow(**x) for tl in timelines for x in tl.get("layers", [])]
    return write_layer_table(rows, out) if rows else None


def run(args: argparse.Namespace) -> int:
    from filelock import FileLock, Timeout

    from hil.measurements import to_frame, write_table
    from hil.runner import RunSpec, _describe, run_matrix_collect

    out = Path(args.out)
    specs = build_specs(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out.parent / f".{out.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise TinasError(f"{out}: another 'hil run' is writing this file; choose another --out") from None
    log_path = Path(args.log) if args.log else out.with_suffix(".log")
    log_path.parent.mkdir(parents=True, exist_ok=True)  # as the table's writer does for the table
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("hil")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        if out.exists() and not args.force:
            raise TinasError(f"{out} exists; pass --force to replace it, or choose another --out")
        validate(specs)
        logger.info("hil run: %d run(s) on target %s", len(specs), args.target)
        if args.ray is not None:
            from hil.runner import MatrixResult, run_matrix

            try:
                rows, timelines = run_matrix(specs, workers=args.workers, use_ray=True, ray_address=args.ray or None)
            except TinasError as exc:
                logger.error("%s", exc)
                raise type(exc)(f"{exc}\n  log: {log_path}") from None
            res = MatrixResult(rows=rows, timelines=timelines, done=len(specs), total=len(specs))
        else:
            res = run_matrix_collect(specs, workers=args.workers)
        if not res.complete:
            for spec, msg in res.failures:
                log.error("run failed: %s: %s (log: %s)", _describe(spec), msg, log_path)
            what = "interrupted" if res.interrupted else f"{len(res.failures)} run(s) failed"
            if res.rows:
                part = write_table(res.rows, _partial_path(out))
                log.error("%s: %d of %d runs finished; their rows are in %s (%s was not written)",
                          what, res.done, res.total, part, out)
            else:
                log.error("%s: no run finished; nothing written", what)
            return 130 if res.interrupted else 2
        write_table(res.rows, out)
        layers = _write_layers(res.timelines, out)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
        lock.release()
    df = to_frame(res.rows)
    cols = ["artifact_name", "profile", "ccap_f", "power_mode", "output_correct", "power_cycles", "latency_s",
            "predicted_latency_s", "active_time_s", "predicted_active_time_s", "imo_percent", "predicted_imo_percent"]
    print(df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    from hil.report.timeline import plot_timeline

    png = plot_timeline(res.timelines[0], out.with_suffix(".timeline.png"))
    n_ok = int(df["output_correct"].sum())
    print(f"\n{res.total} run{'s' if res.total != 1 else ''} ({len(df)} rows: intermittent + continuous), {n_ok} of {len(df)} outputs correct"
          f"\nmeasurements: {out}" + (f"\nper-layer counters: {layers}" if layers else "") +
          f"\ntimeline of the first run: {png}")
    return 0 if df["output_correct"].all() else 1
