"""``hil profiles``: list the power profiles, plot one, or import a recording into the user's folder."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from hil.power.profile import PROFILE_DIR, ProfileError, list_profiles, load_profile, shipped_names, user_profile_dir
from tinas.records import atomic_path

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="list power profiles, plot one, or import a recording",
                       description="list: shipped and imported profiles. plot NAME: a PNG of one profile. "
                                   f"import FILE --format F: convert a recording into {user_profile_dir()} "
                                   "(or --out); shipped profiles are never overwritten.")
    p.add_argument("action", nargs="?", default="list", choices=("list", "plot", "import"),
                   help="list (default), plot NAME, or import FILE")
    p.add_argument("name", nargs="?", help="profile name (plot) or recording file (import)")
    p.add_argument("--out", default=None, help="plot: PNG path (default runs/plots/NAME.png); import: profile CSV "
                                               "path (default: the user profile folder)")
    p.add_argument("--format", choices=("shepherd", "energytrace", "voltage"), help="import: recording format")
    p.add_argument("--profile-name", default=None, help="import: name of the new profile (default: file stem)")
    p.add_argument("--force", action="store_true", help="import: replace an existing imported profile")
    p.add_argument("--r-source", type=float, default=2800.0, help="import voltage logs: source resistance, ohm")
    p.set_defaults(func=run)


def _energy(p) -> str:
    return "n/a (source model)" if p.is_thevenin else f"{p.energy_j:.4g}"


def _list() -> int:
    print(f"{'name':<18} {'kind':<10} {'duration s':>10} {'energy J':>18} {'mean mW':>8}  source")
    for p in list_profiles():
        origin = "" if Path(p.path).parent == PROFILE_DIR else " [imported]"
        print(f"{p.name:<18} {p.kind:<10} {p.duration_s:>10.3g} {_energy(p):>18} {1e3 * p.average_power_w:>8.3g}  "
              f"{p.meta['source'][:70]}{origin}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from hil.power import importers

    if not args.name:
        raise ProfileError("import needs the recording file: hil profiles import FILE --format FORMAT")
    if not args.format:
        raise ProfileError("import needs --format (shepherd, energytrace or voltage)")
    if args.format == "shepherd":
        prof = importers.import_shepherd(args.name, name=args.profile_name)
    elif args.format == "energytrace":
        prof = importers.import_energytrace(args.name, name=args.profile_name)
    else:
        prof = importers.import_voltage_log(args.name, args.r_source, name=args.profile_name)
    if args.out:
        dest = Path(args.out)
    else:
        if prof.name in shipped_names():
            raise ProfileError(f"an imported profile may not be named {prof.name!r}: a shipped profile has that name "
                               f"(choose another with --profile-name)")
        dest = user_profile_dir() / f"{prof.name}.csv"
    if dest.resolve().parent == PROFILE_DIR.resolve():
        raise ProfileError(f"{dest}: imports never write into the shipped profile folder {PROFILE_DIR}")
    if dest.exists() and not args.force:
        raise ProfileError(f"{dest} exists; pass --force to replace it")
    from hil.power.profile import write_profile

    write_profile(dest, prof.meta, prof.time_s, prof.power_w)
    print(f"imported {prof.name}: {prof.time_s.size} samples over {prof.duration_s:.4g} s, mean "
          f"{1e3 * prof.average_power_w:.4g} mW -> {dest}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    if not args.name:
        raise ProfileError("plot needs a profile name: hil profiles plot NAME [--out FILE.png]")
    prof = load_profile(args.name)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out or Path("runs") / "plots" / f"{prof.name}.png")
    fig, ax = plt.subplots(figsize=(7, 3))
    if prof.is_thevenin:
        ax.text(0.5, 0.5, f"Thevenin source {prof.meta['vsup_v']} V behind {prof.meta['rehm_ohm']} Ω", ha="center")
    else:
        ax.step(prof.time_s, 1e3 * prof.power_w, where="post")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("harvested power (mW)")
    ax.set_title(f"{prof.name} ({prof.kind})")
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
    plt.close(fig)
    print(f"plot of {prof.name}: {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list()
    if args.action == "import":
        return _import(args)
    return _plot(args)
