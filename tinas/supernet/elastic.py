"""An OFA-style elastic supernet: every block holds one set of maximum-size weights, and a subnet uses
the leading channels (elastic expansion), the centre crop of the kernel (elastic kernel) and the first
layers (elastic depth). Unlike the single-path supernet, all candidates share weights, which makes the
shared weights rank subnets at small training budgets.

The active choice is an argument of ``forward`` (no hidden state set by parents), and
``export_weights`` slices the same tensors ``forward`` uses, so an extracted subnet computes exactly what
the supernet computes in that configuration.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tinas.search_space import BlockChoice, DatasetSpace, SubnetConfig, to_network
from tinas.supernet.weights import bn_arrays, layer_arrays

BN_EPS = 1e-5


class ElasticBN(nn.Module):
    """Batch norm over the leading ``c`` channels of a max-size BN (running statistics sliced)."""

    def __init__(self, c_max: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(c_max, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        b = self.bn
        momentum = b.momentum
        if self.training and momentum is None:  # cumulative average (BN recalibration)
            b.num_batches_tracked += 1
            momentum = 1.0 / float(b.num_batches_tracked)
        return F.batch_norm(x, b.running_mean[:c], b.running_var[:c], b.weight[:c], b.bias[:c],
                            self.training, 0.1 if momentum is None else momentum, b.eps)

    def arrays(self, c: int) -> dict[str, np.ndarray]:
        b = self.bn
        return bn_arrays(b.weight, b.bias, b.running_mean, b.running_var, c)


class ElasticMBConv(nn.Module):
    def __init__(self, one_d: bool, cin: int, cout: int, exp_max: int, k_max: int, stride: int) -> None:
        super().__init__()
        self.one_d, self.cin, self.cout, self.stride = one_d, cin, cout, stride
        mid = exp_max * cin
        kw = 1 if one_d else k_max
        self.pw0 = nn.Parameter(torch.randn(mid, cin, 1, 1) / cin**0.5)
        self.dw = nn.Parameter(torch.randn(mid, 1, k_max, kw) / 3.0)
        self.pw2 = nn.Parameter(torch.randn(cout, mid, 1, 1) / mid**0.5)
        self.bn0, self.bn1, self.bn2 = ElasticBN(mid), ElasticBN(mid), ElasticBN(cout)
        self.k_max = k_max

    def weights(self, exp: int, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mid = exp * self.cin
        o = (self.k_max - k) // 2
        dw = self.dw[:mid, :, o:o + k, :] if self.one_d else self.dw[:mid, :, o:o + k, o:o + k]
        return self.pw0[:mid], dw, self.pw2[:, :mid]

    def forward(self, x: torch.Tensor, exp: int, k: int, skip: bool) -> torch.Tensor:
        w0, wd, w2 = self.weights(exp, k)
        pad = ((k - 1) // 2, 0) if self.one_d else ((k - 1) // 2, (k - 1) // 2)
        y = torch.relu(self.bn0(F.conv2d(x, w0)))
        y = torch.relu(self.bn1(F.conv2d(y, wd, stride=(self.stride, 1) if self.one_d else self.stride,
                                         padding=pad, groups=w0.shape[0])))
        y = self.bn2(F.conv2d(y, w2))
        return x + y if (skip and self.stride == 1 and self.cin == self.cout) else y


class ElasticSuperNet(nn.Module):
    """Same interface as the single-path ``SuperNet`` (paths are indices into ``choices``)."""

    def __init__(self, space: DatasetSpace, width: float, resolution: int, choices: Sequence[BlockChoice]) -> None:
        super().__init__()
        self.space, self.width, self.resolution = space, width, resolution
        self.choices = list(choices)
        self.one_d = space.use_1d
        e_max = max(c.exp for c in self.choices)
        k_max = max(c.kernel for c in self.choices)
        self.d_max = max(c.layers for c in self.choices)
        kw = 1 if self.one_d else 3
        self.stem_w = nn.Parameter(torch.randn(space.stem_c_out, space.input_channels, 3, kw) / (3 * space.input_channels) ** 0.5)
        self.stem_bn = ElasticBN(space.stem_c_out)
        self.blocks = nn.ModuleList()
        cin = space.stem_c_out
        for b, cout in enumerate(space.block_channels(width)):
            self.blocks.append(nn.ModuleList(
                ElasticMBConv(self.one_d, cin if i == 0 else cout, cout, e_max, k_max,
                              2 if (i == 0 and b in space.downsample_blocks) else 1) for i in range(self.d_max)))
            cin = cout
        self.classifier = nn.Linear(cin, space.num_classes)

    def indices(self, config: SubnetConfig) -> list[int]:
        return [self.choices.index(b) for b in config.blocks]

    def sample_path(self, rng: np.random.Generator) -> list[int]:
        return [int(i) for i in rng.integers(0, len(self.choices), self.space.num_blocks)]

    def to_input(self, x_hwc: np.ndarray) -> torch.Tensor:
        """(N, H, W, C) → NCHW; 1-D data as (N, C, L, 1)."""
        return torch.from_numpy(np.ascontiguousarray(x_hwc)).permute(0, 3, 1, 2).contiguous()

    def forward(self, x: torch.Tensor, path: Sequence[int]) -> torch.Tensor:
        y = self.stem_bn(F.conv2d(x, self.stem_w, padding=(1, 0) if self.one_d else 1))
        for b, idx in enumerate(path):
            c = self.choices[idx]
            for i in range(c.layers):
                y = self.blocks[b][i](y, c.exp, c.kernel, c.skip)
        return self.classifier(y.mean(dim=(2, 3)))

    def export_weights(self, config: SubnetConfig) -> dict[str, np.ndarray]:
        net = to_network(config, self.space)
        tensors: list[tuple[str, object]] = [("CONV", self.stem_w),
                                             ("BN", self.stem_bn.arrays(self.space.stem_c_out))]
        for b, c in enumerate(config.blocks):
            for i in range(c.layers):
                layer = self.blocks[b][i]
                w0, wd, w2 = layer.weights(c.exp, c.kernel)
                mid = c.exp * layer.cin
                tensors += [("CONV", w0), ("BN", layer.bn0.arrays(mid)), ("RELU", None), ("CONV", wd),
                            ("BN", layer.bn1.arrays(mid)), ("RELU", None), ("CONV", w2), ("BN", layer.bn2.arrays(layer.cout))]
                if c.skip and layer.stride == 1 and layer.cin == layer.cout:
                    tensors.append(("ADD", None))
        tensors += [("GAVGPOOL", None), ("FC", (self.classifier.weight, self.classifier.bias))]
        return layer_arrays(net, tensors, "elastic supernet")
