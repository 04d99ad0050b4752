"""Scores against the reference's numbers, Guideline 1 dropping, Guideline 2 block selection."""

from __future__ import annotations

import numpy as np
import pytest

from tinas.search.mutation import block_probabilities, crossover, mutate
from tinas.search.scores import score
from tinas.search.space_setup import search_lists, value_lists
from tinas.settings import SettingsError, load_settings
from tinas.search_space import BlockChoice, SubnetConfig


def test_score_formulas_reference_numbers():
    # original-tinas.md, cost model §8: TiNAS-M CIFAR10 solution
    assert score("ACC_IMO_LREQ", 33.02000064849854, 27.41327008781899, 246.05096689807115,
                 248.48058414935332) == pytest.approx(1.192748417801748, rel=1e-12)
    # original-tinas.md, search §8.7: TiNAS CIFAR10 p25: 56.41 / 34.352 * 238.875 / 248.4806 = 1.5786
    assert score("ACC_IMO_LREQ", 56.41, 34.352, 238.875, 248.4806) == pytest.approx(1.5786, abs=1e-4)
    assert score("ACC_LREQ", 50, 10, 100, 200) == 25 and score("ACC_IMC", 50, 10, 1, 1) == 5 and score("ACC", 7, 1, 1, 1) == 7


def test_guideline1_dropping_matches_the_original_sizes():
    s = load_settings(["settings/CIFAR10.json", "settings/TiNAS.json"])
    space, pairs, choices = search_lists(s)
    assert len(choices) == 32 and pairs == [(0.6, 32), (0.7, 32), (0.8, 32), (0.9, 32), (1.0, 32)]
    assert BlockChoice.from_list([1, 7, 3, True]) == choices[7]
    assert value_lists(s)["layers"] == [2, 3] and value_lists(s)["skip"] == [True]
    s_m = load_settings(["settings/CIFAR10.json", "settings/TiNAS-M.json"])
    assert len(search_lists(s_m)[2]) == 96 and len(search_lists(s_m)[1]) == 18  # no dropping for TiNAS-M
    bad = load_settings(["settings/HAR.json", "settings/TiNAS.json"],
                        overrides={"TINAS": {"STAGE1_SETTINGS": {"DROPPING_NET_LEVEL": {"WIDTH_MULTIPLIER": [0.3]}}}})
    with pytest.raises(SettingsError, match="not in the HAR choices"):
        search_lists(bad)


def test_adaptive_mutation_switches_after_stable_generations():
    s = load_settings(["settings/HAR.json", "settings/TiNAS.json"])["TINAS"]["STAGE2_SETTINGS"]
    assert block_probabilities("mutate_adaptive", s, 0.15, 3, [-100, 1.0, 1.2]) == [0.5, 0.15, 0.15]
    assert block_probabilities("mutate_adaptive", s, 0.15, 3, [-100, 1.2, 1.2, 1.2, 1.2, 1.2]) == [0.15, 0.15, 0.15]
    assert block_probabilities("mutate_default", s, 0.05, 3, []) == [0.05] * 3


def test_mutation_touches_only_chosen_blocks():
    cfg = SubnetConfig(width=1.0, resolution=64, blocks=tuple(BlockChoice.from_list([1, 3, 1, False]) for _ in range(3)))
    values = {"exp": [6], "kernel": [7], "layers": [3], "skip": [True]}
    child = mutate(cfg, [1.0, 0.0, 0.0], values, np.random.default_rng(0))
    assert child.blocks[0] == BlockChoice.from_list([6, 7, 3, True]) and child.blocks[1:] == cfg.blocks[1:]


def test_mutation_changes_every_selected_block():
    """Every block drawn for mutation is replaced in the child, not only the last one drawn (a child
    rebuilt from the parent at each block would keep just the last change)."""
    cfg = SubnetConfig(width=1.0, resolution=64, blocks=tuple(BlockChoice.from_list([1, 3, 1, False]) for _ in range(4)))
    new = BlockChoice.from_list([6, 7, 3, True])
    values = {"exp": [6], "kernel": [7], "layers": [3], "skip": [True]}  # the only possible draw: differs from every block
    for probs, chosen in (([1.0, 0.0, 1.0, 0.0], {0, 2}), ([1.0, 1.0, 1.0, 1.0], {0, 1, 2, 3}), ([0.0] * 4, set())):
        child = mutate(cfg, probs, values, np.random.default_rng(1))
        assert {b for b in range(4) if child.blocks[b] == new} == chosen, probs
        assert all(child.blocks[b] == cfg.blocks[b] for b in set(range(4)) - chosen)
        assert (child.width, child.resolution) == (cfg.width, cfg.resolution)
    assert cfg.blocks == tuple(BlockChoice.from_list([1, 3, 1, False]) for _ in range(4))  # the parent is untouched


def test_mutation_selects_blocks_with_their_probability():
    """Over many draws each block mutates with its own probability (binomial, 5 sigma bounds)."""
    cfg = SubnetConfig(width=1.0, resolution=64, blocks=tuple(BlockChoice.from_list([1, 3, 1, False]) for _ in range(3)))
    values = {"exp": [6], "kernel": [7], "layers": [3], "skip": [True]}
    probs, n = [0.5, 0.15, 0.0], 2000
    rng = np.random.default_rng(4)
    hits = np.zeros(3)
    for _ in range(n):
        child = mutate(cfg, probs, values, rng)
        hits += [child.blocks[b] != cfg.blocks[b] for b in range(3)]
    for p, h in zip(probs, hits):
        assert abs(h - n * p) <= 5 * np.sqrt(n * p * (1 - p)) + 1e-9, (p, h)


def test_crossover_takes_each_block_from_a_parent():
    """Each child block comes from one of the two parents, both parents contribute over many draws, and
    width/resolution follow the first parent."""
    a = SubnetConfig(width=0.5, resolution=32, blocks=tuple(BlockChoice.from_list([1, 3, 1, False]) for _ in range(3)))
    b = SubnetConfig(width=1.0, resolution=64, blocks=tuple(BlockChoice.from_list([6, 7, 3, True]) for _ in range(3)))
    rng = np.random.default_rng(9)
    from_a = np.zeros(3)
    n = 400
    for _ in range(n):
        c = crossover(a, b, rng)
        assert (c.width, c.resolution) == (0.5, 32)
        assert all(c.blocks[i] in (a.blocks[i], b.blocks[i]) for i in range(3))
        from_a += [c.blocks[i] == a.blocks[i] for i in range(3)]
    assert np.all(np.abs(from_a - n / 2) <= 5 * np.sqrt(n / 4))  # fair coin per block


def test_block_probabilities_edges():
    """Blockwise probabilities come from the settings list; exploitation starts exactly when the best score
    has been the same for BEST_STABLE_GENERATIONS (5 here) generations, not before."""
    s = {"MUT_PROB_PER_BLOCK": [0.1, 0.2, 0.3, 0.4], "BEST_STABLE_GENERATIONS": 5,
         "MUT_PROB_PER_BLOCK_EXPLORATION": [0.5, 0.15, 0.15], "MUT_PROB_PER_BLOCK_EXPLOITATION": [0.15, 0.15, 0.15]}
    assert block_probabilities("mutate_blockwise_prob", s, 0.9, 3, []) == [0.1, 0.2, 0.3]
    assert block_probabilities("mutate_adaptive", s, 0.9, 3, [1.2] * 5) == [0.15, 0.15, 0.15]  # exactly 5: exploit
    assert block_probabilities("mutate_adaptive", s, 0.9, 3, [1.2] * 4) == [0.5, 0.15, 0.15]  # 4 equal: explore
    assert block_probabilities("mutate_adaptive", s, 0.9, 3, [1.0, 1.2, 1.2, 1.2, 1.2]) == [0.5, 0.15, 0.15]


def test_unknown_score_kind_is_named():
    with pytest.raises(ValueError, match="unknown score type 'ACC_FOO'"):
        score("ACC_FOO", 1, 1, 1, 1)


class _Draws:
    """A stand-in generator returning set uniform draws (and the first value for choices)."""

    def __init__(self, *draws: float) -> None:
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0)

    def choice(self, values):
        return values[0]


def test_a_draw_equal_to_the_probability_does_not_select():
    """numpy's random() lies in [0, 1): with "draw < p" a block is chosen with probability exactly p, so a
    probability 0 never selects even on a draw of 0.0, and a draw of exactly 0.5 falls in crossover's second half."""
    cfg = SubnetConfig(width=1.0, resolution=64, blocks=tuple(BlockChoice.from_list([1, 3, 1, False]) for _ in range(2)))
    values = {"exp": [6], "kernel": [7], "layers": [3], "skip": [True]}
    assert mutate(cfg, [0.0, 0.25], values, _Draws(0.0, 0.25)) == cfg
    assert mutate(cfg, [0.0, 0.25], values, _Draws(0.0, 0.2)).blocks[1] == BlockChoice.from_list([6, 7, 3, True])
    a, b = cfg, SubnetConfig(width=1.0, resolution=64, blocks=(BlockChoice.from_list([6, 7, 3, True]),) * 2)
    assert crossover(a, b, _Draws(0.5, 0.4999)).blocks == (b.blocks[0], a.blocks[1])
