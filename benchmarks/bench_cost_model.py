"""Cost-model speed on the 12 published networks: seconds per network (cold and warm layer cache)
and candidate designs costed per second. Goal: median ≤ 0.05 s per network (the original: 3–15 s)."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinas.cost import LayerCache, evaluate, explore_layer_int  # noqa: E402
from tinas.network import Network  # noqa: E402
from tinas.platform import load_platform  # noqa: E402

import contextlib  # noqa: E402
import io  # noqa: E402


def main() -> None:
    platform = load_platform()
    files = sorted((ROOT / "tests" / "data" / "tinas-solutions").glob("*.json"))
    with contextlib.redirect_stderr(io.StringIO()):
        nets = [Network.load(f) for f in files]
    cold, warm, cands = [], [], 0
    for net in nets:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            evaluate(net, platform, cache=None)
            best = min(best, time.perf_counter() - t)
        cold.append(best)
        cands += sum(explore_layer_int(l, platform).candidates for l in net.layers)
    cache = LayerCache()
    for net in nets:
        evaluate(net, platform, cache=cache)
    for net in nets:
        t = time.perf_counter()
        evaluate(net, platform, cache=cache)
        warm.append(time.perf_counter() - t)
    res = {
        "networks": len(nets),
        "cold_median_s": statistics.median(cold),
        "cold_max_s": max(cold),
        "warm_median_s": statistics.median(warm),
        "candidates_total": cands,
        "candidates_per_s": cands / sum(cold),
        "original_s_per_network": "3.0-15 (docs/original-tinas.md, cost model §7.3)",
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cost_model.json").write_text(json.dumps(res, indent=1))
    (out / "cost_model.md").write_text(
        "## Cost model (`benchmarks/bench_cost_model.py`)\n\n"
        f"Over the {len(nets)} published networks (37–90 layers, {cands} candidate designs in all):\n\n"
        f"| measure | value |\n|---|---|\n"
        f"| seconds per network, cold cache, median | {res['cold_median_s']:.4f} |\n"
        f"| seconds per network, cold cache, max | {res['cold_max_s']:.4f} |\n"
        f"| seconds per network, warm layer cache, median | {res['warm_median_s']:.5f} |\n"
        f"| candidate designs costed per second | {res['candidates_per_s']:,.0f} |\n\n"
        f"Goal: median ≤ 0.05 s per network; the original takes 3–15 s (≈ 127–153 µs per candidate).\n"
    )
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
