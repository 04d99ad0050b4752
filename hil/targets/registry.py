"""Target kinds → factories, looked up lazily so a missing optional dependency of one kind does not
break the others, and an unknown kind is reported with the known ones."""

from __future__ import annotations

import importlib
from typing import Any

from tinas.errors import TinasError

FACTORIES = {
    "emulator": "hil.targets.emulator:EmulatorTarget",
    "host": "hil.targets.host:HostTarget",
    "board": "hil.targets.board:BoardTarget",
}


def target_class(kind: str) -> Any:
    if kind not in FACTORIES:
        raise TinasError(f"unknown target kind {kind!r}; known: {', '.join(FACTORIES)}")
    module, cls = FACTORIES[kind].split(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise TinasError(f"target {kind!r} is not available: {exc}") from None
    return getattr(mod, cls)


def open_target(spec: Any, platform: Any, profile: Any):
    """The target a run spec names, set up for that run by the kind itself (``for_run``), so the runner
    never switches on kinds."""
    return target_class(spec.target).for_run(spec, platform, profile)
