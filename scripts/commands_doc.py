"""Write docs/commands.md: every ``tinas`` and ``hil`` command with its help text (taken from the parsers,
so it cannot drift) and examples that together use every flag. The examples are written here by hand;
tests/test_commands_doc.py checks that each flag appears in an example of its command and that the page
is up to date.

    .venv/bin/python scripts/commands_doc.py            # rewrite docs/commands.md
    .venv/bin/python scripts/commands_doc.py --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "commands.md"
PUB = "tests/data/tinas-solutions/TiNAS_HAR-LAT-perc25-CCAP0.005_best_solution_info.json"

# (program, command) -> example command lines; the paths are the shipped examples or earlier outputs
EXAMPLES: dict[tuple[str, str], list[str]] = {
    ("tinas", "cost"): [
        "tinas cost examples/net_small.json --ccap 0.00047",
        f"tinas cost {PUB} --json",
        "tinas cost examples/net_small.json --platform runs/calibrated.toml --ccap 0.001 --rehm 2800",
        "tinas cost examples/net_small.json --cost-model firmware",
    ],
    ("tinas", "export"): [
        "tinas export examples/solution_digits.json --out runs/art/digits",
        "tinas export runs/mine/mine_solution.json examples/solution_digits.json --out runs/art/two",
        "tinas export --space runs/mine --count 4 --seed 1 --out runs/art/space",
        "tinas export --space runs/mine --suffix mine --count 6 --out runs/art/six --nvm-limit 1048576",
        f"tinas export {PUB} --random-weights 1 --out runs/art/har --proactive",
        "tinas export examples/solution_digits.json --out runs/art/d2 --platform runs/calibrated.toml --no-proactive",
    ],
    ("tinas", "search"): [
        "tinas search --settings DIGITS.json,examples/search_quick.json --latreq 60 --ccap 0.00047 --suffix mine "
        "--out runs/mine",
        "tinas search --settings HAR.json,TiNAS.json --latreq LAT-perc25 --imcreq IMO-perc4 --ccap 0.005 --rehm 2800 "
        "--seed 3 --stages 1,2,3,4 --suffix har",
        "tinas search --settings DIGITS.json --settings-json '{\"NAS_EVOSEARCH_SETTINGS\": {\"GENERATIONS\": 2}}' "
        "--dataset DIGITS --platform runs/calibrated.toml --cost-model firmware --suffix fw --restart",
        "tinas search --settings CIFAR10.json --dataset-dir ~/data/cifar10 --gpuid 0 --no-rlogger "
        "--tr-sup-fname runs/c10/c10_supernet.pt --suffix c10 --ray",
        "tinas search --settings DIGITS.json,examples/search_quick.json --compare TiNAS,TiNAS-U --seeds 2 "
        "--latreq 60 --ccap 0.00047 --out runs/cmp",
    ],
    ("tinas", "sensitivity"): [
        "tinas sensitivity --dataset HAR --samples 30",
        "tinas sensitivity --dataset CIFAR10 --samples 10 --ccap 0.005 --platform runs/calibrated.toml --seed 2 "
        "--out runs/sens-c10",
    ],
    ("hil", "build"): [
        "hil build --target emulator",
        "hil build --target fr5994 --flag RT_NO_PRESERVATION --json",
        "hil build --target host --flag RT_BROKEN_COMMIT",
    ],
    ("hil", "calibrate"): [
        "hil calibrate runs/space.csv --out runs/calibrated.toml --report runs/cal-report",
        "hil calibrate runs/space.csv --out runs/cal.toml --platform runs/calibrated.toml --holdout 0.25 "
        "--microbench runs/mb.csv --cost-model firmware --min-layer-cycles 16",
    ],
    ("hil", "microbench"): [
        "hil microbench --out runs/mb.csv",
        "hil microbench --target emulator --platform runs/calibrated.toml --out runs/mb2.csv",
    ],
    ("hil", "pipeline"): [
        "hil pipeline --out runs/main-job",
        "hil pipeline --settings DIGITS.json,examples/search_quick.json --networks 4 --target host "
        "--profile square_wave --workers 2 --seed 7 --out runs/tiny-job",
        "hil pipeline --ccap 0.001 --rehm 2800 --latreq 90 --out runs/job-1mF",
    ],
    ("hil", "profiles"): [
        "hil profiles",
        "hil profiles list",
        "hil profiles plot solar_june --out runs/plots/solar.png",
        "hil profiles import examples/recording_shepherd.h5 --format shepherd",
        "hil profiles import examples/recording_voltage.csv --format voltage --r-source 2800 "
        "--profile-name my_source --force",
        "hil profiles import trace.csv --format energytrace --out runs/profiles/trace.csv",
    ],
    ("hil", "report"): [
        "hil report runs/space.csv --out runs/fw-report",
        "hil report runs/space.csv --platform runs/calibrated.toml --microbench runs/mb.csv --min-layer-cycles 16 "
        "--json --out runs/fw-report2",
    ],
    ("hil", "run"): [
        "hil run --target emulator --artifact runs/art/digits --profile thevenin_tinas square_wave --ccap 0.00047 "
        "--out runs/m.csv",
        "hil run --target host --artifact runs/art/space/* --profile square_wave solar_june --ccap 0.00047 0.001 "
        "--rehm 2800 --repeat 2 --workers 2 --timeout 600 --max-recharge 3600 --platform runs/calibrated.toml "
        "--out runs/space.csv --force",
        "hil run --target board --lg-env docs/lab/bench.yaml --artifact runs/art/digits --out runs/board.csv --log runs/board.log",
        "hil run --target board --lg-place desk-1,desk-2 --lg-coordinator lab-host:20408 --lg-wait 600 "
        "--artifact runs/art/digits --out runs/boards.csv",
        "hil run --target host --artifact runs/art/space/* --ray --out runs/ray.csv",
    ],
}


def subparsers(prog: str) -> dict[str, argparse.ArgumentParser]:
    import hil.commands
    import tinas.commands
    from tinas.cli import build_parser

    pkg = {"tinas": tinas.commands, "hil": hil.commands}[prog]
    p = build_parser(prog, "", pkg)
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def documented_actions(sp: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in sp._actions if not isinstance(a, argparse._HelpAction) and a.help != argparse.SUPPRESS]


def flag_name(a: argparse.Action) -> str:
    return max(a.option_strings, key=len) if a.option_strings else a.dest


def render() -> str:
    lines = ["# Commands", "",
             "Every `tinas` and `hil` command with its help text (from the parsers) and examples that together "
             "use every flag. Written by `scripts/commands_doc.py`; do not edit by hand. Paths such as `runs/mine` "
             "are outputs of the README's earlier rows; `examples/` and `tests/data/` are shipped.", "",
             "Both programs take `--version`, `-v`/`-vv` (more diagnostics on stderr) and `-q` (warnings and errors "
             "only) before the command, e.g. `tinas -q cost examples/net_small.json`. A bad input ends with one "
             "line on stderr and exit status 2.", ""]
    for prog in ("tinas", "hil"):
        for name, sp in sorted(subparsers(prog).items()):
            lines += [f"## `{prog} {name}`", ""]
            desc = (sp.description or "").strip()
            if desc:
                lines += [desc, ""]
            lines += ["| flag | help |", "|---|---|"]
            for a in documented_actions(sp):
                names = ", ".join(f"`{o}`" for o in a.option_strings) or f"`{a.dest}` (positional)"
                lines.append(f"| {names} | {' '.join((a.help or '').split()).replace('|', '/')} |")
            lines += ["", "Examples:", "", "```sh"] + EXAMPLES.get((prog, name), []) + ["```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/commands.md differs from the parsers")
    a = ap.parse_args()
    text = render()
    if a.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print("docs/commands.md is up to date" if same else "docs/commands.md is out of date: run scripts/commands_doc.py")
        return 0 if same else 1
    tmp = OUT.with_name(".commands.md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(OUT)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
