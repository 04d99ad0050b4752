"""Progress bars that stay readable when redirected.

On a terminal this is plain tqdm. When stderr is not a terminal (a log file, CI), tqdm's carriage-return
redraws would pile up into one enormous line, so the bar prints whole lines instead, at most one every
``TINAS_PROGRESS_INTERVAL`` seconds (default 30) plus the final state. ``-q`` (``set_quiet``) turns
bars off. Import it as ``from tinas.progress import tqdm``: same call signature.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from tqdm import tqdm as _tqdm


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Called by the CLIs for ``-q``."""
    global _QUIET
    _QUIET = quiet


class _NoBlankLines:
    """tqdm ends a kept bar with a lone '\\n' (moving off the redrawn line); in line mode that is a blank line."""

    def __init__(self, fp: Any) -> None:
        self._fp = fp

    def write(self, s: str) -> None:
        if s != "\n":
            self._fp.write(s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)


class LineTqdm(_tqdm):
    """tqdm that writes one '\\n'-terminated line per refresh instead of redrawing with '\\r', at most one
    per ``mininterval`` (explicit refreshes such as ``set_postfix`` included), plus the first and last."""

    _last_line = -float("inf")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if hasattr(self, "fp"):  # a disabled bar has no stream
            self.fp = _NoBlankLines(self.fp)

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:  # noqa: D102
        if msg == "":  # tqdm clearing a leave=False bar: nothing to erase in line mode
            return True
        now = time.monotonic()
        final = self.disable or (self.total is not None and self.n >= self.total)  # close() disables first
        if msg is None and not final and now - self._last_line < self.mininterval:
            return True
        self._last_line = now
        line = msg if msg is not None else self.__str__()
        if line:
            self.fp.write(line.rstrip() + "\n")
            self.fp.flush()
        return True


def tqdm(*args: Any, **kw: Any) -> _tqdm:
    """A progress bar: tqdm on a terminal, line mode when redirected, off with ``-q``."""
    stream = kw.get("file") or sys.stderr
    if _QUIET:
        kw.setdefault("disable", True)
    if _is_tty(stream):
        return _tqdm(*args, **kw)
    kw.setdefault("mininterval", float(os.environ.get("TINAS_PROGRESS_INTERVAL", "30")))
    kw.setdefault("ascii", True)
    kw["leave"] = True  # the final line is the record of what ran
    kw.setdefault("ncols", 100)
    return LineTqdm(*args, **kw)
