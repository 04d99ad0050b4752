"""One base error for everything a user can cause, so the CLIs print it without a traceback."""

from __future__ import annotations


class TinasError(Exception):
    """A problem with the user's input or environment, stated in words the user can act on."""


class ContractError(TinasError):
    """A file that crosses a boundary has the wrong format, version or content."""


class ExportError(TinasError):
    """A network, its weights or its design that the firmware cannot run (raised while quantising or
    writing a model artifact)."""
