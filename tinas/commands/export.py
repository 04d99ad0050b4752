"""``tinas export SOLUTION.json --out DIR``: the model artifact for the firmware.

``tinas export PUBLISHED.json --random-weights SEED --out DIR`` exports one of the original TiNAS's
published solution files (shapes and designs, no weights) with seeded random He-scaled weights."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from tinas.datasets import load_dataset
from tinas.errors import TinasError
from tinas.export import export_model
from tinas.platform import load_platform
from tinas.solution import Solution


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a solution as the firmware's model artifact")
    p.add_argument("solution")
    p.add_argument("--out", required=True)
    p.add_argument("--platform", default=None)
    p.add_argument("--nvm-limit", type=int, default=None,
                   help="refuse models needing more NVM bytes (default: the 1 MiB external FRAM)")
    p.add_argument("--random-weights", type=int, default=None, metavar="SEED",
                   help="export a published solution (no weights) with seeded random He-scaled weights")
    p.add_argument("--proactive", action="store_true",
                   help="one preservation batch per power cycle: commit, then shut down (the original's regime)")
    p.add_argument("--no-proactive", action="store_true", help="run until brown-out (the default)")
    p.set_defaults(func=run)


def export_solution(solution_path: str | Path, out: str | Path, platform_path: str | None = None,
                    nvm_limit: int | None = None, proactive: bool = False):
    sp = Path(solution_path)
    try:
        sol = Solution.from_file(sp)
    except TinasError as exc:
        raise TinasError(f"{exc} (only solutions written by 'tinas search' carry weights; the original's "
                         f"published solutions have none: export one with --random-weights SEED)") from None
    wpath = sp.parent / sol.weights_path
    if not wpath.is_file():
        raise TinasError(f"{sp}: weights file {wpath} is missing")
    blob = wpath.read_bytes()
    if hashlib.sha256(blob).hexdigest() != sol.weights_sha256:
        raise TinasError(f"{wpath}: sha256 differs from the solution's record (weights changed or truncated)")
    with np.load(wpath) as z:
        weights = {k: z[k] for k in z.files}
    data = load_dataset(sol.dataset, sol.resolution, sol.settings["NAS_SETTINGS_GENERAL"]["DATASET_DIR"] or None)
    platform = load_platform(platform_path).with_capacitor(sol.ccap_f) if platform_path else \
        load_platform().with_capacitor(sol.ccap_f)
    return export_model(sol.network, sol.designs, weights, data.x_train[:64], out, golden_input=data.x_test[0],
                        platform=platform, proactive=proactive, name=sp.stem, source=str(sp),
                        **({} if nvm_limit is None else {"nvm_limit_bytes": nvm_limit}))


def run(args: argparse.Namespace) -> int:
    if args.proactive and args.no_proactive:
        raise TinasError("--proactive and --no-proactive exclude each other")
    if args.random_weights is not None:
        from tinas.export.published import export_published

        platform = load_platform(args.platform) if args.platform else load_platform()
        rec = export_published(args.solution, args.random_weights, args.out, platform=platform,
                               proactive=args.proactive, nvm_limit_bytes=args.nvm_limit)
    else:
        rec = export_solution(args.solution, args.out, args.platform, args.nvm_limit, args.proactive)
    print(f"artifact {args.out}: {len(rec.firmware_layers)} firmware layers, blob {rec.blob_size} B, NVM {rec.nvm_size} B")
    return 0
