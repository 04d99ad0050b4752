"""The main job's account of itself: each stage announced with an ETA computed from rates, timed, its
warnings collected, and a closing summary block (what ran, headline errors, where everything is, wall
time) that is printed even when a stage fails.

Rates (seconds per unit of work: a training epoch, an exported network, a run) come from the previous
job in the same output folder (``timings.json``, format ``hil.job_timings`` v1) or, on a first run, from
nominal rates of the 2-core reference machine; the ETA says which. Both are scaled by how contended the
CPU is now: a short probe measures wall time per CPU second (1.0 on an idle machine, 4 when this process
gets a quarter of a core), compared with the same probe when the rates were measured. Log lines stay plain text: the job's
log, redirected to a file, has no escape sequences and no line over 300 characters.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from tinas.progress import clean_line
from tinas.records import atomic_path

log = logging.getLogger("hil.main_job")

TIMINGS_FORMAT, TIMINGS_VERSION = "hil.job_timings", 1
# seconds per unit on an uncontended 2-core VM: the main job of 2026-11-29 19:49 UTC (2.1 min wall, 2 workers)
# measured at contention x3.0, divided by 3; only a first guess, replaced by each job's own timings.json
NOMINAL_RATES = {"search": 0.6, "export": 0.1, "runs": 1.5, "calibration": 3.0}  # runs: 3 twin runs per spec since 21:30
UNITS = {"search": "training epoch", "export": "network", "runs": "run", "calibration": "job"}


@dataclass
class Stage:
    key: str
    title: str
    units: float
    eta_s: float
    started: float
    wall_s: float | None = None
    status: str = "running"


class _Collector(logging.Handler):
    """Keeps the first line of every WARNING or worse record, for the summary's headline errors."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            first = record.getMessage().splitlines()[0] if record.getMessage() else ""
        except Exception:  # noqa: BLE001 - a bad log call must not break the job
            first = str(record.msg)
        self.lines.append(clean_line(f"{record.levelname.lower()}: {first}", 200))


@dataclass
class JobLog:
    """Stage bookkeeping for one main job in ``out``."""

    out: Path
    started: float = field(default_factory=time.monotonic)
    stages: list[Stage] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    headlines: list[str] = field(default_factory=list)
    _collector: _Collector = field(default_factory=_Collector)

    def __post_init__(self) -> None:
        self.rates, self.rate_source, self.rates_contention = load_rates(self.out / "timings.json")
        self.contention = contention_probe()
        logging.getLogger().addHandler(self._collector)

    def say(self, msg: str) -> None:
        for line in str(msg).splitlines() or [""]:
            log.info("[main job] %s", clean_line(line, 260))

    def begin(self, key: str, title: str, units: float) -> None:
        """Announce a stage with its ETA (units x seconds per unit)."""
        self.end()
        scale = self.contention / self.rates_contention
        rate = self.rates.get(key, NOMINAL_RATES.get(key, 1.0)) * scale
        eta = units * rate
        self.stages.append(Stage(key, title, units, eta, time.monotonic()))
        unit = UNITS.get(key, "unit")
        self.say(f"{title} - ETA {fmt_s(eta)} ({units:g} {unit}{'s' if units != 1 else ''} x {rate:.3g} s, "
                 f"rate from {self.rate_source}, x{scale:.1f} for the current CPU load)")

    def end(self, status: str = "ok") -> None:
        if self.stages and self.stages[-1].wall_s is None:
            s = self.stages[-1]
            s.wall_s, s.status = time.monotonic() - s.started, status

    def output(self, label: str, path: str | Path) -> None:
        self.outputs[label] = str(path)

    def headline(self, text: str) -> None:
        self.headlines.append(clean_line(text, 200))

    def finish(self, failed: BaseException | None = None) -> list[str]:
        """Close the last stage, save the measured rates, and print the summary block (stdout)."""
        self.end("FAILED" if failed else "ok")
        logging.getLogger().removeHandler(self._collector)
        if failed is None:
            save_rates(self.out / "timings.json", self.stages, self.contention)
        wall = time.monotonic() - self.started
        lines = ["", "=" * 24 + " main job summary " + "=" * 24]
        lines.append(f"result:    {'FAILED: ' + clean_line(str(failed), 200) if failed else 'done'}")
        lines.append("stages (wall / ETA):")
        for s in self.stages:
            lines.append(f"  {s.title[:60]:<60} {fmt_s(s.wall_s or 0):>8} / {fmt_s(s.eta_s):>8}  {s.status}")
        errs = self.headlines + self._collector.lines
        lines.append(f"headline errors and warnings: {len(errs) if errs else 'none'}")
        for e in errs[:10]:
            lines.append(f"  - {e}")
        if len(errs) > 10:
            lines.append(f"  ... and {len(errs) - 10} more in the log above")
        lines.append("where everything is:")
        lines.append(f"  {'output folder':<20} {self.out}")
        for label, path in self.outputs.items():
            lines.append(f"  {label:<20} {path}")
        lines.append(f"wall time: {fmt_s(wall)}")
        lines.append("=" * 66)
        lines = [clean_line(x, 290) for x in lines]
        print("\n".join(lines), flush=True)
        return lines


def fmt_s(s: float) -> str:
    s = max(0.0, float(s))
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def contention_probe(cpu_s: float = 0.05, repeats: int = 3) -> float:
    """Wall seconds per CPU second of a short busy loop (median of ``repeats``): 1.0 on an idle core, more
    when the CPU is shared."""
    ratios = []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        x = 0
        while time.process_time() - c0 < cpu_s:
            x += sum(range(2000))
        ratios.append((time.perf_counter() - w0) / max(time.process_time() - c0, 1e-6))
    return max(1.0, sorted(ratios)[len(ratios) // 2])


def load_rates(path: Path) -> tuple[dict[str, float], str, float]:
    """Rates of the previous job in this folder (and the probe's value then), else the nominal ones."""
    try:
        d = json.loads(path.read_text())
        if d.get("format") == TIMINGS_FORMAT and d.get("version") == TIMINGS_VERSION:
            rates = {k: float(v) for k, v in d["rates"].items() if float(v) > 0}
            return ({**NOMINAL_RATES, **rates}, f"the previous job here ({d.get('date', '?')})",
                    max(1.0, float(d.get("contention", 1.0))))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return dict(NOMINAL_RATES), "nominal 2-core rates", 1.0


def save_rates(path: Path, stages: list[Stage], contention: float = 1.0) -> None:
    rates = {s.key: s.wall_s / s.units for s in stages if s.wall_s and s.units > 0 and s.status == "ok"}
    rec = {"format": TIMINGS_FORMAT, "version": TIMINGS_VERSION,
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rates": rates, "contention": contention}
    try:
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(rec, indent=1))
    except OSError as exc:  # the job's results matter more than the next ETA
        log.warning("could not save the stage rates to %s: %s", path, exc)
