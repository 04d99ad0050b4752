"""Variants side by side (TiNAS, TiNAS-M, TiNAS-U, TiNAS-G1, TiNAS-G2) under the same constraints, over
several seeds: a table of mean ± std per variant (a variant that finds nothing is marked in its row with
the reason), one row per run, the answers to the paper's two claims (TiNAS's IMO below TiNAS-U's; its
accuracy at or above TiNAS-M's), and every evaluated network of every variant in the accuracy–IMO plane.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinas.errors import TinasError
from tinas.platform import Platform
from tinas.records import atomic_path, atomic_write_text
from tinas.search.stages import run_pipeline
from tinas.search.variants import load_variant


@dataclass
class RunResult:
    variant: str
    seed: int
    solution: dict[str, Any] | None = None
    evaluated: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def network(self) -> str | None:
        if self.solution is None:
            return None
        s = self.solution
        return f"({s['width']:g}, {s['resolution']}) " + " ".join(
            f"[{b[0]},{b[1]},{b[2]},{'T' if b[3] else 'F'}]" for b in s["choices"])


def _mean_std(xs: list[float]) -> str:
    if not xs:
        return "–"
    if len(xs) == 1:
        return f"{xs[0]:.2f}"
    return f"{np.mean(xs):.2f} ± {np.std(xs, ddof=1):.2f}"


def run_one(files: list[str], variant: str, seed: int, platform: Platform, out: Path, overrides: dict[str, Any],
            imo_cap: float | None, executor: Any = None, restart: bool = False) -> RunResult:
    o = json.loads(json.dumps(overrides))
    o.setdefault("GLOBAL_SETTINGS", {})["EXP_SUFFIX"] = f"{variant}-seed{seed}"
    o.setdefault("NAS_SETTINGS_GENERAL", {})["SEED"] = seed
    o["NAS_SETTINGS_GENERAL"]["STAGES"] = "1,2,3,4"
    r = RunResult(variant, seed)
    d = out / variant / f"seed{seed}"
    try:
        s = load_variant(files, variant, o, imo_cap)
        written = run_pipeline(s, platform, d, executor, restart)
        r.solution = json.loads(Path(written["solution"]).read_text())
        evo = json.loads((d / f"{s.suffix}_evosearchlog.json").read_text())
        r.evaluated = evo["evaluated"]
    except TinasError as exc:
        r.error = str(exc).splitlines()[0]
        print(f"compare: {variant} seed {seed}: {r.error}", file=sys.stderr)
    return r


def summarise(results: list[RunResult], variants: list[str]) -> dict[str, Any]:
    """Per-variant statistics and the two claims, from the finished runs (independent of the table)."""
    per: dict[str, dict[str, Any]] = {}
    for v in variants:
        rs = [r for r in results if r.variant == v]
        ok = [r for r in rs if r.solution is not None]
        per[v] = {
            "runs": len(rs), "feasible": len(ok),
            "accuracy_test": [r.solution["accuracy_finetuned"] for r in ok],
            "accuracy_val": [r.solution["accuracy_supernet"] for r in ok],
            "imo": [r.solution["imo_percent"] for r in ok],
            "latency": [r.solution["latency_intermittent_s"] for r in ok],
            "npc": [float(r.solution["power_cycles"]) for r in ok],
            "networks": [r.network for r in ok],
            "errors": sorted({f"seed {r.seed}: {r.error}" for r in rs if r.error}),
        }
    seeds = sorted({r.seed for r in results})
    by = {(r.variant, r.seed): r for r in results}
    distinct = {}
    for s in seeds:
        nets = [by[(v, s)].network for v in variants if (v, s) in by and by[(v, s)].network]
        distinct[s] = len(nets) == len(set(nets)) and len(nets) == len(variants)
    claims: dict[str, Any] = {"all_networks_distinct_per_seed": distinct}

    def paired(a: str, b: str, key: str) -> list[tuple[float, float]]:
        out = []
        for s in seeds:
            ra, rb = by.get((a, s)), by.get((b, s))
            if ra and rb and ra.solution and rb.solution:
                out.append((ra.solution[key], rb.solution[key]))
        return out

    if "TiNAS" in variants and "TiNAS-U" in variants:
        p = paired("TiNAS", "TiNAS-U", "imo_percent")
        claims["imo_below_tinas_u"] = {"seeds": len(p), "holds_in": sum(a < b for a, b in p),
                                       "mean_tinas": float(np.mean([a for a, _ in p])) if p else None,
                                       "mean_other": float(np.mean([b for _, b in p])) if p else None}
    if "TiNAS" in variants and "TiNAS-M" in variants:
        p = paired("TiNAS", "TiNAS-M", "accuracy_finetuned")
        claims["accuracy_at_or_above_tinas_m"] = {"seeds": len(p), "holds_in": sum(a >= b for a, b in p),
                                                 "mean_tinas": float(np.mean([a for a, _ in p])) if p else None,
                                                 "mean_other": float(np.mean([b for _, b in p])) if p else None}
    return {"per_variant": per, "claims": claims, "seeds": seeds}


def _claim_line(name: str, c: dict[str, Any] | None, what: str, unit: str) -> str:
    if c is None:
        return ""
    if not c["seeds"]:
        return f"* {name}: not decidable (no seed where both variants found a network)\n"
    verdict = "yes" if c["holds_in"] == c["seeds"] else ("no" if c["holds_in"] == 0 else "mixed")
    return (f"* {name}: **{verdict}** — holds in {c['holds_in']} of {c['seeds']} seeds ({what} mean "
            f"{c['mean_tinas']:.2f} vs {c['mean_other']:.2f} {unit})\n")


def render_table(summary: dict[str, Any], results: list[RunResult], header: str) -> str:
    lines = [header, "", "| variant | runs with a network | accuracy, test % (fine-tuned) | accuracy, validation % "
             "(search) | IMO % | L_int s | power cycles | note |", "|---|---|---|---|---|---|---|---|"]
    for v, p in summary["per_variant"].items():
        note = "; ".join(p["errors"]) if p["errors"] else ""
        if p["feasible"] == 0:
            note = "**infeasible**: " + note
        lines.append(f"| {v} | {p['feasible']}/{p['runs']} | {_mean_std(p['accuracy_test'])} | {_mean_std(p['accuracy_val'])} | "
                     f"{_mean_std(p['imo'])} | {_mean_std(p['latency'])} | {_mean_std(p['npc'])} | {note} |")
    lines += ["", "Mean ± sample standard deviation over the seeds with a network.", "", "Claims under the same constraints:", ""]
    c = summary["claims"]
    text = _claim_line("TiNAS's IMO below TiNAS-U's", c.get("imo_below_tinas_u"), "IMO", "%")
    text += _claim_line("TiNAS's accuracy at or above TiNAS-M's", c.get("accuracy_at_or_above_tinas_m"),
                        "fine-tuned test accuracy", "%")
    d = c["all_networks_distinct_per_seed"]
    text += f"* the variants return different networks: {sum(d.values())} of {len(d)} seeds\n"
    lines.append(text)
    lines += ["Per run:", "", "| variant | seed | network (w, r) [exp,k,layers,skip] | accuracy test % | IMO % | L_int s |",
              "|---|---|---|---|---|---|"]
    for r in results:
        if r.solution:
            s = r.solution
            lines.append(f"| {r.variant} | {r.seed} | {r.network} | {s['accuracy_finetuned']:.2f} | {s['imo_percent']:.2f} | "
                         f"{s['latency_intermittent_s']:.2f} |")
        else:
            lines.append(f"| {r.variant} | {r.seed} | none: {r.error} | – | – | – |")
    return "\n".join(lines) + "\n"


def plot(results: list[RunResult], variants: list[str], path: Path, title: str, note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, v in enumerate(variants):
        col = colours[i % len(colours)]
        ev = [e for r in results if r.variant == v for e in r.evaluated]
        sol = [r.solution for r in results if r.variant == v and r.solution]
        label = f"{v} ({len(ev)} evaluated)" if ev else f"{v} (infeasible)"
        ax.scatter([e["imo_percent"] for e in ev], [e["accuracy_val"] for e in ev], s=10, alpha=0.35, color=col, label=label)
        ax.scatter([s["imo_percent"] for s in sol], [s["accuracy_supernet"] for s in sol], s=90, marker="*",
                   edgecolor="black", linewidth=0.6, color=col)
    ax.set_xlabel("IMO (%)")
    ax.set_ylabel("validation accuracy (%) during the search")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, title="★ = the variant's answer per seed", title_fontsize=8)
    if note:
        fig.text(0.01, -0.02, note, fontsize=8, va="top", ha="left")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def compare_variants(files: list[str], variants: list[str], platform: Platform, out: Path, overrides: dict[str, Any],
                     seeds: list[int], imo_cap: float | None = None, executor: Any = None, restart: bool = False,
                     budget_label: str = "") -> Path:
    """Run every variant on every seed (resumable per run) and write comparison.md, comparison.json and
    comparison.png in ``out``."""
    results = [run_one(files, v, s, platform, out, overrides, imo_cap, executor, restart) for v in variants for s in seeds]
    summary = summarise(results, variants)
    lat = overrides.get("PLATFORM_SETTINGS", {}).get("LAT_E2E_REQ")
    cons = (f"L_req {lat:.4g} s" if lat is not None else "L_req from the settings") + \
        (f", IMO cap {imo_cap:.4g} % for IMO-capped variants" if imo_cap is not None else "") + f", C = {platform.ccap_f:g} F"
    header = (f"## Variants on {', '.join(files)} — seeds {', '.join(map(str, seeds))}\n\n"
              f"Constraints: {cons}." + (f" Budgets: {budget_label}." if budget_label else ""))
    text = render_table(summary, results, header)
    atomic_write_text(out / "comparison.md", text)
    atomic_write_text(out / "comparison.json", json.dumps({
        "format": "tinas.comparison", "version": 1, "files": files, "variants": variants, "constraints": cons,
        "budget_label": budget_label, **summary,
        "runs": [{"variant": r.variant, "seed": r.seed, "network": r.network, "error": r.error,
                  "solution": None if r.solution is None else {k: r.solution[k] for k in (
                      "accuracy_finetuned", "accuracy_supernet", "imo_percent", "latency_intermittent_s", "power_cycles",
                      "score", "width", "resolution", "choices")}} for r in results]}, indent=1, default=str))
    c = summary["claims"]
    note = (_claim_line("TiNAS's IMO below TiNAS-U's", c.get("imo_below_tinas_u"), "IMO", "%")
            + _claim_line("TiNAS's accuracy at or above TiNAS-M's", c.get("accuracy_at_or_above_tinas_m"),
                          "fine-tuned test accuracy", "%")).replace("**", "").replace("* ", "")
    plot(results, variants, out / "comparison.png", f"every evaluated network; {cons}", note.strip())
    print(text)
    return out / "comparison.md"
