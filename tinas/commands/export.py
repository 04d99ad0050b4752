"""``tinas export SOLUTION.json --out DIR``: the model artifact for the firmware."""

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
    p.add_argument("--nvm-limit", type=int, default=None, help="refuse models needing more NVM bytes (emulator: 36736)")
    p.add_argument("--no-proactive", action="store_true", help="run until brown-out instead of shutting down after each batch")
    p.set_defaults(func=run)


def export_solution(solution_path: str | Path, out: str | Path, platform_path: str | None = None,
                    nvm_limit: int | None = None, proactive: bool = True):
    sp = Path(solution_path)
    try:
        sol = Solution.from_file(sp)
    except TinasError as exc:
        raise TinasError(f"{exc} (only solutions written by 'tinas search' carry weights; the original's "
                         f"published solutions have none)") from None
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
                        platform=platform, proactive=proactive, name=sp.stem, source=str(sp), nvm_limit_bytes=nvm_limit)


def run(args: argparse.Namespace) -> int:
    rec = export_solution(args.solution, args.out, args.platform, args.nvm_limit, not args.no_proactive)
    print(f"artifact {args.out}: {len(rec.firmware_layers)} firmware layers, blob {rec.blob_size} B, NVM {rec.nvm_size} B")
    return 0
