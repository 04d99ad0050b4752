"""All stages in order, resumable: a stage whose result file exists is not run again."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from tinas.errors import TinasError
from tinas.platform import Platform
from tinas.records import atomic_write_text
from tinas.search.stage1 import run_stage1, stage1_settings_hash
from tinas.settings import Settings

_log = logging.getLogger(__name__)


def _parse_stages(text: str) -> list[int]:
    try:
        stages = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise TinasError(f"--stages {text!r}: expected a comma list of 1, 2, 3, 4") from None
    if not stages or any(s not in (1, 2, 3, 4) for s in stages):
        raise TinasError(f"--stages {text!r}: stages are 1 (space optimiser), 2 (supernet), 3 (evolution), 4 (fine-tune)")
    return stages


def run_pipeline(settings: Settings, platform: Platform, out_dir: Path) -> dict[str, Path]:
    """Run the requested stages; returns the result files written."""
    stages = _parse_stages(settings["NAS_SETTINGS_GENERAL"]["STAGES"])
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = settings.suffix
    written: dict[str, Path] = {}
    atomic_write_text(out_dir / f"{suffix}_settings.json", json.dumps(settings.snapshot(), indent=1))
    ss_path = out_dir / f"{suffix}_ssoptlog.json"
    if 1 in stages:
        if ss_path.exists() and stages != [1] and \
                json.loads(ss_path.read_text()).get("settings_sha256") == stage1_settings_hash(settings, platform):
            _log.info(f"stage 1: reusing {ss_path}")
        else:
            res = run_stage1(settings, platform, out_dir)
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

        written.update(run_later_stages(settings, platform, out_dir, later))
    return written
