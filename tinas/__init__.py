"""TiNAS: intermittent-aware neural architecture search (runs without hardware)."""

__version__ = "0.1.0"
