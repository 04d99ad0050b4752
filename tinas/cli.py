"""The ``tinas`` command. Each subcommand lives in its own module under ``tinas/commands/`` and
registers itself with ``register(subparsers)``, so adding a command never edits this file."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from types import ModuleType

from tinas.errors import TinasError


def discover(package: ModuleType) -> list[ModuleType]:
    """Import every command module of ``package`` (sorted by name, so help is stable)."""
    mods = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return mods


def build_parser(prog: str, description: str, package: ModuleType) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in discover(package):
        mod.register(sub)
    return parser


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse, dispatch to the chosen command's ``func(args) -> int``, turn user errors into messages."""
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TinasError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    import tinas.commands as commands

    return run(build_parser("tinas", "Intermittent-aware neural architecture search", commands), argv)


if __name__ == "__main__":
    raise SystemExit(main())
