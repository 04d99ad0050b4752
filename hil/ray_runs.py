"""The run matrix as Ray tasks: one task per (artifact, profile, capacitor, repeat), on an existing
cluster (``ray start --head`` on one machine, ``ray start --address`` on the others) or on a local
one started for the run.

Rows come back in the order of the specs, so the measurement file is the one a local run writes
(run ids, timestamps and wall times aside). Every node needs this project installed at the same
commit; a task compares a digest of its code (hil/, tinas/, firmware/) with the driver's and refuses
to run on a mismatch instead of mixing rows from two codes. Board runs take their board from the
coordinator place named in the spec, from whichever node runs the task.
"""

from __future__ import annotations

import os
from pathlib import Path

from tinas.progress import tqdm  # line mode when redirected

from tinas.errors import TinasError

ROOT = Path(__file__).resolve().parent.parent


class RayRunError(TinasError):
    """Ray is missing, the cluster is unreachable, or a node runs other code than the driver."""


def _code_version() -> str:
    """A digest of the code a run depends on (the Python packages and the firmware sources), so a node
    at another commit is caught before it writes a single row."""
    import hashlib

    h = hashlib.sha256()
    for pattern in ("hil/**/*.py", "tinas/**/*.py", "firmware/**/*.c", "firmware/**/*.h", "firmware/**/*.ld"):
        for f in sorted(ROOT.glob(pattern)):
            if "build" in f.relative_to(ROOT).parts or "__pycache__" in f.parts:
                continue  # outputs, not sources
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _task(spec, expected: str):
    """Runs on a Ray worker: the same run_spec as a local run."""
    from hil.runner import run_spec

    got = _code_version()
    if got != expected:
        import socket

        raise RayRunError(f"node {socket.gethostname()} runs code {got}, the driver {expected} "
                          f"(hil/, tinas/, firmware/ differ): install the same commit on every node")
    return run_spec(spec)


def run_on_ray(specs: list, address: str | None = None, num_cpus: int | None = None) -> tuple[list, list[dict]]:
    """All specs as Ray tasks; rows and timelines in spec order. A failing task raises once the others
    have finished, so no measurement file is written from a partial matrix."""
    try:
        import ray
    except ImportError:
        raise RayRunError("--ray needs Ray: pip install 'ray[default]>=2.9'") from None
    started_here = not ray.is_initialized()
    if started_here:
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
                            "TINAS_TORCH_THREADS": os.environ.get("TINAS_TORCH_THREADS", "1")}}
        try:
            ray.init(address=address or "local", runtime_env=env, num_cpus=num_cpus if address is None else None,
                     include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayRunError(f"cannot reach the Ray cluster at {address or 'a new local cluster'}: {exc}") from None
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_task)
        expected = _code_version()
        refs = [remote.remote(s, expected) for s in specs]
        done: dict = {}
        errors: list[BaseException] = []
        pending = list(refs)
        with tqdm(total=len(refs), desc="runs (ray)", unit="run") as bar:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                ref = ready[0]
                try:
                    done[ref] = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    errors.append(exc.as_instanceof_cause() if hasattr(exc, "as_instanceof_cause") else exc)
                bar.update(1)
        if errors:
            first = errors[0]
            cause = getattr(first, "cause", None) or first
            if isinstance(cause, TinasError):
                raise type(cause)(f"{cause} ({len(errors)} of {len(specs)} Ray tasks failed)") from None
            raise RayRunError(f"{len(errors)} of {len(specs)} Ray tasks failed; first: {cause}") from None
        rows, timelines = [], []
        for ref in refs:
            r, tl = done[ref]
            rows += r
            timelines.append(tl)
        return rows, timelines
    finally:
        if started_here:
            ray.shutdown()
