"""``tinas search``: the two-stage search (same options as ``python -m tinas.run_nas``)."""

from __future__ import annotations

import argparse

from tinas.search.cli_args import add_search_arguments, out_dir_from, platform_from, settings_from_args
from tinas.search.pipeline import run_pipeline


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="run the TiNAS search (stages 1-4), resumable by suffix")
    add_search_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    written = run_pipeline(settings, platform_from(settings, args), out_dir_from(settings, args))
    for stage, path in written.items():
        print(f"{stage}: {path}")
    return 0
