"""Export the original TiNAS's published solution files, which carry shapes and execution designs but
no weights: the network is completed (skip inputs of residual ADDs from the layer aliases), weights are
seeded random He-scaled floats, and the result goes through the ordinary exporter (BN folded, Q15)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from tinas.errors import TinasError
from tinas.network import LayerDesign, Network, read_json_lenient
from tinas.quant.synthetic import HE, random_weights

SKIP_SUFFIX = ".shortcut.skip_aggr"
BLOCK_FIRST = ".op.mbconv_conv0_pw"


class PublishedSolutionError(TinasError):
    """A published solution file that cannot be turned into a runnable model."""


def infer_skip_inputs(network: Network) -> Network:
    """Fill ``add_from`` of every ADD that lacks it: the ADD aliased ``<block>.shortcut.skip_aggr`` adds the
    block's input, which is the output of the layer just before ``<block>.op.mbconv_conv0_pw`` (the
    original's DNNDumper reserves exactly that buffer for the shortcut)."""
    layers = list(network.layers)
    by_alias = {l.alias: i for i, l in enumerate(layers) if l.alias}
    out = []
    for i, l in enumerate(layers):
        if l.type == "ADD" and l.add_from is None:
            alias = l.alias or ""
            if not alias.endswith(SKIP_SUFFIX):
                raise PublishedSolutionError(f"layer {l.name}: ADD without add_from and without a "
                                             f"'*{SKIP_SUFFIX}' alias; cannot tell its skip input")
            first = by_alias.get(alias[: -len(SKIP_SUFFIX)] + BLOCK_FIRST)
            if first is None or first == 0 or first >= i:
                raise PublishedSolutionError(f"layer {l.name}: no '{alias[: -len(SKIP_SUFFIX)]}{BLOCK_FIRST}' "
                                             f"layer before it; cannot tell its skip input")
            l = l.model_copy(update={"add_from": layers[first - 1].name})
        out.append(l)
    return Network(layers=tuple(out))


def published_designs(path: str | Path, network: Network) -> list[LayerDesign]:
    """The intermittent-power execution design stored per layer (``perf_exec_design_intpow``)."""
    data = read_json_lenient(path)
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict):
            info = item.get("subnet_latency_info", item)
            stored = info.get("perf_exec_design_intpow", info.get("perf_exec_design"))
            if isinstance(stored, list):
                break
    else:
        raise PublishedSolutionError(f"{path}: no perf_exec_design_intpow list found")
    names = [s.get("layer") for s in stored]
    if names != [l.name for l in network.layers]:
        raise PublishedSolutionError(f"{path}: the stored designs do not list the network's layers in order")
    return [LayerDesign.parse(s["params"]) for s in stored]


def he_weights(network: Network, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Seeded He-scaled weights (std sqrt(2/fan_in)) and mild BN statistics, in the npz layout of the
    supernet export, so activations keep a realistic scale through ReLU blocks: they neither vanish nor
    saturate everywhere."""
    return random_weights(network, rng, HE)


def export_published(path: str | Path, seed: int, out: str | Path, *, platform=None, proactive: bool = False,
                     nvm_limit_bytes: int | None = None, n_calib: int = 8):
    """Export a published solution file with seeded random weights (see the module docstring).

    The layer list and the stored intermittent-power designs come from the file; weights, calibration
    inputs and the golden input come from ``seed``. Two seeds give the same layer table (offsets, tiles,
    orders) and designs; only weights, and the shifts calibrated from them, differ."""
    from tinas.export.writer import EXT_FRAM_BYTES, export_model  # the writer imports the cost model

    p = Path(path)
    net = infer_skip_inputs(Network.load(p))
    designs = published_designs(p, net)
    rng = np.random.default_rng(seed)
    weights = he_weights(net, rng)
    first = net.layers[0]
    shape = (int(first.IFM.H), int(first.IFM.W), int(first.IFM.CH))
    calib = rng.uniform(-1.0, 1.0 - 2**-15, (n_calib, *shape))
    golden = rng.uniform(-1.0, 1.0 - 2**-15, shape)
    name = re.sub(r"_best_solution_info$", "", p.stem)
    return export_model(net, designs, weights, calib, out, golden_input=golden, platform=platform,
                        proactive=proactive, name=f"{name}-seed{seed}", source=f"{p} (random weights, seed {seed})",
                        nvm_limit_bytes=EXT_FRAM_BYTES if nvm_limit_bytes is None else nvm_limit_bytes)
