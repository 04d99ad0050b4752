"""Mutation and crossover (original-tinas.md, search §8.8), with explicit generators.

``mutate_adaptive`` is Guideline 2: before the best score has been stable for BEST_STABLE_GENERATIONS
generations it explores with per-block probabilities that favour the blocks with high IMO sensitivity
(block 0, nearest the input); afterwards it exploits with uniform per-block probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinas.search_space import BlockChoice, SubnetConfig


def resample_block(rng: np.random.Generator, values: dict[str, list]) -> BlockChoice:
    """All four fields redrawn independently and uniformly (the result may equal the old block)."""
    return BlockChoice(exp=int(rng.choice(values["exp"])), kernel=int(rng.choice(values["kernel"])),
                       layers=int(rng.choice(values["layers"])), skip=bool(rng.choice(values["skip"])))


def block_probabilities(operator: str, settings_st2: dict, mut_prob: float, num_blocks: int,
                        best_valids: Sequence[float]) -> list[float]:
    if operator == "mutate_default":
        return [mut_prob] * num_blocks
    if operator == "mutate_blockwise_prob":
        return list(settings_st2["MUT_PROB_PER_BLOCK"][:num_blocks])
    stable = int(settings_st2["BEST_STABLE_GENERATIONS"])
    exploit = len(best_valids) >= stable and len(set(best_valids[-stable:])) == 1
    key = "MUT_PROB_PER_BLOCK_EXPLOITATION" if exploit else "MUT_PROB_PER_BLOCK_EXPLORATION"
    return list(settings_st2[key][:num_blocks])


def mutate(parent: SubnetConfig, probs: Sequence[float], values: dict[str, list], rng: np.random.Generator) -> SubnetConfig:
    child = parent
    for b, p in enumerate(probs):
        if rng.random() < p:
            child = child.with_block(b, resample_block(rng, values))
    return child


def crossover(a: SubnetConfig, b: SubnetConfig, rng: np.random.Generator) -> SubnetConfig:
    blocks = tuple(x if rng.random() < 0.5 else y for x, y in zip(a.blocks, b.blocks))
    return SubnetConfig(width=a.width, resolution=a.resolution, blocks=blocks)
