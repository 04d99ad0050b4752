"""Firmware cost model calibration, leave-one-network-out, on the host or the emulator (FR5994 twin) target.

Per draw (seed): N networks of the DIGITS (2-D) and MOTION (1-D) search spaces with random weights, each
with either the firmware model's own designs or random legal tilings (ragged edges, S up to 3); every
network runs on the host target under 3 power profiles (intermittent with proactive shutdown, and
continuous). Then ``calibrate_lono`` and the report. The host target's cycles are wall time at 16 MHz,
not MSP430 cycles, and it has no energy model; the emulator target runs the fr5994 ELF on the FR5994 twin
(MSP430 cycles, metered energy). ``--brownout``: no proactive shutdown on 470 µF (the exporter's default
regime). A draw whose ``measurements.csv`` exists is only re-calibrated (a model change needs no re-run).

    PYTHONPATH=. python benchmarks/bench_calibration.py --seeds 1,2,3 --networks 10 --out runs/bench-calibration
    PYTHONPATH=. python benchmarks/bench_calibration.py --seeds 1,2,3 --networks 10 --target emulator --brownout \
        --out runs/bench-calibration-twin-brownout
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hil.calibration.fw_calibrate import calibrate_lono  # noqa: E402
from hil.commands.report import target_note  # noqa: E402
from hil.measurements import LayerRow, read_layer_tables, read_tables, write_layer_table, write_table  # noqa: E402
from hil.report.fw_report import layer_errors, summary, write_fw_report  # noqa: E402
from hil.runner import RunSpec, run_matrix  # noqa: E402
from tinas.cost import evaluate  # noqa: E402
from tinas.cost.fw_counts import Tilings, firmware_layers, fits_firmware  # noqa: E402
from tinas.export import export_model  # noqa: E402
from tinas.network import LayerDesign  # noqa: E402
from tinas.platform import load_platform  # noqa: E402
from tinas.errors import ExportError  # noqa: E402
from tinas.quant.synthetic import random_inputs, random_weights  # noqa: E402
from tinas.search_space import get_space, to_network  # noqa: E402
from tinas.search_space.choices import block_choice_list, sample_subnet  # noqa: E402

PROFILES = ("thevenin_tinas", "square_wave", "solar_june")
HOST_FLOOR = 16.0  # cycles = 1 µs of host wall time: a host layer timed below this is clock noise
ORDERS = ("reuse_I", "reuse_W", "reuse_O")


def random_designs(net, rng: np.random.Generator) -> list[LayerDesign]:  # noqa: ANN001
    """Random tilings the firmware's buffers take (any size up to the dimension: ragged edge tiles)."""
    fl_of = {i: fl for fl, i in firmware_layers(net)}
    out: list[LayerDesign] = []
    for i, l in enumerate(net.layers):
        if l.type == "BN":
            out.append(out[-1])
            continue
        fl = fl_of[i]
        rows, cols = (fl.in_h, fl.in_w) if fl.kind == "GAP" else (fl.out_h, fl.out_w)
        for _ in range(2000):
            d = LayerDesign(Tr=int(rng.integers(1, rows + 1)), Tc=int(rng.integers(1, cols + 1)),
                            Tm=int(rng.integers(1, fl.out_c + 1)), Tn=int(rng.integers(1, fl.in_c + 1)),
                            order=ORDERS[int(rng.integers(0, 3))], S=int(rng.integers(1, 4)))
            if fits_firmware(fl, Tilings.of([d]))[0]:
                break
        out.append(d)
    return out


def draw(seed: int, n: int, out: Path, nvm_limit: int | None = None, ccap_f: float | None = None) -> list[str]:
    """``ccap_f``: only the firmware model's own designs, explored for that capacitor (brown-out draws)."""
    rng = np.random.default_rng(seed)
    fw = load_platform().with_cost_model("firmware").with_capacitor(ccap_f)
    arts = []
    while len(arts) < n:
        ds = ("DIGITS", "MOTION")[len(arts) % 2]
        space = get_space(ds)
        width = float(rng.choice(space.width_multipliers))
        res = int(min(space.input_resolutions))
        cfg = sample_subnet(space, rng, width, res, block_choice_list(space))
        net = to_network(cfg, space)
        if ccap_f is not None or rng.random() < 0.5:
            cost = evaluate(net, fw)
            if not cost.feasible:
                continue
            designs = list(cost.designs)
        else:
            designs = random_designs(net, rng)
        h, w = (res, 1) if space.use_1d else (res, res)
        d = out / "artifacts" / f"s{seed}-net{len(arts):02d}"
        try:
            export_model(net, designs, random_weights(net, rng), random_inputs((h, w, space.input_channels), 8, rng), d,
                         platform=load_platform(), name=f"s{seed}-net{len(arts):02d}", source=cfg.key, proactive=True,
                         nvm_limit_bytes=nvm_limit)
        except ExportError:
            continue  # too large for the target's NVM window: draw another
        arts.append(str(d))
    return arts


def run_draw(seed: int, n: int, out: Path, workers: int, target: str = "host", brownout: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    table = out / "measurements.csv"
    if not table.is_file():
        limit = None
        if target == "emulator":
            from hil.targets.emulator import NVM_SIZE

            limit = NVM_SIZE
        arts = draw(seed, n, out, limit, 0.00047 if brownout else None)
        if brownout:  # no proactive shutdown, a small capacitor: the device runs until it browns out
            specs = [RunSpec(target, a, p, 0.00047, seed=seed, proactive=False) for a in arts for p in PROFILES]
        else:
            specs = [RunSpec(target, a, p, 0.005, seed=seed) for a in arts for p in PROFILES]
        rows, tls = run_matrix(specs, workers=workers)
        write_table(rows, table)
        write_layer_table([LayerRow(**x) for tl in tls for x in tl["layers"]], table)
    runs, layers = read_tables([table]), read_layer_tables([table])
    res = calibrate_lono(runs, layers, load_platform(), run_ids=f"seed {seed}", progress=True,
                         min_cycles=HOST_FLOOR if target == "host" else 0.0)
    write_fw_report(res, out / "report", target_note(runs), title=f"Firmware cost model on the {target} target, draw {seed}")
    s = summary(res)
    lt = layer_errors(res)
    s["per_layer"] = {"median_after_percent": float(lt["ape_after"].median()), "p90_after_percent": float(lt["ape_after"].quantile(0.9)),
                      "median_before_percent": float(lt["ape_before"].median()),
                      "median_tinas2025_percent": float(lt["ape_tinas2025"].median()), "n": int(len(lt))}
    return s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--networks", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="runs/bench-calibration")
    ap.add_argument("--target", choices=("host", "emulator"), default="host")
    ap.add_argument("--brownout", action="store_true",
                    help="intermittent runs without proactive shutdown on small capacitors (emulator: brown-outs)")
    a = ap.parse_args()
    results = {}
    for seed in [int(x) for x in a.seeds.split(",")]:
        results[seed] = run_draw(seed, a.networks, Path(a.out) / f"seed{seed}", a.workers, a.target, a.brownout)
        print(json.dumps({"seed": seed, **results[seed]}), flush=True)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "summary.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
