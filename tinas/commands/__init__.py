"""Subcommands of ``tinas``: one module each, exposing ``register(subparsers)``."""
