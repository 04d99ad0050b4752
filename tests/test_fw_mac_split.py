"""The firmware model's split of vector MACs by engine on the fr5994 port (hal_fr5994.c: MPY32 below 10
elements, LEA for even lengths, odd lengths copied into padding buffers first), checked against
hand-counted layers."""

from __future__ import annotations

from tinas.cost.fw_counts import MAC_KEYS, FwLayer, Tilings, layer_counts
from tinas.network import LayerDesign


def _counts(fl: FwLayer, **d) -> dict[str, int]:
    c = layer_counts(fl, Tilings.of([LayerDesign(order="reuse_O", **d)]))
    return {k: int(v[0]) for k, v in c.items()}


def test_pointwise_conv_slices_split_by_length():
    # 1x1 conv, 4x4 output, 5 output channels, 23 input channels, Tn = 12: slices of 12 (even -> LEA) and
    # 11 (odd -> copied, LEA with 12); 16 pixels x 5 channels = 80 MACs per slice
    fl = FwLayer("c", ("c",), "CONV", 23, 4, 4, 5, 4, 4, 1, 1, 1, 0)
    c = _counts(fl, Tr=4, Tc=4, Tm=5, Tn=12, S=1)
    assert c["lea_calls"] == 160 and c["lea_elems"] == 80 * 12 + 80 * 12
    assert c["pad_elems"] == 80 * 11
    assert c["mpy_calls"] == 0 and c["mpy_elems"] == 0
    assert c["mac_calls"] == 160 and c["mac_elems"] == 80 * 23


def test_short_slices_run_on_mpy32():
    # Tn = 8 over 20 input channels: slices 8, 8, 4, all shorter than 10 -> MPY32
    fl = FwLayer("c", ("c",), "CONV", 20, 3, 3, 2, 3, 3, 1, 1, 1, 0)
    c = _counts(fl, Tr=3, Tc=3, Tm=2, Tn=8, S=1)
    assert c["mpy_calls"] == 9 * 2 * 3 and c["mpy_elems"] == 9 * 2 * 20
    assert c["lea_calls"] == c["lea_elems"] == c["pad_elems"] == 0


def test_depthwise_taps_are_length_one():
    # 3x3 depthwise, pad 1, 4x4 input/output, 6 channels: valid taps per axis 3+3+3+3-2 = 10 -> 100 per channel
    fl = FwLayer("d", ("d",), "DW", 6, 4, 4, 6, 4, 4, 3, 3, 1, 1)
    c = _counts(fl, Tr=2, Tc=2, Tm=6, Tn=6, S=1)
    assert c["mpy_calls"] == c["mpy_elems"] == 600
    assert c["conv_taps"] == 100 and c["conv_pix"] == 16  # one channel group: 10 x 10 valid taps, 4 x 4 pixels
    assert sum(c[k] for k in MAC_KEYS if k.startswith("lea") or k == "pad_elems") == 0


def test_elementwise_layers_have_no_macs():
    fl = FwLayer("r", ("r",), "RELU", 6, 4, 4, 6, 4, 4)
    c = _counts(fl, Tr=2, Tc=2, Tm=6, Tn=6, S=1)
    assert all(c[k] == 0 for k in MAC_KEYS)


def test_conv_pixels_are_counted_once_per_channel_slice():
    # 16 output pixels, Tm = 5 of 5 (one group), Tn = 12 of 23 (two slices): 32 pixel visits; the bias or
    # partial-sum read and the write of each visit are the runtime's own per-pixel NVM commands
    fl = FwLayer("c", ("c",), "CONV", 23, 4, 4, 5, 4, 4, 1, 1, 1, 0)
    c = _counts(fl, Tr=4, Tc=4, Tm=5, Tn=12, S=1)
    assert c["conv_pix"] == 32 == c["wr_cmds"]
    assert _counts(FwLayer("r", ("r",), "RELU", 6, 4, 4, 6, 4, 4), Tr=2, Tc=2, Tm=3, Tn=6, S=1)["conv_pix"] == 0
