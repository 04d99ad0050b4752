"""Primitive counts of the project's own runtime, derived from its loop nests (firmware/runtime/rt_layers.c).

For one firmware layer and any number of candidate tilings at once, this gives exactly what the runtime's
counters (firmware/include/rt_counters.h) report: tiles, commits, NVM read/write commands and bytes,
vector-MAC calls and elements, and CPU element operations by kind. The counts factorise over the tile
grid, so each is a product of per-axis sums (valid IFM rows fetched, IFM rows with padding, valid kernel
taps); the per-axis sums depend on one tile size each and are tabulated once per distinct size.
The loop order does not change any count (it only reorders tiles); S changes only the commits.

BN is folded into the convolution before it, as the exporter does (tinas/quant/graph.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinas.network import Layer, LayerDesign, Network

COUNT_KEYS = ("tiles", "commits", "rd_cmds", "rd_bytes", "wr_cmds", "wr_bytes", "mac_calls", "mac_elems",
              "op_requant", "op_relu", "op_add", "op_gap", "op_zero", "op_div")
RT_VM_WORDS = 1024  # firmware/include/rt_config.h
RT_MAX_TM = 256
# How the fr5994 port runs one vector MAC of length n (firmware/ports/fr5994/port_config.h, hal_fr5994.c):
# n < LEA_MIN_N on MPY32 (per-element loop, small call cost); even n on LEA directly (operands are 4-byte
# aligned when n is even: every tile-buffer offset is a multiple of n); odd n copied into padding buffers
# (one copy per element) and run on LEA with n + 1 elements; odd n >= PAD_WORDS on MPY32.
LEA_MIN_N = 10
PAD_WORDS = 432
# The split of the runtime's mac_calls/mac_elems by engine: model-only keys, no firmware counter reports them
# (their sums are exactly mac_calls and mac_elems, minus the pad element LEA adds to odd vectors).
MAC_KEYS = ("lea_calls", "lea_elems", "mpy_calls", "mpy_elems", "pad_elems")
# Output pixels a convolution tile loops over, once per channel slice (pix × Mt × Nt): the per-pixel work
# outside the NVM commands and MACs (the tap loops' bounds checks, the 32-bit address arithmetic, the
# requantisation loop's set-up). Model-only, like MAC_KEYS.
# And the iterations of its tap loops that land inside the input, per pixel and slice (taps × Mt × Nt): the
# column check and the operand pointer arithmetic around each tap's MACs.
# Row loops: a convolution's fetch of each IFM row of a tile (incl. padding rows: the row's bound check and
# its 32-bit NVM address) and, per output pixel, each kernel row landing inside the input (the row check
# and the operand row pointer, 16-bit multiplications); every kernel's output rows per tile (the 32-bit
# element index of the row). In 1-D networks (W = 1) a row holds one pixel and one tap per kernel row, so
# without these the per-row work would be priced per pixel or per tap, differently in 1-D and 2-D.
MODEL_KEYS = MAC_KEYS + ("conv_pix", "conv_taps", "conv_krows", "in_rows", "out_rows")


@dataclass(frozen=True)
class FwLayer:
    """A layer as the firmware runs it (same fields as the exporter's QLayer, without weights)."""

    name: str
    covers: tuple[str, ...]
    kind: str  # CONV | DW | FC | RELU | ADD | GAP
    in_c: int
    in_h: int
    in_w: int
    out_c: int
    out_h: int
    out_w: int
    kh: int = 1
    kw: int = 1
    stride: int = 1
    pad: int = 0
    one_d: bool = False


def _fw_layer(l: Layer, covers: tuple[str, ...]) -> FwLayer:
    dims = dict(in_c=int(l.IFM.CH), in_h=int(l.IFM.H), in_w=int(l.IFM.W), out_c=int(l.OFM.CH),
                out_h=int(l.OFM.H), out_w=int(l.OFM.W))
    if l.type in ("CONV", "FC"):
        kind = "FC" if l.type == "FC" else ("DW" if l.is_depthwise else "CONV")
        fc = l.type == "FC"
        return FwLayer(covers[-1], covers, kind, **dims, kh=1 if fc else int(l.K.H), kw=1 if fc else int(l.K.W),
                       stride=int(l.stride or 1), pad=int(l.pad or 0), one_d=l.type == "CONV" and l.optype >= 9)
    kind = {"RELU": "RELU", "ADD": "ADD", "GAVGPOOL": "GAP"}.get(l.type)
    if kind is None:
        raise ValueError(f"layer {l.name}: type {l.type} is not run by the firmware")
    return FwLayer(l.name, covers, kind, **dims)


def firmware_layers(network: Network) -> list[tuple[FwLayer, int]]:
    """The firmware's layers and, for each, the index of the network layer whose design it runs (a BN
    after a convolution is folded into it, exactly as ``tinas.quant.graph.build_graph`` folds it)."""
    out: list[tuple[FwLayer, int]] = []
    layers = network.layers
    i = 0
    while i < len(layers):
        l = layers[i]
        covers = (l.name,)
        if l.type in ("CONV", "FC") and i + 1 < len(layers) and layers[i + 1].type == "BN":
            covers = (l.name, layers[i + 1].name)
            out.append((_fw_layer(l, covers), i))
            i += 2
            continue
        if l.type == "BN":
            raise ValueError(f"layer {l.name}: a BN that does not follow a convolution cannot be folded")
        out.append((_fw_layer(l, covers), i))
        i += 1
    return out


@dataclass
class Tilings:
    """Candidate tilings of one layer as parallel integer arrays."""

    Tr: np.ndarray
    Tc: np.ndarray
    Tm: np.ndarray
    Tn: np.ndarray
    S: np.ndarray

    @classmethod
    def of(cls, designs: list[LayerDesign]) -> Tilings:
        a = lambda k: np.array([getattr(d, k) for d in designs], dtype=np.int64)  # noqa: E731
        return cls(a("Tr"), a("Tc"), a("Tm"), a("Tn"), a("S"))


def _cdiv(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(a, dtype=np.int64) // np.asarray(b, dtype=np.int64))


def _axis_fetch(T: np.ndarray, out_len: int, in_len: int, s: int, k: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Over all tiles along one axis: (valid IFM lines fetched, IFM lines of the tiles incl. padding)."""
    valid = np.empty(T.shape, dtype=np.int64)
    total = np.empty(T.shape, dtype=np.int64)
    for t in np.unique(T):
        r0 = np.arange(0, out_len, int(t))
        tr = np.minimum(int(t), out_len - r0)
        tri = (tr - 1) * s + k
        lo = r0 * s - pad
        v = np.clip(np.minimum(lo + tri, in_len) - np.maximum(lo, 0), 0, None)
        sel = T == t
        valid[sel] = int(v.sum())
        total[sel] = int(tri.sum())
    return valid, total


def _axis_taps(out_len: int, in_len: int, s: int, k: int, pad: int) -> int:
    """Kernel taps that land inside the input, summed over all output positions of one axis."""
    y = np.arange(out_len)[:, None] * s + np.arange(k)[None, :] - pad
    return int(((y >= 0) & (y < in_len)).sum())


def mac_split(calls: np.ndarray | int, n: np.ndarray | int) -> dict[str, np.ndarray]:
    """``calls`` vector MACs of length ``n`` each, split by the engine the fr5994 port runs them on."""
    calls = np.asarray(calls, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    odd = (n & 1).astype(bool)
    mpy = (n < LEA_MIN_N) | (odd & (n >= PAD_WORDS))
    lea = ~mpy
    zero = np.zeros(np.broadcast(calls, n).shape, dtype=np.int64)
    return {"lea_calls": np.where(lea, calls, zero), "lea_elems": np.where(lea, calls * (n + odd), zero),
            "mpy_calls": np.where(mpy, calls, zero), "mpy_elems": np.where(mpy, calls * n, zero),
            "pad_elems": np.where(lea & odd, calls * n, zero)}


def fits_firmware(fl: FwLayer, g: Tilings) -> np.ndarray:
    """The runtime's own buffer check (rt_layers.c; mirrors tinas.export.writer.check_fits_firmware)."""
    tm = np.minimum(g.Tm, fl.out_c)
    ok = tm <= RT_MAX_TM
    if fl.kind in ("CONV", "DW", "FC"):
        tr, tc = np.minimum(g.Tr, fl.out_h), np.minimum(g.Tc, fl.out_w)
        tn = tm if fl.kind == "DW" else np.minimum(g.Tn, fl.in_c)
        tri, tci = (tr - 1) * fl.stride + fl.kh, (tc - 1) * fl.stride + fl.kw
        words = tri * tci * tn + fl.kh * fl.kw * tm * (1 if fl.kind == "DW" else tn)
        return ok & (words <= RT_VM_WORDS)
    if fl.kind in ("RELU", "ADD"):
        return ok & (2 * tm <= RT_VM_WORDS)
    return ok & (tm <= RT_VM_WORDS)


def layer_counts(fl: FwLayer, g: Tilings) -> dict[str, np.ndarray]:
    """Every counter of rt_counters.h (except boots and cycles) for each candidate tiling."""
    n = g.Tr.size
    z = np.zeros(n, dtype=np.int64)
    c = {k: z.copy() for k in COUNT_KEYS + MODEL_KEYS}
    M, N = fl.out_c, fl.in_c
    Mt = _cdiv(M, g.Tm)
    if fl.kind in ("CONV", "DW", "FC"):
        dw = fl.kind == "DW"
        R, C = fl.out_h, fl.out_w
        pad_w = 0 if fl.one_d else fl.pad
        Rt, Ct = _cdiv(R, g.Tr), _cdiv(C, g.Tc)
        Nt = np.ones(n, dtype=np.int64) if dw else _cdiv(N, g.Tn)
        VR, TRI = _axis_fetch(g.Tr, R, fl.in_h, fl.stride, fl.kh, fl.pad)
        VC, TCI = _axis_fetch(g.Tc, C, fl.in_w, fl.stride, fl.kw, pad_w)
        krows = _axis_taps(R, fl.in_h, fl.stride, fl.kh, fl.pad)  # valid kernel rows over the output rows
        taps = krows * _axis_taps(C, fl.in_w, fl.stride, fl.kw, pad_w)
        ch = M if dw else N  # input channels summed over the channel tiles of one spatial tile
        kk = fl.kh * fl.kw
        ifm_cmds = VR * VC * Mt * (1 if dw else Nt)
        ifm_bytes = VR * VC * ch * (1 if dw else Mt) * 2
        w_cmds = Rt * Ct * kk * (Mt if dw else M * Nt)
        w_bytes = Rt * Ct * kk * M * (1 if dw else N) * 2
        pix = R * C
        c["tiles"] = Rt * Ct * Mt * Nt
        c["rd_cmds"] = ifm_cmds + w_cmds + pix * Mt * Nt  # + bias or partial sums per output pixel
        c["rd_bytes"] = ifm_bytes + w_bytes + pix * M * Nt * 4
        c["wr_cmds"] = pix * Mt * Nt  # partial sums (int32) for all slices but the last, then Q15 outputs
        c["conv_pix"] = pix * Mt * Nt
        c["conv_taps"] = taps * Mt * Nt
        c["conv_krows"] = krows * C * Mt * Nt
        c["in_rows"] = TRI * Ct * Mt * Nt
        c["out_rows"] = R * Ct * Mt * Nt
        c["wr_bytes"] = pix * M * (2 + 4 * (Nt - 1))
        c["mac_calls"] = taps * M * (1 if dw else Nt)
        c["mac_elems"] = taps * M * (1 if dw else N)
        if dw:  # one MAC of length 1 per channel and tap
            split = mac_split(taps * M, 1)
        else:  # N // Tn full channel slices of length Tn, then a ragged one of N % Tn
            tn = np.minimum(g.Tn, N)
            full, rem = N // tn, N % tn
            a, b = mac_split(taps * M * full, tn), mac_split(taps * M * (rem > 0), rem)
            split = {k: a[k] + b[k] for k in MAC_KEYS}
        for k in MAC_KEYS:
            c[k] = z + split[k]
        c["op_requant"] = z + pix * M
        c["op_zero"] = (TRI * TCI - VR * VC) * ch * (1 if dw else Mt)
        S = np.where(Nt > 1, 1, np.maximum(g.S, 1))
    elif fl.kind in ("RELU", "ADD"):
        R, C = fl.out_h, fl.out_w
        Rt, Ct = _cdiv(R, g.Tr), _cdiv(C, g.Tc)
        k = 2 if fl.kind == "ADD" else 1
        pix = R * C
        c["tiles"] = Rt * Ct * Mt
        c["rd_cmds"] = k * pix * Mt
        c["rd_bytes"] = z + k * pix * M * 2
        c["wr_cmds"] = pix * Mt
        c["wr_bytes"] = z + pix * M * 2
        c["op_add" if fl.kind == "ADD" else "op_relu"] = z + pix * M
        c["out_rows"] = R * Ct * Mt
        S = np.maximum(g.S, 1)
    elif fl.kind == "GAP":
        H, W = fl.in_h, fl.in_w
        sl = _cdiv(H, g.Tr) * _cdiv(W, g.Tc)  # spatial slices: the reduction, carried in partial sums
        c["tiles"] = sl * Mt
        c["rd_cmds"] = H * W * Mt + (sl - 1) * Mt
        c["rd_bytes"] = H * W * M * 2 + (sl - 1) * M * 4
        c["wr_cmds"] = (sl - 1) * Mt + Mt
        c["wr_bytes"] = (sl - 1) * M * 4 + M * 2
        c["op_gap"] = z + H * W * M
        c["out_rows"] = H * _cdiv(W, g.Tc) * Mt
        c["op_zero"] = z + M
        c["op_div"] = z + M
        c["op_requant"] = z + M
        S = np.ones(n, dtype=np.int64)
    else:
        raise ValueError(f"layer {fl.name}: no count model for kind {fl.kind}")
    c["commits"] = _cdiv(c["tiles"], S)
    return {k: np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)).copy() for k, v in c.items()}
