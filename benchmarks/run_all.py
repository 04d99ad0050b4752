"""Run every benchmark (``benchmarks/bench_*.py``) and gather what this run measured.

Each benchmark writes ``benchmarks/results/<area>.json`` (figures) and ``<area>.md`` (a short summary)
into ``benchmarks/results/``, which git does not track: a run never rewrites a tracked file. This script
runs them in turn, then writes ``benchmarks/results/SUMMARY.md`` from the summaries that this run
produced (a summary whose figures were not rewritten by this run, or that has no figures file, is listed
as not measured, never gathered as current). ``BENCHMARKS.md`` is maintained by hand from these results
and states each figure's date, machine and command.

    .venv/bin/python benchmarks/run_all.py                # run all, then gather
    .venv/bin/python benchmarks/run_all.py cli_startup    # only these areas
    .venv/bin/python benchmarks/run_all.py --gather       # gather results written since --since
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def areas() -> list[str]:
    return [s.stem.removeprefix("bench_") for s in sorted((ROOT / "benchmarks").glob("bench_*.py"))]


def run_benchmarks(only: list[str]) -> dict[str, str]:
    status = {}
    for area in areas():
        if only and area not in only:
            continue
        script = ROOT / "benchmarks" / f"bench_{area}.py"
        print(f"== {script.name}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        status[area] = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        print(f"== {script.name}: {status[area]} in {time.perf_counter() - t0:.1f} s", flush=True)
    return status


def gather(since: float, status: dict[str, str]) -> Path:
    """SUMMARY.md from the summaries whose figures were written at or after ``since`` (epoch seconds)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    parts = ["# Benchmark results of one run (untracked; BENCHMARKS.md is the curated page)\n",
             f"Gathered {stamp} on {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
             f"load average {os.getloadavg()[0]:.1f}. Command: `python benchmarks/run_all.py`.\n"]
    stale = []
    for area in areas():
        md, js = RESULTS / f"{area}.md", RESULTS / f"{area}.json"
        if md.is_file() and js.is_file() and js.stat().st_mtime >= since and md.stat().st_mtime >= since:
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(js.stat().st_mtime))
            parts.append(md.read_text(encoding="utf-8").strip() + f"\n\n(measured {when})\n")
        else:
            stale.append(f"{area} ({status.get(area, 'not run')})")
    if stale:
        parts.append("Not measured by this run: " + ", ".join(stale) + ".\n")
    out = RESULTS / "SUMMARY.md"
    tmp = out.with_name(".SUMMARY.md.tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gather", action="store_true", help="do not run anything; gather results newer than --since")
    ap.add_argument("--since", type=float, default=None,
                    help="with --gather: epoch seconds; results older than this are not current (default: 24 h ago)")
    ap.add_argument("areas", nargs="*", help=f"run only these areas (of: {', '.join(areas())})")
    args = ap.parse_args()
    unknown = [a for a in args.areas if a not in areas()]
    if unknown:
        ap.error(f"unknown area(s) {', '.join(unknown)}; choose from {', '.join(areas())}")
    t0 = time.time()
    status: dict[str, str] = {}
    if not args.gather:
        status = run_benchmarks(args.areas)
    since = (args.since if args.since is not None else t0 - 86400) if args.gather else t0 - 1
    print(f"wrote {gather(since, status)}")
    if any(s != "ok" for s in status.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
