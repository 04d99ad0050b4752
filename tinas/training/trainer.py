"""Single-path uniform supernet training (the original's rule), fine-tuning of one path, evaluation.

Checkpoints are written atomically after every epoch and a rerun resumes from the last one, so an
interrupted training continues where it stopped and ends with the same weights as an uninterrupted
one under the same seed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn
from tinas.progress import tqdm

from tinas.datasets.base import Dataset
from tinas.records import atomic_path
from tinas.supernet.model import SuperNet


@dataclass
class TrainConfig:
    epochs: int
    batch_size: int
    lr: float
    momentum: float = 0.9
    weight_decay: float = 5e-5
    seed: int = 123
    max_steps_per_epoch: int = 0  # 0 = whole epoch
    optimizer: str = "adam"  # "sgd" is the original's; at CPU-sized budgets Adam converges far faster


def set_determinism(seed: int, threads: int | None = None) -> None:
    torch.manual_seed(seed)
    torch.set_num_threads(threads or int(os.environ.get("TINAS_TORCH_THREADS", "1")))
    torch.use_deterministic_algorithms(True, warn_only=True)


def evaluate(model: SuperNet, data: Dataset, path: Sequence[int], batch: int = 512, split: str = "test") -> float:
    """Top-1 accuracy (%) of one path on a split ("test", "val" or "train")."""
    if split == "val":
        if data.x_val is None:
            raise ValueError("the dataset has no validation split (Dataset.with_validation)")
        x, y = data.x_val, data.y_val
    elif split == "test":
        x, y = data.x_test, data.y_test
    else:
        x, y = data.x_train, data.y_train
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            logits = model(model.to_input(x[i: i + batch]), path)
            correct += int((logits.argmax(1).numpy() == y[i: i + batch]).sum())
    return 100.0 * correct / len(y)


def recalibrate_bn(model: SuperNet, data: Dataset, path: Sequence[int], batches: int = 8, batch: int = 128) -> None:
    """Re-estimate BN statistics for one path (the shared statistics mix all paths)."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for i in range(batches):
            xb = data.x_train[(i * batch) % len(data.y_train):][:batch]
            model(model.to_input(xb), path)
    model.eval()


def train(model: SuperNet, data: Dataset, cfg: TrainConfig, checkpoint: Path | None = None,
          fixed_path: Sequence[int] | None = None, desc: str = "supernet",
          stop_after_epochs: int | None = None) -> dict[str, float]:
    """Cosine schedule; a uniform random path per step (or ``fixed_path`` for fine-tuning).
    ``stop_after_epochs`` ends this call early, as an interrupt would (the checkpoint lets a rerun go on)."""
    set_determinism(cfg.seed)
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(cfg.epochs, 1))
    start, history = 0, {"loss": math.nan}
    if checkpoint is not None and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["epoch"] + 1
        history = state["history"]
    n = len(data.y_train)
    steps = math.ceil(n / cfg.batch_size)
    if cfg.max_steps_per_epoch:
        steps = min(steps, cfg.max_steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    end = cfg.epochs if stop_after_epochs is None else min(cfg.epochs, start + stop_after_epochs)
    for epoch in range(start, end):
        rng = np.random.default_rng([cfg.seed, epoch])  # per-epoch generator: resuming repeats nothing
        order = rng.permutation(n)
        model.train()
        bar = tqdm(range(steps), desc=f"{desc} epoch {epoch + 1}/{cfg.epochs}", unit="step", leave=False)
        total = 0.0
        for s in bar:
            idx = order[s * cfg.batch_size: (s + 1) * cfg.batch_size]
            path = list(fixed_path) if fixed_path is not None else model.sample_path(rng)
            logits = model(model.to_input(data.x_train[idx]), path)
            loss = loss_fn(logits, torch.from_numpy(data.y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            bar.set_postfix(loss=f"{total / (s + 1):.3f}", refresh=False)
        sched.step()
        history = {"loss": total / steps, "epoch": epoch}
        if checkpoint is not None:
            with atomic_path(checkpoint) as tmp:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                            "epoch": epoch, "history": history}, tmp)
    return history


def path_accuracy(model: SuperNet, data: Dataset, path: Sequence[int], steps: int, lr: float, seed: int,
                  split: str = "test", threads: int | None = None) -> float:
    """Accuracy (%) of one path after inheriting the supernet's weights and ``steps`` steps of training
    that path alone (on a copy). At CPU-sized supernet budgets the shared weights alone do not separate
    paths (single-path training visits each candidate a few dozen times); a short path-only adaptation
    ranks them, at a fixed and equal cost per candidate."""
    import copy

    m = copy.deepcopy(model)
    if threads:
        torch.set_num_threads(threads)
    if steps > 0:
        set_determinism(seed, threads)
        opt = torch.optim.Adam(m.parameters(), lr=lr)
        rng = np.random.default_rng(seed)
        loss_fn = nn.CrossEntropyLoss()
        m.train()
        for _ in range(steps):
            idx = rng.integers(0, len(data.y_train), 64)
            loss = loss_fn(m(m.to_input(data.x_train[idx]), list(path)), torch.from_numpy(data.y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    recalibrate_bn(m, data, path)
    return evaluate(m, data, path, split=split)
