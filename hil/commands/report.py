"""``hil report MEASUREMENTS... [--platform P] [--json]``: the firmware cost model against measurements.

Leave-one-network-out before/after errors per primitive, layer type, layer, network and profile, with PNG
plots (``--out``); ``--json`` prints the summary of continuous latency, active time, power cycles and IMO.
"""

from __future__ import annotations

import argparse
import json
import sys

from hil.calibration.fw_calibrate import calibrate_lono
from hil.measurements import read_layer_tables, read_tables
from hil.report.fw_report import summary, worse_lines, write_fw_report
from tinas.platform import load_platform


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="firmware cost model vs measurements, before and after calibration "
                                      "(leave-one-network-out)")
    p.add_argument("measurements", nargs="+", help="run tables (their .layers tables are read beside them)")
    p.add_argument("--platform", default=None, help="base profile with a [firmware] table (default: packaged)")
    p.add_argument("--microbench", default=None, help="microbenchmark table (hil microbench) to add to the fit")
    p.add_argument("--out", default="runs/report", help="folder for report.md, plots and tables")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (and still write the report)")
    p.add_argument("--min-layer-cycles", type=float, default=0.0,
                   help="leave layers measured below this many cycles out (a target's timer resolution)")
    p.set_defaults(func=run)


def target_note(runs) -> str:  # noqa: ANN001
    kinds = sorted(runs["target_kind"].astype(str).unique())
    notes = {"host": "host target: the runtime built natively; 'cycles' are wall time at 16 MHz, not MSP430 cycles, "
                     "and the host has no energy model (it restarts only at proactive shutdowns)",
             "emulator": "emulator target: the FR5994 twin's cycles",
             "board": "board target: MSP430FR5994 LaunchPad, Timer cycles"}
    return "Measured on the " + "; ".join(notes.get(k, k) for k in kinds) + "."


def run(args: argparse.Namespace) -> int:
    runs = read_tables(args.measurements)
    layers = read_layer_tables(args.measurements)
    micro = None
    if args.microbench:
        import pandas as pd

        micro = pd.read_csv(args.microbench)
    res = calibrate_lono(runs, layers, load_platform(args.platform), micro,
                         run_ids=",".join(runs["run_id"].astype(str).head(3)), progress=True,
                         min_cycles=args.min_layer_cycles)
    path = write_fw_report(res, args.out, target_note(runs))
    s = summary(res)
    if args.json:
        print(json.dumps(s, indent=1))
    else:
        for line in worse_lines(s):
            print(line.strip("*"))
        print(f"report: {path}")
    print(f"report written to {path}", file=sys.stderr)
    return 0
