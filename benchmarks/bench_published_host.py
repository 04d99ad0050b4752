"""The original TiNAS's 12 published solutions exported with seeded random weights (tinas export
PUBLISHED.json --random-weights SEED) and run on the host port: bit-exactness against the Python
reference, continuous power and one batch per power cycle, with NVM size and wall times.

    PYTHONPATH=. python benchmarks/bench_published_host.py [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tqdm import tqdm  # noqa: E402

from hil.drivers.host_process import HostDevice, build_host_firmware  # noqa: E402
from tinas.export import load_artifact  # noqa: E402
from tinas.export.published import export_published  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    exe = build_host_firmware()
    d = Path(tempfile.mkdtemp())
    rows = []
    files = sorted((ROOT / "tests" / "data" / "tinas-solutions").glob("*.json"))
    for p in tqdm(files, desc="published solutions", mininterval=5.0):
        name = p.name.replace("_best_solution_info.json", "")
        t0 = time.perf_counter()
        export_published(p, args.seed, d / name)
        t_export = time.perf_counter() - t0
        export_published(p, args.seed, d / (name + "-p"), proactive=True)
        art, pro = load_artifact(d / name), load_artifact(d / (name + "-p"))
        s = HostDevice(exe, art, d / "nvm").run()
        sp = HostDevice(exe, pro, d / "nvm").run(yield_mode=True)
        rows.append({"solution": name, "firmware_layers": len(art.record.firmware_layers),
                     "nvm_bytes": art.record.nvm_size, "export_s": t_export,
                     "continuous_bit_exact": s.correct, "continuous_wall_s": s.wall_s,
                     "proactive_bit_exact": sp.correct, "proactive_power_cycles": sp.restarts + 1,
                     "proactive_wall_s": sp.wall_s})
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "published_host.json").write_text(json.dumps({"seed": args.seed, "rows": rows}, indent=1))
    lines = ["## Published TiNAS shapes on the host port (`benchmarks/bench_published_host.py`)", "",
             f"Seed {args.seed}; 2-core Debian 12 VM; bit-exact = the host port's output equals the Python "
             "reference's golden output. Power cycles: one committed batch per power cycle (PROACTIVE).", "",
             "| solution | FW layers | NVM B | export s | continuous bit-exact (wall s) | one batch/cycle bit-exact (power cycles, wall s) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['solution']} | {r['firmware_layers']} | {r['nvm_bytes']:,} | {r['export_s']:.1f} | "
                     f"{'yes' if r['continuous_bit_exact'] else 'NO'} ({r['continuous_wall_s']:.2f}) | "
                     f"{'yes' if r['proactive_bit_exact'] else 'NO'} ({r['proactive_power_cycles']:,}, {r['proactive_wall_s']:.1f}) |")
    (out / "published_host.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
