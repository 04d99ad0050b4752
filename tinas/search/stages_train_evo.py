"""Stages 2-4: supernet training on the chosen (width, resolution), the evolutionary search
(tinas-search.md §8) and fine-tuning, ending in the solution file. Every stage is resumable: the
supernet checkpoint, the per-generation search state and the solution are written atomically and
reused by a rerun with the same suffix."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path

import numpy as np
from tinas.progress import tqdm

from tinas.cost import evaluate
from tinas.datasets import load_dataset
from tinas.errors import TinasError
from tinas.platform import Platform
from tinas.records import atomic_write_bytes, atomic_write_text
from tinas.search.evaluation import SubnetEval, evaluate_subnet, passes_stage2
from tinas.search.mutation import block_probabilities, crossover, mutate
from tinas.search.scores import score
from tinas.search.space_setup import search_lists, value_lists
from tinas.search_space import BlockChoice, SubnetConfig, to_network
from tinas.settings import Settings
from tinas.solution import Solution
from tinas.supernet import ElasticSuperNet, SuperNet, make_supernet  # noqa: F401 (annotations)
from tinas.training.trainer import TrainConfig, path_accuracy, train

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


def run_later_stages(settings: Settings, platform: Platform, out_dir: Path, stages: list[int]) -> dict[str, Path]:
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
    data = load_dataset(settings.dataset, res, settings["NAS_SETTINGS_GENERAL"]["DATASET_DIR"] or None,
                        seed=int(settings["NAS_SETTINGS_GENERAL"]["SEED"]))
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
        run_evolution(settings, platform, model, data, width, res, out_dir)
        written["stage3"] = evo_path
    if 4 in stages:
        written["solution"] = finetune_and_write(settings, platform, model, data, out_dir)
    return written


def run_evolution(settings: Settings, platform: Platform, model: "SuperNet | ElasticSuperNet", data, width: float, res: int,
                  out_dir: Path) -> dict:
    ev = settings["NAS_EVOSEARCH_SETTINGS"]
    st2 = settings["TINAS"]["STAGE2_SETTINGS"]
    plat = settings["PLATFORM_SETTINGS"]
    lat_req, imc_req = float(plat["LAT_E2E_REQ"]), float(plat["IMC_CONSTRAINT"])
    if not 10 <= lat_req <= 1e9:
        raise TinasError(f"stage 3 needs a latency requirement in [10, 1e9] s, got {lat_req}")
    space = model.space
    values = value_lists(settings)
    P, G = int(ev["POP_SIZE"]), int(ev["GENERATIONS"])
    mu, m = int(round(ev["PARENT_RATIO"] * P)), int(round(0.5 * P))
    mu = max(mu, 1)
    seed = int(settings["NAS_SETTINGS_GENERAL"]["SEED"])
    rng = np.random.default_rng(seed)
    memo = Memo()
    steps = int(settings.per_dataset["ACC_ADAPT_STEPS"])
    kind = str(ev["EVOSEARCH_SCORE_TYPE"])
    state_path = out_dir / f"{settings.suffix}_evostate.json"

    def accuracy(cfg: SubnetConfig) -> float:
        if cfg.key not in memo.acc:
            memo.acc[cfg.key] = path_accuracy(model, data, model.indices(cfg), steps, 0.01, seed)
        return memo.acc[cfg.key]

    def feasible_random() -> SubnetConfig:
        for _ in range(2000):
            cfg = SubnetConfig(width=width, resolution=res, blocks=tuple(
                model.choices[int(i)] for i in rng.integers(0, len(model.choices), space.num_blocks)))
            if passes_stage2(memo.get_cost(cfg, space, platform), lat_req, imc_req):
                return cfg
        raise TinasError("stage 3: no feasible subnet found in 2000 random draws; relax the constraints")

    def fitness(cfg: SubnetConfig) -> float:
        e = memo.get_cost(cfg, space, platform)
        return score(kind, accuracy(cfg), e.imo_percent, e.latency_s, lat_req)

    def feasible_child(make) -> SubnetConfig:
        for _ in range(500):
            c = make()
            if c.blocks and all(b in model.choices for b in c.blocks) and \
                    passes_stage2(memo.get_cost(c, space, platform), lat_req, imc_req):
                return c
        return make_parent()

    if state_path.is_file():  # resume
        st = json.loads(state_path.read_text())
        population = [_cfg(d) for d in st["population"]]
        best_valids, start = st["best_valids"], st["generation"] + 1
        memo.acc.update(st["acc"])
        rng = np.random.default_rng([seed, start])
    else:
        population = [feasible_random() for _ in tqdm(range(P), desc="stage 3: initial population", unit="net")]
        best_valids, start = [-100.0], 0
    make_parent = lambda: population[int(rng.integers(0, len(population)))]  # noqa: E731
    stop_after = int(ev["EARLY_STOP_STABLE_GENERATIONS"])
    history = []
    for g in tqdm(range(start, G), desc="stage 3: generations", unit="gen"):
        population.sort(key=fitness, reverse=True)
        parents = population[:mu]
        top = fitness(parents[0])
        best_valids.append(top if top > best_valids[-1] else best_valids[-1])
        history.append({"generation": g, "best_score": best_valids[-1], "best": parents[0].key})
        probs = block_probabilities(st2["MUTATION_OPERATOR"], st2, float(ev["MUT_PROB"]), space.num_blocks, best_valids)
        children = []
        for _ in range(m):
            par = parents[int(rng.integers(0, mu))]
            children.append(feasible_child(lambda: mutate(par, probs, values, rng)))
        for _ in range(P - m):
            a, b = parents[int(rng.integers(0, mu))], parents[int(rng.integers(0, mu))]
            children.append(feasible_child(lambda: crossover(a, b, rng)))
        population = parents + children
        atomic_write_text(state_path, json.dumps({"generation": g, "best_valids": best_valids,
                                                  "population": [_dump(c) for c in population],
                                                  "acc": memo.acc}))
        if stop_after and len(best_valids) > stop_after and len(set(best_valids[-stop_after:])) == 1:
            _log.info(f"stage 3: best score stable for {stop_after} generations, stopping at generation {g}")
            break
    population.sort(key=fitness, reverse=True)
    best = population[0]
    e = memo.get_cost(best, space, platform)
    final_pop = [{"config": _dump(c), "accuracy": accuracy(c), "imo_percent": memo.get_cost(c, space, platform).imo_percent,
                  "latency_s": memo.get_cost(c, space, platform).latency_s, "score": fitness(c)} for c in population]
    log = {"best_valids": best_valids, "best_info": {"subnet_choice_per_blk": [b.as_list() for b in best.blocks],
           "supernet config": [width, res], "lat_intpow": e.latency_s, "accuracy": accuracy(best),
           "imo": e.imo_percent, "score": fitness(best)}, "history": history, "final_population": final_pop,
           "memo": {"cost_hits": memo.hits, "cost_misses": memo.misses, "hit_rate": memo.hit_rate,
                    "networks_costed": len(memo.cost)}}
    atomic_write_text(out_dir / f"{settings.suffix}_evosearchlog.json", json.dumps(log, indent=1))
    _log.info(f"stage 3: best {best.key}: accuracy {accuracy(best):.2f} %, IMO {e.imo_percent:.2f} %, "
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
