"""The (μ+λ) evolution of the original (original-tinas.md, search §8.4) as a pure loop over injected functions,
so its selection rule can be tested on hand-built fitness landscapes.

Per generation g: sort the population by score; the top μ are the parents; if the best parent beats
the best score so far it becomes the answer; m mutants and P − m crossovers of the parents are made
(each retried until feasible) and scored together (one batch, so an executor can spread them); the
next population is parents + children. As in the original, the answer is the best *parent* ever
seen: the children of the last generation are scored (they appear in the evaluated set) but are not
considered. Every generation draws from its own generator ``default_rng([seed, g])``, so a search
resumed after generation g continues exactly as the uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

C = TypeVar("C")  # a candidate (hashable)


@dataclass
class EvoState(Generic[C]):
    generation: int  # the last completed generation (-1: only the initial population)
    population: list[C]
    best_valids: list[float]
    best: C | None
    history: list[dict[str, Any]] = field(default_factory=list)


def generation_rng(seed: int, g: int) -> np.random.Generator:
    return np.random.default_rng([seed, g + 1])


def evolve(state: EvoState[C], generations: int, mu: int, n_mutants: int, pop_size: int, seed: int,
           scores: Callable[[Sequence[C]], list[float]],
           mutate: Callable[[C, np.random.Generator, list[float]], C],
           crossover: Callable[[C, C, np.random.Generator], C],
           feasible: Callable[[C], bool],
           on_generation: Callable[[EvoState[C]], None] | None = None,
           max_tries: int = 500, stop_when_stable: int = 0) -> EvoState[C]:
    """Run generations ``state.generation + 1 … generations − 1``. ``scores`` returns the fitness of a
    batch (it is called once per generation with all the children, and may memoise); ``mutate`` gets the
    current best-score history to choose its block probabilities (Guideline 2). ``stop_when_stable`` > 0
    ends the search once the best score has not changed for that many generations (not in the
    original, which always runs every generation)."""
    if mu < 1 or mu > pop_size:
        raise ValueError(f"μ = {mu} parents for a population of {pop_size}")

    def child(make: Callable[[], C], fallback: C) -> C:
        for _ in range(max_tries):
            c = make()
            if feasible(c):
                return c
        return fallback  # a copy of a (feasible) parent

    for g in range(state.generation + 1, generations):
        rng = generation_rng(seed, g)
        pop = state.population
        s = scores(pop)
        order = sorted(range(len(pop)), key=lambda i: -s[i])  # stable: ties keep population order
        parents = [pop[i] for i in order[:mu]]
        top = s[order[0]]
        if top > state.best_valids[-1]:
            state.best_valids.append(top)
            state.best = parents[0]
        else:
            state.best_valids.append(state.best_valids[-1])
        children: list[C] = []
        for _ in range(n_mutants):
            par = parents[int(rng.integers(0, mu))]
            children.append(child(lambda: mutate(par, rng, state.best_valids), par))
        for _ in range(pop_size - n_mutants):
            a, b = parents[int(rng.integers(0, mu))], parents[int(rng.integers(0, mu))]
            children.append(child(lambda: crossover(a, b, rng), a))
        scores(children)
        state.history.append({"generation": g, "best_score": state.best_valids[-1], "parent_scores": sorted(s, reverse=True)[:mu]})
        state.population = parents + children
        state.generation = g
        if on_generation is not None:
            on_generation(state)
        k = stop_when_stable
        if k and len(state.best_valids) > k and len(set(state.best_valids[-k:])) == 1:
            break
    return state
