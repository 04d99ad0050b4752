"""Subnet configuration → the cost model's layer list, record for record as the original produced
(original-tinas.md, search §4.2–4.3, §4.6), computed from shapes alone (no model, no dummy forward pass)."""

from __future__ import annotations

from typing import Any

from tinas.network import Network
from tinas.search_space.config import SubnetConfig
from tinas.search_space.spaces import DatasetSpace


def _conv_out(h: int, k: int, s: int, p: int) -> int:
    return (h + 2 * p - k) // s + 1


class _Builder:
    def __init__(self, space: DatasetSpace) -> None:
        self.one_d = space.use_1d
        self.records: list[dict[str, Any]] = []

    def _shape(self, ch: int, h: int) -> dict[str, int | None]:
        return {"N": 1, "CH": ch, "H": h, "W": 1 if self.one_d else h}

    def add(self, typ: str, alias: str, **kw: Any) -> str:
        name = "FC_END" if typ == "FC" else f"{typ}_{len(self.records)}"
        rec = {"name": name, "alias": alias, "type": typ, **kw}
        rec.setdefault("K", {"N": None, "CH": None, "H": None, "W": None})
        self.records.append(rec)
        return name

    def conv(self, alias: str, kind: str, cin: int, cout: int, h: int, k: int, s: int, p: int) -> tuple[str, int]:
        base = 9 if self.one_d else 0
        optype = base + {"std": 0, "pw": 2, "dw": 3}[kind]
        ho = _conv_out(h, k, s, p)
        kdims = {"N": cout, "CH": 1 if kind == "dw" else cin, "H": k, "W": 1 if self.one_d else k}
        name = self.add("CONV", alias, optype=optype, stride=s, pad=p, K=kdims,
                        IFM=self._shape(cin, h), OFM=self._shape(cout, ho))
        return name, ho

    def same(self, typ: str, alias: str, optype: int, ch: int, h: int, **extra: Any) -> str:
        return self.add(typ, alias, optype=optype, stride=None, IFM=self._shape(ch, h), OFM=self._shape(ch, h), **extra)


def to_network(config: SubnetConfig, space: DatasetSpace) -> Network:
    """The layer list of ``config`` in ``space``: stem, MBConv blocks (with skip ADDs), pooling, FC."""
    if len(config.blocks) != space.num_blocks:
        raise ValueError(f"{space.name} has {space.num_blocks} blocks, config has {len(config.blocks)}")
    b = _Builder(space)
    h = config.resolution
    ch = space.stem_c_out
    b.conv("stem.conv0", "std", space.input_channels, ch, h, 3, 1, 1)
    last = b.same("BN", "stem.bn0", 4, ch, h)
    for bi, (choice, cout) in enumerate(zip(config.blocks, space.block_channels(config.width))):
        for li in range(choice.layers):
            prefix = f"choice_blocks.{bi}._layers.{li}."
            stride = 2 if (li == 0 and bi in space.downsample_blocks) else 1
            cin, hin, block_input = ch, h, last
            mid = choice.exp * cin
            b.conv(prefix + "op.mbconv_conv0_pw", "pw", cin, mid, hin, 1, 1, 0)
            b.same("BN", prefix + "op.mbconv_bn0", 4, mid, hin)
            b.same("RELU", prefix + "op.mbconv_relu0", 5, mid, hin)
            k = choice.kernel
            _, h = b.conv(prefix + "op.mbconv_conv1_dw", "dw", mid, mid, hin, k, stride, (k - 1) // 2)
            b.same("BN", prefix + "op.mbconv_bn1", 4, mid, h)
            b.same("RELU", prefix + "op.mbconv_relu1", 5, mid, h)
            b.conv(prefix + "op.mbconv_conv2_pw", "pw", mid, cout, h, 1, 1, 0)
            last = b.same("BN", prefix + "op.mbconv_bn2", 4, cout, h)
            if choice.skip and stride == 1:
                if cin == cout:
                    last = b.same("ADD", prefix + "shortcut.skip_aggr", 8, cin, hin, add_from=block_input)
                else:
                    # the projection conv reads the block input, not the record before it; its ADD sums
                    # the projection (the record before) and the body (add_from)
                    body = last
                    b.conv(prefix + "shortcut.mbconv_skip_conv3_pw", "pw", cin, cout, hin, 1, 1, 0)
                    b.same("BN", prefix + "shortcut.mbconv_skip_bn3", 4, cout, hin)
                    last = b.same("ADD", prefix + "shortcut.mbconv_skip_aggr", 8, cout, hin, add_from=body)
            ch = cout
    b.add("GAVGPOOL", "global_pooling", optype=7, stride=None, IFM=b._shape(ch, h), OFM=b._shape(ch, 1))
    b.add("FC", "classifier", optype=6, stride=1, pad=None, K={"N": space.num_classes, "CH": ch, "H": 1, "W": 1},
          IFM={"N": 1, "CH": ch, "H": 1, "W": 1}, OFM={"N": 1, "CH": space.num_classes, "H": 1, "W": 1})
    return Network.from_layers(b.records, source=f"subnet {config.key}")
