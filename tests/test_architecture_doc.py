"""docs/architecture.md names every versioned record format the code writes, and no format the code
does not know (so the table of records cannot silently drift from the code)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = [re.compile(r'FORMAT(?:: ClassVar\[str\])?\s*(?:,\s*\w+)?\s*=\s*"([\w./-]+)"'),
            re.compile(r'FORMAT, \w+ = "([\w./-]+)"'),
            re.compile(r'"format": "([\w./-]+)"')]


def code_formats() -> set[str]:
    found = set()
    for pkg in ("tinas", "hil"):
        for py in (ROOT / pkg).rglob("*.py"):
            text = py.read_text(encoding="utf-8")
            for pat in PATTERNS:
                found.update(pat.findall(text))
    return {f for f in found if f != "tinas.record"}  # the abstract base of the records


def test_every_code_format_is_in_the_table():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = sorted(f for f in code_formats() if f"`{f}`" not in doc)
    assert not missing, f"formats written by the code but absent from docs/architecture.md: {missing}"


def test_every_documented_format_exists():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:tinas|hil)[.-][\w./-]*|tinas-hil/[\w-]+)` v\d", doc))
    unknown = sorted(named - code_formats())
    assert not unknown, f"docs/architecture.md names formats the code does not write: {unknown}"
    assert len(named) >= 10
