"""A small reference of the original cost model written from the spec alone (original-tinas.md, cost model
§1.2–§1.4 constants, §2 recharge, §3.1–§3.4 tiling, §4 per-layer costs), for the cost-model tests.

Its constants are the tables of §1 typed into this file, never read from the platform profile or the
package; every §4 formula is evaluated term by term for one design at a time. ``SCRAMBLED`` holds made-up
values, all distinct, for a profile on which a formula that reads the wrong constant cannot agree by accident.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

from tinas.network import Layer, Shape
from tinas.platform import Overhead, Provenance, load_platform

# §1.2 / §1.4 / §2 / §3.4 of the spec, typed in: key -> value (latencies in cycles)
PUBLISHED = {
    "cpu_clock_hz": 16e6, "data_size_bytes": 2, "vm_capacity_bytes": 2048,
    "dma_read_energy_per_element_j": 2.4096781407047943e-08, "dma_read_energy_per_command_j": 1.9269110618985066e-07,
    "dma_read_cycles_per_element": 64, "dma_read_cycles_per_command": 430,
    "dma_write_energy_per_element_j": 2.3866387540946922e-08, "dma_write_energy_per_command_j": 1.9880671888670114e-07,
    "dma_write_cycles_per_element": 64, "dma_write_cycles_per_command": 421,
    "vmac_energy_per_element_j": 5.03343396188007e-10, "vmac_energy_per_call_j": 2.057298797039179e-07,
    "vmac_cycles_per_element": 1.5, "vmac_cycles_per_call": 622,
    "op_add_energy_j": 3.4965641025641274e-09, "op_add_cycles": 12,
    "op_mul_energy_j": 1.892907692307692e-08, "op_mul_cycles": 45,
    "op_div_energy_j": 4.1691282051282045e-08, "op_div_cycles": 161,
    "op_max_energy_j": 3.9232307692307644e-09, "op_max_cycles": 15,
    "reboot_energy_j": 7.788e-05, "reboot_time_s": 0.055, "index_elements": 5,
    "ccap_f": 0.005, "v_on_v": 4.535, "v_off_v": 3.290, "v_sup_v": 5.892, "rehm_ohm": 2800, "eav_safe_margin": 0.6,
}
# §1.3: (ADD count, MUL count) of each addressing overhead
PUBLISHED_OPS = {
    "FD_I": (8, 4), "FD_W": (9, 9), "FD_O_RUI": (8, 5), "FD_O_RUW": (8, 4), "FD_O_RUO": (8, 4),
    "BD_O_RUI": (8, 8), "BD_O_RUW": (8, 9), "BD_O_RUO": (8, 5), "OP_COMP_CONV": (12, 9),
    "OP_COMP_DWCONV_IFM": (11, 12), "OP_COMP_DWCONV_OTHER": (11, 10), "OP_COMP_ADD": (4, 2), "OP_COMP_BN": (4, 2),
}
# made-up values, all different from each other and from the published ones
SCRAMBLED = {
    "cpu_clock_hz": 8e6, "data_size_bytes": 4, "vm_capacity_bytes": 10**6,
    "dma_read_energy_per_element_j": 3.1e-08, "dma_read_energy_per_command_j": 1.7e-07,
    "dma_read_cycles_per_element": 61, "dma_read_cycles_per_command": 433,
    "dma_write_energy_per_element_j": 2.9e-08, "dma_write_energy_per_command_j": 2.3e-07,
    "dma_write_cycles_per_element": 67, "dma_write_cycles_per_command": 419,
    "vmac_energy_per_element_j": 7.0e-10, "vmac_energy_per_call_j": 1.3e-07,
    "vmac_cycles_per_element": 1.75, "vmac_cycles_per_call": 611,
    "op_add_energy_j": 4.1e-09, "op_add_cycles": 13,
    "op_mul_energy_j": 1.7e-08, "op_mul_cycles": 47,
    "op_div_energy_j": 5.3e-08, "op_div_cycles": 163,
    "op_max_energy_j": 2.9e-09, "op_max_cycles": 19,
    "reboot_energy_j": 6.1e-05, "reboot_time_s": 0.047, "index_elements": 3,
    "ccap_f": 0.002, "v_on_v": 4.2, "v_off_v": 3.1, "v_sup_v": 5.5, "rehm_ohm": 3300, "eav_safe_margin": 0.55,
}
SCRAMBLED_OPS = {
    "FD_I": (7, 3), "FD_W": (9, 7), "FD_O_RUI": (6, 5), "FD_O_RUW": (7, 4), "FD_O_RUO": (5, 2),
    "BD_O_RUI": (4, 6), "BD_O_RUW": (3, 9), "BD_O_RUO": (2, 5), "OP_COMP_CONV": (10, 3),
    "OP_COMP_DWCONV_IFM": (11, 12), "OP_COMP_DWCONV_OTHER": (1, 10), "OP_COMP_ADD": (4, 1), "OP_COMP_BN": (6, 2),
}
CAPACITOR_KEYS = ("ccap_f", "v_on_v", "v_off_v", "v_sup_v", "rehm_ohm", "eav_safe_margin")


def profile(consts, ops):
    """The packaged profile with the given numbers put in (the published case must leave it unchanged)."""
    base = load_platform()
    p = base.with_constants({k: v for k, v in consts.items() if k not in CAPACITOR_KEYS},
                            Provenance("test", "2026-01-01", "none"))
    p = dataclasses.replace(p, capacitor=tuple((k, float(consts[k])) for k in CAPACITOR_KEYS),
                            overheads=tuple((k, Overhead(*ops[k])) for k in ops))
    return p


def currency(consts, ops, latency):
    """Primitive costs in one currency (§1.2, §1.3): seconds (cycles / clock) or joules."""
    clk = consts["cpu_clock_hz"]
    if latency:
        k = lambda name: consts[name.replace("energy", "cycles").replace("_j", "")] / clk  # noqa: E731
        rb = consts["reboot_time_s"]
    else:
        k = lambda name: consts[name]  # noqa: E731
        rb = consts["reboot_energy_j"]
    op = {n: k(f"op_{n.lower()}_energy_j") for n in ("ADD", "MUL", "DIV", "MAX")}
    x = SimpleNamespace(**op, RB=rb)
    x.rd = lambda v: k("dma_read_energy_per_element_j") * v + k("dma_read_energy_per_command_j")
    x.wr = lambda v: k("dma_write_energy_per_element_j") * v + k("dma_write_energy_per_command_j")
    x.mac = lambda v: k("vmac_energy_per_element_j") * v + k("vmac_energy_per_call_j")
    x.o = {key: a * op["ADD"] + m * op["MUL"] for key, (a, m) in ops.items()}
    return x


def cdiv(a, b):
    return -(-a // b)


def layer(name, typ, optype, ifm, ofm, k=None, stride=None):
    return Layer(name=name, type=typ, optype=optype, stride=stride, pad=1 if k else None,
                 K=Shape(N=k[0], CH=k[1], H=k[2], W=k[3]) if k else Shape(),
                 IFM=Shape(N=1, CH=ifm[0], H=ifm[1], W=ifm[2]), OFM=Shape(N=1, CH=ofm[0], H=ofm[1], W=ofm[2]))


def geometry(lay, d):
    """IFM tile (§3.1 conventions), tile counts (§3.3) and VM elements (§3.4) of design d."""
    N, H, W = lay.IFM.CH, lay.IFM.H, lay.IFM.W
    M, R, C = lay.OFM.CH, lay.OFM.H, lay.OFM.W
    conv = lay.type in ("CONV", "FC")
    dw = lay.optype in (3, 12)
    Kh, Kw, s = (lay.K.H, lay.K.W, lay.stride) if conv else (1, 1, 1)
    Tri, Tci = (s * d.Tr + Kh - s, s * d.Tc + Kw - s) if conv else (d.Tr, d.Tc)
    g = SimpleNamespace(N=N, M=M, Kh=Kh, Kw=Kw, Tri=Tri, Tci=Tci, conv=conv, dw=dw)
    if conv:
        g.Rt, g.Ct, g.Mt, g.Nt = cdiv(R, d.Tr), cdiv(C, d.Tc), cdiv(M, d.Tm), cdiv(N, d.Tn)
        g.T = g.Rt * g.Ct * g.Mt * (1 if dw else g.Nt)
        first = g.Rt * g.Ct * (1 if dw else g.Mt)  # tiles that start an output tile
        assert g.T % d.S == 0 and first % d.S == 0, "the reference assumes S divides the counts"
        g.npc = g.T // d.S
        g.n0 = first if d.order == "reuse_O" else first // d.S
    else:
        g.Rt, g.Ct, g.Mt, g.Nt = cdiv(H, d.Tr), cdiv(W, d.Tc), cdiv(M, d.Tm), 1
        g.T = g.Rt * g.Ct * g.Mt
        assert g.T % d.S == 0
        g.npc = g.n0 = g.T // d.S
    g.ngt0 = g.npc - g.n0
    out = d.Tr * d.Tc * d.Tm * (1 if d.order == "reuse_O" else d.S)
    g.vm = {
        "CONV": (Tri * Tci * (d.Tm if dw else d.Tn) + Kh * Kw * d.Tm * (1 if dw else d.Tn) + out),
        "FC": Tri * Tci * d.Tn + Kh * Kw * d.Tm * d.Tn + out,
        "BN": Tri * Tci * d.Tm * d.S + 4 * d.Tm,
        "RELU": Tri * Tci * d.Tm * d.S,
        "ADD": 2 * Tri * Tci * d.Tm + d.Tr * d.Tc * d.Tm * d.S,
        "GAVGPOOL": Tri * Tci * d.Tm + d.Tm * d.S,
    }[lay.type]
    return g


def backup(x, d):  # §4.2, shared by DW
    return {"reuse_I": d.Tr * d.Tc * (x.wr(d.S * d.Tm) + x.o["BD_O_RUI"]),
            "reuse_W": d.S * d.Tr * d.Tc * (x.wr(d.Tm) + x.o["BD_O_RUW"]),
            "reuse_O": d.Tr * d.Tc * (x.wr(d.Tm) + x.o["BD_O_RUO"])}[d.order]


def per_cycle(lay, d, x, latency):
    """§4.2–§4.7 under intermittent power: (fd on ngt0 cycles, fd on n0 cycles, cp, bd) per power cycle."""
    g, S, o = geometry(lay, d), d.S, x.o
    Tr, Tc, Tm, Tn, Kh, Kw = d.Tr, d.Tc, d.Tm, d.Tn, g.Kh, g.Kw
    nI = g.Tri * g.Tci
    if g.conv and not g.dw:
        nW, nO = Kh * Kw * Tm, Tr * Tc
        fI, fW = x.rd(Tn) + o["FD_I"], x.rd(Tn) + o["FD_W"]
        fO = {"reuse_I": x.rd(Tm) + o["FD_O_RUI"], "reuse_W": x.rd(Tm) + o["FD_O_RUW"],
              "reuse_O": x.rd(Tm) + o["FD_O_RUO"]}[d.order]
        fd_gt0, fd_0 = {
            "reuse_I": (S * (nW * fW + nO * fO) + nI * fI, S * nW * fW + nI * fI),
            "reuse_W": (S * (nI * fI + nO * fO) + nW * fW, S * nI * fI + nW * fW),
            "reuse_O": (S * (nI * fI + nW * fW) + nO * fO, S * (nI * fI + nW * fW)),
        }[d.order]
        cp = S * (Kh * Kw * Tr * Tc * Tm * (x.mac(Tn) + x.ADD + o["OP_COMP_CONV"]) + 5 * x.MUL)
        return fd_gt0, fd_0, cp, backup(x, d)
    if g.dw:
        nW = Kh * Kw * Tm
        fI, fW = x.rd(Tm) + o["FD_I"], x.rd(1) + o["FD_W"]
        fd = S * nW * fW + S * nI * fI if d.order == "reuse_I" else S * nI * fI + nW * fW
        ov = o["OP_COMP_DWCONV_IFM"] if d.order == "reuse_I" else o["OP_COMP_DWCONV_OTHER"]
        return fd, fd, S * Tr * Tc * Tm * Kh * Kw * (x.MUL + ov), backup(x, d)
    if lay.type == "BN":
        fd = S * nI * (x.rd(Tm) + o["FD_I"]) + 4 * (x.rd(Tm) + o["FD_W"])
        adds = 2 if latency else 3  # the original's quirk: 2 ADD in INT latency, 3 in energy
        cp = S * Tr * Tc * Tm * (adds * x.ADD + 2 * x.MUL + o["OP_COMP_BN"])
        return fd, fd, cp, Tr * Tc * (x.wr(Tm) + o["BD_O_RUW"])
    if lay.type == "RELU":
        fd = S * nI * (x.rd(Tm) + o["FD_I"])
        return fd, fd, S * Tr * Tc * Tm * (x.MAX + 2 * x.MUL + 2 * x.ADD), Tr * Tc * (x.wr(Tm) + o["BD_O_RUO"])
    if lay.type == "ADD":
        fd = S * 2 * nI * (x.rd(Tm) + o["FD_I"])
        return fd, fd, S * Tr * Tc * Tm * (x.ADD + o["OP_COMP_ADD"]), Tr * Tc * (x.wr(Tm) + o["BD_O_RUO"])
    assert lay.type == "GAVGPOOL"
    fd = S * nI * (x.rd(Tm) + o["FD_I"]) + (x.rd(Tm) + o["FD_O_RUO"])
    return fd, fd, S * Tr * Tc * Tm * (x.MUL + x.DIV + 6 * x.ADD), x.wr(Tm) + o["BD_O_RUO"]


def whole_layer(lay, d, x):
    """§4.2–§4.7 under continuous power, S = 1: (fd, cp, bd) of the whole layer."""
    d1 = d.model_copy(update={"S": 1})
    g, o = geometry(lay, d1), x.o
    Tr, Tc, Tm, Tn, Kh, Kw = d.Tr, d.Tc, d.Tm, d.Tn, g.Kh, g.Kw
    _, fd1, cp1, bd1 = per_cycle(lay, d1, x, latency=False)
    T, nI = g.T, g.Tri * g.Tci
    if lay.type == "BN":
        fd = T * nI * (x.rd(Tm) + o["FD_I"]) + g.Mt * 4 * (x.rd(Tm) + o["FD_W"])
        cp = T * Tr * Tc * Tm * (3 * x.ADD + 2 * x.MUL + o["OP_COMP_BN"])  # 3 ADD in both currencies
        return fd, cp, T * bd1
    if g.conv and not g.dw:
        nW, nO = Kh * Kw * Tm, Tr * Tc
        fI, fW = x.rd(Tn) + o["FD_I"], x.rd(Tn) + o["FD_W"]
        G = T - g.Rt * g.Ct * g.Mt
        fd = {"reuse_I": g.Rt * g.Ct * g.Nt * nI * fI + T * nW * fW + G * nO * (x.rd(Tm) + o["FD_O_RUI"]),
              "reuse_W": T * nI * fI + g.Mt * g.Nt * nW * fW + G * nO * (x.rd(Tm) + o["FD_O_RUW"]),
              "reuse_O": T * (nI * fI + nW * fW)}[d.order]
    elif g.dw:
        nW = Kh * Kw * Tm
        fI, fW = x.rd(Tm) + o["FD_I"], x.rd(1) + o["FD_W"]
        fd = {"reuse_I": g.Rt * g.Ct * g.N * nI * fI + T * nW * fW,  # Nt = ceil(N / 1) = N (quirk)
              "reuse_W": T * nI * fI + g.Mt * nW * fW,
              "reuse_O": T * (nI * fI + nW * fW)}[d.order]
    else:
        fd = T * fd1
    return fd, T * cp1, T * bd1


def recharge(consts, e):
    """§2 closed form: RC charge from Vpce = sqrt(Von² − 2E/C) back to Von."""
    c, von, vsup = consts["ccap_f"], consts["v_on_v"], consts["v_sup_v"]
    vpce = math.sqrt(von**2 - 2 * e / c)
    return consts["rehm_ohm"] * c * math.log((vsup - vpce) / (vsup - von))


def intermittent(lay, d, consts, ops):
    """Everything §4.8 reports for one layer and design under intermittent power."""
    E, L = currency(consts, ops, False), currency(consts, ops, True)
    g = geometry(lay, d)
    e_gt0, e_0, e_cp, e_bd = per_cycle(lay, d, E, latency=False)
    l_gt0, l_0, l_cp, l_bd = per_cycle(lay, d, L, latency=True)
    idx = consts["index_elements"]
    e_fixed = E.RB + E.rd(idx) + E.wr(idx)  # reboot, index fetch, index backup
    l_fixed = L.RB + L.rd(idx) + L.wr(idx)
    epc_min, lpc_min = e_fixed + e_0 + e_cp + e_bd, l_fixed + l_0 + l_cp + l_bd
    epc_max, lpc_max = (e_fixed + e_gt0 + e_cp + e_bd, l_fixed + l_gt0 + l_cp + l_bd) if g.ngt0 else (epc_min, lpc_min)
    rc_min, rc_max = recharge(consts, epc_min), recharge(consts, epc_max)
    budget = 0.5 * consts["ccap_f"] * (consts["v_on_v"] ** 2 - consts["v_off_v"] ** 2) * consts["eav_safe_margin"]
    latency = g.n0 * (lpc_min + rc_min) + g.ngt0 * (lpc_max + rc_max)
    rc_total = g.n0 * rc_min + g.ngt0 * rc_max
    return SimpleNamespace(
        npc=g.npc, n0=g.n0, ngt0=g.ngt0, vm_bytes=g.vm * consts["data_size_bytes"],
        breakdown={"rb": (E.RB, L.RB), "fd": (e_gt0, l_gt0), "fl": (E.rd(idx), L.rd(idx)), "cp": (e_cp, l_cp),
                   "bd": (e_bd, l_bd), "bl": (E.wr(idx), L.wr(idx))},
        epc_min=epc_min, epc_max=epc_max, latency=latency, recharge=rc_total, active=latency - rc_total,
        energy=g.n0 * epc_min + g.ngt0 * epc_max, energy_use_percent=100 * epc_max / budget,
    )
