"""Small networks with random weights, exported as artifacts, shared by the firmware tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinas.cost import evaluate
from tinas.export import export_model, load_artifact
from tinas.export.artifact import LoadedArtifact
from tinas.network import LayerDesign
from tinas.platform import load_platform
from tinas.quant.synthetic import random_inputs, random_weights
from tinas.search_space import BlockChoice, SubnetConfig, get_space, to_network

IMAGE_BLOCKS = ([3, 3, 2, True], [1, 5, 1, False], [4, 3, 2, True])
SERIES_BLOCKS = ([3, 5, 2, True], [4, 3, 1, False], [1, 7, 2, True])


def make_artifact(out: Path, dataset: str = "DIGITS", width: float = 0.5, resolution: int = 8,
                  blocks=IMAGE_BLOCKS, seed: int = 0, designs: list[LayerDesign] | None = None,
                  proactive: bool = True) -> LoadedArtifact:
    space = get_space(dataset)
    cfg = SubnetConfig(width=width, resolution=resolution, blocks=tuple(BlockChoice.from_list(b) for b in blocks))
    net = to_network(cfg, space)
    platform = load_platform()
    cost = evaluate(net, platform)
    rng = np.random.default_rng(seed)
    h, w = (resolution, 1) if space.use_1d else (resolution, resolution)
    export_model(net, designs or cost.designs, random_weights(net, rng), random_inputs((h, w, space.input_channels), 8, rng),
                 out, platform=platform, proactive=proactive)
    return load_artifact(out)


def alternative_designs(dataset: str, width: float, resolution: int, blocks, seed: int) -> list[LayerDesign]:
    """Random legal designs (any loop order, small Tn so partial sums cross tiles, S up to 3) that fit the
    firmware's buffers: the output must not depend on them."""
    from tinas.cost.tiling import ORDERS, Dims, candidate_lists

    space = get_space(dataset)
    net = to_network(SubnetConfig(width=width, resolution=resolution,
                                  blocks=tuple(BlockChoice.from_list(b) for b in blocks)), space)
    rng = np.random.default_rng(seed)
    out = []
    for l in net.layers:
        tr, tc, tm, tn, orders = candidate_lists(l, Dims.of(l))
        while True:
            d = LayerDesign(Tr=int(rng.choice(tr[:4])), Tc=int(rng.choice(tc[:4])), Tm=int(rng.choice(tm)),
                            Tn=int(rng.choice(tn)), order=ORDERS[int(rng.choice(orders))], S=int(rng.integers(1, 4)))
            dims = Dims.of(l)
            tri = (min(d.Tr, dims.R) - 1) * dims.s + dims.Kh
            tci = (min(d.Tc, dims.C) - 1) * dims.s + dims.Kw
            if tri * tci * max(d.Tn, d.Tm) + dims.Kh * dims.Kw * d.Tm * d.Tn <= 1024:
                break
        out.append(d)
    return out
