"""``tinas cost NETWORK.json``: cost a network with the intermittent cost model."""

from __future__ import annotations

import argparse
import json
import logging
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinas.cost import NetworkCost

log = logging.getLogger(__name__)


def positive(text: str) -> float:
    """argparse type: a positive, finite number."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"{text} must be a positive, finite number")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cost", help="cost a network (layer list or solution file) under intermittent power",
                       description="Explore the best execution design of every layer and report latency, IMO "
                                   "and power cycles under intermittent and continuous power.")
    p.add_argument("network", help="network JSON: a layer list, a tinas.network record, or a solution file")
    p.add_argument("--platform", default=None, help="platform profile TOML (default: packaged MSP430FR5994)")
    p.add_argument("--ccap", type=positive, default=None,
                   help="capacitor in farads (default: a solution's own capacitor, else the profile's)")
    p.add_argument("--rehm", type=positive, default=None, help="harvester series resistance in ohms")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--cost-model", choices=("tinas2025", "firmware"), default="tinas2025",
                   help="tinas2025: the original TiNAS model; firmware: this project's runtime, from its loop nests")
    p.set_defaults(func=run)


def as_json(cost: "NetworkCost") -> dict:
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


def print_table(cost: "NetworkCost") -> None:
    print(f"{'layer':<12} {'design':<24} {'cycles':>6} {'latency s':>11} {'energy %':>8}")
    for l in cost.layers:
        print(f"{l.name:<12} {l.design.params if l.design else '-':<24} {l.power_cycles:>6} "
              f"{l.latency_s:>11.4f} {l.energy_use_percent:>8.2f}")
    print(f"intermittent latency {cost.latency_intermittent_s:.4f} s (active {cost.active_time_s:.4f} s, "
          f"recharge {cost.recharge_time_s:.4f} s)")
    print(f"continuous latency   {cost.latency_continuous_s:.4f} s (same designs)")
    print(f"IMO {cost.imo_percent:.3f} %, {cost.power_cycles} power cycles, NVM {cost.nvm.total_bytes} B, "
          f"VM max {cost.vm_bytes_max} B")


def _solution_ccap(path: str) -> float | None:
    """A search solution was searched for one capacitor: cost it for that one unless told otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("format") == "tinas.solution":
        return data.get("ccap_f")
    return None


def run(args: argparse.Namespace) -> int:
    from tinas.cost import evaluate
    from tinas.network import Network
    from tinas.platform import load_platform

    network = Network.load(args.network)
    platform = load_platform(args.platform).with_cost_model(args.cost_model)
    ccap = args.ccap
    if ccap is None and (sol_ccap := _solution_ccap(args.network)) is not None:
        ccap = sol_ccap
        log.info("costing for the solution's capacitor, %g F (--ccap to change)", ccap)
    cost = evaluate(network, platform, ccap_f=ccap, rehm_ohm=args.rehm)
    if args.json:
        print(json.dumps(as_json(cost), indent=1))
    elif cost.feasible:
        print_table(cost)
    else:
        print(f"infeasible: {cost.error}")
    return 0 if cost.feasible else 1
