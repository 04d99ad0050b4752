"""Budgets as the original defines them (original-tinas.md, search §3.6, §9.2): ``LAT-percNN`` is the NN-th
percentile of the intermittent latency, ``IMO-percNN`` the NN-th percentile of IMO, over random subnets
pooled across every (width, resolution) pair of the dataset's *full* search space — the names of the
published solutions (e.g. ``TiNAS_CIFAR10-LAT-perc25-CCAP0.005``).

For the original's datasets at a published capacitor the published thresholds
(``settings/all-thresholds.json``) are used when they list the percentile; anything else is computed
from a sample of the space (cached per dataset, capacitor, platform profile and cost-model version,
because a different cost model gives a different distribution).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from tinas.cost import COST_MODEL_VERSION
from tinas.errors import TinasError
from tinas.platform import Platform
from tinas.records import atomic_write_text
from tinas.search_space import SubnetConfig, block_choice_list, get_space, net_choice_list
from tinas.settings import PACKAGE_DIR

BUDGET_RE = re.compile(r"^(LAT|IMO)-perc(\d+(?:\.\d+)?)$", re.IGNORECASE)
SAMPLE_SEED = 1234  # the original's threshold script seed
DEFAULT_PER_PAIR = 200


def parse_budget(text: str, kind: str) -> float | tuple[str, float]:
    """A number (seconds for LAT, percent for IMO) or a percentile name of the given kind."""
    try:
        return float(text)
    except ValueError:
        pass
    m = BUDGET_RE.match(text.strip())
    if not m or m.group(1).upper() != kind:
        raise TinasError(f"{text!r}: expected a number or {kind}-percNN (e.g. {kind}-perc25)")
    p = float(m.group(2))
    if not 0 <= p <= 100:
        raise TinasError(f"{text!r}: a percentile must be in [0, 100]")
    return kind, p


def cache_dir() -> Path:
    return Path(os.environ.get("TINAS_CACHE_DIR") or Path.home() / ".cache" / "tinas") / "thresholds"


def _sample_configs(dataset: str, per_pair: int, seed: int) -> list[SubnetConfig]:
    space = get_space(dataset)
    choices = block_choice_list(space, None)
    rng = np.random.default_rng(seed)
    out = []
    for w, r in net_choice_list(space, None):
        seen: set[tuple[int, ...]] = set()
        total = len(choices) ** space.num_blocks
        while len(seen) < min(per_pair, total):
            t = tuple(int(i) for i in rng.integers(0, len(choices), space.num_blocks))
            if t not in seen:
                seen.add(t)
                out.append(SubnetConfig(width=w, resolution=r, blocks=tuple(choices[i] for i in t)))
    return out


def space_distribution(dataset: str, platform: Platform, per_pair: int = DEFAULT_PER_PAIR, seed: int = SAMPLE_SEED,
                       executor: Any = None) -> dict[str, Any]:
    """Latency and IMO of ``per_pair`` distinct random subnets per pair of the full space (subnets the
    cost model cannot run are left out), cached on disk."""
    key = f"{dataset.upper()}-ccap{platform.ccap_f:g}-{platform.sha256[:12]}-cm{COST_MODEL_VERSION}-n{per_pair}-s{seed}"
    path = cache_dir() / f"{key}.json"
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass
    from tinas.search.stage1 import evaluate_many

    configs = _sample_configs(dataset, per_pair, seed)
    print(f"budgets: costing {len(configs)} random {dataset} subnets for the latency/IMO percentiles "
          f"(cached in {path.parent})", file=sys.stderr)
    if executor is None:
        from tinas.search.executor import LocalExecutor

        executor = LocalExecutor(os.cpu_count() or 1)
    evals = evaluate_many(configs, get_space(dataset), platform, executor, desc="budget sample")
    ok = [e for e in evals if e.feasible]
    dist = {"format": "tinas.space-distribution", "version": 1, "dataset": dataset.upper(), "ccap_f": platform.ccap_f,
            "platform_sha256": platform.sha256, "cost_model_version": COST_MODEL_VERSION, "per_pair": per_pair,
            "seed": seed, "sampled": len(configs), "feasible": len(ok),
            "latency_s": [e.latency_s for e in ok], "imo_percent": [e.imo_percent for e in ok]}
    atomic_write_text(path, json.dumps(dist))
    return dist


def published_threshold(dataset: str, ccap_f: float, kind: str, perc: float) -> float | None:
    table = json.loads((PACKAGE_DIR / "all-thresholds.json").read_text())
    entry = table.get(f"{dataset.upper()}-ccap{ccap_f:g}")
    if entry is None:
        return None
    d = entry["LAT_PERC_THRESHOLD_DICT" if kind == "LAT" else "IMO_PERC_THRESHOLD_DICT"]
    v = d.get(f"{perc:g}")
    return None if v is None else float(v)


def resolve_budget(kind: str, perc: float, dataset: str, platform: Platform, executor: Any = None) -> tuple[float, str]:
    """(value, provenance) of ``LAT-percNN`` (seconds) or ``IMO-percNN`` (percent)."""
    pub = published_threshold(dataset, platform.ccap_f, kind, perc)
    if pub is not None:
        return pub, f"{kind}-perc{perc:g} = {pub:.4g} (published thresholds, {dataset} at {platform.ccap_f:g} F)"
    dist = space_distribution(dataset, platform, executor=executor)
    vals = dist["latency_s" if kind == "LAT" else "imo_percent"]
    if not vals:
        raise TinasError(f"no {dataset} subnet of the sample could be costed at {platform.ccap_f:g} F; no {kind} percentile")
    v = float(np.percentile(vals, perc))
    return v, (f"{kind}-perc{perc:g} = {v:.4g} ({dist['feasible']} costed random subnets of the full {dataset} space "
               f"at {platform.ccap_f:g} F, seed {dist['seed']})")
