"""Stage 1, the search-space optimiser (original-tinas.md, search §5): for every (width, resolution) pair, sample
subnets, cost them, keep those meeting the constraints, and choose the pair whose valid subnets have the
largest mean FLOPs (TinyNAS's heuristic) — or, with the IMC policy, the lowest mean IMO."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tinas.progress import tqdm

from tinas.platform import Platform
from tinas.records import atomic_write_text
from tinas.search.evaluation import SubnetEval, evaluate_subnet, passes_stage1
from tinas.search.executor import Executor, LocalExecutor
from tinas.search.space_setup import search_lists
from tinas.search_space import BlockChoice, DatasetSpace, SubnetConfig
from tinas.settings import Settings

import json


def sample_distinct(rng: np.random.Generator, choices: list[BlockChoice], num_blocks: int, n: int) -> list[tuple[int, ...]]:
    """Up to ``n`` distinct index tuples, uniformly; block b = (v // |L2|^b) mod |L2| of a uniform v."""
    total = len(choices) ** num_blocks
    n = min(n, total)
    seen: set[int] = set()
    out = []
    while len(out) < n:
        v = int(rng.integers(0, total))
        if v in seen:
            continue
        seen.add(v)
        out.append(tuple((v // len(choices) ** b) % len(choices) for b in range(num_blocks)))
    return out


def _cost_one(ctx: tuple, cfg: SubnetConfig) -> SubnetEval:
    space, platform = ctx
    ev, _ = evaluate_subnet(cfg, space, platform)
    return ev


def evaluate_many(configs: list[SubnetConfig], space: DatasetSpace, platform: Platform,
                  executor: "Executor | None" = None, desc: str = "") -> list[SubnetEval]:
    """Cost a batch of subnets on the executor (serial for small batches); results in input order."""
    ex = executor if executor is not None and len(configs) >= 32 else LocalExecutor(1)
    with ex.session((space, platform)) as sess:
        return sess.map(_cost_one, configs, desc=desc, unit="net")


def constraint_counts(evals: list[SubnetEval], constraints: str, lat_req: float, imc_req: float) -> dict[str, int]:
    """The original's per-pair feasibility counts (original-tinas.md, search §5.3): a check that is not active
    counts 0; IMO and latency count the subnets within their limit; in 'implicit' mode (IMC or
    RESPONSIVENESS listed) the NVM count is the subnets the cost model could cost at all, and the VM
    count stays 0; in 'explicit' mode VM and then NVM are counted as they are checked (a subnet failing
    VM is not checked for NVM)."""
    tokens = set(constraints.split(","))
    implicit = "CHK_PASS_IMC" in constraints or "CHK_PASS_RESPONSIVENESS" in constraints
    c = {"imc_feasible_subnets": 0, "latency_feasible_subnets": 0, "nvm_feasible_subnets": 0, "vm_feasible_subnets": 0}
    for e in evals:
        ok = True
        if "CHK_PASS_IMC" in tokens and imc_req > 0:
            p = e.imo_percent != -1 and e.imo_percent <= imc_req
            c["imc_feasible_subnets"] += p
            ok &= p
        if "CHK_PASS_RESPONSIVENESS" in tokens and lat_req > 0:
            p = e.latency_s != -1 and e.latency_s <= lat_req
            c["latency_feasible_subnets"] += p
            ok &= p
        if implicit:
            c["nvm_feasible_subnets"] += e.latency_s != -1 and e.imo_percent != -1 and e.power_cycles != -1
        else:
            if ok and "CHK_PASS_SPATIAL" in tokens:
                ok = e.vm_ok
                c["vm_feasible_subnets"] += ok
            if ok and "CHK_PASS_STORAGE" in tokens:
                c["nvm_feasible_subnets"] += e.nvm_ok
    return {k: int(v) for k, v in c.items()}


def _stats(evals: list[SubnetEval], passed: list[bool], constraints: str, lat_req: float,
           imc_req: float) -> dict[str, Any]:
    """Per-pair statistics in the original's key set (sorted alphabetically)."""
    valid = [e for e, ok in zip(evals, passed) if ok]
    costed = [e for e in evals if e.feasible]

    def agg(values: list[float], kind: str) -> float:
        if not values:
            return -1
        return float({"min": np.min, "max": np.max, "average": np.mean}[kind](values))

    s: dict[str, Any] = {}
    for name, vals in (("imc", [e.imo_percent for e in costed]), ("latency", [e.latency_s for e in costed]),
                       ("npc", [e.power_cycles for e in costed])):
        for kind in ("min", "max"):
            s[f"{name}_{kind}"] = agg(vals, kind)
    s["imc_average"] = agg([e.imo_percent for e in valid], "average")
    s["latency_average"] = agg([e.latency_s for e in valid], "average")
    s["npc_average"] = agg([e.power_cycles for e in valid], "average")
    flops = [e.flops for e in valid]
    s["flops_min"], s["flops_max"], s["flops_average"] = agg(flops, "min"), agg(flops, "max"), agg(flops, "average")
    s.update(constraint_counts(evals, constraints, lat_req, imc_req))
    s["num_subnets"] = len(valid)
    return dict(sorted(s.items()))


def stage1_settings_hash(settings: Settings, platform: Platform) -> str:
    """What stage 1's result depends on: a rerun with other constraints must not reuse an old result."""
    import hashlib

    t = settings.snapshot()
    key = {k: t[k] for k in ("PLATFORM_SETTINGS", "NAS_SSOPTIMIZER_SETTINGS", "TINAS")}
    key["dataset"] = settings.dataset
    key["seed"] = t["NAS_SETTINGS_GENERAL"]["SEED"]
    return hashlib.sha256((json.dumps(key, sort_keys=True) + platform.sha256).encode()).hexdigest()


@dataclass
class Stage1Result:
    best: tuple[float, int] | None
    log: dict[str, Any]
    path: Path


def run_stage1(settings: Settings, platform: Platform, out_dir: Path, seed: int | None = None,
               executor: "Executor | None" = None) -> Stage1Result:
    """Run stage 1 and write ``<suffix>_ssoptlog.json`` (the original's layout) atomically."""
    space, pairs, choices = search_lists(settings)
    ss = settings["NAS_SSOPTIMIZER_SETTINGS"]
    plat = settings["PLATFORM_SETTINGS"]
    n = int(ss["SUBNET_SAMPLE_SIZE"])
    lat_req, imc_req = float(plat["LAT_E2E_REQ"]), float(plat["IMC_CONSTRAINT"])
    workers = max(1, min(int(settings["NAS_EVOSEARCH_SETTINGS"]["FIXED_NUM_CPU_WORKERS"]), os.cpu_count() or 1))
    executor = executor if executor is not None else LocalExecutor(workers)
    rng = np.random.default_rng(settings["NAS_SETTINGS_GENERAL"]["SEED"] if seed is None else seed)
    per_pair: dict[str, Any] = {}
    all_results: list[dict[str, Any]] = []
    survivors: list[tuple[tuple[float, int], float, float]] = []
    counter = 0
    sessions = contextlib.ExitStack()
    sess = sessions.enter_context(executor.session((space, platform)))  # one pool for every pair: warm layer caches
    for w, r in tqdm(pairs, desc="stage 1: (width, resolution) pairs", unit="pair"):
        idx = sample_distinct(rng, choices, space.num_blocks, n)
        configs = [SubnetConfig(width=w, resolution=r, blocks=tuple(choices[i] for i in t)) for t in idx]
        evals = sess.map(_cost_one, configs, desc=f"w={w:g} r={r}", unit="net")
        passed = [passes_stage1(e, ss["SSOPT_CONSTRAINTS"], lat_req, imc_req, e.nvm_ok) for e in evals]
        stats = _stats(evals, passed, ss["SSOPT_CONSTRAINTS"], lat_req, imc_req)
        per_pair[f"({w}, {r})"] = stats
        valid = [e for e, ok in zip(evals, passed) if ok]
        if len(valid) >= float(ss["VALID_SUBNETS_THRESHOLD"]) * len(configs) and valid:
            survivors.append(((w, r), stats["flops_average"], stats["imc_average"]))
            for e in valid:
                all_results.append({
                    "subnet_name": f"subnet_ID{counter}",
                    "subnet_choice_per_blk": [b.as_list() for b in e.config.blocks],
                    "net_choices": [w, r], "supernet_choice": [w, r], "error_net_perf": e.error is not None,
                    "perf_e2e_contpow_flops": e.flops, "imc_prop": e.imo_percent, "perf_e2e_intpow_lat": e.latency_s,
                    "ip_tot_npc": e.power_cycles, "total_nvm_usage": e.nvm_bytes,
                })
                counter += 1
    sessions.close()
    policy = ss["SSOPT_POLICY"]
    best = None
    if survivors:
        if policy == "IMC":
            best = min(survivors, key=lambda s: s[2])[0]
        else:
            best = max(survivors, key=lambda s: s[1])[0]  # max() keeps the first of equal maxima
    suffix = settings.suffix
    log = {
        "best_supernet_config": list(best) if best else None,
        "best_supernet_blk_choices": None,
        "num_subnets": per_pair[f"({best[0]}, {best[1]})"]["num_subnets"] if best else 0,
        "supernet_type": "mnas",
        "dataset": settings.dataset,
        "supernet_name": f"{suffix}_supernet",
        "trained_supernet_fname": f"{suffix}_supernet_mnas_best.pth",
        "per_supernet_stats": per_pair,
        "all_subnet_results": all_results,
        ("average_imc" if policy == "IMC" else "average_flops"):
            {f"({s[0][0]}, {s[0][1]})": (s[2] if policy == "IMC" else s[1]) for s in survivors},
        "settings_sha256": stage1_settings_hash(settings, platform),
        "latency_requirement_s": lat_req,
        "imo_constraint_percent": imc_req,
        "ccap_f": platform.ccap_f,
    }
    path = out_dir / f"{suffix}_ssoptlog.json"
    atomic_write_text(path, json.dumps(log, indent=1))
    return Stage1Result(best, log, path)
