"""``hil profiles``: list the shipped power profiles; ``hil profiles plot NAME`` saves a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hil.power.profile import list_profiles, load_profile  # noqa: E402
from tinas.records import atomic_path  # noqa: E402


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="list power profiles, or plot one")
    p.add_argument("action", nargs="?", default="list", choices=("list", "plot", "import"))
    p.add_argument("name", nargs="?", help="profile name (plot) or recording file (import)")
    p.add_argument("--out", default=None)
    p.add_argument("--format", choices=("shepherd", "energytrace", "voltage"), help="import: recording format")
    p.add_argument("--r-source", type=float, default=2800.0, help="import voltage logs: source resistance, ohm")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        print(f"{'name':<18} {'kind':<10} {'duration s':>10} {'energy J':>10} {'mean mW':>8}  source")
        for p in list_profiles():
            print(f"{p.name:<18} {p.kind:<10} {p.duration_s:>10.3g} {p.energy_j:>10.4g} {1e3 * p.average_power_w:>8.3g}  {p.meta['source'][:70]}")
        return 0
    if args.action == "import":
        from hil.power import importers
        from hil.power.profile import PROFILE_DIR, write_profile

        if args.format == "shepherd":
            prof = importers.import_shepherd(args.name)
        elif args.format == "energytrace":
            prof = importers.import_energytrace(args.name)
        else:
            prof = importers.import_voltage_log(args.name, args.r_source)
        dest = Path(args.out or PROFILE_DIR / f"{prof.name}.csv")
        write_profile(dest, prof.meta, prof.time_s, prof.power_w)
        print(dest)
        return 0
    prof = load_profile(args.name)
    out = Path(args.out or f"{prof.name}.png")
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
    print(out)
    return 0
