"""Artifacts are verified whole (issue 16): one changed byte in any file, or a truncated golden.npz,
is refused with a message naming the file - never accepted, never a traceback."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tests.test_export import random_inputs, random_weights, small_net
from tinas.cost import evaluate
from tinas.errors import ContractError
from tinas.export import export_model, load_artifact
from tinas.platform import load_platform


@pytest.fixture
def art(tmp_path):
    net = small_net()
    p = load_platform()
    rng = np.random.default_rng(1)
    export_model(net, evaluate(net, p).designs, random_weights(net, rng), random_inputs((8, 8, 1), 8, rng),
                 tmp_path / "a", platform=p)
    load_artifact(tmp_path / "a")  # intact: loads
    return tmp_path / "a"


def test_tile_size_changed_in_artifact_json_is_refused(art):
    text = (art / "artifact.json").read_text()
    m = re.search(r'"T[nmrc]": (\d+)', text)
    i = m.end() - 1
    # flip bit 0 of the tile size's last digit (4 -> 5): still valid JSON and a plausible design
    flipped = text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1:]
    (art / "artifact.json").write_text(flipped)
    assert json.loads(flipped) != json.loads(text)
    with pytest.raises(ContractError, match="artifact.json: sha256 does not match"):
        load_artifact(art)


def test_truncated_golden_is_refused_cleanly(art):
    g = art / "golden.npz"
    g.write_bytes(g.read_bytes()[: g.stat().st_size // 2])
    with pytest.raises(ContractError, match="golden.npz"):
        load_artifact(art)


def test_truncated_golden_without_manifest_check_is_still_a_contract_error(art):
    # even if the manifest were rewritten to match, a broken zip is a ContractError, not BadZipFile
    from tinas.export.artifact import write_manifest

    g = art / "golden.npz"
    g.write_bytes(g.read_bytes()[:100])
    write_manifest(art)
    with pytest.raises(ContractError, match="cannot read golden vectors"):
        load_artifact(art)


def test_missing_manifest_is_refused(art):
    (art / "manifest.json").unlink()
    with pytest.raises(ContractError, match="manifest.json"):
        load_artifact(art)


def test_hil_run_on_a_tampered_artifact_exits_2(art, tmp_path, capsys):
    from hil.cli import main

    (art / "model.h").write_text("/* edited */\n")
    out = tmp_path / "m.csv"
    assert main(["run", "--target", "host", "--artifact", str(art), "--out", str(out)]) == 2
    assert "model.h" in capsys.readouterr().err and not out.exists()


def test_artifact_folder_and_files_are_shareable(art):
    import os
    import stat

    m = os.umask(0)
    os.umask(m)
    assert stat.S_IMODE(os.stat(art).st_mode) == 0o777 & ~m  # mkdtemp's 0700 is not kept
    assert stat.S_IMODE(os.stat(art / "artifact.json").st_mode) == 0o666 & ~m  # atomic writes: not 0600
