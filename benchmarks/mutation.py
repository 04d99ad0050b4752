"""Mutation score of the core Python modules (mutmut 3), run outside CI.

Each group mutates a few modules and runs only the test files that concern them. Every group works in a
fresh copy of the repository's tracked files under a temporary folder, so the checkout is never touched,
and under a wall-clock budget (a group cut short reports the mutants it finished).

    pip install -e ".[mutation]"          # mutmut
    python benchmarks/mutation.py                     # all groups, about 30 min on 1 core
    python benchmarks/mutation.py --groups q15 search --budget-s 120

Writes benchmarks/results/mutation.json (format tinas.bench.mutation, version 1) and mutation.md,
atomically: the score per group, and every surviving mutant with its diff.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
SHOWN = 60  # surviving mutants listed per group in the markdown (all are in the json)


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    budget_s: float  # default wall-clock budget of this group
    deselect: str = ""  # pytest -k expression of tests too slow to repeat per mutant


GROUPS = (
    # q15 is checked by its own hand cases and the C probe; the quantiser by the per-layer float checks on the
    # smallest network, the hand-computed bound and the export tests (the firmware-running tests take ~10 s
    # each and the two larger networks add nothing a mutant could hide from the small one)
    Group("q15", ("tinas/quant/q15.py",), ("tests/test_q15.py",), 120),
    Group("serial_protocol", ("hil/serial_protocol.py",), ("tests/test_serial_protocol.py",), 150),
    Group("search_operators", ("tinas/search/mutation.py", "tinas/search/scores.py"),
          ("tests/test_search_logic.py",), 120),
    Group("energy_model", ("hil/power/energy_model.py",),
          ("tests/test_energy_model.py", "tests/test_energy_model_hand.py"), 240),
    Group("calibration", ("hil/calibration/linear_fit.py", "hil/calibration/metrics.py"),
          ("tests/test_calibration_fit.py",), 120),
    # the cost model: its formulas against the spec reference (all types, orders, S, two profiles), the network
    # records and capacitor edges by hand, and the published values (the CLI error tests add nothing here)
    Group("cost_model", ("tinas/cost/capacitor.py", "tinas/cost/primitives.py", "tinas/cost/tiling.py",
                         "tinas/cost/layer_models.py", "tinas/cost/network_cost.py"),
          ("tests/test_cost_layer_reference.py", "tests/test_cost_network_records.py",
           "tests/test_cost_candidates_capacitor.py", "tests/test_cost_reference.py", "tests/test_cost_solutions.py"),
          900),
    Group("quantiser", ("tinas/quant/quantize.py", "tinas/quant/ops.py", "tinas/quant/graph.py"),
          ("tests/test_quant_accuracy.py", "tests/test_export.py"), 600,
          "not firmware_output and not image-2d and not series-1d"),
)


@dataclass
class GroupResult:
    name: str
    modules: list[str]
    tests: list[str]
    budget_s: float
    wall_s: float
    complete: bool  # False: the budget ran out; counts cover the mutants finished
    counts: dict[str, int]
    score_percent: float  # killed (incl. timeouts) / (killed + survived)
    survivors: list[dict[str, str]] = field(default_factory=list)


def _copy_tracked(dst: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for f in (x.decode() for x in files if x):
        src = ROOT / f
        if src.is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / f)


def _also_copy(work: Path) -> list[str]:
    """Everything but the packages' Python files: mutmut copies only those into its mutants/ folder, and
    the tests read data beside them (platform profiles, settings, power profiles, firmware sources)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    out = set()
    for f in files:
        top = f.split("/")[0]
        if top in ("tinas", "hil"):
            if not f.endswith(".py"):
                out.add(str(Path(f).parent) + "/")
        elif top not in ("benchmarks", "docs", ".ci", "scripts", "README.md", "BENCHMARKS.md", "pyproject.toml"):
            out.add(top + ("/" if "/" in f else ""))
    return sorted(out)


def _config(g: Group, work: Path) -> str:
    q = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"  # noqa: E731
    return ("\n[tool.mutmut]\n"
            'source_paths = ["tinas/", "hil/"]\n'
            f"only_mutate = {q(g.modules)}\n"
            f"also_copy = {q(_also_copy(work))}\n"
            f"pytest_add_cli_args_test_selection = {q(g.tests)}\n"
            f"pytest_add_cli_args = {q(['-p', 'no:cacheprovider', '-p', 'no:xdist', '-q'] + (['-k', g.deselect] if g.deselect else []))}\n"
            # fork: each mutant's tests run in a child of the process that ran the unmutated suite once (the
            # cheapest isolation; forkserver re-imports per mutant and was 10x slower on the shared 2-core
            # machine); FRESH_CACHES below keeps what that run cached from hiding a mutant. Timeouts are
            # reported in their own column.
            'process_isolation = "fork"\n')


# Added to the copy's conftest.py: the cost model memoises layer results and primitive costs; a cache
# filled by the unmutated code in mutmut's parent process would answer for a mutant without running it.
FRESH_CACHES = """

import pytest as _pytest


@_pytest.fixture(autouse=True)
def _fresh_caches_for_mutation_testing():
    import tinas.cost.explorer as _e
    import tinas.cost.primitives as _p

    _e.LAYER_CACHE.clear()
    for _f in vars(_p).values():
        if hasattr(_f, "cache_clear"):
            _f.cache_clear()
    yield
"""


def _mutmut(work: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(work), "TINAS_TORCH_THREADS": "1"}
    env.pop("CI", None)
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=timeout)


def run_group(g: Group, budget_s: float, children: int) -> GroupResult:
    with tempfile.TemporaryDirectory(prefix=f"mutation-{g.name}-") as tmp:
        work = Path(tmp)
        _copy_tracked(work)
        with open(work / "pyproject.toml", "a") as f:
            f.write(_config(g, work))
        with open(work / "conftest.py", "a") as f:
            f.write(FRESH_CACHES)
        t0 = time.perf_counter()
        complete = True
        try:
            _mutmut(work, "run", "--max-children", str(children), timeout=budget_s)
        except subprocess.TimeoutExpired:
            complete = False
        wall = time.perf_counter() - t0
        _mutmut(work, "export-cicd-stats", timeout=120)
        stats_file = work / "mutants" / "mutmut-cicd-stats.json"
        counts = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        listing = _mutmut(work, "results", timeout=120).stdout
        survivors = []
        for name in re.findall(r"^\s*(\S+): survived$", listing, flags=re.M):
            diff = _mutmut(work, "show", name, timeout=60).stdout
            survivors.append({"mutant": name, "diff": "\n".join(diff.splitlines()[1:])})
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    decided = killed + counts.get("survived", 0)
    return GroupResult(g.name, list(g.modules), list(g.tests), budget_s, round(wall, 1), complete, counts,
                       round(100.0 * killed / decided, 1) if decided else 0.0, survivors)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def markdown(results: list[GroupResult], meta: dict) -> str:
    lines = ["## Mutation score of the core Python modules (`benchmarks/mutation.py`)", "",
             f"mutmut {meta['mutmut']}, {meta['machine']}, command `{meta['command']}`, "
             f"{meta['children']} worker(s), total wall {meta['wall_s']:.0f} s.", "",
             "| group | modules | tests run | mutants | killed | survived | timeout | score | wall | complete |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        c = r.counts
        lines.append(f"| {r.name} | {', '.join(Path(m).name for m in r.modules)} | "
                     f"{', '.join(Path(t).name for t in r.tests)} | {c.get('total', 0)} | {c.get('killed', 0)} | "
                     f"{c.get('survived', 0)} | {c.get('timeout', 0)} | {r.score_percent:.1f} % | {r.wall_s:.0f} s | "
                     f"{'yes' if r.complete else 'no (budget)'} |")
    k = sum(r.counts.get("killed", 0) + r.counts.get("timeout", 0) for r in results)
    s = sum(r.counts.get("survived", 0) for r in results)
    lines += ["", f"Overall: {k} killed, {s} survived: score {100.0 * k / max(1, k + s):.1f} %.", ""]
    for r in results:
        if not r.survivors:
            continue
        lines += [f"<details><summary>{r.name}: {len(r.survivors)} surviving mutants</summary>", "", "```diff"]
        for sv in r.survivors[:SHOWN]:
            change = [ln for ln in sv["diff"].splitlines() if ln[:1] in "+-" and not ln.startswith(("---", "+++"))]
            lines.append(f"# {sv['mutant'].split('.')[-1]}")
            lines += [ln[:160] for ln in change]
        if len(r.survivors) > SHOWN:
            lines.append(f"# ... and {len(r.survivors) - SHOWN} more in mutation.json")
        lines += ["```", "", "</details>", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--groups", nargs="*", default=[g.name for g in GROUPS], help="groups to run")
    ap.add_argument("--budget-s", type=float, default=None, help="wall-clock budget per group (default: per group)")
    ap.add_argument("--children", type=int, default=1, help="parallel mutant workers (default 1)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for mutation.json and mutation.md")
    a = ap.parse_args(argv)
    unknown = set(a.groups) - {g.name for g in GROUPS}
    if unknown:
        print(f"unknown group(s) {sorted(unknown)}; groups are {[g.name for g in GROUPS]}", file=sys.stderr)
        return 2
    try:
        import mutmut  # noqa: F401
    except ImportError:
        print("mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    from importlib.metadata import version

    from tqdm import tqdm

    t0 = time.perf_counter()
    results = []
    chosen = [g for g in GROUPS if g.name in a.groups]
    for g in tqdm(chosen, desc="mutation groups", unit="group", mininterval=5.0, file=sys.stderr):
        r = run_group(g, a.budget_s or g.budget_s, a.children)
        tqdm.write(f"{g.name}: {r.counts.get('killed', 0)} killed, {r.counts.get('survived', 0)} survived, "
                   f"score {r.score_percent:.1f} % in {r.wall_s:.0f} s", file=sys.stderr)
        results.append(r)
    meta = {"format": "tinas.bench.mutation", "version": 1, "mutmut": version("mutmut"),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
            "command": "python benchmarks/mutation.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "children": a.children, "wall_s": round(time.perf_counter() - t0, 1)}
    a.out.mkdir(parents=True, exist_ok=True)
    # groups not run this time keep their earlier result (each group states its own command in the json)
    rows = {r.name: asdict(r) | {"command": meta["command"]} for r in results}
    old = a.out / "mutation.json"
    if old.exists():
        prev = json.loads(old.read_text())
        if prev.get("format") == meta["format"] and prev.get("version") == meta["version"]:
            for row in prev["groups"]:
                rows.setdefault(row["name"], row)
    order = [g.name for g in GROUPS]
    merged = [rows[n] for n in order if n in rows]
    _atomic_write(old, json.dumps({**meta, "groups": merged}, indent=1))
    text = markdown([GroupResult(**{k: v for k, v in row.items() if k != "command"}) for row in merged], meta)
    _atomic_write(a.out / "mutation.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
