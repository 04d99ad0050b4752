"""Weight-sharing supernet (single-path one-shot, as the original TiNAS): per block position one
candidate module per block choice; stem and classifier shared by all subnets."""

from tinas.supernet.model import SuperNet

__all__ = ["SuperNet"]
