"""Harness speed: emulated MSP430 cycles per wall second, wall time of a whole small-network inference
under a trace, energy-model events per second, host failure-sweep rate, firmware code size per port."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hil.build import BuildError, build_firmware  # noqa: E402
from hil.drivers.host_process import HostDevice, build_host_firmware  # noqa: E402
from hil.power.energy_model import EnergyModel  # noqa: E402
from hil.power.profile import load_profile  # noqa: E402
from hil.power.simple import ContinuousPower  # noqa: E402
from hil.sweep import failure_sweep  # noqa: E402
from hil.targets.emulator import EmulatorTarget  # noqa: E402
from tests.fw_models import IMAGE_BLOCKS, make_artifact  # noqa: E402
from tinas.platform import load_platform  # noqa: E402


def _emulator_figures(art) -> dict:
    """The mspdebug emulator's figures; empty once its port is gone (the FR5994 twin replaces it)."""
    res: dict = {}
    try:
        with EmulatorTarget() as t:
            t.load(art.directory)
            r = t.run(ContinuousPower())
            res["emulator_cycles_per_wall_s"] = (r.cpu_cycles) / r.wall_time_s
            res["emulator_continuous_inference_wall_s"] = r.wall_time_s
            res["emulator_inference_cpu_cycles"] = r.cpu_cycles
            platform = load_platform().with_capacitor(0.00047)
            r2 = t.run(EnergyModel.from_platform(load_profile("thevenin_tinas"), platform))
            res["emulator_trace_inference_wall_s"] = r2.wall_time_s
            res["emulator_trace_power_cycles"] = r2.power_cycles
            res["emulator_trace_emulated_latency_s"] = r2.latency_s
    except BuildError as exc:
        print(f"emulator figures skipped: {exc}", file=sys.stderr)
    return res


def main() -> None:
    d = Path(tempfile.mkdtemp())
    res: dict = {}
    art = make_artifact(d / "p", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS, proactive=False)
    res |= _emulator_figures(art)
    m = EnergyModel.from_platform(load_profile("rf_fading"), load_platform().with_capacitor(0.0001))
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < 2.0:
        b = m.power_on()
        m.power_off(b // 2)
        n += 2
    res["energy_model_events_per_s"] = n / (time.perf_counter() - t0)
    m = EnergyModel.from_platform(load_profile("solar_june"), load_platform().with_capacitor(0.005))
    t0 = time.perf_counter()
    while m.t_s < 400.0:
        m.power_off(m.power_on() // 3)
    res["energy_model_wall_s_for_400_s_schedule"] = time.perf_counter() - t0
    dev = HostDevice(build_host_firmware(), art, d / "nvm.bin")
    t0 = time.perf_counter()
    rep = failure_sweep(dev, budget=300)
    res["host_sweep_points_per_s"] = rep.points_tried / (time.perf_counter() - t0)
    res["host_sweep_total_nvm_writes"] = rep.total_writes
    for name, flags in (("fr5994", ()), ("fr5994_no_preservation", ("-DRT_NO_PRESERVATION",))):
        b = build_firmware("fr5994", flags=flags)
        res[f"code_bytes_{name}"] = b.text_bytes + b.data_bytes
    host = ROOT / "firmware" / "build" / "host" / "tinas_fw"
    res["host_executable_bytes"] = host.stat().st_size
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "harness.json").write_text(json.dumps(res, indent=1))
    (out / "harness.md").write_text(
        "## Harness (`benchmarks/bench_harness.py`)\n\n| measure | value |\n|---|---|\n"
        + (f"| emulated MSP430 CPU cycles per wall second (goal ≥ 16 M) | {res['emulator_cycles_per_wall_s'] / 1e6:.1f} M |\n"
           f"| small DIGITS network ({res['emulator_inference_cpu_cycles'] / 1e6:.1f} M CPU cycles), continuous power, wall | {res['emulator_continuous_inference_wall_s']:.2f} s |\n"
           f"| same network under the Thevenin source, 470 µF: wall (power cycles, emulated latency) | {res['emulator_trace_inference_wall_s']:.2f} s ({res['emulator_trace_power_cycles']}, {res['emulator_trace_emulated_latency_s']:.2f} s) |\n"
           if "emulator_cycles_per_wall_s" in res else "")
        + f"| energy-model events per second | {res['energy_model_events_per_s']:,.0f} |\n"
        f"| energy model, wall time for a 400 s solar schedule | {res['energy_model_wall_s_for_400_s_schedule']:.3f} s |\n"
        f"| host failure sweep, failure points per second ({res['host_sweep_total_nvm_writes']} NVM writes in a run) | {res['host_sweep_points_per_s']:.0f} |\n"
        f"| fr5994 firmware code+const: default / RT_NO_PRESERVATION | {res['code_bytes_fr5994']} B / {res['code_bytes_fr5994_no_preservation']} B |\n"
    )
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
