"""The mutation runner's bookkeeping (benchmarks/mutation.py): equivalent mutants, scores and merging.

Pure functions on hand-made records; mutmut is never run here. Expected scores are computed by hand."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("bench_mutation", ROOT / "benchmarks" / "mutation.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_mutation"] = mod
    spec.loader.exec_module(mod)
    return mod


M = _load()


def _row(name="q15", **over):
    statuses = {"tinas.quant.q15.x_a__mutmut_1": "killed", "tinas.quant.q15.x_a__mutmut_2": "timeout",
                "tinas.quant.q15.x_a__mutmut_3": "survived", "tinas.quant.q15.x_b__mutmut_1": "survived",
                "tinas.quant.q15.x_b__mutmut_2": "no tests", "tinas.quant.q15.x_b__mutmut_3": "not checked"}
    row = {"name": name, "modules": ["tinas/quant/q15.py"], "tests": ["tests/test_q15.py"], "budget_s": 60.0,
           "wall_s": 5.0, "complete": True, "statuses": statuses,
           # 8 killed + 1 timeout, 3 survived + 1 without tests
           "counts": {"total": 14, "killed": 8, "timeout": 1, "survived": 3, "no_tests": 1},
           "survivors": [{"mutant": m, "status": s, "diff": f"-a\n+b {m}"} for m, s in statuses.items()
                         if s in ("survived", "no tests")],
           "command": "python benchmarks/mutation.py --groups q15", "date": "2026-11-29 20:00 UTC",
           "machine": "Linux x86_64, 2 cores", "children": 1, "mutmut": "3.8.1"}
    return row | over


def test_equivalents_file_parses_and_rejects_bad_tables(tmp_path):
    assert M.load_equivalents(tmp_path / "absent.toml", {"q15"}) == {}
    f = tmp_path / "eq.toml"
    f.write_text('# header\n[q15]\n"x_a__mutmut_3" = "equal modulo 2^32"\n')
    assert M.load_equivalents(f, {"q15"}) == {"q15": {"x_a__mutmut_3": "equal modulo 2^32"}}
    for text, words in (('[nope]\n"m" = "r"\n', "not a group"), ('[q15]\n"m" = ""\n', "non-empty"),
                        ('q15 = "flat"\n', "must be a table"), ("[q15\n", "not valid TOML")):
        f.write_text(text)
        with pytest.raises(M.EquivalentError, match=words):
            M.load_equivalents(f, {"q15"})


def test_equivalents_resolve_short_names_and_refuse_unknown_killed_or_ambiguous():
    row = _row()
    got = M.resolve_equivalents(row, {"x_a__mutmut_3": "r1", "tinas.quant.q15.x_b__mutmut_2": "r2"})
    assert got == {"tinas.quant.q15.x_a__mutmut_3": "r1", "tinas.quant.q15.x_b__mutmut_2": "r2"}
    with pytest.raises(M.EquivalentError, match="no such mutant"):
        M.resolve_equivalents(row, {"x_a__mutmut_99": "r"})
    with pytest.raises(M.EquivalentError, match="killed"):
        M.resolve_equivalents(row, {"x_a__mutmut_1": "r"})
    with pytest.raises(M.EquivalentError, match="timeout"):
        M.resolve_equivalents(row, {"x_a__mutmut_2": "r"})
    two = _row(statuses={"a.x_f__mutmut_1": "survived", "b.x_f__mutmut_1": "survived"})
    with pytest.raises(M.EquivalentError, match="ambiguous"):
        M.resolve_equivalents(two, {"x_f__mutmut_1": "r"})


def test_score_excludes_equivalents_from_the_denominator():
    row = _row()
    # no equivalents: (8 + 1) / (9 + 3 + 1) = 9/13 = 69.2 %
    assert M.score_row(row, {})["score_percent"] == 69.2
    # one survivor equivalent: 9 / 12 = 75.0 %; a not-checked one changes nothing
    eq = {"tinas.quant.q15.x_a__mutmut_3": "r", "tinas.quant.q15.x_b__mutmut_3": "not run"}
    s = M.score_row(row, eq)
    assert (s["killed"], s["alive"], s["score_percent"]) == (9, 3, 75.0)
    md = M.markdown([s])
    assert "`q15.x_a__mutmut_3`: r" in md and "x_a__mutmut_3\n" not in md  # listed as equivalent, not as survivor
    assert "# q15.x_b__mutmut_2 (no tests)" in md


def test_overall_sums_mutants_rather_than_averaging_groups():
    a = M.score_row(_row(), {"tinas.quant.q15.x_a__mutmut_3": "r"})  # 9 killed, 3 alive (75 %)
    b = M.score_row(_row("serial_protocol", statuses={}, survivors=[{"mutant": "m", "diff": ""}],
                         counts={"total": 2, "killed": 1, "survived": 1}), {})  # 1 killed, 1 alive (50 %)
    o = M.overall([a, b])
    assert (o["killed"], o["alive"], o["equivalent"]) == (10, 4, 1)
    assert o["score_percent"] == 71.4  # 10/14, not (75 + 50)/2 = 62.5


def test_merge_keeps_groups_not_rerun_with_their_own_command_and_order():
    old_q15 = _row(command="old q15 run")
    old_serial = _row("serial_protocol", command="serial run", date="2026-11-28 10:00 UTC")
    saved = {"format": M.FORMAT, "version": M.VERSION, "groups": [M.score_row(old_serial, {}), old_q15]}
    new_search = _row("search_operators", command="search run")
    new_q15 = _row(command="new q15 run")
    rows = M.merge_rows([new_search, new_q15], [saved], [g.name for g in M.GROUPS])
    assert [r["name"] for r in rows] == ["q15", "serial_protocol", "search_operators"]
    assert [r["command"] for r in rows] == ["new q15 run", "serial run", "search run"]
    assert rows[1]["date"] == "2026-11-28 10:00 UTC" and "score_percent" not in rows[1]
    # a version-1 file had one command for all its groups and no dates
    v1 = {"format": M.FORMAT, "version": 1, "command": "python benchmarks/mutation.py ",
          "groups": [{k: v for k, v in old_serial.items() if k not in ("command", "date")}]}
    (r,) = M.merge_rows([], [v1], ["serial_protocol"])
    assert (r["command"], r["date"]) == ("python benchmarks/mutation.py ", "unknown")
    with pytest.raises(ValueError, match="expected"):
        M.merge_rows([], [{"format": "other", "version": 2}], ["q15"])
    # two checkouts measured the same group: the later run wins, whichever file comes first
    other = {"format": M.FORMAT, "version": M.VERSION,
             "groups": [_row("serial_protocol", command="later serial", date="2026-11-29 22:00 UTC")]}
    for files in ([saved, other], [other, saved]):
        (r,) = M.merge_rows([], files, ["serial_protocol"])
        assert r["command"] == "later serial"


def test_rescoring_saved_results_writes_both_files_or_refuses_cleanly(tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    saved = {"format": M.FORMAT, "version": M.VERSION, "groups": [_row()]}
    (out / "mutation.json").write_text(json.dumps(saved))
    eq = tmp_path / "eq.toml"
    eq.write_text('[q15]\n"x_a__mutmut_3" = "equal modulo 2^32"\n')
    assert M.main(["--merge", "--groups", "--out", str(out), "--equivalents", str(eq)]) == 0
    data = json.loads((out / "mutation.json").read_text())
    assert data["groups"][0]["score_percent"] == 75.0 and data["overall"]["score_percent"] == 75.0
    assert "equal modulo 2^32" in (out / "mutation.md").read_text()
    before = (out / "mutation.json").read_text()
    eq.write_text('[q15]\n"x_a__mutmut_1" = "wrong: it was killed"\n')
    assert M.main(["--merge", "--groups", "--out", str(out), "--equivalents", str(eq)]) == 2
    assert "killed" in capsys.readouterr().err
    assert (out / "mutation.json").read_text() == before  # a re-score that fails changes nothing
    assert sorted(p.name for p in out.iterdir()) == ["mutation.json", "mutation.md"]  # no temp files left
    assert M.main(["--groups", "--out", str(out)]) == 2  # nothing to run without --merge
