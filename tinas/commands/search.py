"""``tinas search``: the two-stage search (same options as ``python -m tinas.run_nas``), or a comparison
of variants over seeds."""

from __future__ import annotations

import argparse

from tinas.search.cli_args import add_search_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="run the TiNAS search (stages 1-4), resumable by suffix")
    add_search_arguments(p)
    p.add_argument("--compare", default=None, metavar="VARIANTS",
                   help="run these variants (e.g. TiNAS,TiNAS-M,TiNAS-U) under the same constraints on the "
                        "--settings files; writes comparison.md/.json/.png in --out (default runs/compare)")
    p.add_argument("--seeds", type=int, default=1, help="with --compare: seeds SEED, SEED+1, … (mean ± std)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tinas.search.entry import run_compare, run_search

    if args.compare:
        print(f"comparison: {run_compare(args)}")
        return 0
    for stage, path in run_search(args).items():
        print(f"{stage}: {path}")
    return 0
