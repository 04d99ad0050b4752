"""``python -m tinas.run_nas``: the original TiNAS command line, unchanged (plus --ray, --restart)."""

from __future__ import annotations

import argparse
import sys

from tinas.errors import TinasError
from tinas.search.cli_args import add_search_arguments


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tinas.run_nas", description="TiNAS: intermittent-aware NAS")
    add_search_arguments(p)
    args = p.parse_args(argv)
    from tinas.cli import setup_logging

    setup_logging()
    try:
        from tinas.search.entry import run_search

        written = run_search(args)
    except TinasError as exc:
        print(f"run_nas: error: {exc}", file=sys.stderr)
        return 2
    for stage, path in written.items():
        print(f"{stage}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
