"""tinas/quant/graph.py on tiny networks: the firmware layers listed by hand, BN folding against PyTorch's
own Conv2d + BatchNorm2d modules (BN not folded there), and every refusal naming its problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.float_reference import float_forward as torch_forward
from tests.quant_nets import conv, designs, fc, gap, net, same
from tinas.errors import ExportError
from tinas.network import LayerDesign
from tinas.quant.graph import QLayer, build_graph
from tinas.quant.quantize import forward_float

# input 5×5×2 → conv 3×3 stride 2 pad 1 (3 ch, 3×3) + BN → ReLU → depthwise 3×3 pad 1 + BN → ADD (skip from
# the ReLU) → global pooling (3×1×1) → FC 3→4 without bias
SMALL = [conv("c1", 0, 2, 3, 3, (5, 5), (3, 3), stride=2, pad=1), same("b1", "BN", 4, 3, 3, 3),
         same("r1", "RELU", 5, 3, 3, 3), conv("d1", 3, 3, 3, 3, (3, 3), (3, 3), pad=1, depthwise=True),
         same("b2", "BN", 4, 3, 3, 3), same("a1", "ADD", 8, 3, 3, 3, add_from="r1"), gap("g1", 3, 3, 3),
         fc("f1", 3, 4)]


def small_weights(rng: np.random.Generator, var_scale: float = 1.0) -> dict[str, np.ndarray]:
    w = {"c1.weight": rng.normal(size=(3, 2, 3, 3)), "c1.bias": rng.normal(size=3),
         "d1.weight": rng.normal(size=(3, 1, 3, 3)), "f1.weight": rng.normal(size=(4, 3))}
    for bn in ("b1", "b2"):
        w[f"{bn}.gamma"] = rng.uniform(0.5, 2.0, 3)
        w[f"{bn}.beta"] = rng.normal(size=3)
        w[f"{bn}.mean"] = rng.normal(size=3)
        w[f"{bn}.var"] = var_scale * rng.uniform(0.5, 2.0, 3)
    return {k: v.astype(np.float32) for k, v in w.items()}  # as a weights file stores them; folded in float64


def test_small_network_maps_onto_the_hand_listed_firmware_layers():
    n = net(*SMALL)
    ds = designs(len(SMALL))
    q = build_graph(n, ds, small_weights(np.random.default_rng(0)))
    # (name, covers, kind, in_idx, in2_idx, (in_c, in_h, in_w), (out_c, out_h, out_w), kh, kw, stride, pad, design)
    want = [("b1", ("c1", "b1"), "CONV", -1, -1, (2, 5, 5), (3, 3, 3), 3, 3, 2, 1, ds[0]),
            ("r1", ("r1",), "RELU", 0, -1, (3, 3, 3), (3, 3, 3), 1, 1, 1, 0, ds[2]),
            ("b2", ("d1", "b2"), "DW", 1, -1, (3, 3, 3), (3, 3, 3), 3, 3, 1, 1, ds[3]),
            ("a1", ("a1",), "ADD", 2, 1, (3, 3, 3), (3, 3, 3), 1, 1, 1, 0, ds[5]),
            ("g1", ("g1",), "GAP", 3, -1, (3, 3, 3), (3, 1, 1), 1, 1, 1, 0, ds[6]),
            ("f1", ("f1",), "FC", 4, -1, (3, 1, 1), (4, 1, 1), 1, 1, 1, 0, ds[7])]
    got = [(l.name, l.covers, l.kind, l.in_idx, l.in2_idx, (l.in_c, l.in_h, l.in_w), (l.out_c, l.out_h, l.out_w),
            l.kh, l.kw, l.stride, l.pad, l.design) for l in q]
    assert got == want
    assert [l.one_d for l in q] == [False] * 6
    assert [l.out_elements for l in q] == [27, 27, 27, 27, 3, 4]  # C·H·W
    # weights in the firmware layout: (kh, kw, M, N), depthwise (kh, kw, M), FC (1, 1, M, N); missing bias = 0
    assert [l.w_float.shape for l in q if l.w_float is not None] == [(3, 3, 3, 2), (3, 3, 3), (1, 1, 4, 3)]
    assert np.array_equal(q[5].b_float, np.zeros(4))
    assert [l.w_float for l in q if l.kind in ("RELU", "ADD", "GAP")] == [None, None, None]


def _torch_conv_bn(w: dict, conv_name: str, bn_name: str, cin: int, groups: int, stride: int, pad: int):
    """PyTorch's modules with the same parameters, in eval mode (running statistics, BN eps 1e-5)."""
    wt = torch.as_tensor(w[f"{conv_name}.weight"])
    c = torch.nn.Conv2d(cin, wt.shape[0], wt.shape[2], stride=stride, padding=pad, groups=groups,
                        bias=f"{conv_name}.bias" in w).double()
    bn = torch.nn.BatchNorm2d(wt.shape[0]).double()
    with torch.no_grad():
        c.weight.copy_(wt)
        if c.bias is not None:
            c.bias.copy_(torch.as_tensor(w[f"{conv_name}.bias"]))
        bn.weight.copy_(torch.as_tensor(w[f"{bn_name}.gamma"]))
        bn.bias.copy_(torch.as_tensor(w[f"{bn_name}.beta"]))
        bn.running_mean.copy_(torch.as_tensor(w[f"{bn_name}.mean"]))
        bn.running_var.copy_(torch.as_tensor(w[f"{bn_name}.var"]))
    return torch.nn.Sequential(c, bn).eval()


@pytest.mark.parametrize("var_scale", [1.0, 1e-4])  # small variances make BN's eps (1e-5) matter
def test_folded_convolutions_equal_pytorch_conv_then_batchnorm(var_scale):
    rng = np.random.default_rng(1)
    w = small_weights(rng, var_scale)
    q = build_graph(net(*SMALL), designs(len(SMALL)), w)
    x = rng.uniform(-1, 1, (5, 5, 2))
    for ql, x_in, (cn, bn, cin, groups, stride, pad) in ((q[0], x, ("c1", "b1", 2, 1, 2, 1)),
                                                          (q[2], rng.uniform(-1, 1, (3, 3, 3)), ("d1", "b2", 3, 3, 1, 1))):
        mod = _torch_conv_bn(w, cn, bn, cin, groups, stride, pad)
        with torch.no_grad():
            want = mod(torch.as_tensor(x_in).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
        got = forward_float([_as_first(ql)], x_in)[0]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _as_first(ql: QLayer) -> QLayer:
    """The layer as the first of a graph (its input is the model input)."""
    from dataclasses import replace

    return replace(ql, in_idx=-1, in2_idx=-1)


def test_whole_small_network_in_float_equals_the_separate_pytorch_reference():
    rng = np.random.default_rng(2)
    w = small_weights(rng)
    n = net(*SMALL)
    x = rng.uniform(-1, 1, (5, 5, 2))
    outs = forward_float(build_graph(n, designs(len(SMALL)), w), x)
    ref = torch_forward(n, w, x).outputs
    for got, name in zip(outs, ["b1", "r1", "b2", "a1", "g1", "f1"]):
        np.testing.assert_allclose(got, ref[name][0].transpose(1, 2, 0), rtol=1e-12, atol=1e-12)


def test_conv1d_pads_along_the_length_only():
    # Conv1d (optype 9): 6×1×1 → kernel 3×1, stride 2, pad 1 → 3×1×2; padding along W would read zeros
    n = net(conv("c", 9, 1, 2, 3, (6, 1), (3, 1), stride=2, pad=1, k_w=1))
    w = {"c.weight": np.array([[[[1.0], [2.0], [3.0]]], [[[0.0], [-1.0], [0.5]]]]), "c.bias": np.array([0.25, 0.0])}
    (ql,) = build_graph(n, designs(1), w)
    assert ql.one_d and (ql.kh, ql.kw, ql.pad, ql.stride) == (3, 1, 1, 2)
    x = np.arange(1.0, 7.0).reshape(6, 1, 1)  # 1..6
    y = forward_float([ql], x)[0][:, 0, :]
    # output r reads padded x[2r-1], x[2r], x[2r+1] (x[-1] = 0): r=0: (0, 1, 2), r=1: (2, 3, 4), r=2: (4, 5, 6)
    want = [[0 * 1 + 1 * 2 + 2 * 3 + 0.25, 0 * 0 - 1 * 1 + 2 * 0.5],
            [2 * 1 + 3 * 2 + 4 * 3 + 0.25, 2 * 0 - 3 * 1 + 4 * 0.5],
            [4 * 1 + 5 * 2 + 6 * 3 + 0.25, 4 * 0 - 5 * 1 + 6 * 0.5]]
    assert np.allclose(y, want, rtol=0, atol=1e-12)


def test_fc_weights_and_a_default_design():
    rec = fc("f", 2, 3)
    rec["K"]["W"] = 2  # a record whose FC kernel width is not 1 (the layer checks do not look at it)
    n = net(rec)
    w = {"f.weight": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), "f.bias": np.array([0.5, 0.0, -0.5])}
    (ql,) = build_graph(n, designs(1), w)
    assert ql.kind == "FC" and (ql.kh, ql.kw, ql.stride, ql.pad) == (1, 1, 1, 0)
    y = forward_float([ql], np.array([[[1.0, -1.0]]]))[0].ravel()
    assert y.tolist() == [1 - 2 + 0.5, 3 - 4, 5 - 6 - 0.5]
    bare = QLayer("x", ("x",), "RELU", -1, -1, 1, 1, 1, 1, 1, 1)
    assert bare.design == LayerDesign(Tr=1, Tc=1, Tm=1, Tn=1, order="reuse_O")


def _err(layers, weights, n_designs=None, match=""):
    n = net(*layers)
    with pytest.raises(ExportError, match=match):
        build_graph(n, designs(len(layers) if n_designs is None else n_designs), weights)


def test_refusals_name_the_problem():
    relu = same("r", "RELU", 5, 2, 1, 1)
    w_fc = {"f.weight": np.ones((2, 2))}
    _err([fc("f", 2, 2)], w_fc, n_designs=2, match=r"^2 designs for 1 layers$")
    _err([fc("f", 2, 2)], {}, match=r"^weights file has no array 'f.weight'$")
    _err([fc("f", 2, 2)], {"f.weight": np.ones((2, 3))}, match=r"^f.weight has shape \(2, 3\), expected \(2, 2\)$")
    _err([conv("c", 2, 2, 3, 1, (2, 2), (2, 2))], {"c.weight": np.ones((3, 2, 1, 2))},
         match=r"^c.weight has shape \(3, 2, 1, 2\), expected \(3, 2, 1, 1\)$")
    _err([conv("d", 3, 2, 2, 1, (2, 2), (2, 2), depthwise=True)], {"d.weight": np.ones((2, 2, 1, 1))},
         match=r"^d.weight has shape \(2, 2, 1, 1\), expected \(2, 1, 1, 1\)$")
    _err([fc("f", 2, 2), same("b", "BN", 4, 2, 1, 1)], w_fc, match=r"^weights file has no array 'b.gamma'$")
    _err([relu, same("b", "BN", 4, 2, 1, 1)], {},
         match=r"^layer b: a BN that does not follow a convolution cannot be folded$")
    no_skip = (r"^layer a: ADD without a known skip input \(add_from={}\); the original's solution files do not "
               r"record it — re-derive the network from its choices$")
    _err([relu, same("a", "ADD", 8, 2, 1, 1)], {}, match=no_skip.format("None"))
    _err([relu, same("a", "ADD", 8, 2, 1, 1, add_from="zz")], {}, match=no_skip.format("'zz'"))
    for h, w in ((2, 2), (1, 2), (2, 1)):  # FC input must be 1×1 in both directions
        rec = fc("f", 2, 2, h=h)
        rec["IFM"]["W"] = w
        _err([rec], w_fc, match=r"^layer f: FC input must be 1×1 \(after global pooling\)$")
    # the skip input must exist before the ADD and have the ADD's shape
    _err([conv("c", 2, 2, 3, 1, (2, 2), (2, 2)), same("r", "RELU", 5, 3, 2, 2), same("a", "ADD", 8, 3, 2, 2, add_from="x")],
         {"c.weight": np.ones((3, 2, 1, 1))}, match=no_skip.format("'x'"))
    skip_other = [same("x", "RELU", 5, 2, 2, 2), conv("c", 2, 2, 3, 1, (2, 2), (2, 2)), same("a", "ADD", 8, 3, 2, 2, add_from="x")]
    _err(skip_other, {"c.weight": np.ones((3, 2, 1, 1))}, match=r"^layer a: skip input x has another shape$")
    _err([relu, same("r2", "RELU", 5, 3, 1, 1)], {},
         match=r"^layer r2: input shape \(3, 1, 1\) does not match the previous output \(2, 1, 1\)$")
