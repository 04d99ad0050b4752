"""Parametric sweeps of the original's IMO sensitivity study (original-tinas.md, search §9.1), with the cost
model only: for each parameter, random base subnets are re-instantiated at every value of it, and the
IMO range (max − min of the per-value mean IMO) is the parameter's sensitivity. Accuracy needs training
from scratch per subnet and is left out here (the search's accuracy estimate covers that axis)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tinas.progress import tqdm  # noqa: E402

from tinas.cost import evaluate  # noqa: E402
from tinas.platform import Platform  # noqa: E402
from tinas.records import atomic_path, atomic_write_text  # noqa: E402
from tinas.search_space import BlockChoice, SubnetConfig, block_choice_list, get_space, to_network  # noqa: E402

FIELDS = {"exp": "exp_factors", "kernel": "kernel_sizes", "layers": "num_layers", "skip": "support_skip"}


def _imo(cfg: SubnetConfig, space, platform: Platform) -> float:
    c = evaluate(to_network(cfg, space), platform)
    return c.imo_percent if c.feasible else np.nan


def _with_field(cfg: SubnetConfig, field: str, value, blocks: list[int]) -> SubnetConfig:
    new = list(cfg.blocks)
    for b in blocks:
        d = new[b].model_dump()
        d[field] = value
        new[b] = BlockChoice(**d)
    return SubnetConfig(width=cfg.width, resolution=cfg.resolution, blocks=tuple(new))


def analyse(dataset: str, platform: Platform, samples: int = 30, seed: int = 0) -> dict:
    space = get_space(dataset)
    rng = np.random.default_rng(seed)
    choices = block_choice_list(space)
    w0, r0 = max(space.width_multipliers), max(space.input_resolutions)
    bases = [SubnetConfig(width=w0, resolution=r0, blocks=tuple(choices[int(i)] for i in rng.integers(0, len(choices), space.num_blocks)))
             for _ in range(samples)]
    out: dict = {"dataset": dataset, "samples": samples, "ccap_f": platform.ccap_f, "parameters": {}, "per_block": {}}
    jobs = [(f, v) for f in FIELDS for v in getattr(space, FIELDS[f])]
    jobs += [("width", w) for w in space.width_multipliers] + [("resolution", r) for r in space.input_resolutions]
    means: dict[str, dict] = {}
    for field, value in tqdm(jobs, desc="sensitivity sweeps", unit="value"):
        if field in FIELDS:
            cfgs = [_with_field(b, field, value, list(range(space.num_blocks))) for b in bases]
        elif field == "width":
            cfgs = [SubnetConfig(width=value, resolution=b.resolution, blocks=b.blocks) for b in bases]
        else:
            cfgs = [SubnetConfig(width=b.width, resolution=value, blocks=b.blocks) for b in bases]
        imos = np.array([_imo(c, space, platform) for c in cfgs])
        means.setdefault(field, {})[str(value)] = float(np.nanmean(imos)) if np.isfinite(imos).any() else float("nan")
    for field, m in means.items():
        vals = [v for v in m.values() if np.isfinite(v)]
        out["parameters"][field] = {"mean_imo_by_value": m, "imo_range": float(max(vals) - min(vals)) if vals else float("nan")}
    # Guideline 2: which block's choice moves IMO most (vary exp and kernel of one block at a time)
    for b in range(space.num_blocks):
        spans = []
        for base in bases[: max(5, samples // 3)]:
            imos = [_imo(_with_field(_with_field(base, "exp", e, [b]), "kernel", k, [b]), space, platform)
                    for e in space.exp_factors for k in space.kernel_sizes]
            imos = [x for x in imos if np.isfinite(x)]
            if imos:
                spans.append(max(imos) - min(imos))
        out["per_block"][str(b)] = float(np.mean(spans)) if spans else float("nan")
    return out


def write_outputs(res: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "sensitivity.json", json.dumps(res, indent=1))
    params = res["parameters"]
    lines = ["| parameter | IMO range (pp) | mean IMO by value |", "|---|---|---|"]
    for f, d in sorted(params.items(), key=lambda kv: -np.nan_to_num(kv[1]["imo_range"])):
        by = ", ".join(f"{k}: {v:.1f}" for k, v in d["mean_imo_by_value"].items())
        lines.append(f"| {f} | {d['imo_range']:.2f} | {by} |")
    lines += ["", "| block | mean IMO range when only this block's expansion and kernel change (pp) |", "|---|---|"]
    lines += [f"| {b} | {v:.2f} |" for b, v in res["per_block"].items()]
    atomic_write_text(out_dir / "sensitivity.md", "\n".join(lines) + "\n")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
    names = list(params)
    a1.bar(names, [params[n]["imo_range"] for n in names])
    a1.set_ylabel("IMO range (percentage points)")
    a1.set_title(f"{res['dataset']}: sensitivity per parameter")
    a2.bar(list(res["per_block"]), list(res["per_block"].values()))
    a2.set_xlabel("block")
    a2.set_title("per block (expansion × kernel)")
    with atomic_path(out_dir / "sensitivity.png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return out_dir / "sensitivity.md"
