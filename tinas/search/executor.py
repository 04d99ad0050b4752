"""Where the search's parallel work runs: in this process, in a local process pool, or as Ray tasks on a
cluster. Stage 1 (costing sampled subnets) and stage 3 (scoring candidates) hand the executor a pure
function ``fn(context, item)`` and a list of items; results come back in item order, so the same seed
gives the same search whichever executor ran it.

A *session* ships the shared context (platform and space, or supernet weights and data) to the workers
once: the local pool through its initializer, Ray through one ``ray.put``.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from tinas.progress import tqdm

from tinas.errors import TinasError

_CTX: Any = None  # the session context inside a local pool worker


class Session(Protocol):
    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any], desc: str = "", unit: str = "item") -> list[Any]:
        ...


def _chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``n`` contiguous, near-equal chunks (order kept; empty chunks dropped)."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        if end > start:
            out.append(list(items[start:end]))
        start = end
    return out


def _run_chunk(fn: Callable[[Any, Any], Any], ctx: Any, chunk: list[Any]) -> list[Any]:
    return [fn(ctx, x) for x in chunk]


def _pool_init(ctx: Any) -> None:
    global _CTX
    _CTX = ctx


def _pool_chunk(fn: Callable[[Any, Any], Any], chunk: list[Any]) -> list[Any]:
    return _run_chunk(fn, _CTX, chunk)


class _SerialSession:
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def map(self, fn, items, desc="", unit="item"):
        return [fn(self.ctx, x) for x in tqdm(items, desc=desc, unit=unit, leave=False, disable=not desc)]


class _PoolSession:
    def __init__(self, pool: ProcessPoolExecutor, workers: int) -> None:
        self.pool, self.workers = pool, workers

    def map(self, fn, items, desc="", unit="item"):
        chunks = _chunks(items, self.workers * 4)
        out: list[Any] = []
        with tqdm(total=len(items), desc=desc, unit=unit, leave=False, disable=not desc) as bar:
            for part in self.pool.map(_pool_chunk, [fn] * len(chunks), chunks):
                out.extend(part)
                bar.update(len(part))
        return out


class LocalExecutor:
    """``workers`` ≤ 1: in this process; otherwise a process pool (``start_method`` "spawn" for work that
    uses torch, whose thread pools do not survive a fork)."""

    name = "local"

    def __init__(self, workers: int, start_method: str | None = None) -> None:
        self.workers = max(1, int(workers))
        self.start_method = start_method

    @contextlib.contextmanager
    def session(self, ctx: Any, start_method: str | None = None) -> Iterator[Session]:
        if self.workers <= 1:
            yield _SerialSession(ctx)
            return
        method = start_method or self.start_method
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context(method) if method else None,
                                   initializer=_pool_init, initargs=(ctx,))
        try:
            yield _PoolSession(pool, self.workers)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass


class _RaySession:
    def __init__(self, ray: Any, remote: Any, ctx_ref: Any, cpus: int) -> None:
        self.ray, self.remote, self.ctx_ref, self.cpus = ray, remote, ctx_ref, cpus

    def map(self, fn, items, desc="", unit="item"):
        chunks = _chunks(items, self.cpus * 4)
        refs = [self.remote.remote(fn, self.ctx_ref, c) for c in chunks]
        pending = list(refs)
        with tqdm(total=len(items), desc=desc, unit=unit, leave=False, disable=not desc) as bar:
            sizes = {r: len(c) for r, c in zip(refs, chunks)}
            while pending:
                done, pending = self.ray.wait(pending, num_returns=1)
                bar.update(sum(sizes[d] for d in done))
        out: list[Any] = []
        for part in self.ray.get(refs):  # in submission order, whatever order they finished in
            out.extend(part)
        return out


class RayExecutor:
    """Ray tasks on an existing cluster (``address``, e.g. "ray://head:10001" or "auto"), or on a local
    instance started here with ``num_cpus`` CPUs when no address is given. The cluster's workers must be
    able to import ``tinas``: a local instance gets this checkout on its PYTHONPATH."""

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int = 2) -> None:
        try:
            import ray
        except ImportError:
            raise TinasError("--ray needs the 'ray' package (pip install 'ray[default]')") from None
        self.ray = ray
        self.started_here = not ray.is_initialized()
        if self.started_here:
            root = str(Path(__file__).resolve().parents[2])
            env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p),
                                "TINAS_TORCH_THREADS": "1"}}
            try:
                if address:
                    ray.init(address=address, runtime_env=env, log_to_driver=False)
                else:
                    ray.init(num_cpus=num_cpus, runtime_env=env, include_dashboard=False, log_to_driver=False)
            except Exception as exc:  # noqa: BLE001 - ray raises many kinds; the user needs the address named
                raise TinasError(f"cannot start or reach a Ray cluster at {address or 'a new local instance'}: {exc}") from None
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", num_cpus)))
        self.workers = self.cpus
        self._remote = ray.remote(num_cpus=1)(_run_chunk)

    @contextlib.contextmanager
    def session(self, ctx: Any, start_method: str | None = None) -> Iterator[Session]:
        yield _RaySession(self.ray, self._remote, self.ray.put(ctx), self.cpus)

    def close(self) -> None:
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()


Executor = LocalExecutor | RayExecutor


def make_executor(ray_address: str | None, workers: int) -> Executor:
    """``ray_address``: None for the local pool, "local" for a new local Ray instance, else an address."""
    if ray_address is None:
        return LocalExecutor(workers)
    return RayExecutor(None if ray_address == "local" else ray_address, num_cpus=max(1, workers))
