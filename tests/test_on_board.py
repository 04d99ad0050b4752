"""On a real board (skipped without one): pass --hil-lg-place NAME [--hil-lg-coordinator HOST:PORT] or
--hil-lg-env FILE (docs/board-setup.md). The artifact is a small DIGITS network, whose expected output
was computed on the host by the Q15 reference; the board must reproduce it bit for bit."""

from __future__ import annotations

import pytest

from tests.fw_models import IMAGE_BLOCKS, make_artifact

pytestmark = pytest.mark.board


@pytest.fixture(scope="module")
def artifact_dir(tmp_path_factory):
    return make_artifact(tmp_path_factory.mktemp("art") / "a", dataset="DIGITS", width=0.5, resolution=8,
                         blocks=IMAGE_BLOCKS).directory


def test_inference_is_bit_exact_on_the_board(dut):
    row = dut.run_inference("thevenin_tinas")
    assert row.target_kind == "board" and row.output_correct
    cont = dut.measure()[1]
    assert cont.power_mode == "continuous" and cont.output_correct
