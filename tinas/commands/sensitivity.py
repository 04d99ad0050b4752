"""``tinas sensitivity``: the IMO sensitivity of each architectural parameter (table + PNG)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sensitivity", help="IMO sensitivity of the search space's parameters",
                       description="Draw random subnets of a dataset's search space, vary one architectural "
                                   "parameter at a time, and report how much the IMO changes (a table on stdout, "
                                   "sensitivity.md and a PNG in --out).")
    p.add_argument("--dataset", default="CIFAR10",
                   help="whose search space: CIFAR10, HAR, MSWC, KWS, DIGITS or MOTION (default CIFAR10)")
    p.add_argument("--samples", type=int, default=30, help="random base subnets to vary (default 30)")
    p.add_argument("--ccap", type=float, default=None, help="capacitor in farads (default: the profile's)")
    p.add_argument("--platform", default=None, help="platform profile TOML (default: packaged MSP430FR5994)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random base subnets (default 0)")
    p.add_argument("--out", default="runs/sensitivity", help="folder for the table and plot (default "
                                                             "runs/sensitivity)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tinas.platform import load_platform
    from tinas.sensitivity.analysis import analyse, write_outputs

    platform = load_platform(args.platform).with_capacitor(args.ccap)
    md = write_outputs(analyse(args.dataset, platform, args.samples, args.seed), Path(args.out))
    print(md.read_text())
    return 0
