"""Progress bars that stay readable in a log file: on a terminal tqdm redraws freely; redirected, it
updates at most every 30 s, in ASCII."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def bar(*args: Any, **kwargs: Any) -> tqdm:
    if not sys.stderr.isatty():
        kwargs.setdefault("mininterval", 30.0)
        kwargs.setdefault("ascii", True)
    return tqdm(*args, **kwargs)
