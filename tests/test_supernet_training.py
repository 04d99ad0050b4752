"""Supernet: exported weights are keyed exactly by the network's layers; checkpoints resume to the
same weights; on the embedded digits the largest subnet beats the smallest, far above chance."""

from __future__ import annotations

import numpy as np
import torch

from tinas.datasets import load_dataset
from tinas.search_space import BlockChoice, SubnetConfig, block_choice_list, get_space, to_network
from tinas.supernet import SuperNet
from tinas.training.trainer import TrainConfig, path_accuracy, train

SPACE = get_space("DIGITS")
CHOICES = block_choice_list(SPACE, {"NUM_LAYERS": [3], "SUPPORT_SKIP": [False]})


def test_export_weights_match_network_layers():
    m = SuperNet(SPACE, 0.7, 8, CHOICES)
    cfg = SubnetConfig(width=0.7, resolution=8, blocks=(CHOICES[5], CHOICES[17], CHOICES[30]))
    w = m.export_weights(cfg)
    net = to_network(cfg, SPACE)
    for l in net.layers:
        if l.type == "CONV":
            cin = 1 if l.is_depthwise else l.IFM.CH
            assert w[f"{l.name}.weight"].shape == (l.OFM.CH, cin, l.K.H, l.K.W)
        elif l.type == "BN":
            assert w[f"{l.name}.var"].shape == (l.OFM.CH,)
    assert w["FC_END.weight"].shape == (10, net.layers[-1].IFM.CH)


def test_resume_gives_the_same_weights(tmp_path):
    data = load_dataset("DIGITS", 8)
    cfg = TrainConfig(epochs=2, batch_size=64, lr=0.01, max_steps_per_epoch=5)
    a = SuperNet(SPACE, 0.7, 8, CHOICES)
    init = {k: v.clone() for k, v in a.state_dict().items()}
    train(a, data, cfg)
    b = SuperNet(SPACE, 0.7, 8, CHOICES)
    b.load_state_dict(init)
    ck = tmp_path / "ck.pt"
    train(b, data, cfg, checkpoint=ck, stop_after_epochs=1)  # interrupted after epoch 1
    c = SuperNet(SPACE, 0.7, 8, CHOICES)
    train(c, data, cfg, checkpoint=ck)  # resumes at epoch 2
    # equal up to the float nondeterminism of multithreaded CPU kernels
    for k, v in a.state_dict().items():
        assert torch.allclose(v.float(), c.state_dict()[k].float(), rtol=1e-3, atol=1e-4), k
    # and a resumed run did not start over: it differs from a model trained one epoch only
    assert not all(torch.allclose(v.float(), b.state_dict()[k].float()) for k, v in c.state_dict().items())


def test_bigger_subnet_is_more_accurate():
    data = load_dataset("DIGITS", 8)
    m = SuperNet(SPACE, 1.0, 8, CHOICES)
    train(m, data, TrainConfig(epochs=3, batch_size=64, lr=0.01))
    small = [CHOICES.index(BlockChoice.from_list([1, 1, 1, True]))] * 3
    big = [CHOICES.index(BlockChoice.from_list([6, 5, 2, True]))] * 3
    a_small = path_accuracy(m, data, small, 40, 0.01, 1)
    a_big = path_accuracy(m, data, big, 40, 0.01, 1)
    assert a_big > 70.0  # far above chance (10 digits: 10 %)
    assert a_big > a_small


def test_folded_float_and_q15_match_pytorch():
    """The exported network (BN folded, HWC) computes what the PyTorch subnet computes, and the Q15
    reference stays within the stated tolerance (2 % of the logit range) of it."""
    from tinas.cost import evaluate
    from tinas.platform import load_platform
    from tinas.quant.q15 import quantize_input
    from tinas.quant.quantize import dequantize, forward_float, quantize
    from tinas.quant.reference import run

    data = load_dataset("DIGITS", 8)
    m = SuperNet(SPACE, 0.8, 8, CHOICES)
    train(m, data, TrainConfig(epochs=1, batch_size=64, lr=0.01))
    cfg = SubnetConfig(width=0.8, resolution=8, blocks=(CHOICES[5], CHOICES[17], CHOICES[30]))
    net = to_network(cfg, SPACE)
    qm = quantize(net, list(evaluate(net, load_platform()).designs), m.export_weights(cfg), data.x_train[:32])
    m.eval()
    with torch.no_grad():
        ref = m(m.to_input(data.x_test[:8]), m.indices(cfg)).numpy()
    for x, logits in zip(data.x_test[:8], ref):
        folded = forward_float(qm.layers, x.astype(np.float64))[-1].reshape(-1)
        assert np.allclose(folded, logits, atol=1e-4 * max(1.0, np.abs(logits).max()))
        q = dequantize(run(qm, quantize_input(x))[-1].reshape(-1), qm.layers[-1].f_out)
        assert np.max(np.abs(q - logits)) <= 0.02 * (np.ptp(logits) + 1e-9) + 2 ** -qm.layers[-1].f_out * 4


def test_elastic_supernet_shares_weights_and_extracts_exactly():
    """Elastic weight sharing: every path slices one set of max-size weights; the extracted subnet
    (folded, firmware layout) computes what the supernet computes; the shared weights alone separate a
    large subnet from a small one after a few seconds of training."""
    from tinas.cost import evaluate
    from tinas.platform import load_platform
    from tinas.quant.quantize import forward_float, quantize
    from tinas.supernet import ElasticSuperNet

    data = load_dataset("DIGITS", 8)
    m = ElasticSuperNet(SPACE, 0.8, 8, CHOICES)
    n_params = sum(p.numel() for p in m.parameters())
    assert n_params < sum(p.numel() for p in SuperNet(SPACE, 0.8, 8, CHOICES).parameters()) / 5  # shared, not per choice
    train(m, data, TrainConfig(epochs=12, batch_size=64, lr=0.01))
    cfg = SubnetConfig(width=0.8, resolution=8, blocks=(CHOICES[5], CHOICES[17], CHOICES[30]))
    net = to_network(cfg, SPACE)
    qm = quantize(net, list(evaluate(net, load_platform()).designs), m.export_weights(cfg), data.x_train[:32])
    m.eval()
    with torch.no_grad():
        ref = m(m.to_input(data.x_test[:4]), m.indices(cfg)).numpy()
    for x, logits in zip(data.x_test[:4], ref):
        assert np.allclose(forward_float(qm.layers, x.astype(np.float64))[-1].reshape(-1), logits, atol=1e-4)
    small = [CHOICES.index(BlockChoice.from_list([1, 1, 1, True]))] * 3
    big = [CHOICES.index(BlockChoice.from_list([6, 5, 2, True]))] * 3
    assert path_accuracy(m, data, big, 0, 0.01, 1) > path_accuracy(m, data, small, 0, 0.01, 1) + 20
