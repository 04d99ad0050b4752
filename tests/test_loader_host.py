"""The model loader (rt_loader.c) on the host port, end to end through a pseudo-terminal with the real
host sender (hil/loader.py): a good blob lands byte for byte; a load frame corrupted on the wire is
refused (never acknowledged, never written); a blob whose bytes differ from the CRC-32 that LOAD_END
announces, or a LOAD_END with a wrong CRC, is refused by the device and reported by the sender."""

from __future__ import annotations

import os
import pty
import struct
import subprocess
import zlib
from contextlib import contextmanager

import numpy as np
import pytest
import serial

from hil.drivers.host_process import EXIT_DONE, EXIT_FATAL, build_host_firmware
from hil.loader import CHUNK, LOAD, LOAD_END, LoadError, _wait_ack, send_blob
from hil.serial_protocol import FrameParser, encode_frame

pytestmark = pytest.mark.tools("gcc", "make")


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


@contextmanager
def loader(exe, nvm_path, size=4096):
    """The loader firmware on one end of a pty (its UART), a serial port on the other (the host's)."""
    nvm_path.write_bytes(b"\xee" * size)  # erased-looking NVM: anything not written stays 0xEE
    master, slave = pty.openpty()
    port = serial.Serial(os.ttyname(slave), timeout=0.05)
    proc = subprocess.Popen([str(exe), str(nvm_path), "--loader"], stdin=master, stdout=master,
                            stderr=subprocess.PIPE)
    try:
        yield proc, port
    finally:
        port.close()
        os.close(slave)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)


def blob_of(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_crc32_is_the_standard_one():
    assert zlib.crc32(b"123456789") == 0xCBF43926  # CRC-32/ISO-HDLC check value, as the device computes it


def test_good_blob_lands_intact(tmp_path, exe):
    blob = blob_of(3 * CHUNK + 17)  # several frames and a short last one
    with loader(exe, tmp_path / "nvm") as (proc, port):
        send_blob(port, blob, timeout_s=5)
        assert proc.wait(timeout=5) == EXIT_DONE
    nvm = (tmp_path / "nvm").read_bytes()
    assert nvm[: len(blob)] == blob and set(nvm[len(blob):]) == {0xEE}


def test_wrong_crc_is_refused(tmp_path, exe):
    """LOAD_END announcing a CRC that is not the blob's: the device says no, the sender raises, the
    device stops with a failure status."""
    blob = blob_of(2 * CHUNK)
    with loader(exe, tmp_path / "nvm") as (proc, port):
        parser = FrameParser()
        for seq, off in enumerate(range(0, len(blob), CHUNK)):
            port.write(encode_frame(LOAD, seq, struct.pack("<I", off) + blob[off: off + CHUNK]))
            assert struct.unpack_from("<I", _wait_ack(port, parser, 5))[0] == off
        good = zlib.crc32(blob)
        port.write(encode_frame(LOAD_END, 2, struct.pack("<II", len(blob), good ^ 0x00010000)))
        ack = _wait_ack(port, parser, 5)
        assert len(ack) == 9 and ack[8] == 0  # "does not match"
        assert proc.wait(timeout=5) == EXIT_FATAL


def test_blob_changed_under_a_valid_frame_crc_is_refused(tmp_path, exe, monkeypatch):
    """One byte differs from the blob whose CRC-32 LOAD_END carries (each frame's own CRC-16 is valid,
    as when the host read a damaged file): send_blob reports the device's refusal."""
    blob = blob_of(2 * CHUNK + 5, seed=1)
    damaged = bytearray(blob)
    damaged[CHUNK + 3] ^= 0x01
    real_crc32 = zlib.crc32
    monkeypatch.setattr("hil.loader.zlib.crc32", lambda data, *a: real_crc32(blob, *a))  # announce the good blob's CRC
    with loader(exe, tmp_path / "nvm") as (proc, port):
        with pytest.raises(LoadError, match="does not match"):
            send_blob(port, bytes(damaged), timeout_s=5)
        assert proc.wait(timeout=5) == EXIT_FATAL


def test_frame_corrupted_on_the_wire_is_refused_then_resent(tmp_path, exe):
    """A LOAD frame with a flipped payload bit (its CRC-16 no longer matches) is dropped: no
    acknowledgement, nothing written. The same frame sent again is taken, and the load completes."""
    blob = blob_of(2 * CHUNK, seed=2)
    with loader(exe, tmp_path / "nvm") as (proc, port):
        parser = FrameParser()
        first = encode_frame(LOAD, 0, struct.pack("<I", 0) + blob[:CHUNK])
        bad = bytearray(first)
        bad[6 + 4 + 10] ^= 0x20  # a data byte of the payload
        port.write(bytes(bad))
        with pytest.raises(LoadError, match="no acknowledgement"):
            _wait_ack(port, parser, 1.0)
        assert (tmp_path / "nvm").read_bytes()[:CHUNK] == b"\xee" * CHUNK  # not written
        port.write(first)
        assert struct.unpack_from("<I", _wait_ack(port, parser, 5))[0] == 0
        port.write(encode_frame(LOAD, 1, struct.pack("<I", CHUNK) + blob[CHUNK:]))
        assert struct.unpack_from("<I", _wait_ack(port, parser, 5))[0] == CHUNK
        port.write(encode_frame(LOAD_END, 2, struct.pack("<II", len(blob), zlib.crc32(blob))))
        ack = _wait_ack(port, parser, 5)
        assert ack[8] == 1 and struct.unpack_from("<II", ack) == (len(blob), zlib.crc32(blob))
        assert proc.wait(timeout=5) == EXIT_DONE
    assert (tmp_path / "nvm").read_bytes()[: len(blob)] == blob


def test_garbage_and_truncated_frames_before_a_load(tmp_path, exe):
    """Noise, a truncated frame and a frame of an unknown type ahead of the blob change nothing."""
    blob = blob_of(CHUNK + 1, seed=3)
    with loader(exe, tmp_path / "nvm") as (proc, port):
        noise = blob_of(40, seed=4).replace(b"\xa5", b"\x00")
        port.write(noise + encode_frame(LOAD, 9, struct.pack("<I", 0) + b"xyz")[:7] + encode_frame(0x7E, 0, b"??"))
        send_blob(port, blob, timeout_s=5)
        assert proc.wait(timeout=5) == EXIT_DONE
    assert (tmp_path / "nvm").read_bytes()[: len(blob)] == blob
