"""Export several networks of one search: the solution and more subnets of the searched space, with
the fine-tuned supernet's weights, so a user can calibrate on ≥ 4 networks with ``tinas export
--from-search DIR`` (the main job does the same through :func:`export_search_networks`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from tinas.errors import TinasError
from tinas.platform import Platform

log = logging.getLogger(__name__)


def _settings_of(search_dir: Path, suffix: str):
    from tinas.settings import Settings

    p = search_dir / f"{suffix}_settings.json"
    if not p.is_file():
        raise TinasError(f"{p}: not found - is {search_dir} the --out folder of 'tinas search --suffix {suffix}'?")
    try:
        return Settings(json.loads(p.read_text()), [str(p)])
    except json.JSONDecodeError as exc:
        raise TinasError(f"{p}: not valid JSON ({exc.msg})") from None


def find_suffix(search_dir: Path) -> str:
    """The suffix of the only search in ``search_dir`` (``*_solution.json``)."""
    sols = sorted(search_dir.glob("*_solution.json"))
    if len(sols) != 1:
        raise TinasError(f"{search_dir}: {len(sols)} solutions found; give --suffix")
    return sols[0].name[: -len("_solution.json")]


def resolve_space(path: str | Path) -> tuple[Path, str | None]:
    """The search folder and suffix behind ``path``: a search's --out folder, its solution
    (``S_solution.json``) or its stage-1 log (``S_ssoptlog.json``)."""
    p = Path(path)
    if p.is_dir():
        return p, None
    for tail in ("_solution.json", "_ssoptlog.json"):
        if p.name.endswith(tail) and p.is_file():
            return p.parent, p.name[: -len(tail)]
    if not p.exists():
        raise TinasError(f"{p}: not found (give a search's --out folder, its *_solution.json or *_ssoptlog.json)")
    raise TinasError(f"{p}: not a search folder, *_solution.json or *_ssoptlog.json")


def export_search_networks(search_dir: str | Path, out_dir: str | Path, networks: int, platform: Platform,
                           suffix: str | None = None, seed: int = 123, nvm_limit_bytes: int | None = None,
                           proactive: bool = True) -> list[Path]:
    """The solution first, then subnets from stage 1's pool at the solution's (width, resolution), in a
    seeded random order, skipping infeasible or unexportable ones; artifacts ``out_dir/netNN``."""
    import torch

    from tinas.cost import evaluate
    from tinas.datasets import load_dataset
    from tinas.export import export_model
    from tinas.errors import ExportError
    from tinas.search.space_setup import search_lists
    from tinas.search_space import BlockChoice, SubnetConfig, to_network
    from tinas.supernet import make_supernet

    d = Path(search_dir)
    suffix = suffix or find_suffix(d)
    settings = _settings_of(d, suffix)
    for name in (f"{suffix}_solution.json", f"{suffix}_finetuned.pt", f"{suffix}_ssoptlog.json"):
        if not (d / name).is_file():
            raise TinasError(f"{d / name}: missing (needs a search run through stage 4)")
    sol = json.loads((d / f"{suffix}_solution.json").read_text())
    space, _, choices = search_lists(settings)
    w, r = sol["width"], sol["resolution"]
    model = make_supernet(settings["NAS_SETTINGS_GENERAL"]["SUPERNET_TYPE"], space, w, r, choices)
    model.load_state_dict(torch.load(d / f"{suffix}_finetuned.pt", weights_only=False)["model"])
    data = load_dataset(settings.dataset, r, settings["NAS_SETTINGS_GENERAL"]["DATASET_DIR"] or None)
    ss = json.loads((d / f"{suffix}_ssoptlog.json").read_text())
    cands = [SubnetConfig(width=w, resolution=r, blocks=tuple(BlockChoice.from_list(b) for b in sol["choices"]))]
    pool = [x for x in ss.get("all_subnet_results", []) if x["net_choices"] == [w, r]]
    rng = np.random.default_rng(seed)
    for i in rng.permutation(len(pool)):
        cfg = SubnetConfig(width=w, resolution=r,
                           blocks=tuple(BlockChoice.from_list(b) for b in pool[i]["subnet_choice_per_blk"]))
        if all(b in choices for b in cfg.blocks) and cfg not in cands:
            cands.append(cfg)
    out = Path(out_dir)
    arts: list[Path] = []
    for cfg in cands:
        if len(arts) >= networks:
            break
        net = to_network(cfg, space)
        cost = evaluate(net, platform)
        if not cost.feasible:
            continue
        name = f"net{len(arts):02d}"
        try:
            export_model(net, cost.designs, model.export_weights(cfg), data.x_train[:64], out / name,
                         golden_input=data.x_test[0], platform=platform, name=name, source=cfg.key,
                         nvm_limit_bytes=nvm_limit_bytes, proactive=proactive)
        except ExportError as exc:
            log.info("skipped %s: %s", cfg.key, exc)
            continue
        arts.append(out / name)
    if len(arts) < networks:
        log.warning("%d of the %d requested networks could be exported (stage 1 pool at (%s, %s) had %d subnets)",
                    len(arts), networks, w, r, len(pool))
    return arts
