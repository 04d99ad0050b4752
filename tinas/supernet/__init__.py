"""Weight-sharing supernets: ``ElasticSuperNet`` (OFA-style: one set of max-size weights sliced per
choice; the default) and ``SuperNet`` (the original's single-path one-shot, one module per choice)."""

from tinas.supernet.elastic import ElasticSuperNet
from tinas.supernet.model import SuperNet

__all__ = ["ElasticSuperNet", "SuperNet", "make_supernet"]


def make_supernet(kind: str, space, width: float, resolution: int, choices):
    """``kind``: "elastic" or "spos" (settings key NAS_SETTINGS_GENERAL.SUPERNET_TYPE)."""
    if kind == "elastic":
        return ElasticSuperNet(space, width, resolution, choices)
    if kind == "spos":
        return SuperNet(space, width, resolution, choices)
    raise ValueError(f"unknown supernet type {kind!r} (elastic | spos)")
