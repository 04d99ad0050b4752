"""Stage 1 on 1,000 CIFAR-10 subnets (TiNAS settings: 5 (width, resolution) pairs × 200), costed by the
local process pool (2 workers) and by Ray tasks on a local instance with 2 CPUs: wall times and whether
the two stage-1 logs are identical (same seed, so they must be).

    .venv/bin/python benchmarks/bench_search_ray.py
"""

from __future__ import annotations

import json
import os
import platform as pyplatform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinas.cost import LAYER_CACHE  # noqa: E402
from tinas.platform import load_platform  # noqa: E402
from tinas.search.executor import LocalExecutor, RayExecutor  # noqa: E402
from tinas.search.stage1 import run_stage1  # noqa: E402
from tinas.settings import load_settings  # noqa: E402

SETTINGS = (["CIFAR10.json", "TiNAS.json"], {
    "NAS_SSOPTIMIZER_SETTINGS": {"SUBNET_SAMPLE_SIZE": 200}, "NAS_EVOSEARCH_SETTINGS": {"FIXED_NUM_CPU_WORKERS": 2},
    "PLATFORM_SETTINGS": {"LAT_E2E_REQ": 419.396478810978}, "NAS_SETTINGS_GENERAL": {"SEED": 123}})


def _comparable(log: dict) -> dict:
    return {k: log[k] for k in ("best_supernet_config", "per_supernet_stats", "all_subnet_results")}


def main() -> None:
    s = load_settings(SETTINGS[0], overrides=SETTINGS[1])
    plat = load_platform()
    res: dict = {"subnets": 1000, "machine": f"{pyplatform.platform()}, Python {pyplatform.python_version()}, "
                                             f"{os.cpu_count()} CPUs",
                 "seed": 123, "command": "python benchmarks/bench_search_ray.py",
                 "load_average_1min_before": os.getloadavg()[0]}
    LAYER_CACHE.clear()
    t0 = time.perf_counter()
    local = run_stage1(s, plat, Path(tempfile.mkdtemp()), executor=LocalExecutor(2))
    res["local_pool_2_workers_s"] = time.perf_counter() - t0
    LAYER_CACHE.clear()
    t0 = time.perf_counter()
    ray_ex = RayExecutor(None, num_cpus=2)
    res["ray_start_s"] = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        ray = run_stage1(s, plat, Path(tempfile.mkdtemp()), executor=ray_ex)
        res["ray_2_cpus_s"] = time.perf_counter() - t1
    finally:
        ray_ex.close()
    res["ray_2_cpus_including_start_s"] = res["ray_start_s"] + res["ray_2_cpus_s"]
    res["load_average_1min_after"] = os.getloadavg()[0]
    res["identical_stage1_logs"] = _comparable(local.log) == _comparable(ray.log)
    res["choice"] = local.best
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "search_ray.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    (out / "search_ray.md").write_text(
        "## Stage 1 on Ray (`benchmarks/bench_search_ray.py`)\n\n"
        "1,000 CIFAR-10 subnets (TiNAS settings, 5 pairs × 200, L_req = LAT-perc75 = 419.4 s, seed 123), cold layer "
        f"cache, on {res['machine']}:\n\n| executor | wall |\n|---|---|\n"
        f"| local process pool, 2 workers | {res['local_pool_2_workers_s']:.1f} s |\n"
        f"| Ray, local instance with 2 CPUs (tasks only) | {res['ray_2_cpus_s']:.1f} s |\n"
        f"| Ray, including starting the instance | {res['ray_2_cpus_including_start_s']:.1f} s |\n\n"
        f"1-minute load average {res['load_average_1min_before']:.1f} before, {res['load_average_1min_after']:.1f} after "
        "(the machine is shared; both executors ran back to back under the same load).\n\n"
        f"Same stage-1 log (chosen pair, per-pair statistics, every valid subnet): "
        f"**{'yes' if res['identical_stage1_logs'] else 'NO'}**; chosen pair {res['choice']}.\n")
    print(json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
