"""Progress bars of the search: the shared :func:`tinas.progress.tqdm` (tqdm on a terminal; whole lines,
at most one per interval, ASCII, no escapes, when redirected to a log; off with ``-q``)."""

from __future__ import annotations

from typing import Any

from tinas.progress import tqdm


def bar(*args: Any, **kwargs: Any):  # noqa: ANN201 - a tqdm instance
    return tqdm(*args, **kwargs)
