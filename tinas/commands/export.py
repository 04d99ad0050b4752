"""``tinas export SOLUTION.json --out DIR``: the model artifact for the firmware.

``tinas export PUBLISHED.json --random-weights SEED --out DIR`` exports one of the original TiNAS's
published solution files (shapes and designs, no weights) with seeded random He-scaled weights.
``tinas export --space SEARCH --count N --seed S --out DIR``: N networks of a searched space (the solution,
then other subnets of stage 1), inputs for calibration outside the main job (which calls the same code).

A model larger than the MSP430 targets' NVM (the 1 MiB external FRAM) is still exported, with a warning
that only the host target can run it; ``--nvm-limit`` turns the size into a refusal."""

from __future__ import annotations

import argparse
import hashlib
import logging
from pathlib import Path

from tinas.errors import TinasError

log = logging.getLogger(__name__)
EXT_FRAM_BYTES = 1 << 20  # the emulator's and the board's external FRAM (tinas.export.writer.EXT_FRAM_BYTES)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export solution(s) as the firmware's model artifact(s)",
                       description="One solution: --out is the artifact folder. Several solutions, or "
                                   "--space SEARCH (the solution plus more subnets of that search, with the "
                                   "fine-tuned supernet's weights): --out is a folder of artifacts, enough to "
                                   "calibrate on (hil calibrate needs >= 4 networks). A published solution of the "
                                   "original (no weights) exports with --random-weights SEED.")
    p.add_argument("solution", nargs="*", help="solution file(s) written by 'tinas search' or published by the original")
    p.add_argument("--space", "--from-search", dest="from_search", default=None, metavar="SEARCH",
                   help="export --count networks of a searched space: the search's --out folder, its "
                        "*_solution.json or its stage-1 log *_ssoptlog.json")
    p.add_argument("--suffix", default=None, help="with --space DIR: the search's suffix (if DIR holds several)")
    p.add_argument("--count", "--networks", dest="networks", type=int, default=6,
                   help="with --space: how many networks, the solution first (default 6)")
    p.add_argument("--seed", type=int, default=123, help="with --space: seed of the order in which the other "
                                                         "subnets of stage 1 are taken (default 123)")
    p.add_argument("--out", required=True, help="artifact folder (one solution) or folder of artifact folders")
    p.add_argument("--platform", default=None, help="platform profile TOML (default: packaged MSP430FR5994)")
    p.add_argument("--nvm-limit", type=int, default=None, metavar="BYTES",
                   help="refuse models needing more NVM bytes (default: export, and warn above the 1 MiB "
                        "external FRAM of the emulator and fr5994 targets)")
    p.add_argument("--random-weights", type=int, default=None, metavar="SEED",
                   help="export a published solution (no weights) with seeded random He-scaled weights")
    p.add_argument("--proactive", action="store_true",
                   help="one preservation batch per power cycle: commit, then shut down (the original's regime)")
    p.add_argument("--no-proactive", action="store_true", help="run until brown-out (the default)")
    p.set_defaults(func=run)


def export_solution(solution_path: str | Path, out: str | Path, platform_path: str | None = None,
                    nvm_limit: int | None = None, proactive: bool = False):
    import numpy as np

    from tinas.datasets import load_dataset
    from tinas.export import export_model
    from tinas.platform import load_platform
    from tinas.solution import Solution

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
                        nvm_limit_bytes=nvm_limit)


def report_artifact(path: str | Path, rec) -> None:  # noqa: ANN001 - an Artifact record
    """One line per artifact, and a warning when it does not fit the MSP430 targets' memory."""
    print(f"artifact {path}: {len(rec.firmware_layers)} firmware layers, blob {rec.blob_size} B, NVM {rec.nvm_size} B")
    if rec.nvm_size > EXT_FRAM_BYTES:
        log.warning("%s needs %d B of NVM; the emulator and fr5994 targets hold %d B (1 MiB external FRAM): "
                    "it runs on the host target only", path, rec.nvm_size, EXT_FRAM_BYTES)


def run(args: argparse.Namespace) -> int:
    if args.proactive and args.no_proactive:
        raise TinasError("--proactive and --no-proactive exclude each other")
    proactive = bool(args.proactive)
    if args.random_weights is not None:
        from tinas.export.published import export_published
        from tinas.platform import load_platform

        if len(args.solution) != 1 or args.from_search:
            raise TinasError("--random-weights exports exactly one published solution file")
        platform = load_platform(args.platform) if args.platform else load_platform()
        rec = export_published(args.solution[0], args.random_weights, args.out, platform=platform,
                               proactive=proactive, nvm_limit_bytes=args.nvm_limit if args.nvm_limit is not None else 1 << 62)  # no limit: warn
        report_artifact(args.out, rec)
        return 0
    if args.from_search:
        if args.solution:
            raise TinasError("give solution files or --space, not both")
        if args.networks < 1:
            raise TinasError(f"--count must be at least 1, got {args.networks}")
        from tinas.export.artifact import load_artifact
        from tinas.export.from_search import export_search_networks, resolve_space
        from tinas.platform import load_platform

        space_dir, suffix = resolve_space(args.from_search)
        arts = export_search_networks(space_dir, args.out, args.networks, load_platform(args.platform),
                                      suffix=args.suffix or suffix, seed=args.seed, nvm_limit_bytes=args.nvm_limit,
                                      proactive=proactive)
        for a in arts:
            report_artifact(a, load_artifact(a).record)
        print(f"{len(arts)} artifacts in {args.out}")
        return 0 if arts else 2
    if not args.solution:
        raise TinasError("give a solution file (or several), or --space SEARCH")
    if len(args.solution) == 1:
        rec = export_solution(args.solution[0], args.out, args.platform, args.nvm_limit, proactive)
        report_artifact(args.out, rec)
        return 0
    stems = [Path(s).stem.removesuffix("_solution") for s in args.solution]
    if len(set(stems)) != len(stems):
        raise TinasError("two solution files have the same name; export them separately")
    for sol, stem in zip(args.solution, stems):
        dest = Path(args.out) / stem
        rec = export_solution(sol, dest, args.platform, args.nvm_limit, proactive)
        report_artifact(dest, rec)
    print(f"{len(stems)} artifacts in {args.out}")
    return 0
