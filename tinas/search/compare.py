"""Variants side by side (TiNAS, TiNAS-M, TiNAS-U, TiNAS-G1, TiNAS-G2) on the same seed and budget:
a comparison table and the final populations in the accuracy–IMO plane."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tinas.platform import Platform  # noqa: E402
from tinas.records import atomic_path, atomic_write_text  # noqa: E402
from tinas.search.pipeline import run_pipeline  # noqa: E402
from tinas.settings import load_settings  # noqa: E402


def compare_variants(dataset_file: str, variants: list[str], platform: Platform, out: Path, overrides: dict,
                     budget_file: str = "TiNAS-test.json", imo_cap: float | None = None) -> Path:
    """``imo_cap`` replaces the IMO cap of variants that have one (TiNAS-M's 30 % is for CIFAR-10)."""
    rows = []
    pops = {}
    for v in variants:
        o = json.loads(json.dumps(overrides))
        o.setdefault("GLOBAL_SETTINGS", {})["EXP_SUFFIX"] = v
        # the variant's own switches, then the common small budget (which must not undo them)
        s = load_settings([dataset_file, budget_file, f"{v}.json"], overrides=o)
        if imo_cap is not None and s["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"] > 0:
            s["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"] = float(imo_cap)
        s["NAS_SETTINGS_GENERAL"]["STAGES"] = "1,2,3,4"
        written = run_pipeline(s, platform, out / v)
        sol = json.loads(Path(written["solution"]).read_text())
        evo = json.loads((out / v / f"{v}_evosearchlog.json").read_text())
        pops[v] = evo["final_population"]
        rows.append({"variant": v, "accuracy %": sol["accuracy_finetuned"], "latency s": sol["latency_intermittent_s"],
                     "IMO %": sol["imo_percent"], "power cycles": sol["power_cycles"], "score": sol["score"]})
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r.values()) + " |" for r in rows]
    atomic_write_text(out / "comparison.md", "\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for v, pop in pops.items():
        ax.scatter([p["imo_percent"] for p in pop], [p["accuracy"] for p in pop], label=v, s=18, alpha=0.8)
    ax.set_xlabel("IMO (%)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("final populations")
    ax.legend(fontsize=8)
    with atomic_path(out / "populations.png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    print("\n".join(lines))
    return out / "comparison.md"
