"""The ``hil`` command. Subcommands live in ``hil/commands/`` and register themselves."""

from __future__ import annotations

from tinas.cli import build_parser, run


def main(argv: list[str] | None = None) -> int:
    import hil.commands as commands

    return run(build_parser("hil", "Hardware-in-the-loop harness for TiNAS networks", commands), argv)


if __name__ == "__main__":
    raise SystemExit(main())
