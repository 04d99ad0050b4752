"""Subcommands of ``hil``: one module each, exposing ``register(subparsers)``."""
