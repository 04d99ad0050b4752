"""`tinas export --space` (input resolution, refusals, the memory warning) and `hil build`."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import types
from pathlib import Path

import pytest

from hil.cli import main as hil_main
from tinas.cli import main as tinas_main
from tinas.errors import TinasError
from tinas.export.from_search import resolve_space

ROOT = Path(__file__).resolve().parent.parent


def test_resolve_space_accepts_folder_solution_and_stage1_log(tmp_path):
    (tmp_path / "mine_solution.json").write_text("{}")
    (tmp_path / "mine_ssoptlog.json").write_text("{}")
    assert resolve_space(tmp_path) == (tmp_path, None)
    assert resolve_space(tmp_path / "mine_solution.json") == (tmp_path, "mine")
    assert resolve_space(tmp_path / "mine_ssoptlog.json") == (tmp_path, "mine")
    with pytest.raises(TinasError, match="not found"):
        resolve_space(tmp_path / "nope")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(TinasError, match="not a search folder"):
        resolve_space(tmp_path / "other.json")


def test_export_space_refusals(tmp_path, capsys):
    assert tinas_main(["export", "--space", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "not found" in capsys.readouterr().err
    assert tinas_main(["export", "--space", str(tmp_path), "--count", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--count must be at least 1" in capsys.readouterr().err
    # a folder without a finished search names what is missing
    assert tinas_main(["export", "--space", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "0 solutions found" in capsys.readouterr().err


def test_export_warns_above_the_external_fram(caplog, capsys):
    from tinas.commands.export import report_artifact

    rec = types.SimpleNamespace(firmware_layers=(1, 2), blob_size=10, nvm_size=(1 << 20) + 1)
    with caplog.at_level(logging.WARNING):
        report_artifact("big", rec)
    assert "host target only" in caplog.text and str((1 << 20) + 1) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        report_artifact("small", types.SimpleNamespace(firmware_layers=(1,), blob_size=10, nvm_size=1 << 20))
    assert caplog.text == ""  # exactly 1 MiB fits


def test_export_shipped_solution(tmp_path, capsys):
    assert tinas_main(["export", str(ROOT / "examples/solution_digits.json"), "--out", str(tmp_path / "a")]) == 0
    rec = json.loads((tmp_path / "a" / "artifact.json").read_text())
    assert rec["format"] == "tinas.artifact"
    assert f"NVM {rec['nvm_size']} B" in capsys.readouterr().out


needs_msp430 = pytest.mark.skipif(shutil.which("clang-14") is None or shutil.which("ld.lld-14") is None,
                                  reason="clang-14/ld.lld-14 not installed")


def _field(out: str, key: str) -> str:
    return next(x.split(":", 1)[1].strip() for x in out.splitlines() if x.startswith(key + ":"))


@needs_msp430
def test_build_emulator_and_fr5994_are_one_elf(capsys):
    assert hil_main(["build", "--target", "emulator"]) == 0
    emu = capsys.readouterr().out
    assert hil_main(["build", "--target", "fr5994", "--json"]) == 0
    fr = json.loads(capsys.readouterr().out)
    path = Path(_field(emu, "file").rsplit(" (", 1)[0])
    assert path == Path(fr["path"]) and path.is_file()
    assert _field(emu, "sha256") == fr["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "same ELF" in emu and "lower FRAM" in _field(emu, "memory map")
    # a define changes the image
    assert hil_main(["build", "--target", "fr5994", "--flag", "RT_NO_PRESERVATION", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sha256"] != fr["sha256"]


def test_build_host_and_refusals(capsys):
    if shutil.which("make") is None or shutil.which("gcc") is None:
        pytest.skip("make/gcc not installed")
    assert hil_main(["build", "--target", "host", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert Path(info["path"]).is_file() and info["variant"] == "host"
    assert info["sha256"] == hashlib.sha256(Path(info["path"]).read_bytes()).hexdigest()
    assert hil_main(["build", "--target", "host", "--flag", "TINAS_LOADER"]) == 2
    assert "host build takes only" in capsys.readouterr().err
    assert hil_main(["build", "--target", "fr5994", "--flag", "X;rm -rf"]) == 2
    assert "C macro name" in capsys.readouterr().err
