"""The ``tinas`` command. Each subcommand lives in its own module under ``tinas/commands/`` and
registers itself with ``register(subparsers)``, so adding a command never edits this file.

Shared by ``hil``: ``--version``, ``-v``/``-q`` (diagnostics go through :mod:`logging` to stderr; tables
and results stay on stdout), user errors as one line with exit 2, a closed stdout pipe (``| head``) ends
quietly. Command modules import their heavy dependencies lazily, so ``tinas cost`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from types import ModuleType

from tinas.errors import TinasError


def package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("tinas-hil")
    except (ImportError, PackageNotFoundError):  # running from a source tree that was never installed
        return "0.1.0+source"


class _VersionAction(argparse.Action):
    """--version, looked up only when asked (importlib.metadata costs ~0.2 s at every start otherwise)."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: ANN001
        print(f"{parser.prog} {package_version()}")
        parser.exit()


def discover(package: ModuleType) -> list[ModuleType]:
    """Import every command module of ``package`` (sorted by name, so help is stable)."""
    mods = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return mods


def build_parser(prog: str, description: str, package: ModuleType) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more diagnostics on stderr (-vv: debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for mod in discover(package):
        mod.register(sub)
    return parser


def _is_tty(stream) -> bool:  # noqa: ANN001
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class PlainLineFormatter(logging.Formatter):
    """Redirected diagnostics (a log file, CI): every line plain text of at most 300 characters - a long
    line is wrapped onto indented continuation lines, escape sequences and carriage returns removed."""

    def format(self, record: logging.LogRecord) -> str:
        return plain_lines(super().format(record))


def plain_lines(text: str, width: int = 240) -> str:
    """``text`` without escape sequences or carriage returns, long lines wrapped at ``width``."""
    import re
    import textwrap

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\x1b", "").replace("\r", "")
    out: list[str] = []
    for line in text.splitlines() or [""]:
        out.extend(textwrap.wrap(line, width, subsequent_indent="    ", break_long_words=True,
                                 break_on_hyphens=False, drop_whitespace=False) or [""])
    return "\n".join(x.rstrip() for x in out)


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Diagnostics to stderr: INFO by default, DEBUG with -vv, WARNING with -q."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose >= 2 else logging.INFO
    fmt = "%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s"
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_tinas_cli", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._tinas_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(fmt) if _is_tty(sys.stderr) else PlainLineFormatter(fmt))
    root.addHandler(handler)
    root.setLevel(level)
    if quiet or "tinas.progress" in sys.modules:  # tqdm costs ~20 ms to import: not for `tinas cost`
        from tinas.progress import set_quiet

        set_quiet(quiet)


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse, dispatch to the chosen command's ``func(args) -> int``, turn user errors into messages."""
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "verbose", 0), getattr(args, "quiet", False))
    try:
        return int(args.func(args) or 0)
    except TinasError as exc:
        msg = f"{parser.prog}: error: {exc}"
        print(msg if _is_tty(sys.stderr) else plain_lines(msg), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly; point stdout at devnull so the
        # interpreter's final flush does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def main(argv: list[str] | None = None) -> int:
    import tinas.commands as commands

    return run(build_parser("tinas", "Intermittent-aware neural architecture search", commands), argv)


if __name__ == "__main__":
    raise SystemExit(main())
