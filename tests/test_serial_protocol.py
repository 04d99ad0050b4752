"""The serial protocol on both sides: the C encoder (rt_frame.c, compiled natively) and the Python
parser agree; through a real pseudo-terminal, noise, truncation and brown-out garbage are survived."""

from __future__ import annotations

import ctypes
import os
import pty
import subprocess

import numpy as np
import pytest
import serial

from hil.firmware_paths import FIRMWARE_DIR
from hil.serial_protocol import FrameParser, FrameType, crc16_ccitt, encode_frame


@pytest.fixture(scope="module")
def c_frames(tmp_path_factory):
    d = tmp_path_factory.mktemp("frame")
    stub = d / "stub.c"
    stub.write_text("#include <stdint.h>\nuint8_t out[4096]; uint16_t out_n;\n"
                    "void hal_uart_write(const uint8_t *b, uint16_t n) { while (n--) out[out_n++] = *b++; }\n"
                    "uint16_t hal_uart_read(uint8_t *b, uint16_t n) { (void)b; (void)n; return 0; }\n")
    so = d / "libframe.so"
    subprocess.run(["gcc", "-std=c99", "-shared", "-fPIC", f"-I{FIRMWARE_DIR / 'include'}", "-o", str(so),
                    str(FIRMWARE_DIR / "runtime" / "rt_frame.c"), str(stub)], check=True)
    lib = ctypes.CDLL(str(so))
    lib.rt_frame_send.argtypes = [ctypes.c_uint8, ctypes.c_char_p, ctypes.c_uint8]
    lib.rt_crc16.argtypes = [ctypes.c_uint16, ctypes.c_char_p, ctypes.c_uint16]
    lib.rt_crc16.restype = ctypes.c_uint16
    return lib


def c_send(lib, ftype, payload):
    n = ctypes.c_uint16.in_dll(lib, "out_n")
    n.value = 0
    lib.rt_frame_send(ftype, payload, len(payload))
    return bytes((ctypes.c_uint8 * n.value).in_dll(lib, "out"))


def test_crc_reference_value(c_frames):
    assert crc16_ccitt(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE check value
    assert c_frames.rt_crc16(0xFFFF, b"123456789", 9) == 0x29B1


def test_c_encoder_matches_python(c_frames):
    a = c_send(c_frames, FrameType.DONE, bytes(range(16)))
    b = c_send(c_frames, FrameType.LOG, b"hello")
    assert a == encode_frame(FrameType.DONE, 0, bytes(range(16)))
    assert b == encode_frame(FrameType.LOG, 1, b"hello")
    frames = FrameParser().feed(a + b)
    assert [f.type for f in frames] == [FrameType.DONE, FrameType.LOG] and frames[1].payload == b"hello"


def test_through_a_pty_with_noise_truncation_and_garbage():
    master, slave = pty.openpty()
    port = serial.Serial(os.ttyname(slave), timeout=0.2)
    rng = np.random.default_rng(3)
    good = [encode_frame(FrameType.LAYER, i, bytes([i, 0, 1])) for i in range(20)]
    corrupt = bytearray(encode_frame(FrameType.RESULT, 20, b"\x01\x02\x03\x04\x05\x00"))
    corrupt[7] ^= 0x40  # a flipped payload bit
    stream = (rng.integers(0, 256, 50, dtype=np.uint8).tobytes() + b"".join(good[:10]) + good[10][:5]  # truncated
              + bytes(corrupt) + b"\xa5\xa5\x5a\x00" + rng.integers(0, 256, 80, dtype=np.uint8).tobytes()  # brown-out
              + b"".join(good[11:]))
    os.write(master, stream)
    data = b""
    while len(data) < len(stream):
        chunk = port.read(len(stream) - len(data))
        if not chunk:
            break
        data += chunk
    port.close()
    os.close(master)
    p = FrameParser()
    frames = []
    for i in range(0, len(data), 7):  # arbitrary chunking
        frames += p.feed(data[i: i + 7])
    layers = [f.fields()["layer"] for f in frames if f.type == FrameType.LAYER]
    assert set(range(10)) | set(range(11, 20)) <= set(layers)
    assert FrameType.RESULT not in [f.type for f in frames]  # the corrupted one is dropped, never misread
    assert p.frames_bad_crc >= 1 and p.bytes_skipped > 0
