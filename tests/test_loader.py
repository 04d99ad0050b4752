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


def test_wrong_crc_is_refused_end_to_end(tmp_path, monkeypatch):
    """LOAD_END announces a CRC-32 that is not the blob's: the loader in the emulator says so, and the
    sender raises instead of reporting a loaded model."""
    import zlib

    from hil.loader import LoadError, send_blob

    art = make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)
    real = zlib.crc32
    monkeypatch.setattr("hil.loader.zlib.crc32", lambda data, *a: real(data, *a) ^ 0x1)
    with pytest.raises(LoadError, match="does not match"):
        load_on_emulator(art.blob, send=send_blob)


def test_corrupted_frame_is_never_acknowledged_end_to_end(tmp_path):
    """A LOAD frame whose payload was damaged on the wire (CRC-16 fails) is dropped by the emulated
    loader: the sender waits in vain for its acknowledgement."""
    import struct

    from hil.loader import LOAD, LoadError, _wait_ack
    from hil.serial_protocol import FrameParser, encode_frame

    def send_damaged(port, blob, timeout_s):
        frame = bytearray(encode_frame(LOAD, 0, struct.pack("<I", 0) + blob[:64]))
        frame[12] ^= 0x04
        port.write(bytes(frame))
        _wait_ack(port, FrameParser(), 3.0)

    with pytest.raises(LoadError, match="no acknowledgement|never came"):
        load_on_emulator(bytes(range(256)), timeout_s=10, send=send_damaged)
