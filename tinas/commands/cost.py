"""``tinas cost NETWORK.json``: cost a network with the intermittent cost model."""

from __future__ import annotations

import argparse
import json

from tinas.cost import NetworkCost, evaluate
from tinas.network import Network
from tinas.platform import load_platform


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cost", help="cost a network (layer list or solution file) under intermittent power",
                       description="Explore the best execution design of every layer and report latency, IMO "
                                   "and power cycles under intermittent and continuous power.")
    p.add_argument("network", help="network JSON: a layer list, a tinas.network record, or a solution file")
    p.add_argument("--platform", default=None, help="platform profile TOML (default: packaged MSP430FR5994)")
    p.add_argument("--ccap", type=float, default=None, help="capacitor in farads (default from the profile)")
    p.add_argument("--rehm", type=float, default=None, help="harvester series resistance in ohms")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--cost-model", choices=("tinas2025", "firmware"), default="tinas2025",
                   help="tinas2025: the original TiNAS model; firmware: this project's runtime, from its loop nests")
    p.set_defaults(func=run)


def as_json(cost: NetworkCost) -> dict:
    out = {
        "feasible": cost.feasible,
        "latency_intermittent_s": cost.latency_intermittent_s,
        "latency_continuous_s": cost.latency_continuous_s,
        "active_time_s": cost.active_time_s,
        "recharge_time_s": cost.recharge_time_s,
        "imo_percent": cost.imo_percent,
        "power_cycles": int(cost.power_cycles),
        "layers": [
            {
                "name": l.name,
                **({"Tr": l.design.Tr, "Tc": l.design.Tc, "Tm": l.design.Tm, "Tn": l.design.Tn,
                    "order": l.design.order, "S": l.design.S} if l.design else
                   {"Tr": None, "Tc": None, "Tm": None, "Tn": None, "order": None, "S": None}),
                "power_cycles": l.power_cycles,
                "latency_s": l.latency_s,
            }
            for l in cost.layers
        ],
    }
    if not cost.feasible:
        out["error"] = cost.error
    return out


def print_table(cost: NetworkCost) -> None:
    print(f"{'layer':<12} {'design':<24} {'cycles':>6} {'latency s':>11} {'energy %':>8}")
    for l in cost.layers:
        print(f"{l.name:<12} {l.design.params if l.design else '-':<24} {l.power_cycles:>6} "
              f"{l.latency_s:>11.4f} {l.energy_use_percent:>8.2f}")
    print(f"intermittent latency {cost.latency_intermittent_s:.4f} s (active {cost.active_time_s:.4f} s, "
          f"recharge {cost.recharge_time_s:.4f} s)")
    print(f"continuous latency   {cost.latency_continuous_s:.4f} s (same designs)")
    print(f"IMO {cost.imo_percent:.3f} %, {cost.power_cycles} power cycles, NVM {cost.nvm.total_bytes} B, "
          f"VM max {cost.vm_bytes_max} B")


def run(args: argparse.Namespace) -> int:
    network = Network.load(args.network)
    platform = load_platform(args.platform).with_cost_model(args.cost_model)
    cost = evaluate(network, platform, ccap_f=args.ccap, rehm_ohm=args.rehm)
    if args.json:
        print(json.dumps(as_json(cost), indent=1))
    elif cost.feasible:
        print_table(cost)
    else:
        print(f"infeasible: {cost.error}")
    return 0 if cost.feasible else 1
