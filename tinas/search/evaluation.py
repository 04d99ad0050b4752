"""Cost of one subnet for the search: the cost model's numbers plus FLOPs and the constraint checks
of the original (original-tinas.md, search §5.3, §8.2)."""

from __future__ import annotations

from dataclasses import dataclass

from tinas.cost import NetworkCost, evaluate
from tinas.cost.explorer import ERR_SPATIAL_C0, ERR_STORAGE_C2
from tinas.network import Network
from tinas.platform import Platform
from tinas.search_space import DatasetSpace, SubnetConfig, to_network


@dataclass(frozen=True)
class SubnetEval:
    config: SubnetConfig
    latency_s: float  # L_int, -1 when infeasible
    imo_percent: float  # -1 when infeasible
    power_cycles: int
    latency_continuous_s: float
    flops: int
    nvm_bytes: int
    error: str | None
    error_code: int | None = None

    @property
    def nvm_ok(self) -> bool:
        """Passed the storage check (C2)."""
        return self.error_code != ERR_STORAGE_C2

    @property
    def vm_ok(self) -> bool:
        """No layer failed the spatial check (C0)."""
        return self.error_code != ERR_SPATIAL_C0

    @property
    def feasible(self) -> bool:
        return self.latency_s != -1 and self.imo_percent != -1


def network_flops(net: Network) -> int:
    """Layer-based FLOPs of the original (tile independent)."""
    total = 0
    for l in net.layers:
        R, C, M = int(l.OFM.H), int(l.OFM.W), int(l.OFM.CH)
        if l.type in ("CONV", "FC"):
            kh, kw = int(l.K.H), int(l.K.W)
            n = 1 if l.is_depthwise else int(l.IFM.CH)
            total += 2 * kh * kw * R * C * M * n
        elif l.type == "BN":
            total += 4 * R * C * M
        elif l.type == "ADD":
            total += R * C * M
        elif l.type == "GAVGPOOL":
            total += 2 * M
    return total


def evaluate_subnet(config: SubnetConfig, space: DatasetSpace, platform: Platform) -> tuple[SubnetEval, NetworkCost]:
    net = to_network(config, space)
    cost = evaluate(net, platform)
    ev = SubnetEval(
        config=config,
        latency_s=cost.latency_intermittent_s if cost.feasible else -1.0,
        imo_percent=cost.imo_percent if cost.feasible else -1.0,
        power_cycles=cost.power_cycles if cost.feasible else -1,
        latency_continuous_s=cost.latency_continuous_s if cost.feasible else -1.0,
        flops=network_flops(net),
        nvm_bytes=cost.nvm.total_bytes,
        error=cost.error,
        error_code=cost.error_code,
    )
    return ev, cost


def passes_stage1(ev: SubnetEval, constraints: str, lat_req: float, imc_req: float, nvm_ok: bool) -> bool:
    """Stage-1 checks: IMO and responsiveness when listed and enabled; in 'explicit' mode (neither listed)
    storage and spatial feasibility instead."""
    tokens = set(constraints.split(","))
    implicit = "CHK_PASS_IMC" in constraints or "CHK_PASS_RESPONSIVENESS" in constraints
    ok = True
    if "CHK_PASS_IMC" in tokens and imc_req > 0:
        ok &= ev.imo_percent != -1 and ev.imo_percent <= imc_req
    if "CHK_PASS_RESPONSIVENESS" in tokens and lat_req > 0:
        ok &= ev.latency_s != -1 and ev.latency_s <= lat_req
    if not implicit:
        if "CHK_PASS_STORAGE" in tokens:
            ok &= nvm_ok
        if "CHK_PASS_SPATIAL" in tokens:
            ok &= ev.error is None or "C0" not in ev.error
    return bool(ok)


def passes_stage2(ev: SubnetEval, lat_req: float, imc_req: float) -> bool:
    """Evolution feasibility: reject L = -1 or over L_req, IMO = -1 or over the cap (when set)."""
    if ev.latency_s == -1 or (lat_req != 0 and ev.latency_s > lat_req):
        return False
    if ev.imo_percent == -1 or (imc_req != 0 and ev.imo_percent > imc_req):
        return False
    return True
