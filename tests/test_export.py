"""Export: the NVM layout matches the C structs, refusals name the reason, the directory appears
whole or not at all."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from hil.firmware_paths import FIRMWARE_DIR
from tinas.cost import evaluate
from tinas.export import export_model, load_artifact
from tinas.export import layout
from tinas.network import LayerDesign
from tinas.platform import load_platform
from tinas.errors import ExportError
from tinas.quant.synthetic import random_inputs, random_weights
from tinas.search_space import BlockChoice, SubnetConfig, get_space, to_network


def small_net(width=0.5):
    cfg = SubnetConfig(width=width, resolution=8, blocks=tuple(BlockChoice.from_list(b) for b in
                                                               ([3, 3, 2, True], [1, 5, 1, False], [4, 3, 2, True])))
    return to_network(cfg, get_space("DIGITS"))


@pytest.mark.tools("gcc")
def test_layout_matches_c_header(tmp_path):
    exe = tmp_path / "probe"
    subprocess.run(["gcc", "-std=c99", f"-I{FIRMWARE_DIR / 'include'}", "-o", str(exe),
                    str(FIRMWARE_DIR / "tests" / "q15_probe.c")], check=True)
    text = subprocess.run([str(exe), "layout"], capture_output=True, text=True, check=True).stdout.split()
    got = dict(zip(text[0::2], (int(v) for v in text[1::2])))
    h, l, c = layout.offsets(layout.HEADER_FIELDS), layout.offsets(layout.LAYER_FIELDS), layout.offsets(layout.CTRL_FIELDS)
    assert got["header"] == layout.HEADER.size and got["layer"] == layout.LAYER.size and got["ctrl"] == layout.CTRL.size
    assert got["header.out_len"] == h["out_len"] and got["header.crc32"] == h["crc32"]
    assert got["layer.Tr"] == l["Tr"] and got["layer.shift"] == l["shift"] and got["layer.in_off"] == l["in_off"]
    assert got["layer.b_off"] == l["b_off"]
    assert got["ctrl.boot_count"] == c["boot_count"] and got["ctrl.done"] == c["done"]
    assert got["ctrl.compute_cycles"] == c["compute_cycles"] and got["ctrl.output_crc"] == c["output_crc"]


def test_export_writes_complete_artifact(tmp_path):
    net = small_net()
    p = load_platform()
    cost = evaluate(net, p)
    rng = np.random.default_rng(1)
    rec = export_model(net, cost.designs, random_weights(net, rng), random_inputs((8, 8, 1), 8, rng),
                       tmp_path / "a", platform=p)
    art = load_artifact(tmp_path / "a")
    assert art.record == rec and rec.predictions.power_cycles == cost.power_cycles
    assert sorted(f.name for f in (tmp_path / "a").iterdir()) == ["artifact.json", "golden.npz", "manifest.json", "model.bin", "model.h"]
    hdr = layout.unpack(layout.HEADER, layout.HEADER_FIELDS, art.blob)
    assert hdr["magic"] == layout.MAGIC and hdr["n_layers"] == len(rec.firmware_layers)
    # BN is folded: no firmware layer is a BN, and every network layer is covered exactly once
    covered = [n for f in rec.firmware_layers for n in f.covers]
    assert covered == [l.name for l in net.layers]


def test_refusals(tmp_path):
    net = small_net()
    p = load_platform()
    cost = evaluate(net, p)
    rng = np.random.default_rng(1)
    w = random_weights(net, rng)
    xs = random_inputs((8, 8, 1), 4, rng)
    missing = {k: v for k, v in w.items() if not k.startswith("CONV_0.")}
    with pytest.raises(ExportError, match="CONV_0.weight"):
        export_model(net, cost.designs, missing, xs, tmp_path / "x")
    big = list(cost.designs)
    big[0] = LayerDesign(Tr=8, Tc=8, Tm=4, Tn=1, order="reuse_O")
    big_ok = export_model(net, big, w, xs, tmp_path / "ok")  # 10*10*1 + 9*4 words fits
    blob = (tmp_path / "ok" / "model.bin").read_bytes()
    assert len(blob) == big_ok.blob_size
    first = layout.unpack(layout.LAYER, layout.LAYER_FIELDS, blob[layout.HEADER.size:])
    assert (first["Tr"], first["Tc"], first["Tm"], first["Tn"], first["order"]) == (8, 8, 4, 1, layout.ORDER_CODES["reuse_O"])
    big[5] = LayerDesign(Tr=4, Tc=4, Tm=24, Tn=1, order="reuse_O")  # depthwise: 9·9·24 IFM words
    with pytest.raises(ExportError, match="words of tile buffer"):
        export_model(net, big, w, xs, tmp_path / "y")
    with pytest.raises(ExportError, match="B of NVM"):
        export_model(net, cost.designs, w, xs, tmp_path / "z", nvm_limit_bytes=1000)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists() and not (tmp_path / "z").exists()
