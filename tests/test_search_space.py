"""Search space: choice lists and encodings of the original, and subnet → layer list conversion checked
record for record against the layer lists stored in the 12 published solutions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tinas.cost import evaluate
from tinas.platform import load_platform
from tinas.search_space import BlockChoice, SubnetConfig, block_choice_list, get_space, net_choice_list, sample_subnet, to_network

SOLUTIONS = sorted((Path(__file__).parent / "data" / "tinas-solutions").glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", path.read_text()))[0]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name[:40])
def test_to_network_matches_published_layer_list(path):
    d = load(path)
    stored = d.get("subnet_latency_info", d)["subnet_obj"]
    w, r = d["supernet config"]
    cfg = SubnetConfig(width=w, resolution=r, blocks=tuple(BlockChoice.from_list(b) for b in d["subnet_choice_per_blk"]))
    net = to_network(cfg, get_space("HAR" if "_HAR" in path.name else "CIFAR10"))
    assert len(net.layers) == len(stored)
    for mine, orig in zip(net.layers, stored):
        want = {k: v for k, v in orig.items() if k not in ("lcnt", "objtype")}
        want.setdefault("pad", None)
        assert mine.model_dump(exclude={"add_from"}) == want


def test_block_channels_table():  # original-tinas.md, search §4.2, banker's rounding
    assert get_space("CIFAR10").block_channels(0.3) == (4, 8, 10, 20)
    assert get_space("CIFAR10").block_channels(0.7) == (12, 16, 22, 44)
    assert get_space("HAR").block_channels(0.5) == (4, 6, 8)
    assert get_space("MSWC").block_channels(0.3) == (8, 8, 10, 20)


def test_choice_list_sizes_and_index_encoding():  # §4.4, §4.7
    cifar = get_space("CIFAR10")
    full = block_choice_list(cifar)
    dropped = block_choice_list(cifar, {"NUM_LAYERS": [1], "SUPPORT_SKIP": [False]})
    assert (len(full), len(dropped)) == (96, 32)
    target = BlockChoice.from_list([1, 7, 3, True])
    assert full.index(target) == 23 and dropped.index(target) == 7
    assert len(net_choice_list(cifar)) == 18
    assert len(net_choice_list(cifar, {"WIDTH_MULTIPLIER": [0.2, 0.3, 0.4, 0.5], "INPUT_RESOLUTION": [28]})) == 5


def test_add_layers_name_their_skip_input():
    cfg = SubnetConfig(width=1.0, resolution=64, blocks=tuple(BlockChoice.from_list(b) for b in [[1, 7, 3, True]] * 3))
    net = to_network(cfg, get_space("HAR"))
    names = [l.name for l in net.layers]
    for i, l in enumerate(net.layers):
        if l.type == "ADD":
            src = names.index(l.add_from)
            assert src < i - 1 and net.layers[src].OFM == l.IFM


def test_sampling_is_seeded_and_costable():
    space = get_space("DIGITS")
    choices = block_choice_list(space)
    a = [sample_subnet(space, np.random.default_rng(3), 1.0, 16, choices) for _ in range(2)]
    assert a[0] == a[1]
    assert a[0] != sample_subnet(space, np.random.default_rng(4), 1.0, 16, choices)  # the seed matters
    cost = evaluate(to_network(a[0], space), load_platform())
    assert cost.feasible and cost.power_cycles >= 1
    # intermittent execution only adds work and recharge time to the continuous run
    assert cost.latency_intermittent_s >= cost.latency_continuous_s
