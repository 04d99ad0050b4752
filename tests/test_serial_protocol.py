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


@pytest.mark.tools("gcc")
def test_crc_reference_value(c_frames):
    assert crc16_ccitt(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE check value
    assert c_frames.rt_crc16(0xFFFF, b"123456789", 9) == 0x29B1


@pytest.mark.tools("gcc")
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


def _frame(ftype, seq, payload):
    return FrameParser().feed(encode_frame(ftype, seq, payload))[0]


def test_fields_decode_unsigned_values_at_their_exact_lengths():
    import struct

    big = 0xFFFFFFF0
    assert _frame(FrameType.BOOT, 0, struct.pack("<I", big)).fields() == {"boot_count": big}
    assert _frame(FrameType.LAYER, 0, struct.pack("<HB", 0xFFFE, 1)).fields() == {"layer": 0xFFFE, "status": 1}
    assert _frame(FrameType.RESULT, 0, struct.pack("<IH", 0xDEADBEEF, 0xFFFF)).fields() == {
        "output_crc": 0xDEADBEEF, "output_len": 0xFFFF}
    assert _frame(FrameType.DONE, 0, struct.pack("<IIII", big, big + 1, big + 2, 7)).fields() == {
        "compute_cycles": big, "preserve_cycles": big + 1, "recover_cycles": big + 2, "boot_count": 7}
    assert _frame(FrameType.ERROR, 0, struct.pack("<H", 0xFFFF)).fields() == {"code": 0xFFFF}
    # one byte short: nothing decoded; another type with a long payload: nothing decoded
    for t, n in ((FrameType.BOOT, 3), (FrameType.LAYER, 2), (FrameType.RESULT, 5), (FrameType.DONE, 15), (FrameType.ERROR, 1)):
        assert _frame(t, 0, bytes(n)).fields() == {}, t
    assert _frame(FrameType.LOG, 0, bytes(range(20))).fields() == {}


def test_encoder_limits_and_unsigned_header():
    assert len(encode_frame(FrameType.LOG, 0, bytes(240))) == 6 + 240 + 2
    with pytest.raises(ValueError, match="payload of 241 bytes exceeds 240"):
        encode_frame(FrameType.LOG, 0, bytes(241))
    f = _frame(0x90, 0x1FFFE, b"")  # type above 127, seq masked to 16 bits and above 32767
    assert (f.type, f.seq, f.payload) == (0x90, 0xFFFE, b"")
    assert len(_frame(FrameType.LOG, 1, bytes(240)).payload) == 240  # the largest payload is a frame


def test_parser_counts_exactly():
    """Hand-counted stream: 3 garbage bytes, a good frame (seq 0), the same-length frame with a flipped
    payload bit (seq 1), then seq 2, 3, 0xFFFF, 0 (wrap), 1, 0 (reboot), 1: two gaps (0→2, 3→0xFFFF)."""
    garbage = b"\x00\x11\x22"
    frames = [encode_frame(FrameType.LAYER, s, bytes([s & 0x7F, 0, 1])) for s in (0, 1, 2, 3, 0xFFFF, 0, 1, 0, 1)]
    bad = bytearray(frames[1])
    bad[7] ^= 0x01
    assert all(f.find(b"\xa5\x5a", 1) < 0 for f in frames) and bytes(bad).find(b"\xa5\x5a", 1) < 0
    stream = garbage + frames[0] + bytes(bad) + b"".join(frames[2:])
    p = FrameParser()
    got = p.feed(stream, t_host_s=2.5)
    assert [f.seq for f in got] == [0, 2, 3, 0xFFFF, 0, 1, 0, 1]
    assert all(f.t_host_s == 2.5 for f in got)
    assert (p.frames_ok, p.frames_bad_crc, p.seq_gaps) == (8, 1, 2)
    assert p.bytes_skipped == len(garbage) + len(bad)
    assert FrameParser().feed(frames[0])[0].t_host_s == 0.0


def test_parser_chunk_boundaries():
    """A frame split after its first sync byte, inside its header and before its CRC comes out whole,
    with nothing skipped; an impossible length after a sync pair skips only the bad bytes."""
    f = encode_frame(FrameType.LOG, 5, b"")  # 8 bytes: header 6 + CRC 2
    for cut in (1, 5, 6, 7):
        p = FrameParser()
        assert p.feed(f[:cut]) == []
        out = p.feed(f[cut:])
        assert [(x.type, x.seq) for x in out] == [(FrameType.LOG, 5)] and p.bytes_skipped == 0, cut
    p = FrameParser()
    assert p.feed(b"\x01\x02\xa5") == [] and p.bytes_skipped == 2  # a trailing 0xA5 may start a frame
    p = FrameParser()
    assert p.feed(b"\x01\x02\x03") == [] and p.bytes_skipped == 3 and len(p.buffer) == 0
    p = FrameParser()
    out = p.feed(b"\xa5\x5a\xf5\x00\x00\x00" + f)  # length 245 > 240: not a frame
    assert [x.seq for x in out] == [5] and p.bytes_skipped == 6 and p.frames_bad_crc == 0


def test_parser_counts_every_bad_frame():
    """Two impossible lengths and two bad CRCs are each counted (the counters add, they are not flags)."""
    good = encode_frame(FrameType.LOG, 1, b"ok")
    bad = bytearray(encode_frame(FrameType.LOG, 2, b"xy"))
    bad[6] ^= 0x01
    p = FrameParser()
    out = p.feed(b"\xa5\x5a\xf5" + b"\xa5\x5a\xf6" + bytes(bad) + bytes(bad) + good)
    assert [f.payload for f in out] == [b"ok"]
    assert p.frames_bad_crc == 2 and p.bytes_skipped == 6 + 2 * len(bad)
