"""Run every benchmark (``benchmarks/bench_*.py``) and gather their summaries into BENCHMARKS.md.

Each benchmark writes ``benchmarks/results/<area>.json`` (figures) and ``<area>.md`` (a short summary);
this script runs them in turn and rewrites BENCHMARKS.md from the summaries, so the document always
states what the last run measured.

    .venv/bin/python benchmarks/run_all.py            # run all, then gather
    .venv/bin/python benchmarks/run_all.py --gather   # only gather existing results
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def run_benchmarks(only: list[str]) -> None:
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        area = script.stem.removeprefix("bench_")
        if only and area not in only:
            continue
        print(f"== {script.name}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT)
        status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        print(f"== {script.name}: {status} in {time.perf_counter() - t0:.1f} s", flush=True)


def gather() -> Path:
    parts = [
        "# Benchmarks\n",
        "Speed and memory figures of TiNAS-HIL, measured by `benchmarks/bench_*.py` and gathered by\n"
        "`.venv/bin/python benchmarks/run_all.py` (raw figures in `benchmarks/results/*.json`).\n",
        f"Machine of the last gather: {platform.platform()}, Python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} CPUs.\n",
    ]
    for md in sorted(RESULTS.glob("*.md")):
        parts.append(md.read_text(encoding="utf-8").strip() + "\n")
    out = ROOT / "BENCHMARKS.md"
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gather", action="store_true", help="only gather existing results")
    ap.add_argument("areas", nargs="*", help="run only these areas (e.g. cost_model emulator)")
    args = ap.parse_args()
    if not args.gather:
        run_benchmarks(args.areas)
    print(f"wrote {gather()}")


if __name__ == "__main__":
    main()
