"""Start-up cost of ``tinas cost`` on a published network: the whole process, as a user waits for it.

Runs ``python -m tinas.cli cost NET`` ``--runs`` times (default 7) and reports the median wall time
(goal <= 0.5 s on the 2-core machine) and the median CPU time (user + system of the child; less
sensitive to other load on a shared machine), plus which heavy modules the command imported (matplotlib,
torch, scipy, pandas must not load for ``tinas cost``).

    .venv/bin/python benchmarks/bench_cli_startup.py [--runs 7]

Writes ``benchmarks/results/cli_startup.json`` and ``cli_startup.md`` (untracked; see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NET = ROOT / "tests" / "data" / "tinas-solutions" / "TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json"
HEAVY = ("matplotlib", "torch", "scipy", "pandas", "h5py", "sklearn")
GOAL_S = 0.5


def one_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, child CPU s) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(env: dict[str, str]) -> list[str]:
    """Top-level packages among HEAVY that ``tinas cost`` imports (python -X importtime)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "tinas.cli", "cost", str(NET)], cwd=ROOT, env=env,
                       capture_output=True, text=True, check=True)
    names = {line.split("|")[-1].strip().split(".")[0] for line in r.stderr.splitlines() if line.startswith("import time:")}
    return sorted(n for n in HEAVY if n in names)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="whole-process runs to take the median of (>= 5)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="results folder")
    a = ap.parse_args()
    if a.runs < 5:
        ap.error("--runs must be at least 5")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tinas.cli", "cost", str(NET)]
    one_run(cmd, env)  # warm the page cache and __pycache__ once; not counted
    samples = [one_run(cmd, env) for _ in range(a.runs)]
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    res = {
        "format": "tinas-hil/bench-cli-startup", "version": 1,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "load_average_at_start": os.getloadavg()[0],
        "command": f"python -m tinas.cli cost {NET.relative_to(ROOT)}",
        "runs": a.runs, "median_wall_s": statistics.median(walls), "min_wall_s": min(walls),
        "median_cpu_s": statistics.median(cpus), "goal_wall_s": GOAL_S, "heavy_imports": heavy_imports(env),
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    ok = res["median_wall_s"] <= GOAL_S
    md = (f"## CLI start-up (`benchmarks/bench_cli_startup.py`)\n\n"
          f"`tinas cost` on `{NET.name}`, whole process, median of {a.runs} runs; {res['date']}, "
          f"{res['machine']}, load average {res['load_average_at_start']:.1f} at the start.\n\n"
          f"| measure | value |\n|---|---|\n"
          f"| median wall (goal <= {GOAL_S} s) | {res['median_wall_s']:.3f} s ({'met' if ok else 'not met'}) |\n"
          f"| fastest run, wall | {res['min_wall_s']:.3f} s |\n"
          f"| median CPU (user + system) | {res['median_cpu_s']:.3f} s |\n"
          f"| heavy packages imported | {', '.join(res['heavy_imports']) or 'none'} |\n")
    for name, text in (("cli_startup.json", json.dumps(res, indent=1)), ("cli_startup.md", md)):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text)
        tmp.replace(out / name)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
