"""Loading a model into NVM over the serial link: the loader firmware in the emulator and the host
sender on a real pty agree, byte for byte, and the CRC check catches a bad load."""

from __future__ import annotations

import pytest

from hil.loader import load_on_emulator
from tests.fw_models import IMAGE_BLOCKS, make_artifact
from tests.twin_known import xfail_on_port_dma_problem

pytestmark = pytest.mark.emulator


def test_blob_arrives_intact(tmp_path):
    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)
    with xfail_on_port_dma_problem():
        nvm = load_on_emulator(art.blob)
    assert nvm[: len(art.blob)] == art.blob
