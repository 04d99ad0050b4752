"""The supernet for one (width, resolution) pair and one list of block choices.

Weight sharing is the original's: each (block position, choice) candidate owns its weights and shares
them with every subnet that picks it; the stem and the classifier are shared by all (docs/original-tinas.md,
search §4.5). ``export_weights`` writes a subnet's weights keyed by the layer names of ``to_network``, so the
exporter reads exactly the network the cost model costed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from tinas.search_space import BlockChoice, DatasetSpace, SubnetConfig, to_network
from tinas.supernet.weights import bn_arrays, layer_arrays

BN_EPS = 1e-5


def _conv(one_d: bool, cin: int, cout: int, k: int, s: int, groups: int = 1) -> nn.Module:
    cls = nn.Conv1d if one_d else nn.Conv2d
    return cls(cin, cout, k, stride=s, padding=(k - 1) // 2, groups=groups, bias=False)


def _bn(one_d: bool, c: int) -> nn.Module:
    return (nn.BatchNorm1d if one_d else nn.BatchNorm2d)(c, eps=BN_EPS)


class MBConv(nn.Module):
    """1×1 expand, BN, ReLU, k×k depthwise, BN, ReLU, 1×1 project, BN; identity skip when asked."""

    def __init__(self, one_d: bool, cin: int, cout: int, exp: int, k: int, stride: int, skip: bool) -> None:
        super().__init__()
        mid = exp * cin
        self.pw0, self.bn0 = _conv(one_d, cin, mid, 1, 1), _bn(one_d, mid)
        self.dw, self.bn1 = _conv(one_d, mid, mid, k, stride, groups=mid), _bn(one_d, mid)
        self.pw2, self.bn2 = _conv(one_d, mid, cout, 1, 1), _bn(one_d, cout)
        self.identity = skip and stride == 1 and cin == cout
        if skip and stride == 1 and cin != cout:
            raise ValueError("projection shortcuts are not supported by the firmware export")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn0(self.pw0(x)))
        y = torch.relu(self.bn1(self.dw(y)))
        y = self.bn2(self.pw2(y))
        return x + y if self.identity else y

    def layers_in_network_order(self) -> list[tuple[str, nn.Module]]:
        seq = [("CONV", self.pw0), ("BN", self.bn0), ("RELU", None), ("CONV", self.dw), ("BN", self.bn1),
               ("RELU", None), ("CONV", self.pw2), ("BN", self.bn2)]
        return seq + ([("ADD", None)] if self.identity else [])


class SuperNet(nn.Module):
    def __init__(self, space: DatasetSpace, width: float, resolution: int, choices: Sequence[BlockChoice]) -> None:
        super().__init__()
        self.space, self.width, self.resolution = space, width, resolution
        self.choices = list(choices)
        one_d = space.use_1d
        self.stem_conv = _conv(one_d, space.input_channels, space.stem_c_out, 3, 1)
        self.stem_bn = _bn(one_d, space.stem_c_out)
        self.blocks = nn.ModuleList()
        cin = space.stem_c_out
        for b, cout in enumerate(space.block_channels(width)):
            cands = nn.ModuleList()
            for ch in self.choices:
                layers = [MBConv(one_d, cin if i == 0 else cout, cout, ch.exp, ch.kernel,
                                 2 if (i == 0 and b in space.downsample_blocks) else 1, ch.skip)
                          for i in range(ch.layers)]
                cands.append(nn.Sequential(*layers))
            self.blocks.append(cands)
            cin = cout
        self.classifier = nn.Linear(cin, space.num_classes)
        self._init()

    def _init(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d)):
                nn.init.normal_(m.weight, 0.0, 1.0 / m.weight.shape[1] ** 0.5)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.constant_(m.bias, 1e-4)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def indices(self, config: SubnetConfig) -> list[int]:
        return [self.choices.index(b) for b in config.blocks]

    def forward(self, x: torch.Tensor, path: Sequence[int]) -> torch.Tensor:
        """``x`` is NCHW (2-D) or NCL (1-D); ``path`` is one choice index per block."""
        y = self.stem_bn(self.stem_conv(x))  # no ReLU after the stem, as the original
        for b, idx in enumerate(path):
            y = self.blocks[b][idx](y)
        y = y.mean(dim=tuple(range(2, y.dim())))
        return self.classifier(y)

    def sample_path(self, rng: np.random.Generator) -> list[int]:
        return [int(i) for i in rng.integers(0, len(self.choices), self.space.num_blocks)]

    def to_input(self, x_hwc: np.ndarray) -> torch.Tensor:
        """Dataset batch (N, H, W, C) → the layout of this network."""
        t = torch.from_numpy(np.ascontiguousarray(x_hwc))
        if self.space.use_1d:
            return t[:, :, 0, :].permute(0, 2, 1).contiguous()
        return t.permute(0, 3, 1, 2).contiguous()

    def export_weights(self, config: SubnetConfig) -> dict[str, np.ndarray]:
        """The subnet's weights keyed by ``to_network`` layer names (docs/interfaces.md §5)."""
        net = to_network(config, self.space)

        def item(kind: str, m: nn.Module | None):
            if kind == "CONV":
                return kind, m.weight
            if kind == "BN":
                return kind, bn_arrays(m.weight, m.bias, m.running_mean, m.running_var, m.num_features)
            if kind == "FC":
                return kind, (m.weight, m.bias)
            return kind, None

        mods: list[tuple[str, nn.Module | None]] = [("CONV", self.stem_conv), ("BN", self.stem_bn)]
        for b, idx in enumerate(self.indices(config)):
            for layer in self.blocks[b][idx]:
                mods += layer.layers_in_network_order()
        mods += [("GAVGPOOL", None), ("FC", self.classifier)]
        return layer_arrays(net, [item(k, m) for k, m in mods], "supernet")
