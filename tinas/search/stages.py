"""All stages in order, resumable: a stage whose result file exists is not run again.

A run folder holds a manifest (``<suffix>_run.json``) with every setting that can change a result. A
rerun under the same suffix whose settings differ (another ``--latreq``, seed, capacitor, platform…)
is refused with the differences named, instead of silently returning the old solution; ``--restart``
deletes the old results and starts again.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from tinas.errors import TinasError
from tinas.platform import Platform
from tinas.records import atomic_write_text
from tinas.search.executor import Executor, LocalExecutor
from tinas.search.stage1 import run_stage1, stage1_settings_hash
from tinas.settings import Settings

MANIFEST_FORMAT, MANIFEST_VERSION = "tinas.search-run", 1
RESULT_SUFFIXES = ("_ssoptlog.json", "_supernet.pt", "_evostate.json", "_evosearchlog.json", "_finetuned.pt",
                   "_weights.npz", "_solution.json")
# settings that cannot change a result: names, logging, which stages run now, how many workers
_IGNORED_CATEGORIES = ("GLOBAL_SETTINGS", "CUDA_SETTINGS", "LOG_SETTINGS", "DUMPER_SETTINGS")
_IGNORED_KEYS = {("NAS_SETTINGS_GENERAL", "STAGES"), ("NAS_SETTINGS_GENERAL", "TRAIN_PRINT_FREQ"),
                 ("NAS_EVOSEARCH_SETTINGS", "FIXED_NUM_CPU_WORKERS"),
                 ("NAS_EVOSEARCH_SETTINGS", "FIXED_NUM_CPU_WORKERS_MUTATION"),
                 ("NAS_EVOSEARCH_SETTINGS", "FIXED_NUM_CPU_WORKERS_CROSSOVER"),
                 ("NAS_EVOSEARCH_SETTINGS", "DEBUG_ENABLED")}
_log = logging.getLogger(__name__)


def _parse_stages(text: str) -> list[int]:
    try:
        stages = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise TinasError(f"--stages {text!r}: expected a comma list of 1, 2, 3, 4") from None
    if not stages or any(s not in (1, 2, 3, 4) for s in stages):
        raise TinasError(f"--stages {text!r}: stages are 1 (space optimiser), 2 (supernet), 3 (evolution), 4 (fine-tune)")
    return stages


def run_fingerprint(settings: Settings, platform: Platform) -> dict[str, Any]:
    """The settings a run's results depend on, and the platform profile's hash."""
    tree = {k: v for k, v in settings.snapshot().items() if k not in _IGNORED_CATEGORIES}
    for cat, key in _IGNORED_KEYS:
        tree.get(cat, {}).pop(key, None)
    return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "settings": tree,
            "platform_sha256": platform.sha256, "ccap_f": platform.ccap_f}


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(d, dict):
        return {prefix: d}
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def fingerprint_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = _flatten(old), _flatten(new)
    return [f"{k}: {a.get(k, '(absent)')!r} → {b.get(k, '(absent)')!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def existing_results(out_dir: Path, suffix: str) -> list[Path]:
    return [out_dir / f"{suffix}{s}" for s in RESULT_SUFFIXES if (out_dir / f"{suffix}{s}").exists()]


def check_or_restart(out_dir: Path, suffix: str, fingerprint: dict[str, Any], restart: bool) -> None:
    """Refuse to resume a run made with other settings (or delete it when ``restart``)."""
    manifest = out_dir / f"{suffix}_run.json"
    results = existing_results(out_dir, suffix)
    if not results:
        return
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text())
        except json.JSONDecodeError:
            old = {}
        diffs = fingerprint_differences(old, fingerprint)
    else:
        diffs = [f"{manifest.name} is missing, so the settings of the existing results are unknown"]
    if not diffs:
        return
    if restart:
        for p in results:
            p.unlink()
        _log.warning(f"search: --restart: removed {len(results)} result file(s) of '{suffix}' made with other "
                     f"settings ({'; '.join(diffs[:4])}{' …' if len(diffs) > 4 else ''})")
        return
    raise TinasError(
        f"{out_dir}: run '{suffix}' already has results made with other settings:\n  " + "\n  ".join(diffs[:12])
        + ("\n  …" if len(diffs) > 12 else "")
        + "\nresuming would return the old results; use another --suffix (or --out), or --restart to discard them")


def run_pipeline(settings: Settings, platform: Platform, out_dir: Path, executor: Executor | None = None,
                 restart: bool = False) -> dict[str, Path]:
    """Run the requested stages; returns the result files written."""
    stages = _parse_stages(settings["NAS_SETTINGS_GENERAL"]["STAGES"])
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = settings.suffix
    fp = run_fingerprint(settings, platform)
    check_or_restart(out_dir, suffix, fp, restart)
    atomic_write_text(out_dir / f"{suffix}_run.json", json.dumps(fp, indent=1))
    written: dict[str, Path] = {}
    atomic_write_text(out_dir / f"{suffix}_settings.json", json.dumps(settings.snapshot(), indent=1))
    ss_path = out_dir / f"{suffix}_ssoptlog.json"
    if 1 in stages:
        if ss_path.exists() and stages != [1] and \
                json.loads(ss_path.read_text()).get("settings_sha256") == stage1_settings_hash(settings, platform):
            _log.info(f"stage 1: reusing {ss_path}")
        else:
            res = run_stage1(settings, platform, out_dir, executor=executor)
            if res.best is None:
                lat_min = min((v["latency_min"] for v in res.log["per_supernet_stats"].values()
                               if v["latency_min"] != -1), default=None)
                _log.info(f"stage 1: no (width, resolution) pair had enough subnets meeting the constraints "
                      f"(latency requirement {settings['PLATFORM_SETTINGS']['LAT_E2E_REQ']} s; fastest subnet "
                      f"found {lat_min if lat_min is None else round(lat_min, 3)} s)")
            else:
                _log.info(f"stage 1: chose width {res.best[0]}, resolution {res.best[1]}")
        written["stage1"] = ss_path
    later = [s for s in stages if s > 1]
    if later:
        from tinas.search.stages_train_evo import run_later_stages

        ex = executor
        if ex is None:  # candidates are scored in a pool of FIXED_NUM_CPU_WORKERS processes
            import os

            ex = LocalExecutor(max(1, min(int(settings["NAS_EVOSEARCH_SETTINGS"]["FIXED_NUM_CPU_WORKERS"]),
                                          os.cpu_count() or 1)))
        written.update(run_later_stages(settings, platform, out_dir, later, ex))
    return written
