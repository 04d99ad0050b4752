"""Plant bugs of our own choosing in the C runtime, one at a time, and see which the test suite catches.

Each bug is a one-line edit of a firmware source (tiling bounds, commit order, recovery slot choice,
rounding, counters, the loader's CRC verdict). For each, the repository's tracked files are copied to
a temporary folder, the edit is applied there (the checkout is never touched), and the tests that
concern the host port run against that copy, stopping at the first failure. A bug is caught when a
test fails; an edit whose text is no longer in the source (the firmware changed) is reported as such.

    python benchmarks/plant_firmware_bugs.py                 # all bugs, ~25 min on 1 core
    python benchmarks/plant_firmware_bugs.py --bugs B6 B8    # some of them

Writes benchmarks/results/planted_bugs.json (format tinas.bench.planted_bugs, version 1) and
planted_bugs.md atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: benchmarks/ is on the path, the checkout is not
    sys.path.insert(0, str(ROOT))
from benchmarks.tracked_copy import copy_tracked  # noqa: E402
OUT = ROOT / "benchmarks" / "results"
# cheapest first: with -x a caught bug stops at its first failing test
TESTS = ("tests/test_q15.py", "tests/test_loader_host.py", "tests/test_firmware_recovery.py",
         "tests/test_firmware_counters.py", "tests/test_quant_accuracy.py", "tests/test_firmware_host.py")


@dataclass(frozen=True)
class Bug:
    id: str
    area: str
    what: str
    file: str
    old: str
    new: str
    nth: int = 1  # which occurrence of ``old`` to replace


BUGS = (
    Bug("B1", "tiling bounds", "row grid floors instead of ceiling: the last partial row of tiles is never run",
        "firmware/runtime/rt_layers.c", "g->Rt = ceil_div(L->out_h, L->Tr);", "g->Rt = (uint16_t)(L->out_h / L->Tr);"),
    Bug("B2", "tiling bounds", "convolution tile height not clamped at the bottom edge",
        "firmware/runtime/rt_layers.c", "const uint16_t tr = min16(L->Tr, (uint16_t)(L->out_h - r0)), tc",
        "const uint16_t tr = L->Tr, tc"),
    Bug("B3", "tiling bounds", "input row bound off by one: the row below the input is read instead of padding",
        "firmware/runtime/rt_layers.c", "row < (int16_t)L->in_h", "row <= (int16_t)L->in_h"),
    Bug("B4", "commit order", "progress committed before the tile's output is written",
        "firmware/runtime/rt_engine.c", "#define RT_COMMIT_BEFORE_TILE 0", "#define RT_COMMIT_BEFORE_TILE 1"),
    Bug("B5", "commit order", "every commit goes to the same slot (no alternation): a torn commit loses all progress",
        "firmware/runtime/rt_engine.c", "H.ctrl_off + (uint32_t)(seq & 1u) * sizeof(rt_slot)", "H.ctrl_off"),
    Bug("B6", "recovery slot choice", "recovery resumes from the OLDER valid slot",
        "firmware/runtime/rt_engine.c", "(best < 0 || s[i].seq > s[best].seq)", "(best < 0 || s[i].seq < s[best].seq)"),
    Bug("B7", "recovery slot choice", "recovery trusts a slot without checking its check word (torn commits accepted)",
        "firmware/runtime/rt_engine.c", "if (s[i].check == slot_check(s[i].seq, s[i].layer, s[i].tile) && (best",
        "if ((s[i].check | 1u) && (best"),
    Bug("B8", "rounding", "requantisation rounds half down (2^(s-1) - 1 added before the shift)",
        "firmware/include/rt_q15.h", "(uint32_t)x + ((uint32_t)1 << (s - 1));", "(uint32_t)x + (((uint32_t)1 << (s - 1)) - 1u);"),
    Bug("B9", "rounding", "pooling division rounds half toward zero for positive sums",
        "firmware/include/rt_q15.h", "if (r >= d - h) q++;", "if (r > d - h) q++;"),
    Bug("B10", "rounding", "residual ADD shifts its second input by the first input's shift",
        "firmware/runtime/rt_layers.c", "rt_rshift_round(b[m], L->shift_b)", "rt_rshift_round(b[m], L->shift)"),
    Bug("B11", "counters", "compute cycles no longer committed to NVM at the end of a batch",
        "firmware/runtime/rt_engine.c", "hal_nvm_write(H.ctrl_off + 40u, &C.compute_cycles, 4);", "(void)0;"),
    Bug("B12", "counters", "preservation cycles counted in RAM only",
        "firmware/runtime/rt_engine.c", "add_counter(&C.preserve_cycles, dp);", "C.preserve_cycles += dp;"),
    Bug("B13", "loader", "the loader acknowledges every CRC-32 as matching",
        "firmware/runtime/rt_loader.c", "ack[8] = (uint8_t)(crc == want);", "ack[8] = (uint8_t)(crc == want || 1);"),
    Bug("B14", "recovery slot choice", "the slot check word no longer covers the tile field",
        "firmware/runtime/rt_engine.c", "    h = (h ^ tile) * 16777619UL;\n", "    (void)tile;\n"),
    Bug("B15", "commit order", "convolution partial sums read and written in the same buffer (no ping-pong)",
        "firmware/runtime/rt_layers.c", "psum_addr(H, L, (uint16_t)((t->n + 1u) & 1u), pix)", "psum_addr(H, L, t->n & 1u, pix)"),
)


@dataclass
class Outcome:
    id: str
    area: str
    what: str
    file: str
    status: str  # caught | missed | not-applied (the edit's text is not in the source)
    first_failure: str
    wall_s: float


def _apply(work: Path, bug: Bug) -> bool:
    p = work / bug.file
    text = p.read_text()
    parts = text.split(bug.old)
    if len(parts) <= bug.nth:
        return False
    p.write_text(bug.old.join(parts[: bug.nth]) + bug.new + bug.old.join(parts[bug.nth:]))
    return True


def _pytest(work: Path, timeout_s: float) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(work), "TINAS_TORCH_THREADS": "1"}
    env.pop("CI", None)
    try:
        p = subprocess.run([sys.executable, "-m", "pytest", *TESTS, "-x", "-q", "-rf", "-p", "no:cacheprovider",
                            "-p", "no:xdist"], cwd=work, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return 1, f"timeout after {timeout_s:.0f} s (counted as caught: the suite did not pass)"
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", p.stdout, flags=re.M)
    return p.returncode, failed[0] if failed else ""


def run_bug(bug: Bug | None, timeout_s: float) -> Outcome:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="plant-") as tmp:
        work = Path(tmp)
        copy_tracked(ROOT, work)
        if bug is not None and not _apply(work, bug):
            return Outcome(bug.id, bug.area, bug.what, bug.file, "not-applied", "", 0.0)
        rc, first = _pytest(work, timeout_s)
    wall = round(time.perf_counter() - t0, 1)
    if bug is None:
        return Outcome("baseline", "-", "unmodified firmware", "-", "pass" if rc == 0 else "FAIL", first, wall)
    return Outcome(bug.id, bug.area, bug.what, bug.file, "caught" if rc != 0 else "missed", first, wall)


def markdown(outcomes: list[Outcome], meta: dict) -> str:
    caught = sum(o.status == "caught" for o in outcomes)
    planted = sum(o.status in ("caught", "missed") for o in outcomes if o.id != "baseline")
    lines = ["## Planted firmware bugs (`benchmarks/plant_firmware_bugs.py`)", "",
             f"{meta['machine']}, command `{meta['command']}`, tests run: {', '.join(Path(t).name for t in TESTS)} "
             f"(host port, stopping at the first failure), total wall {meta['wall_s']:.0f} s.", "",
             "| bug | area | what | result | first failing test | wall |", "|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.id} | {o.area} | {o.what} | {o.status} | {o.first_failure or '-'} | {o.wall_s:.0f} s |")
    lines += ["", f"Caught {caught} of {planted} planted bugs.", ""]
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bugs", nargs="*", default=[b.id for b in BUGS], help="bug ids (default: all)")
    ap.add_argument("--timeout-s", type=float, default=600.0, help="per bug")
    ap.add_argument("--no-baseline", action="store_true", help="skip the run on the unmodified copy")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    unknown = set(a.bugs) - {b.id for b in BUGS}
    if unknown:
        print(f"unknown bug id(s) {sorted(unknown)}; known: {[b.id for b in BUGS]}", file=sys.stderr)
        return 2
    from tqdm import tqdm

    t0 = time.perf_counter()
    todo: list[Bug | None] = ([] if a.no_baseline else [None]) + [b for b in BUGS if b.id in a.bugs]
    outcomes = []
    for bug in tqdm(todo, desc="planted bugs", unit="bug", mininterval=5.0, file=sys.stderr):
        o = run_bug(bug, a.timeout_s)
        tqdm.write(f"{o.id}: {o.status} {o.first_failure} ({o.wall_s:.0f} s)", file=sys.stderr)
        outcomes.append(o)
    meta = {"format": "tinas.bench.planted_bugs", "version": 1,
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
            "command": "python benchmarks/plant_firmware_bugs.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "wall_s": round(time.perf_counter() - t0, 1)}
    a.out.mkdir(parents=True, exist_ok=True)
    # bugs not run this time keep their earlier outcome (same format and test list only)
    rows = {o.id: o for o in outcomes}
    old = a.out / "planted_bugs.json"
    if old.exists():
        prev = json.loads(old.read_text())
        if prev.get("format") == meta["format"] and prev.get("version") == meta["version"] and prev.get("tests") == list(TESTS):
            for row in prev["bugs"]:
                rows.setdefault(row["id"], Outcome(**row))
            meta["command"] = prev.get("command", "") + " ; " + meta["command"]
            meta["wall_s"] = round(prev.get("wall_s", 0.0) + meta["wall_s"], 1)
    order = ["baseline"] + [b.id for b in BUGS]
    outcomes = [rows[i] for i in order if i in rows]
    _atomic_write(old, json.dumps({**meta, "tests": list(TESTS), "bugs": [asdict(o) for o in outcomes]}, indent=1))
    text = markdown(outcomes, meta)
    _atomic_write(a.out / "planted_bugs.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
