"""``hil microbench --target emulator --out mb.csv``: time the cost model's primitives and fit them."""

from __future__ import annotations

import argparse

from tinas.errors import TinasError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("microbench", help="microbenchmark NVM transfers, vector MAC and scalar ops on a target",
                       description="Time each primitive the cost model prices (DMA read/write per element and per "
                                   "command, vector MAC, scalar ops) at several sizes, fit lines, and print them "
                                   "beside the platform profile's constants.")
    p.add_argument("--target", default="emulator", choices=("emulator", "board"),
                   help="where to run the microbenchmark firmware (board: not supported yet)")
    p.add_argument("--platform", default=None, help="platform profile TOML to compare with (default: packaged)")
    p.add_argument("--out", required=True, help="measurement table to write (.csv), input of 'hil calibrate "
                                                "--microbench'")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hil.calibration.linear_fit import LinearFit
    from hil.microbench import fit_primitives, run_microbench_emulator
    from tinas.platform import load_platform
    from tinas.records import atomic_path

    if args.target != "emulator":
        raise TinasError("microbenchmarks on a board need the board target's results readout, not written yet")
    platform = load_platform(args.platform)
    df = run_microbench_emulator(platform)
    with atomic_path(args.out) as tmp:
        df.to_csv(tmp, index=False)
    print(f"{'primitive':<10} {'measured':>34} {'profile':>30}")
    for k, f in fit_primitives(df).items():
        if isinstance(f, LinearFit):
            keys = {"nvm_read": ("dma_read_cycles_per_element", "dma_read_cycles_per_command"),
                    "nvm_write": ("dma_write_cycles_per_element", "dma_write_cycles_per_command"),
                    "vmac": ("vmac_cycles_per_element", "vmac_cycles_per_call")}[k]
            print(f"{k:<10} {f.slope:>10.2f}/el + {f.intercept:>8.1f} (R² {f.r2:.4f}) "
                  f"{platform.const(keys[0]):>10.2f}/el + {platform.const(keys[1]):>8.1f}")
        else:
            print(f"{k:<10} {f:>22.1f} cycles/op {platform.const(f'op_{k}_cycles'):>20.1f}")
    print(f"{len(df)} timings of {df.iloc[:, 0].nunique() if len(df) else 0} primitives; measurements: {args.out}")
    return 0
