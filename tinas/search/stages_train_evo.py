"""Stages 2-4: supernet training on the chosen (width, resolution), the evolutionary search
(original-tinas.md, search §8) and fine-tuning, ending in the solution file. Every stage is resumable: the
supernet checkpoint, the per-generation search state and the solution are written atomically and
reused by a rerun with the same suffix."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from tinas.progress import tqdm

from tinas.cost import evaluate
from tinas.datasets import load_dataset
from tinas.errors import TinasError
from tinas.platform import Platform
from tinas.records import atomic_write_bytes, atomic_write_text
from tinas.search.evaluation import SubnetEval, evaluate_subnet, passes_stage2
from tinas.search.evolution import EvoState, evolve, generation_rng
from tinas.search.executor import Executor, LocalExecutor
from tinas.search.mutation import block_probabilities, crossover, mutate
from tinas.search.scores import score
from tinas.search.space_setup import search_lists, value_lists
from tinas.search_space import BlockChoice, SubnetConfig, to_network
from tinas.settings import Settings, parent_count
from tinas.solution import Solution
from tinas.supernet import ElasticSuperNet, SuperNet, make_supernet  # noqa: F401 (annotations)
from tinas.training.trainer import TrainConfig, path_accuracy, set_determinism, train

_log = logging.getLogger(__name__)


class Memo:
    """Each network is costed and scored once per search (keyed by its configuration)."""

    def __init__(self) -> None:
        self.cost: dict[str, SubnetEval] = {}
        self.acc: dict[str, float] = {}
        self.hits = 0
        self.misses = 0

    def get_cost(self, cfg: SubnetConfig, space, platform) -> SubnetEval:
        if cfg.key in self.cost:
            self.hits += 1
            return self.cost[cfg.key]
        self.misses += 1
        ev, _ = evaluate_subnet(cfg, space, platform)
        self.cost[cfg.key] = ev
        return ev

    @property
    def hit_rate(self) -> float:
        n = self.hits + self.misses
        return self.hits / n if n else 0.0


def _train_cfg(settings: Settings, finetune: bool) -> TrainConfig:
    d = settings.per_dataset
    return TrainConfig(
        epochs=int(d["FINETUNE_SUBNET_EPOCHS" if finetune else "TRAIN_SUPERNET_EPOCHS"]),
        batch_size=int(d["FINETUNE_SUBNET_BATCHSIZE" if finetune else "TRAIN_SUBNET_BATCHSIZE"]),
        lr=float(d["FINETUNE_OPT_LR" if finetune else "TRAIN_OPT_LR"]),
        seed=int(settings["NAS_SETTINGS_GENERAL"]["SEED"]),
        max_steps_per_epoch=int(d["TRAIN_MAX_STEPS_PER_EPOCH"]),
        optimizer=str(d["TRAIN_OPTIMIZER"]),
    )


def prepare_data(settings: Settings, resolution: int):
    """The dataset at ``resolution`` with a validation split carved from its training data: stages 2-4
    train on the rest, stage 3 selects on the validation split, and only the final report reads the
    test split."""
    seed = int(settings["NAS_SETTINGS_GENERAL"]["SEED"])
    data = load_dataset(settings.dataset, resolution, settings["NAS_SETTINGS_GENERAL"]["DATASET_DIR"] or None, seed=seed)
    return data.with_validation(float(settings["NAS_EVOSEARCH_SETTINGS"]["VALIDATION_FRACTION"]), seed)


def run_later_stages(settings: Settings, platform: Platform, out_dir: Path, stages: list[int],
                     executor: Executor | None = None) -> dict[str, Path]:
    suffix = settings.suffix
    ss_path = out_dir / f"{suffix}_ssoptlog.json"
    if not ss_path.is_file():
        raise TinasError(f"{ss_path}: stage 1 result not found; run stage 1 first (--stages 1,...)")
    best = json.loads(ss_path.read_text())["best_supernet_config"]
    if best is None:
        raise TinasError(f"{ss_path}: stage 1 found no (width, resolution) pair meeting the constraints; relax "
                         f"--latreq/--imcreq or use a larger capacitor")
    width, res = float(best[0]), int(best[1])
    space, _, choices = search_lists(settings)
    data = prepare_data(settings, res)
    set_determinism(int(settings["NAS_SETTINGS_GENERAL"]["SEED"]))  # the supernet's initial weights follow the seed
    model = make_supernet(settings["NAS_SETTINGS_GENERAL"]["SUPERNET_TYPE"], space, width, res, choices)
    ckpt = out_dir / f"{suffix}_supernet.pt"
    written: dict[str, Path] = {}
    if 2 in stages or ckpt.is_file():
        cfg = _train_cfg(settings, False)
        hist = train(model, data, cfg, checkpoint=ckpt, desc="stage 2: supernet")
        _log.info(f"stage 2: supernet (width {width}, resolution {res}) trained for {cfg.epochs} epochs on "
                  f"{len(data.y_train)} samples, final mean loss {hist['loss']:.3f}; checkpoint {ckpt}")
        written["supernet"] = ckpt
    evo_path = out_dir / f"{suffix}_evosearchlog.json"
    if 3 in stages:
        run_evolution(settings, platform, model, data, width, res, out_dir, executor)
        written["stage3"] = evo_path
    if 4 in stages:
        written["solution"] = finetune_and_write(settings, platform, model, data, out_dir)
    return written


_MODELS: dict[str, Any] = {}  # supernets rebuilt in this worker, by session token


def _score_candidate(ctx: dict[str, Any], path: list[int]) -> float:
    """Validation accuracy (%) of one path: runs in the driver, a pool worker or a Ray task, always on one
    torch thread, so every executor computes the same numbers."""
    import torch

    model = _MODELS.get(ctx["token"])
    if model is None:
        model = make_supernet(ctx["kind"], ctx["space"], ctx["width"], ctx["resolution"], ctx["choices"])
        model.load_state_dict(ctx["state"])
        _MODELS.clear()
        _MODELS[ctx["token"]] = model
    before = torch.get_num_threads()
    try:
        return path_accuracy(model, ctx["data"], path, ctx["steps"], 0.01, ctx["seed"], split="val", threads=1)
    finally:
        torch.set_num_threads(before)


def run_evolution(settings: Settings, platform: Platform, model: "SuperNet | ElasticSuperNet", data, width: float, res: int,
                  out_dir: Path, executor: Executor | None = None) -> dict:
    ev = settings["NAS_EVOSEARCH_SETTINGS"]
    st2 = settings["TINAS"]["STAGE2_SETTINGS"]
    plat = settings["PLATFORM_SETTINGS"]
    lat_req, imc_req = float(plat["LAT_E2E_REQ"]), float(plat["IMC_CONSTRAINT"])
    if not 10 <= lat_req <= 1e9:
        raise TinasError(f"stage 3 needs a latency requirement in [10, 1e9] s, got {lat_req}")
    space = model.space
    values = value_lists(settings)
    P, G = int(ev["POP_SIZE"]), int(ev["GENERATIONS"])
    mu, m = parent_count(settings), int(round(0.5 * P))
    seed = int(settings["NAS_SETTINGS_GENERAL"]["SEED"])
    memo = Memo()
    kind = str(ev["EVOSEARCH_SCORE_TYPE"])
    state_path = out_dir / f"{settings.suffix}_evostate.json"
    executor = executor if executor is not None else LocalExecutor(1)
    ctx = {"token": uuid.uuid4().hex, "kind": settings["NAS_SETTINGS_GENERAL"]["SUPERNET_TYPE"], "space": space,
           "width": width, "resolution": res, "choices": list(model.choices),
           "state": {k: v.detach().clone() for k, v in model.state_dict().items()}, "data": data,
           "steps": int(settings.per_dataset["ACC_ADAPT_STEPS"]), "seed": seed}
    evaluated: dict[str, dict[str, Any]] = {}

    def cost(cfg: SubnetConfig) -> SubnetEval:
        return memo.get_cost(cfg, space, platform)

    def feasible(cfg: SubnetConfig) -> bool:
        return bool(cfg.blocks) and all(b in model.choices for b in cfg.blocks) and passes_stage2(cost(cfg), lat_req, imc_req)

    def fitness(cfg: SubnetConfig) -> float:
        e = cost(cfg)
        return score(kind, memo.acc[cfg.key], e.imo_percent, e.latency_s, lat_req)

    with executor.session(ctx, start_method="spawn") as sess:
        def scores(cands) -> list[float]:
            todo = list({c.key: c for c in cands if c.key not in memo.acc}.values())
            if todo:
                accs = sess.map(_score_candidate, [model.indices(c) for c in todo], desc="stage 3: scoring", unit="net")
                for c, a in zip(todo, accs):
                    memo.acc[c.key] = float(a)
            for c in cands:
                if c.key not in evaluated:
                    e = cost(c)
                    evaluated[c.key] = {"config": _dump(c), "accuracy_val": memo.acc[c.key], "imo_percent": e.imo_percent,
                                        "latency_s": e.latency_s, "score": fitness(c), "generation": state.generation + 1}
            return [fitness(c) for c in cands]

        def save(st: EvoState) -> None:
            atomic_write_text(state_path, json.dumps({
                "generation": st.generation, "best_valids": st.best_valids, "best": _dump(st.best) if st.best else None,
                "population": [_dump(c) for c in st.population], "history": st.history, "acc": memo.acc,
                "evaluated": list(evaluated.values())}))

        if state_path.is_file():  # resume
            st = json.loads(state_path.read_text())
            memo.acc.update(st["acc"])
            evaluated.update({_cfg(e["config"]).key: e for e in st["evaluated"]})
            state = EvoState(st["generation"], [_cfg(d) for d in st["population"]], st["best_valids"],
                             _cfg(st["best"]) if st["best"] else None, st["history"])
        else:
            rng = generation_rng(seed, -1)
            init: list[SubnetConfig] = []
            for _ in tqdm(range(P), desc="stage 3: initial population", unit="net"):
                for _ in range(2000):
                    cfg = SubnetConfig(width=width, resolution=res, blocks=tuple(
                        model.choices[int(i)] for i in rng.integers(0, len(model.choices), space.num_blocks)))
                    if feasible(cfg):
                        init.append(cfg)
                        break
                else:
                    raise TinasError("stage 3: no feasible subnet found in 2000 random draws; relax the constraints")
            state = EvoState(-1, init, [-100.0], None)
            scores(init)
            save(state)

        def mutant(par: SubnetConfig, rng: np.random.Generator, best_valids: list[float]) -> SubnetConfig:
            probs = block_probabilities(st2["MUTATION_OPERATOR"], st2, float(ev["MUT_PROB"]), space.num_blocks, best_valids)
            return mutate(par, probs, values, rng)

        bar = tqdm(total=G, initial=state.generation + 1, desc="stage 3: generations", unit="gen")

        def on_gen(st: EvoState) -> None:
            st.history[-1]["best"] = st.best.key if st.best else None
            save(st)
            bar.update(1)

        state = evolve(state, G, mu, m, P, seed, scores, mutant, crossover, feasible, on_gen,
                       stop_when_stable=int(ev["EARLY_STOP_STABLE_GENERATIONS"]))
        bar.close()
    best = state.best
    if best is None:
        raise TinasError("stage 3: no generation ran (GENERATIONS must be ≥ 1)")
    e = cost(best)
    final_pop = [{"config": _dump(c), "accuracy": memo.acc[c.key], "imo_percent": cost(c).imo_percent,
                  "latency_s": cost(c).latency_s, "score": fitness(c)} for c in state.population]
    log = {"best_valids": state.best_valids, "best_info": {"subnet_choice_per_blk": [b.as_list() for b in best.blocks],
           "supernet config": [width, res], "lat_intpow": e.latency_s, "accuracy": memo.acc[best.key],
           "accuracy_split": "validation", "imo": e.imo_percent, "score": fitness(best)}, "history": state.history,
           "final_population": final_pop, "evaluated": list(evaluated.values()),
           "memo": {"cost_hits": memo.hits, "cost_misses": memo.misses, "hit_rate": memo.hit_rate,
                    "networks_costed": len(memo.cost), "networks_scored": len(memo.acc)}}
    atomic_write_text(out_dir / f"{settings.suffix}_evosearchlog.json", json.dumps(log, indent=1))
    _log.info(f"stage 3: best {best.key}: validation accuracy {memo.acc[best.key]:.2f} %, IMO {e.imo_percent:.2f} %, "
              f"L_int {e.latency_s:.2f} s; memo hit rate {memo.hit_rate:.2%}")
    return log


def _dump(c: SubnetConfig) -> dict:
    return {"width": c.width, "resolution": c.resolution, "blocks": [b.as_list() for b in c.blocks]}


def _cfg(d: dict) -> SubnetConfig:
    return SubnetConfig(width=d["width"], resolution=d["resolution"], blocks=tuple(BlockChoice.from_list(b) for b in d["blocks"]))


def finetune_and_write(settings: Settings, platform: Platform, model: "SuperNet | ElasticSuperNet", data, out_dir: Path) -> Path:
    suffix = settings.suffix
    evo = out_dir / f"{suffix}_evosearchlog.json"
    if not evo.is_file():
        raise TinasError(f"{evo}: stage 3 result not found; run stage 3 first")
    info = json.loads(evo.read_text())["best_info"]
    width, res = info["supernet config"]
    cfg = SubnetConfig(width=width, resolution=res, blocks=tuple(BlockChoice.from_list(b) for b in info["subnet_choice_per_blk"]))
    path = model.indices(cfg)
    train(model, data, _train_cfg(settings, True), checkpoint=out_dir / f"{suffix}_finetuned.pt", fixed_path=path,
          desc="stage 4: fine-tune")
    from tinas.training.trainer import evaluate as eval_acc, recalibrate_bn

    recalibrate_bn(model, data, path)
    acc = eval_acc(model, data, path)
    weights = model.export_weights(cfg)
    buf = io.BytesIO()
    np.savez(buf, **weights)
    wpath = out_dir / f"{suffix}_weights.npz"
    atomic_write_bytes(wpath, buf.getvalue())
    net = to_network(cfg, model.space)
    cost = evaluate(net, platform)
    from tinas.quant.agreement import q15_agreement

    agr = q15_agreement(net, list(cost.designs), weights, data.x_train[:64], data.x_test, data.y_test)
    _log.info(f"stage 4: Q15 vs float top-1 agreement {agr['agreement']:.2%} on {int(agr['n'])} test inputs "
          f"(Q15 accuracy {agr['accuracy_q15']:.2%})")
    sol = Solution(
        settings=settings.snapshot(), dataset=settings.dataset, choices=[b.as_list() for b in cfg.blocks],
        width=width, resolution=res, network=net, designs=list(cost.designs), accuracy_supernet=float(info["accuracy"]),
        accuracy_finetuned=acc, latency_intermittent_s=cost.latency_intermittent_s,
        latency_continuous_s=cost.latency_continuous_s, active_time_s=cost.active_time_s,
        recharge_time_s=cost.recharge_time_s, imo_percent=cost.imo_percent, power_cycles=cost.power_cycles,
        score=float(info["score"]), weights_path=wpath.name, weights_sha256=hashlib.sha256(buf.getvalue()).hexdigest(),
        platform=platform.name, platform_sha256=platform.sha256, ccap_f=platform.ccap_f,
        q15_agreement=agr["agreement"], accuracy_q15=100.0 * agr["accuracy_q15"],
    )
    spath = out_dir / f"{suffix}_solution.json"
    sol.to_file(spath)
    _log.info(f"stage 4: fine-tuned accuracy {acc:.2f} %; solution {spath}")
    return spath
