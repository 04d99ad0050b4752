"""Search speed: stage-1 wall time for 1,000 sampled subnets (CIFAR-10, TiNAS settings), networks
costed per second, supernet training throughput and subnet evaluation time on the digits."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tinas.cost import LAYER_CACHE  # noqa: E402
from tinas.datasets import load_dataset  # noqa: E402
from tinas.platform import load_platform  # noqa: E402
from tinas.search.stage1 import run_stage1  # noqa: E402
from tinas.search_space import block_choice_list, get_space  # noqa: E402
from tinas.settings import load_settings  # noqa: E402
from tinas.supernet import SuperNet  # noqa: E402
from tinas.training.trainer import TrainConfig, path_accuracy, train  # noqa: E402


def main() -> None:
    import tempfile

    res: dict = {}
    s = load_settings(["CIFAR10.json", "TiNAS.json"], overrides={
        "NAS_SSOPTIMIZER_SETTINGS": {"SUBNET_SAMPLE_SIZE": 200}, "NAS_EVOSEARCH_SETTINGS": {"FIXED_NUM_CPU_WORKERS": 2},
        "PLATFORM_SETTINGS": {"LAT_E2E_REQ": 419.396478810978}})
    LAYER_CACHE.clear()
    t0 = time.perf_counter()
    r = run_stage1(s, load_platform(), Path(tempfile.mkdtemp()))
    dt = time.perf_counter() - t0
    res["stage1_subnets"] = 1000
    res["stage1_wall_s"] = dt
    res["stage1_networks_per_s"] = 1000 / dt
    res["stage1_choice"] = r.best
    data = load_dataset("DIGITS", 8)
    space = get_space("DIGITS")
    m = SuperNet(space, 1.0, 8, block_choice_list(space, {"NUM_LAYERS": [3], "SUPPORT_SKIP": [False]}))
    t0 = time.perf_counter()
    train(m, data, TrainConfig(epochs=3, batch_size=64, lr=0.01))
    res["train_samples_per_s"] = 3 * len(data.y_train) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    acc = [path_accuracy(m, data, m.sample_path(np.random.default_rng(i)), 30, 0.01, i) for i in range(5)]
    res["subnet_eval_s"] = (time.perf_counter() - t0) / 5
    res["subnet_eval_accuracies"] = acc
    out = ROOT / "benchmarks" / "results"
    (out / "search.json").write_text(json.dumps(res, indent=1, default=str))
    (out / "search.md").write_text(
        "## Search and training (`benchmarks/bench_search.py`)\n\n| measure | value |\n|---|---|\n"
        f"| stage 1, 1,000 CIFAR-10 subnets (5 pairs × 200), 2 workers, wall | {dt:.1f} s |\n"
        f"| networks costed per second in stage 1 | {res['stage1_networks_per_s']:.0f} |\n"
        f"| supernet training throughput (digits, 8×8, CPU) | {res['train_samples_per_s']:,.0f} samples/s |\n"
        f"| subnet evaluation (30 adaptation steps + test split) | {res['subnet_eval_s']:.2f} s |\n"
    )
    print(json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
