"""docs/commands.md: every flag of every command has help text, appears in an example of its command,
every example parses with the real parser, and the page matches the parsers."""

from __future__ import annotations

import argparse
import importlib.util
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("commands_doc", ROOT / "scripts" / "commands_doc.py")
doc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(doc)

COMMANDS = [(prog, name) for prog in ("tinas", "hil") for name in sorted(doc.subparsers(prog))]


@pytest.mark.parametrize("prog,name", COMMANDS)
def test_every_flag_has_help_and_an_example(prog, name):
    sp = doc.subparsers(prog)[name]
    examples = doc.EXAMPLES.get((prog, name))
    assert examples, f"{prog} {name}: no example in scripts/commands_doc.py"
    words = {w.split("=")[0] for ex in examples for w in shlex.split(ex)}
    for a in doc.documented_actions(sp):
        assert a.help and a.help.strip(), f"{prog} {name} {a.option_strings or a.dest}: no help text"
        if a.option_strings:
            assert words & set(a.option_strings), f"{prog} {name}: no example uses {a.option_strings}"


@pytest.mark.parametrize("prog,name", COMMANDS)
def test_examples_parse(prog, name):
    from tinas.cli import build_parser
    import hil.commands
    import tinas.commands

    parser = build_parser(prog, "", {"tinas": tinas.commands, "hil": hil.commands}[prog])
    for ex in doc.EXAMPLES[(prog, name)]:
        argv = shlex.split(ex)
        assert argv[:2] == [prog, name], ex
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit as exc:  # argparse reports the problem on stderr
            pytest.fail(f"example does not parse ({exc}): {ex}")
        assert args.command == name


def test_page_is_up_to_date():
    assert (ROOT / "docs" / "commands.md").read_text(encoding="utf-8") == doc.render(), \
        "docs/commands.md is out of date: run scripts/commands_doc.py"
