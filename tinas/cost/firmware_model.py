"""The firmware cost model: the project's own runtime, costed from its loop nests.

Per layer and candidate tiling, the counts of every primitive the runtime executes (``fw_counts``) times
the per-primitive constants of the platform profile's ``[firmware]`` table. Intermittent power is
costed as the runtime runs it: one preservation batch (commit) per power cycle under proactive
shutdown, each power cycle paying a boot and a recharge of the capacitor for the batch's energy.
Selectable beside the original model (``--cost-model tinas2025|firmware``); results are ``NetworkCost``
records, so the search, the explorer and the exporter take either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinas.cost.capacitor import CapacitorError, capacitor_of
from tinas.cost.explorer import ERR_ATOMICITY_C1, ERR_SPATIAL_C0, ERR_STORAGE_C2
from tinas.cost.fw_counts import COUNT_KEYS, MODEL_KEYS, FwLayer, Tilings, firmware_layers, fits_firmware, layer_counts, mac_split
from tinas.cost.network_cost import LayerCost, NetworkCost, _storage_error, storage_use
from tinas.cost.tiling import ORDERS, Dims, full_grid
from tinas.network import LayerDesign, Network
from tinas.platform import FIRMWARE_PRIMITIVES, Platform, PlatformError

# 2: vector MACs priced per engine (LEA, MPY32, padding copy), per-pixel conv work, resumes; 3: row loops
FIRMWARE_MODEL_VERSION = "firmware-cost-3"
# which counter each per-primitive constant multiplies ("layer" is once per layer, outside the counters)
# (the vector MAC is priced per engine: LEA, MPY32 for short vectors, the copy of odd ones into padding buffers)
PRIMITIVE_COUNTER = {"tile": "tiles", "commit": "commits", "rd_cmd": "rd_cmds", "rd_byte": "rd_bytes", "wr_cmd": "wr_cmds",
                     "wr_byte": "wr_bytes", "mac_call": "lea_calls", "mac_elem": "lea_elems", "el_requant": "op_requant",
                     "el_relu": "op_relu", "el_add": "op_add", "el_gap": "op_gap", "el_zero": "op_zero", "el_div": "op_div",
                     "mpy_call": "mpy_calls", "mpy_elem": "mpy_elems", "pad_elem": "pad_elems", "conv_pixel": "conv_pix",
                     "conv_tap": "conv_taps", "conv_krow": "conv_krows", "in_row": "in_rows",
                     "out_row": "out_rows"}


@dataclass(frozen=True)
class FwConstants:
    """Per-primitive cycles and energies of a profile, in FIRMWARE_PRIMITIVES order."""

    cycles: np.ndarray
    energy_j: np.ndarray
    boot_time_s: float
    boot_energy_j: float
    clock_hz: float
    resume_cycles: float = 0.0  # a boot that resumes inside a layer (proactive: every boot but a layer's first)
    resume_energy_j: float = 0.0
    commit_untimed_cycles: float = 0.0  # per commit, outside the runtime's timed span (its preserve counter's write)
    commit_untimed_energy_j: float = 0.0

    @classmethod
    def of(cls, platform: Platform) -> FwConstants:
        fw = dict(platform.firmware)
        if not fw:
            raise PlatformError(f"profile {platform.name} has no [firmware] table: the firmware cost model needs "
                                f"its per-primitive constants (see tinas/platforms/msp430fr5994.toml)")
        return cls(np.array([fw[f"{k}_cycles"] for k in FIRMWARE_PRIMITIVES]),
                   np.array([fw[f"{k}_energy_j"] for k in FIRMWARE_PRIMITIVES]),
                   fw["boot_time_s"], fw["boot_energy_j"], float(platform.cpu_clock_hz),
                   fw.get("resume_cycles", 0.0), fw.get("resume_energy_j", 0.0),
                   fw.get("commit_untimed_cycles", 0.0), fw.get("commit_untimed_energy_j", 0.0))


def count_matrix(counts: dict[str, np.ndarray], with_layer: bool = True) -> np.ndarray:
    """(candidates × primitives) matrix of counts; the ``layer`` column is 1 (or 0 without it)."""
    cols = [counts[PRIMITIVE_COUNTER[k]] for k in FIRMWARE_PRIMITIVES[:-1]]
    n = cols[0].size
    cols.append(np.full(n, 1 if with_layer else 0, dtype=np.int64))
    return np.stack(cols, axis=1).astype(float)


def _tile_bound(fl: FwLayer, g: Tilings) -> dict[str, np.ndarray]:
    """Counts of the largest possible tile (no padding, full channel slices): bounds one tile's energy."""
    z = np.zeros(g.Tr.size)
    tm = np.minimum(g.Tm, fl.out_c).astype(float)
    c = {k: z.copy() for k in COUNT_KEYS + MODEL_KEYS}
    c["tiles"] = z + 1
    if fl.kind in ("CONV", "DW", "FC"):
        dw = fl.kind == "DW"
        tr, tc = np.minimum(g.Tr, fl.out_h), np.minimum(g.Tc, fl.out_w)
        tn = tm if dw else np.minimum(g.Tn, fl.in_c).astype(float)
        tri, tci = (tr - 1) * fl.stride + fl.kh, (tc - 1) * fl.stride + fl.kw
        kk, pix = fl.kh * fl.kw, tr * tc
        c["rd_cmds"] = tri * tci + kk * (1 if dw else tm) + pix
        c["rd_bytes"] = tri * tci * tn * 2 + kk * tm * (1 if dw else tn) * 2 + pix * tm * 4
        c["wr_cmds"] = pix
        c["conv_pix"] = pix
        c["conv_taps"] = pix * kk
        c["conv_krows"] = pix * fl.kh
        c["in_rows"] = tri
        c["out_rows"] = tr
        c["wr_bytes"] = pix * tm * 4
        c["mac_calls"] = pix * kk * tm
        c["mac_elems"] = pix * kk * tm * (1 if dw else tn)
        c |= {k: v.astype(float) for k, v in mac_split((pix * kk * tm).astype(np.int64),
                                                       1 if dw else tn.astype(np.int64)).items()}
        c["op_requant"] = pix * tm
    elif fl.kind in ("RELU", "ADD"):
        pix = np.minimum(g.Tr, fl.out_h) * np.minimum(g.Tc, fl.out_w)
        k = 2 if fl.kind == "ADD" else 1
        c["rd_cmds"], c["rd_bytes"] = k * pix * tm, k * pix * tm * 2
        c["wr_cmds"], c["wr_bytes"] = pix * tm, pix * tm * 2
        c["op_add" if fl.kind == "ADD" else "op_relu"] = pix * tm
        c["out_rows"] = np.minimum(g.Tr, fl.out_h).astype(float)
    else:  # GAP
        pix = np.minimum(g.Tr, fl.in_h) * np.minimum(g.Tc, fl.in_w)
        c["rd_cmds"], c["rd_bytes"] = pix + 1, pix * tm * 2 + tm * 4
        c["wr_cmds"], c["wr_bytes"] = z + 1, tm * 4
        c["op_gap"], c["op_zero"], c["op_div"], c["op_requant"] = pix * tm, tm, tm, tm
        c["out_rows"] = np.minimum(g.Tr, fl.in_h).astype(float)
    c["commits"] = z + 1
    return c


@dataclass
class LayerEval:
    """Costs of every candidate of one firmware layer (arrays over candidates)."""

    counts: dict[str, np.ndarray]
    cycles: np.ndarray  # layer work as the runtime's counters time it (tiles + commits), excl. per-layer cost
    cont_s: np.ndarray  # whole layer under continuous power (incl. the per-layer cost)
    energy_j: np.ndarray
    commits: np.ndarray
    batch_energy_max_j: np.ndarray  # one power cycle's largest batch incl. the boot


def evaluate_layer(fl: FwLayer, g: Tilings, k: FwConstants) -> LayerEval:
    cnt = layer_counts(fl, g)
    X = count_matrix(cnt, with_layer=False)
    cyc = X @ k.cycles
    commits = X[:, FIRMWARE_PRIMITIVES.index("commit")]
    en = X @ k.energy_j + k.energy_j[-1] + commits * k.commit_untimed_energy_j
    tb = count_matrix(_tile_bound(fl, g), with_layer=False)
    S = np.where(cnt["tiles"] == cnt["commits"], 1, np.maximum(g.S, 1))
    tile_e = tb @ k.energy_j - k.energy_j[FIRMWARE_PRIMITIVES.index("commit")]
    batch_max = S * tile_e + k.energy_j[FIRMWARE_PRIMITIVES.index("commit")] + k.commit_untimed_energy_j + k.boot_energy_j
    cont = (cyc + k.cycles[-1] + commits * k.commit_untimed_cycles) / k.clock_hz
    return LayerEval(cnt, cyc, cont, en, cnt["commits"], batch_max)


def _grid(network_layer, fl: FwLayer) -> tuple[Tilings, np.ndarray]:  # noqa: ANN001
    """The original explorer's candidate grid (S = 1) for the network layer, as tilings + loop orders."""
    g = full_grid(network_layer, Dims.of(network_layer))
    return Tilings(g.Tr, g.Tc, g.Tm, g.Tn, g.S), g.order


def _intermittent(e: LayerEval, k: FwConstants, cap, proactive: bool) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(active s, recharge s) per candidate with one batch per power cycle (proactive shutdown)."""
    pc = e.commits if proactive else np.ones_like(e.commits)
    mid = pc - 1  # boots that resume inside the layer repeat its table read and tile grid
    active = e.cont_s + pc * k.boot_time_s + mid * k.resume_cycles / k.clock_hz
    per_pc = (e.energy_j + pc * k.boot_energy_j + mid * k.resume_energy_j) / pc
    rc = pc * cap.recharge_time_s(per_pc)
    return active, rc


def _choose(fl: FwLayer, network_layer, platform: Platform, k: FwConstants) -> tuple[LayerDesign | None, str]:  # noqa: ANN001
    g, order = _grid(network_layer, fl)
    cap = capacitor_of(platform)
    e = evaluate_layer(fl, g, k)
    c0 = fits_firmware(fl, g)
    c1 = e.batch_energy_max_j <= cap.e_budget_j
    ok = c0 & c1
    if not ok.any():
        if c0.any():
            return None, f"C1 atomicity: no design of layer {fl.name} fits one power cycle's energy budget"
        return None, f"C0 spatial: no design of layer {fl.name} fits the firmware's tile buffers"
    idx = np.flatnonzero(ok)
    sub = LayerEval({c: v[idx] for c, v in e.counts.items()}, e.cycles[idx], e.cont_s[idx], e.energy_j[idx],
                    e.commits[idx], e.batch_energy_max_j[idx])
    active, rc = _intermittent(sub, k, cap, True)
    j = idx[int(np.argmin(active + rc))]
    return LayerDesign(Tr=int(g.Tr[j]), Tc=int(g.Tc[j]), Tm=int(g.Tm[j]), Tn=int(g.Tn[j]),
                       order=ORDERS[int(order[j])], S=int(g.S[j])), ""  # type: ignore[arg-type]


def _fail(error: str, code: int, use, platform: Platform) -> NetworkCost:  # noqa: ANN001
    return NetworkCost(False, error, code, -1.0, -1.0, -1.0, -1.0, -1.0, 0, use, 0, (), platform.sha256,
                       model_version=FIRMWARE_MODEL_VERSION)


def evaluate_firmware(network: Network, platform: Platform, designs: list[LayerDesign] | None = None, *,
                      proactive: bool = True, ccap_f: float | None = None, rehm_ohm: float | None = None) -> NetworkCost:
    """Cost a network with the firmware model; without ``designs`` each layer's design is explored
    (minimum intermittent latency among those the firmware's buffers and the capacitor allow)."""
    platform = platform.with_capacitor(ccap_f, rehm_ohm)
    k = FwConstants.of(platform)
    cap = capacitor_of(platform)
    use = storage_use(network, platform)
    err = _storage_error(use, platform)
    if err:
        return _fail(err, ERR_STORAGE_C2, use, platform)
    if designs is not None and len(designs) != len(network.layers):
        raise ValueError(f"{len(designs)} designs for {len(network.layers)} layers")
    layers: list[LayerCost] = []
    l_int = t_rc = l_cont = 0.0
    npc = 0
    chosen: dict[int, LayerDesign] = {}
    for fl, i in firmware_layers(network):
        nl = network.layers[i]
        if designs is None:
            try:
                d, why = _choose(fl, nl, platform, k)
            except CapacitorError as exc:
                return _fail(f"layer {fl.name}: {exc}", ERR_ATOMICITY_C1, use, platform)
            if d is None:
                return _fail(why, ERR_ATOMICITY_C1 if why.startswith("C1") else ERR_SPATIAL_C0, use, platform)
        else:
            d = designs[i]
        g = Tilings.of([d])
        if not fits_firmware(fl, g)[0]:
            return _fail(f"C0 spatial: layer {fl.name} design {d.params} does not fit the firmware's tile buffers",
                         ERR_SPATIAL_C0, use, platform)
        e = evaluate_layer(fl, g, k)
        try:
            active, rc = _intermittent(e, k, cap, proactive)
        except CapacitorError as exc:
            return _fail(f"layer {fl.name}: {exc}", ERR_ATOMICITY_C1, use, platform)
        pc = int(e.commits[0]) if proactive else 1
        l_int += float(active[0] + rc[0])
        t_rc += float(rc[0])
        l_cont += float(e.cont_s[0])
        npc += pc
        chosen[i] = d
        for name in fl.covers:
            first = name == fl.covers[0]
            layers.append(LayerCost(
                name=name, design=d, power_cycles=pc if first else 0,
                latency_s=float(active[0] + rc[0]) if first else 0.0, active_s=float(active[0]) if first else 0.0,
                recharge_s=float(rc[0]) if first else 0.0, energy_j=float(e.energy_j[0]) if first else 0.0,
                energy_use_percent=100.0 * float(e.batch_energy_max_j[0]) / cap.e_budget_j if first else 0.0,
                latency_continuous_s=float(e.cont_s[0]) if first else 0.0, vm_bytes=0,
            ))
    t_act = l_int - t_rc
    imo = 100.0 * (t_act - l_cont) / t_act if t_act > 0 else 0.0
    return NetworkCost(True, None, None, l_int, l_cont, t_act, t_rc, imo, npc, use, 0, tuple(layers),
                       platform.sha256, model_version=FIRMWARE_MODEL_VERSION)

