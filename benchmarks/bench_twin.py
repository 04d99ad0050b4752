"""FR5994 twin speed: emulated MCLK cycles per second on whole inferences of the fr5994 ELF (goal
>= 50 M per wall second), and one published CIFAR-10 network end to end under intermittent power (goal
<= 3 min wall).

    .venv/bin/python benchmarks/bench_twin.py [--seed 1] [--solution NAME] [--firmware-dir DIR]

Writes benchmarks/results/twin.json and twin.md. Cycles per wall second depend on the machine's load;
the CPU-time figure (process time spent inside twin_run) is the load-independent one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hil.twin.machine as twin_machine  # noqa: E402
from hil.power.energy_model import EnergyModel  # noqa: E402
from hil.power.profile import load_profile  # noqa: E402
from hil.power.simple import ContinuousPower  # noqa: E402
from hil.targets.emulator import EmulatorTarget  # noqa: E402
from tests.fw_models import IMAGE_BLOCKS, make_artifact  # noqa: E402
from tinas.export.published import export_published  # noqa: E402
from tinas.platform import load_platform  # noqa: E402

SOLUTIONS = ROOT / "tests" / "data" / "tinas-solutions"
DEFAULT_SOLUTION = "TiNAS_CIFAR10-LAT-perc25-CCAP0.005_best_solution_info.json"


class _Timer:
    """Wall and process time spent inside Machine.run (the C interpreter), summed over calls."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.cycles = 0
        self._orig = twin_machine.Machine.run

    def __enter__(self) -> _Timer:
        timer, orig = self, self._orig

        def run(self_m, *a, **k):
            w, c = time.perf_counter(), time.process_time()
            out = orig(self_m, *a, **k)
            timer.wall += time.perf_counter() - w
            timer.cpu += time.process_time() - c
            timer.cycles += out.cycles
            return out
        twin_machine.Machine.run = run
        return self

    def __exit__(self, *exc: object) -> None:
        twin_machine.Machine.run = self._orig


def _measure(target: EmulatorTarget, power, timeout_s: float = 900.0) -> dict:
    with _Timer() as tm:
        r = target.run(power, timeout_s=timeout_s)
    return {"output_correct": r.output_correct, "cycles": r.cpu_cycles, "power_cycles": r.power_cycles,
            "wall_s": round(r.wall_time_s, 3), "twin_wall_s": round(tm.wall, 3), "twin_cpu_s": round(tm.cpu, 3),
            "cycles_per_wall_s": round(r.cpu_cycles / r.wall_time_s), "cycles_per_twin_cpu_s": round(tm.cycles / max(tm.cpu, 1e-9)),
            "emulated_active_s": round(r.active_time_s, 4), "emulated_off_s": round(r.off_time_s, 4),
            "energy_j": r.energy_j}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--solution", default=DEFAULT_SOLUTION)
    ap.add_argument("--firmware-dir", default=None, help="build the fr5994 ELF from this firmware tree instead")
    ap.add_argument("--firmware-label", default=None, help="what --firmware-dir is, for the results")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    if args.firmware_dir:
        import hil.build as build
        build.FIRMWARE_DIR = Path(args.firmware_dir).resolve()
        build.BUILD_ROOT = build.FIRMWARE_DIR / "build"
    d = Path(tempfile.mkdtemp())
    res: dict = {"format": "tinas-hil/bench-twin", "version": 1, "seed": args.seed,
                 "machine": f"{pyplatform.platform()}, {os.cpu_count()} CPUs",
                 "load_average_at_start": os.getloadavg()[0],
                 "command": "benchmarks/bench_twin.py " + " ".join(sys.argv[1:]),
                 "firmware_dir": args.firmware_label or args.firmware_dir or "firmware"}
    small = make_artifact(d / "small", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS, seed=args.seed,
                          proactive=False)
    with EmulatorTarget(seed=args.seed) as t:
        t.load(small.directory)
        res["small_digits_continuous"] = _measure(t, ContinuousPower())
    platform = load_platform()
    export_published(str(SOLUTIONS / args.solution), args.seed, str(d / "cifar"), platform=platform)
    with EmulatorTarget(seed=args.seed) as t:
        t.load(d / "cifar")
        res["published"] = args.solution
        res["published_continuous"] = _measure(t, ContinuousPower())
        model = EnergyModel.from_platform(load_profile("thevenin_tinas"), platform)
        res["published_intermittent_thevenin"] = _measure(t, model)
        res["published_intermittent_thevenin"]["ccap_f"] = platform.ccap_f
        res["published_intermittent_thevenin"]["ledger_balance_error_j"] = model.balance_error_j()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "twin.json.tmp"
    tmp.write_text(json.dumps(res, indent=2))
    tmp.rename(out / "twin.json")
    s, c, i = res["small_digits_continuous"], res["published_continuous"], res["published_intermittent_thevenin"]
    md = "\n".join([
        "## FR5994 twin (`benchmarks/bench_twin.py`)", "",
        f"The fr5994 ELF on the FR5994 twin (hil/twin), seed {args.seed}, firmware tree `{res['firmware_dir']}`, "
        f"load average {res['load_average_at_start']:.1f} at the start on this 2-core machine.", "",
        "| measure | value |", "|---|---|",
        f"| small DIGITS network, continuous: emulated cycles per wall second (goal >= 50 M) | {s['cycles_per_wall_s'] / 1e6:.1f} M ({s['cycles'] / 1e6:.1f} M cycles, {s['wall_s']:.2f} s) |",
        f"| {args.solution.split('_best')[0]}, continuous: cycles per wall second | {c['cycles_per_wall_s'] / 1e6:.1f} M ({c['cycles'] / 1e6:.0f} M cycles, {c['wall_s']:.1f} s wall, bit-exact: {c['output_correct']}) |",
        f"| same, cycles per CPU second inside the twin (load-independent) | {c['cycles_per_twin_cpu_s'] / 1e6:.0f} M |",
        f"| same under the Thevenin TiNAS source, {i['ccap_f'] * 1e3:g} mF: wall (goal <= 180 s) | {i['wall_s']:.1f} s ({i['power_cycles']} power cycles, emulated {i['emulated_active_s'] + i['emulated_off_s']:.1f} s, bit-exact: {i['output_correct']}) |",
        "",
    ])
    tmp = out / "twin.md.tmp"
    tmp.write_text(md)
    tmp.rename(out / "twin.md")
    print(md)


if __name__ == "__main__":
    main()
