"""Choice lists (original-tinas.md, search §4.4, §4.7) and seeded sampling."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from tinas.search_space.config import BlockChoice, SubnetConfig
from tinas.search_space.spaces import DatasetSpace


def _keep(values: Sequence, dropped: Sequence | None) -> list:
    if dropped is None:
        return list(values)
    return sorted(v for v in values if v not in set(dropped))


def block_choice_list(space: DatasetSpace, dropped: dict[str, Sequence] | None = None) -> list[BlockChoice]:
    """Cartesian product exp → kernel → layers → skip (innermost). With Guideline-1 dropping the
    remaining values of each list are sorted ascending first, as the original does."""
    d = dropped or {}
    on = dropped is not None
    exps = _keep(space.exp_factors, d.get("EXP_FACTORS", []) if on else None)
    ks = _keep(space.kernel_sizes, d.get("KERNEL_SIZES", []) if on else None)
    nls = _keep(space.num_layers, d.get("NUM_LAYERS", []) if on else None)
    sks = _keep(space.support_skip, d.get("SUPPORT_SKIP", []) if on else None)
    return [BlockChoice(exp=e, kernel=k, layers=n, skip=s) for e, k, n, s in itertools.product(exps, ks, nls, sks)]


def net_choice_list(space: DatasetSpace, dropped: dict[str, Sequence] | None = None) -> list[tuple[float, int]]:
    """(width, resolution) pairs, width outer, resolution inner."""
    d = dropped or {}
    on = dropped is not None
    ws = _keep(space.width_multipliers, d.get("WIDTH_MULTIPLIER", []) if on else None)
    rs = _keep(space.input_resolutions, d.get("INPUT_RESOLUTION", []) if on else None)
    return [(w, r) for w in ws for r in rs]


def sample_subnet(space: DatasetSpace, rng: np.random.Generator, width: float, resolution: int,
                  choices: Sequence[BlockChoice]) -> SubnetConfig:
    """One subnet with an independent uniform choice per block (explicit generator, no global state)."""
    idx = rng.integers(0, len(choices), size=space.num_blocks)
    return SubnetConfig(width=width, resolution=resolution, blocks=tuple(choices[int(i)] for i in idx))
