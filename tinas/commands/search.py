"""``tinas search``: the two-stage search (same options as ``python -m tinas.run_nas``)."""

from __future__ import annotations

import argparse

from tinas.search.cli_args import add_search_arguments, out_dir_from, platform_from, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="run the TiNAS search (stages 1-4), resumable by suffix")
    add_search_arguments(p)
    p.add_argument("--compare", default=None, metavar="VARIANTS",
                   help="run these variants side by side (e.g. TiNAS,TiNAS-M,TiNAS-U) on the first settings "
                        "file's dataset and the same seed and budget; writes comparison.md and populations.png")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.compare:
        from tinas.search.compare import compare_variants

        settings = settings_from_args(args)
        first = [f for f in args.settings.split(",") if f][0]
        o = {"PLATFORM_SETTINGS": {"LAT_E2E_REQ": settings["PLATFORM_SETTINGS"]["LAT_E2E_REQ"],
                                   "CCAP": settings["PLATFORM_SETTINGS"]["CCAP"]},
             "NAS_SETTINGS_GENERAL": {"SEED": settings["NAS_SETTINGS_GENERAL"]["SEED"]}}
        out = out_dir_from(settings, args)
        compare_variants(first, [v.strip() for v in args.compare.split(",")], platform_from(settings, args), out, o,
                         imo_cap=args.imcreq)
        print(f"comparison: {out / 'comparison.md'}")
        return 0
    from tinas.search.pipeline import run_pipeline

    settings = settings_from_args(args)
    written = run_pipeline(settings, platform_from(settings, args), out_dir_from(settings, args))
    for stage, path in written.items():
        print(f"{stage}: {path}")
    return 0
