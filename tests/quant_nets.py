"""Tiny hand-written networks for the quantiser's unit tests (tests/test_quant_*.py): layer records in the
original's form, small enough that every shape, scale and output can be worked out by hand."""

from __future__ import annotations

from tinas.network import LayerDesign, Network


def shape(ch: int | None, h: int | None, w: int | None, n: int | None = 1) -> dict:
    return {"N": n, "CH": ch, "H": h, "W": w}


def conv(name: str, optype: int, cin: int, cout: int, k: int, hw_in: tuple[int, int], hw_out: tuple[int, int],
         stride: int = 1, pad: int = 0, depthwise: bool = False, k_w: int | None = None) -> dict:
    return {"name": name, "type": "CONV", "optype": optype, "stride": stride, "pad": pad,
            "K": shape(1 if depthwise else cin, k, k if k_w is None else k_w, n=cout),
            "IFM": shape(cin, *hw_in), "OFM": shape(cout, *hw_out)}


def same(name: str, kind: str, optype: int, c: int, h: int, w: int, add_from: str | None = None) -> dict:
    d = {"name": name, "type": kind, "optype": optype, "IFM": shape(c, h, w), "OFM": shape(c, h, w)}
    if add_from is not None:
        d["add_from"] = add_from
    return d


def gap(name: str, c: int, h: int, w: int) -> dict:
    return {"name": name, "type": "GAVGPOOL", "optype": 7, "IFM": shape(c, h, w), "OFM": shape(c, 1, 1)}


def fc(name: str, cin: int, cout: int, h: int = 1) -> dict:
    return {"name": name, "type": "FC", "optype": 6, "K": shape(cin, h, h, n=cout), "IFM": shape(cin, h, h),
            "OFM": shape(cout, 1, 1)}


def net(*layers: dict) -> Network:
    return Network.from_layers(list(layers))


def designs(n: int) -> list[LayerDesign]:
    """One distinct design per layer (Tr = layer index + 1), so a test can see which layer's design is used."""
    return [LayerDesign(Tr=i + 1, Tc=1, Tm=1, Tn=1, order="reuse_O") for i in range(n)]
