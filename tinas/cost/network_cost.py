"""Network-level results (original-tinas.md, cost model §5, §8): latency under intermittent and continuous power,
active and recharge time, IMO, power cycles, NVM/VM use, and why an infeasible network fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

from tinas.cost.capacitor import CapacitorError
from tinas.cost.explorer import (
    ERR_ATOMICITY_C1, ERR_SPATIAL_C0, ERR_STORAGE_C2, LAYER_CACHE, LayerCache, LayerIntResult,
    evaluate_layer_cont, evaluate_layer_int, explore_layer_int,
)
from tinas.network import Layer, LayerDesign, Network
from tinas.platform import Platform

COST_MODEL_VERSION = "tinas-cost-1"


@dataclass(frozen=True)
class LayerCost:
    """One layer's chosen design and what it costs."""

    name: str
    design: LayerDesign | None
    power_cycles: int
    latency_s: float  # INT: Le2e (active + recharge); CONT: whole-layer latency
    active_s: float
    recharge_s: float
    energy_j: float
    energy_use_percent: float  # share of the per-cycle energy budget (INT)
    latency_continuous_s: float  # same design under continuous power
    vm_bytes: int
    cost_breakdown: dict[str, tuple[float, float]] = field(default_factory=dict)
    continuous_breakdown: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class StorageUse:
    """NVM use of a network (check C2): largest feature buffer and all weights, in bytes."""

    features_bytes_max: int
    weights_bytes_total: int
    per_layer: tuple[tuple[str, int, int], ...]

    @property
    def total_bytes(self) -> int:
        return self.features_bytes_max + self.weights_bytes_total


@dataclass(frozen=True)
class NetworkCost:
    feasible: bool
    error: str | None
    error_code: int | None
    latency_intermittent_s: float
    latency_continuous_s: float
    active_time_s: float
    recharge_time_s: float
    imo_percent: float
    power_cycles: int
    nvm: StorageUse
    vm_bytes_max: int
    layers: tuple[LayerCost, ...]
    platform_sha256: str
    model_version: str = COST_MODEL_VERSION

    @property
    def designs(self) -> list[LayerDesign | None]:
        return [l.design for l in self.layers]

    def totals(self, power: Literal["INT", "CONT"] = "INT") -> dict[str, float]:
        """Sum of each cost component over the network, in seconds (INT: over all power cycles)."""
        out: dict[str, float] = {}
        for l in self.layers:
            br = l.cost_breakdown if power == "INT" else l.continuous_breakdown
            n = l.power_cycles if power == "INT" else 1
            for k, (_, lat) in br.items():
                out[k] = out.get(k, 0.0) + n * lat
        return out


def storage_use(network: Network, platform: Platform) -> StorageUse:
    """Features: 2·max(input, output) elements (3× for ADD); weights by type; × DATA_SZ (§6 C2)."""
    ds = int(platform.data_size_bytes)
    rows = []
    for l in network.layers:
        ifm = int(l.IFM.CH) * int(l.IFM.H) * int(l.IFM.W)
        ofm = int(l.OFM.CH) * int(l.OFM.H) * int(l.OFM.W)
        feat = (3 if l.type == "ADD" else 2) * max(ifm, ofm)
        if l.type in ("CONV", "FC"):  # a depthwise kernel is (M, 1, Kh, Kw): M·Kh·Kw
            k = l.K
            w = int(k.N) * int(k.CH) * int(k.H) * int(k.W)
        elif l.type == "BN":
            w = 4 * int(l.OFM.CH)
        else:
            w = 0
        rows.append((l.name, feat * ds, w * ds))
    return StorageUse(max(r[1] for r in rows), sum(r[2] for r in rows), tuple(rows))


def _storage_error(use: StorageUse, platform: Platform) -> str | None:
    if use.features_bytes_max > platform.nvm_alloc_features_bytes:
        return f"C2 storage: feature buffers need {use.features_bytes_max} B > {int(platform.nvm_alloc_features_bytes)} B"
    if use.weights_bytes_total > platform.nvm_alloc_weights_bytes:
        return f"C2 storage: weights need {use.weights_bytes_total} B > {int(platform.nvm_alloc_weights_bytes)} B"
    if use.total_bytes > platform.nvm_capacity_bytes:
        return f"C2 storage: {use.total_bytes} B > NVM capacity {int(platform.nvm_capacity_bytes)} B"
    return None


def _fail(error: str, code: int, use: StorageUse, platform: Platform) -> NetworkCost:
    return NetworkCost(False, error, code, -1.0, -1.0, -1.0, -1.0, -1.0, 0, use, 0, (), platform.sha256)


def _assemble(network: Network, ints: Sequence[LayerIntResult], platform: Platform, use: StorageUse) -> NetworkCost:
    layers = []
    l_int = t_rc = l_cont = 0.0
    npc = 0
    for layer, r in zip(network.layers, ints):
        assert r.design is not None
        # C0 is not checked again: with S = 1 the design needs no more VM than it did under INT, where it passed
        cont = evaluate_layer_cont(layer, r.design, platform)
        l_int += r.latency_s
        t_rc += r.recharge_s
        npc += r.power_cycles
        l_cont += cont.latency_s
        layers.append(LayerCost(
            name=layer.name, design=r.design, power_cycles=r.power_cycles, latency_s=r.latency_s,
            active_s=r.active_s, recharge_s=r.recharge_s, energy_j=r.energy_j,
            energy_use_percent=r.energy_use_percent, latency_continuous_s=cont.latency_s, vm_bytes=r.vm_bytes,
            cost_breakdown=r.cost_breakdown, continuous_breakdown=cont.breakdown,
        ))
    t_act = l_int - t_rc
    imo = 100.0 * (t_act - l_cont) / t_act
    return NetworkCost(True, None, None, l_int, l_cont, t_act, t_rc, imo, npc, use,
                       max(l.vm_bytes for l in layers), tuple(layers), platform.sha256)


def _layer_error(layer: Layer, r: LayerIntResult, platform: Platform) -> tuple[str, int]:
    if r.failed_c1 > 0:  # some design fitted VM; every one of those was over the energy budget
        return (f"C1 atomicity: no design of layer {layer.name} fits one power cycle's energy budget "
                f"({r.candidates} candidates, {r.failed_c1} over budget; capacitor {platform.ccap_f} F)", ERR_ATOMICITY_C1)
    return (f"C0 spatial: no design of layer {layer.name} fits {int(platform.vm_capacity_bytes)} B of VM",
            ERR_SPATIAL_C0)


def evaluate(network: Network, platform: Platform, *, ccap_f: float | None = None, rehm_ohm: float | None = None,
             cache: LayerCache | None = LAYER_CACHE) -> NetworkCost:
    """Explore every layer under intermittent power and cost the same designs under continuous power
    (with the profile's cost model: ``platform.cost_model``)."""
    if platform.cost_model == "firmware":
        from tinas.cost.firmware_model import evaluate_firmware

        return evaluate_firmware(network, platform, ccap_f=ccap_f, rehm_ohm=rehm_ohm)
    platform = platform.with_capacitor(ccap_f, rehm_ohm)
    use = storage_use(network, platform)
    err = _storage_error(use, platform)
    if err:
        return _fail(err, ERR_STORAGE_C2, use, platform)
    ints = []
    for layer in network.layers:
        try:
            r = cache.explore(layer, platform) if cache is not None else explore_layer_int(layer, platform)
        except CapacitorError as exc:
            return _fail(f"layer {layer.name}: {exc}", ERR_ATOMICITY_C1, use, platform)
        if not r.feasible:
            msg, code = _layer_error(layer, r, platform)
            return _fail(msg, code, use, platform)
        ints.append(r)
    return _assemble(network, ints, platform, use)


def evaluate_design(network: Network, designs: Sequence[LayerDesign], platform: Platform, *,
                    power: Literal["INT", "CONT"] = "INT", ccap_f: float | None = None,
                    rehm_ohm: float | None = None) -> NetworkCost:
    """Cost a network with given designs. INT: intermittent (C0, C1 checked) plus CONT with the same
    designs, like ``evaluate``; CONT: continuous power only (intermittent fields are -1)."""
    if len(designs) != len(network.layers):
        raise ValueError(f"{len(designs)} designs for {len(network.layers)} layers")
    if platform.cost_model == "firmware":
        from tinas.cost.firmware_model import evaluate_firmware

        # continuous power: the same run without proactive shutdown (one power cycle, no recharge)
        return evaluate_firmware(network, platform, list(designs), proactive=power == "INT", ccap_f=ccap_f,
                                 rehm_ohm=rehm_ohm)
    platform = platform.with_capacitor(ccap_f, rehm_ohm)
    use = storage_use(network, platform)
    err = _storage_error(use, platform)
    if err:
        return _fail(err, ERR_STORAGE_C2, use, platform)
    if power == "CONT":
        layers, total = [], 0.0
        for layer, d in zip(network.layers, designs):
            c = evaluate_layer_cont(layer, d, platform)
            if not c.feasible:
                return _fail(f"C0 spatial: layer {layer.name} design {d.params} needs {c.vm_bytes} B of VM",
                             ERR_SPATIAL_C0, use, platform)
            total += c.latency_s
            layers.append(LayerCost(layer.name, d, 1, c.latency_s, c.latency_s, 0.0, c.energy_j, 0.0,
                                    c.latency_s, c.vm_bytes, {}, c.breakdown))
        return NetworkCost(True, None, None, -1.0, total, -1.0, -1.0, -1.0, 0, use,
                           max(l.vm_bytes for l in layers), tuple(layers), platform.sha256)
    ints = []
    for layer, d in zip(network.layers, designs):
        r = evaluate_layer_int(layer, d, platform)
        if not r.feasible:
            code = ERR_SPATIAL_C0 if r.failed_c0 else ERR_ATOMICITY_C1
            check = "C0 spatial" if r.failed_c0 else "C1 atomicity"
            return _fail(f"{check}: layer {layer.name} design {d.params} is not feasible", code, use, platform)
        ints.append(r)
    return _assemble(network, ints, platform, use)
