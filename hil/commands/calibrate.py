"""``hil calibrate MEASUREMENTS... --out NEW.toml``: fit the cost model, write a calibrated profile."""

from __future__ import annotations

import argparse


def fraction(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction strictly between 0 and 1")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit the cost model to measurements and write a new platform profile")
    p.add_argument("measurements", nargs="+", help="measurement tables from 'hil run' (.csv or .parquet)")
    p.add_argument("--platform", default=None, help="base profile (default: packaged)")
    p.add_argument("--out", required=True, help="calibrated profile (.toml)")
    p.add_argument("--report", default=None, help="also write the report into this folder")
    p.add_argument("--holdout", type=fraction, default=0.3,
                   help="fraction of the networks held out to judge the fit (0-1, default 0.3)")
    p.add_argument("--microbench", default=None, help="microbenchmark table from 'hil microbench' (primitive fits)")
    p.add_argument("--cost-model", choices=("tinas2025", "firmware"), default="tinas2025",
                   help="firmware: fit the per-primitive constants of the firmware model by bounded least squares "
                        "(leave-one-network-out report); tinas2025: the original two-scale-factor fit")
    p.add_argument("--min-layer-cycles", type=float, default=0.0,
                   help="firmware model: leave layers measured below this many cycles out (timer resolution)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.cost_model == "firmware":
        return run_firmware(args)
    from hil.calibration.calibrate import calibrate
    from hil.measurements import read_tables
    from tinas.platform import load_platform

    df = read_tables(args.measurements)
    prims = None
    if args.microbench:
        import pandas as pd

        from hil.microbench import fit_primitives, primitive_updates

        prims = primitive_updates(fit_primitives(pd.read_csv(args.microbench)))
    res = calibrate(df, load_platform(args.platform), args.holdout, run_ids=",".join(df["run_id"].astype(str).head(3)),
                    primitives=prims)
    res.platform.to_toml(args.out)
    print(f"{'scale factor':<14} {'value':>8}  applies to")
    what = {"cp": "vector-MAC and scalar-op cycles", "nvm": "DMA read/write cycles"}
    for k, v in res.cont_fit.as_dict().items():
        print(f"{k:<14} {v:>8.4f}  {what.get(k, '')}")
    print(f"{'reboot time':<14} {res.reboot_time_s * 1e3:>8.3f}  ms per power cycle")
    print(f"fit: {res.cont_fit.n} networks, relative RMSE {100 * res.cont_fit.rel_rmse:.2f} %, "
          f"condition number {res.cont_fit.condition_number:.3g}")
    for q, (b, a) in res.summaries.items():
        print(f"hold-out {q}: MAPE {b.mape_percent:.2f} % -> {a.mape_percent:.2f} %")
    if args.report:
        from hil.report.calibration_report import write_report

        print(f"report: {write_report(res, args.report)}")
    print(f"calibrated profile: {args.out}")
    return 0


def run_firmware(args: argparse.Namespace) -> int:
    import pandas as pd

    from hil.calibration.fw_calibrate import calibrate_lono
    from hil.commands.report import target_note
    from hil.measurements import read_layer_tables, read_tables
    from hil.report.fw_report import summary, worse_lines, write_fw_report
    from tinas.platform import load_platform

    runs = read_tables(args.measurements)
    layers = read_layer_tables(args.measurements)
    micro = pd.read_csv(args.microbench) if args.microbench else None
    res = calibrate_lono(runs, layers, load_platform(args.platform), micro,
                         run_ids=",".join(runs["run_id"].astype(str).head(3)), progress=True,
                         min_cycles=args.min_layer_cycles)
    res.final.platform.to_toml(args.out)
    s = summary(res)
    for line in worse_lines(s):
        print(line.strip("*"))
    print(f"calibrated profile: {args.out}")
    for q, ba in s.items():
        print(f"  held-out {q}: MAPE {ba['before']['mape_percent']:.3g} % -> {ba['after']['mape_percent']:.3g} %")
    if args.report:
        print(f"report: {write_fw_report(res, args.report, target_note(runs))}")
    return 0
