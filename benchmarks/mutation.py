"""Mutation score of the core Python modules (mutmut 3), run outside CI.

Each group mutates a few modules and runs only the test files that concern them. Every group works in a
fresh copy of the repository's tracked files under a temporary folder, so the checkout is never touched,
and under a wall-clock budget (a group cut short reports the mutants it finished).

    pip install -e ".[mutation]"          # mutmut
    python benchmarks/mutation.py                     # all groups, about 30 min on 1 core
    python benchmarks/mutation.py --groups q15 search_operators --budget-s 120 --merge
    python benchmarks/mutation.py --merge --groups    # run nothing: re-score the saved results
    python benchmarks/mutation.py --groups --merge-from ../other/benchmarks/results/mutation.json

Equivalent mutants (no observable behaviour can tell them from the original) are listed with a reason
in benchmarks/mutation_equivalent.toml, one table per group; they leave the score's denominator and are
listed in the report. An entry naming a mutant that mutmut did not produce, or one that the tests killed,
is refused. The score of a group is killed (timeouts count as killed) / (killed + survived + no tests −
equivalent); the overall score sums the groups.

With --merge the groups not run this time keep their saved result, so groups can be measured in separate
runs (--merge-from adds result files of other checkouts; a group keeps its latest run); every group records
its own command, date and machine.

Writes benchmarks/results/mutation.json (format tinas.bench.mutation, version 2) and mutation.md,
atomically: the score per group, every mutant's status, every surviving mutant with its diff.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: benchmarks/ is on the path, the checkout is not
    sys.path.insert(0, str(ROOT))
from benchmarks.tracked_copy import copy_tracked  # noqa: E402
OUT = ROOT / "benchmarks" / "results"
EQUIVALENTS = ROOT / "benchmarks" / "mutation_equivalent.toml"
FORMAT, VERSION = "tinas.bench.mutation", 2
SHOWN = 60  # surviving mutants listed per group in the markdown (all are in the json)
KILLED = ("killed", "timeout")  # statuses that count as killed
ALIVE = ("survived", "no tests")  # statuses that count against the score (no test reaches "no tests")


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    budget_s: float  # default wall-clock budget of this group
    deselect: str = ""  # pytest -k expression of tests too slow to repeat per mutant


GROUPS = (
    # q15 is checked by its own hand cases and the C probe
    Group("q15", ("tinas/quant/q15.py",), ("tests/test_q15.py",), 120),
    # the serial parser by its hand-built streams; the random resynchronisation property (6 s) is left out
    Group("serial_protocol", ("hil/serial_protocol.py",),
          ("tests/test_serial_protocol.py", "tests/test_serial_parser_cases.py", "tests/test_serial_resync.py"), 900,
          "not never_loses_a_frame"),
    Group("search_operators", ("tinas/search/mutation.py", "tinas/search/scores.py"),
          ("tests/test_search_logic.py",), 120),
    Group("energy_model", ("hil/power/energy_model.py",),
          ("tests/test_energy_model.py", "tests/test_energy_model_hand.py", "tests/test_energy_model_paths.py"), 600),
    Group("calibration", ("hil/calibration/linear_fit.py", "hil/calibration/metrics.py", "hil/calibration/fw_fit.py"),
          ("tests/test_calibration_fit.py", "tests/test_fw_fit_hand.py"), 300),
    # the cost model: its formulas against the spec reference (all types, orders, S, two profiles), the network
    # records and capacitor edges by hand, and the published values (the CLI error tests add nothing here)
    Group("cost_model", ("tinas/cost/capacitor.py", "tinas/cost/primitives.py", "tinas/cost/tiling.py",
                         "tinas/cost/layer_models.py", "tinas/cost/network_cost.py"),
          ("tests/test_cost_layer_reference.py", "tests/test_cost_network_records.py",
           "tests/test_cost_candidates_capacitor.py", "tests/test_cost_reference.py", "tests/test_cost_solutions.py"),
          900),
    # the quantiser by hand-sized unit tests (about a second in all): the export and firmware tests that also
    # cover it re-export per mutant (~10 s each) and ran only 43 of its 706 mutants in 10 minutes
    Group("quantiser", ("tinas/quant/quantize.py", "tinas/quant/ops.py", "tinas/quant/graph.py"),
          ("tests/test_quant_graph.py", "tests/test_quant_ops.py", "tests/test_quant_scales.py"), 1800),
)


def _also_copy(work: Path) -> list[str]:
    """Everything but the packages' Python files: mutmut copies only those into its mutants/ folder, and
    the tests read data beside them (platform profiles, settings, power profiles, firmware sources)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    out = set()
    for f in files:
        top = f.split("/")[0]
        if top in ("tinas", "hil"):
            if not f.endswith(".py"):
                out.add(str(Path(f).parent) + "/")
        elif top not in ("benchmarks", "docs", ".ci", "scripts", "README.md", "BENCHMARKS.md", "pyproject.toml"):
            out.add(top + ("/" if "/" in f else ""))
    return sorted(out)


def _config(g: Group, work: Path) -> str:
    q = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"  # noqa: E731
    return ("\n[tool.mutmut]\n"
            'source_paths = ["tinas/", "hil/"]\n'
            f"only_mutate = {q(g.modules)}\n"
            f"also_copy = {q(_also_copy(work))}\n"
            f"pytest_add_cli_args_test_selection = {q(g.tests)}\n"
            f"pytest_add_cli_args = {q(['-p', 'no:cacheprovider', '-p', 'no:xdist', '-q'] + (['-k', g.deselect] if g.deselect else []))}\n"
            # fork: each mutant's tests run in a child of the process that ran the unmutated suite once (the
            # cheapest isolation; forkserver re-imports per mutant and was 10x slower on the shared 2-core
            # machine); FRESH_CACHES below keeps what that run cached from hiding a mutant. Timeouts are
            # reported in their own column.
            'process_isolation = "fork"\n')


# Added to the copy's conftest.py: the cost model memoises layer results and primitive costs; a cache
# filled by the unmutated code in mutmut's parent process would answer for a mutant without running it.
# And torch runs single-threaded, or a forked child hangs in it.
FRESH_CACHES = """

import pytest as _pytest

try:  # torch's intra-op thread pool, once started in mutmut's parent, deadlocks every forked child that
    import torch as _torch  # uses torch: a mutant would show as a timeout (counted killed) without failing

    _torch.set_num_threads(1)
except ImportError:
    pass


@_pytest.fixture(autouse=True)
def _fresh_caches_for_mutation_testing():
    import tinas.cost.explorer as _e
    import tinas.cost.primitives as _p

    _e.LAYER_CACHE.clear()
    for _f in vars(_p).values():
        if hasattr(_f, "cache_clear"):
            _f.cache_clear()
    yield
"""


def _mutmut(work: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(work), "TINAS_TORCH_THREADS": "1"}
    env.pop("CI", None)
    # its own process group: when the budget runs out, the forked children testing a mutant go with it
    with subprocess.Popen([sys.executable, "-m", "mutmut", *args], cwd=work, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_group(g: Group, budget_s: float, children: int) -> dict[str, Any]:
    """Run mutmut on one group; the raw record (no equivalents applied: see ``score_row``)."""
    with tempfile.TemporaryDirectory(prefix=f"mutation-{g.name}-") as tmp:
        work = Path(tmp)
        copy_tracked(ROOT, work)
        with open(work / "pyproject.toml", "a") as f:
            f.write(_config(g, work))
        with open(work / "conftest.py", "a") as f:
            f.write(FRESH_CACHES)
        t0 = time.perf_counter()
        complete = True
        try:
            _mutmut(work, "run", "--max-children", str(children), timeout=budget_s)
        except subprocess.TimeoutExpired:
            complete = False
        wall = time.perf_counter() - t0
        _mutmut(work, "export-cicd-stats", timeout=120)
        stats_file = work / "mutants" / "mutmut-cicd-stats.json"
        counts = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        listing = _mutmut(work, "results", "--all", "true", timeout=120).stdout
        statuses = parse_results(listing)
        alive = [name for name, status in statuses.items() if status in ALIVE]
        diffs = _diffs(work, alive)
        survivors = [{"mutant": n, "status": statuses[n], "diff": diffs[n]} for n in alive]
    return {"name": g.name, "modules": list(g.modules), "tests": list(g.tests), "budget_s": budget_s,
            "wall_s": round(wall, 1), "complete": complete, "counts": counts, "statuses": statuses,
            "survivors": survivors}


# one process for all diffs (`mutmut show` per mutant costs ~2 s of start-up each)
_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
out = {}
for name in json.load(sys.stdin):
    out[name] = get_diff_for_mutant(name, path=find_mutant(name).path)
print(json.dumps(out))
"""


def _diffs(work: Path, names: list[str]) -> dict[str, str]:
    """The diff of each mutant (mutmut 3.8's own functions; `mutmut show` one by one if they moved)."""
    if not names:
        return {}
    env = {**os.environ, "PYTHONPATH": str(work)}
    r = subprocess.run([sys.executable, "-c", _DIFFS], cwd=work, env=env, input=json.dumps(names),
                       capture_output=True, text=True, timeout=600)
    if r.returncode == 0:
        return json.loads(r.stdout.strip().splitlines()[-1])
    return {n: "\n".join(_mutmut(work, "show", n, timeout=60).stdout.splitlines()[1:]) for n in names}


def parse_results(listing: str) -> dict[str, str]:
    """``mutmut results --all true`` output → {mutant name: status}."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\S+): (.+?)\s*$", listing, flags=re.M)}


# ---------------------------------------------------------------- equivalents, scores, merging (pure)

class EquivalentError(ValueError):
    """An entry of the equivalents file that cannot be accepted."""


def load_equivalents(path: Path, known_groups: set[str]) -> dict[str, dict[str, str]]:
    """The equivalents file as {group: {mutant name: reason}}; a missing file means none."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise EquivalentError(f"{path.name}: not valid TOML: {e}") from None
    out: dict[str, dict[str, str]] = {}
    for group, table in data.items():
        if group not in known_groups:
            raise EquivalentError(f"{path.name}: [{group}] is not a group; groups are {sorted(known_groups)}")
        if not isinstance(table, dict):
            raise EquivalentError(f"{path.name}: {group} must be a table [{group}] of mutant = \"reason\"")
        for name, reason in table.items():
            if not isinstance(reason, str) or not reason.strip():
                raise EquivalentError(f"{path.name}: [{group}] {name}: the reason must be a non-empty string")
        out[group] = dict(table)
    return out


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _shown(name: str) -> str:
    """Module and mutant (``q15.x_wrap32__mutmut_8``): groups mutate several modules."""
    return ".".join(name.split(".")[-2:])


def resolve_equivalents(row: dict[str, Any], entries: dict[str, str]) -> dict[str, str]:
    """Map a group's entries (full or short mutant names) onto its mutants: {full name: reason}.

    Refuses a name mutmut did not produce in this group, a short name shared by two modules, and a
    mutant that the tests killed (a killed mutant is not equivalent: it changed observable behaviour)."""
    statuses: dict[str, str] = row.get("statuses") or {s["mutant"]: s.get("status", "survived")
                                                         for s in row.get("survivors", [])}
    by_short: dict[str, list[str]] = {}
    for full in statuses:
        by_short.setdefault(_short(full), []).append(full)
    out: dict[str, str] = {}
    for name, reason in entries.items():
        if name in statuses:
            full = name
        else:
            hits = by_short.get(name, [])
            if not hits:
                raise EquivalentError(f"[{row['name']}] {name}: mutmut produced no such mutant in this group"
                                      + ("" if row.get("statuses") else " (among the saved survivors; re-run it)"))
            if len(hits) > 1:
                raise EquivalentError(f"[{row['name']}] {name}: ambiguous, it names {sorted(hits)}; use the full name")
            full = hits[0]
        if statuses[full] in KILLED:
            raise EquivalentError(f"[{row['name']}] {name}: was {statuses[full]} by the tests, so it is not equivalent")
        out[full] = reason.strip()
    return out


def score_row(row: dict[str, Any], equivalent: dict[str, str]) -> dict[str, Any]:
    """The row with its equivalents and score: killed / (killed + alive − equivalent among the alive)."""
    c = row.get("counts", {})
    statuses = row.get("statuses")
    killed = c.get("killed", 0) + c.get("timeout", 0)
    alive = c.get("survived", 0) + c.get("no_tests", 0)
    if statuses:
        eq_alive = sum(1 for m in equivalent if statuses.get(m) in ALIVE)
    else:
        eq_alive = sum(1 for s in row.get("survivors", []) if s["mutant"] in equivalent)
    decided = killed + alive - eq_alive
    return {**row, "equivalent": dict(sorted(equivalent.items())), "killed": killed,
            "alive": alive - eq_alive, "score_percent": round(100.0 * killed / decided, 1) if decided else 0.0}


def score_all(rows: list[dict[str, Any]], table: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Score every row with its group's equivalents (raises EquivalentError on a bad entry)."""
    return [score_row(r, resolve_equivalents(r, table.get(r["name"], {}))) for r in rows]


def overall(scored: list[dict[str, Any]]) -> dict[str, Any]:
    """Killed and alive summed over all groups (not an average of the groups' percentages)."""
    k = sum(r["killed"] for r in scored)
    a = sum(r["alive"] for r in scored)
    return {"killed": k, "alive": a, "equivalent": sum(len(r["equivalent"]) for r in scored),
            "score_percent": round(100.0 * k / (k + a), 1) if k + a else 0.0}


def upgrade_row(row: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """A saved row in the current layout: version-1 rows took command and machine from the file."""
    raw = {k: v for k, v in row.items() if k not in ("equivalent", "killed", "alive", "score_percent")}
    raw.setdefault("command", top.get("command", "unknown"))
    raw.setdefault("date", top.get("date", "unknown"))
    raw.setdefault("machine", top.get("machine", "unknown"))
    raw.setdefault("children", top.get("children", 1))
    raw.setdefault("mutmut", top.get("mutmut", "unknown"))
    return raw


def merge_rows(new: list[dict[str, Any]], saved: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    """This run's rows, plus for each group not run now its latest saved row (by date) among the saved
    result files, in GROUPS order (groups no longer in GROUPS are dropped)."""
    rows = {r["name"]: r for r in new}
    kept: dict[str, dict[str, Any]] = {}
    for data in saved:
        if data.get("format") != FORMAT or data.get("version") not in (1, VERSION):
            raise ValueError(f"saved results are {data.get('format')} v{data.get('version')}, "
                             f"expected {FORMAT} v1 or v{VERSION}")
        for row in data.get("groups", []):
            r = upgrade_row(row, data)
            if r["name"] not in kept or _when(r) > _when(kept[r["name"]]):
                kept[r["name"]] = r
    for name, r in kept.items():
        rows.setdefault(name, r)
    return [rows[n] for n in order if n in rows]


def _when(row: dict[str, Any]) -> str:
    d = row.get("date", "unknown")
    return "" if d == "unknown" else d  # "YYYY-MM-DD HH:MM UTC" sorts by time; unknown dates lose


# ---------------------------------------------------------------- output

def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def markdown(scored: list[dict[str, Any]]) -> str:
    lines = ["## Mutation score of the core Python modules (`benchmarks/mutation.py`)", "",
             "Score = killed (incl. timeouts) / (killed + survived + no tests − equivalent). Each group states "
             "the command, date and machine of its own run (`--merge` keeps groups measured separately).", "",
             "| group | modules | tests run | mutants | killed | survived | no tests | timeout | equivalent | score "
             "| wall | complete | measured |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in scored:
        c = r["counts"]
        lines.append(f"| {r['name']} | {', '.join(Path(m).name for m in r['modules'])} | "
                     f"{', '.join(Path(t).name for t in r['tests'])} | {c.get('total', 0)} | {c.get('killed', 0)} | "
                     f"{c.get('survived', 0)} | {c.get('no_tests', 0)} | {c.get('timeout', 0)} | "
                     f"{len(r['equivalent'])} | {r['score_percent']:.1f} % | {r['wall_s']:.0f} s | "
                     f"{'yes' if r['complete'] else 'no (budget)'} | {r['date']}, `{r['command']}`, "
                     f"{r['machine']}, {r['children']} worker(s), mutmut {r['mutmut']} |")
    o = overall(scored)
    lines += ["", f"Overall ({len(scored)} groups): {o['killed']} killed, {o['alive']} alive, "
              f"{o['equivalent']} equivalent excluded: score {o['score_percent']:.1f} %.", ""]
    for r in scored:
        if r["equivalent"]:
            lines += [f"<details><summary>{r['name']}: {len(r['equivalent'])} equivalent mutants "
                      "(benchmarks/mutation_equivalent.toml)</summary>", ""]
            lines += [f"* `{_shown(m)}`: {why}" for m, why in r["equivalent"].items()]
            lines += ["", "</details>", ""]
        alive = [s for s in r.get("survivors", []) if s["mutant"] not in r["equivalent"]]
        if not alive:
            continue
        lines += [f"<details><summary>{r['name']}: {len(alive)} surviving mutants</summary>", "", "```diff"]
        for sv in alive[:SHOWN]:
            change = [ln for ln in sv["diff"].splitlines() if ln[:1] in "+-" and not ln.startswith(("---", "+++"))]
            tag = "" if sv.get("status", "survived") == "survived" else f" ({sv['status']})"
            lines.append(f"# {_shown(sv['mutant'])}{tag}")
            lines += [ln[:160] for ln in change]
        if len(alive) > SHOWN:
            lines.append(f"# ... and {len(alive) - SHOWN} more in mutation.json")
        lines += ["```", "", "</details>", ""]
    return "\n".join(lines) + "\n"


def _read_saved(merge: bool, own: Path, others: list[Path]) -> list[dict[str, Any]]:
    out = []
    for src in ([own] if merge and own.exists() else []) + list(others):
        try:
            out.append(json.loads(src.read_text()))
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{src}: cannot read saved results: {e}") from None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--groups", nargs="*", default=[g.name for g in GROUPS],
                    help="groups to run (none, with --merge: only re-score the saved results)")
    ap.add_argument("--budget-s", type=float, default=None, help="wall-clock budget per group (default: per group)")
    ap.add_argument("--children", type=int, default=1, help="parallel mutant workers (default 1)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the saved results of the groups not run this time (in OUT/mutation.json)")
    ap.add_argument("--merge-from", type=Path, nargs="*", default=[], metavar="JSON",
                    help="also keep groups from these mutation.json files (e.g. other checkouts); implies "
                         "--merge; a group found in several files keeps its latest run")
    ap.add_argument("--equivalents", type=Path, default=EQUIVALENTS, help="equivalent mutants (TOML)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for mutation.json and mutation.md")
    args = sys.argv[1:] if argv is None else argv
    a = ap.parse_args(args)
    names = [g.name for g in GROUPS]
    unknown = set(a.groups) - set(names)
    if unknown:
        print(f"unknown group(s) {sorted(unknown)}; groups are {names}", file=sys.stderr)
        return 2
    if not a.groups and not (a.merge or a.merge_from):
        print("no groups to run (give --merge to re-score the saved results)", file=sys.stderr)
        return 2
    saved_path = a.out / "mutation.json"
    try:  # check the inputs before an hour of mutation runs
        table = load_equivalents(a.equivalents, set(names))
        a.merge = a.merge or bool(a.merge_from)
        merge_rows([], _read_saved(a.merge, saved_path, a.merge_from), names)
    except (EquivalentError, ValueError) as e:
        print(f"mutation: {e}", file=sys.stderr)
        return 2
    if a.groups:
        try:
            import mutmut  # noqa: F401
        except ImportError:
            print("mutmut is not installed: pip install -e '.[mutation]'", file=sys.stderr)
            return 2
    from importlib.metadata import PackageNotFoundError, version

    from tqdm import tqdm

    try:
        mutmut_version = version("mutmut")
    except PackageNotFoundError:
        mutmut_version = "not installed"
    run_meta = {"command": "python benchmarks/mutation.py " + " ".join(args),
                "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
                "children": a.children, "mutmut": mutmut_version}
    new = []
    chosen = [g for g in GROUPS if g.name in a.groups]
    for g in tqdm(chosen, desc="mutation groups", unit="group", mininterval=5.0, file=sys.stderr):
        r = run_group(g, a.budget_s or g.budget_s, a.children)
        r |= run_meta | {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
        c = r["counts"]
        tqdm.write(f"{g.name}: {c.get('killed', 0)} killed, {c.get('survived', 0)} survived, "
                   f"{c.get('no_tests', 0)} no tests in {r['wall_s']:.0f} s", file=sys.stderr)
        new.append(r)
    try:  # read again: another run may have saved a group meanwhile
        rows = merge_rows(new, _read_saved(a.merge, saved_path, a.merge_from), names)
    except ValueError as e:
        print(f"mutation: {e}; keeping only this run's groups", file=sys.stderr)
        rows = merge_rows(new, [], names)
    a.out.mkdir(parents=True, exist_ok=True)
    try:
        scored = score_all(rows, table)
    except EquivalentError as e:  # keep a new measurement; the report waits for a corrected equivalents file
        if new:
            _atomic_write(saved_path, json.dumps({"format": FORMAT, "version": VERSION, "groups": rows,
                                                  "equivalents_error": str(e)}, indent=1))
        print(f"mutation: {e}\nthe results are in {saved_path}; fix {a.equivalents.name} and re-score "
              "with --merge --groups", file=sys.stderr)
        return 2
    _atomic_write(saved_path, json.dumps({"format": FORMAT, "version": VERSION, "groups": scored,
                                          "overall": overall(scored)}, indent=1))
    text = markdown(scored)
    _atomic_write(a.out / "mutation.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
