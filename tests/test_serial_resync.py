"""Resynchronisation of the serial parser on noise that contains the sync bytes (issue 16).

The property: whatever noise precedes a run of real frames, and however the stream is chunked, every
real frame comes out, in order, without waiting for bytes the device never sends. It is checked on
many random examples (hypothesis), and shown to catch a parser that drops a whole candidate frame on
a bad CRC (a separately written naive parser below)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hil.serial_protocol import MAX_PAYLOAD, SYNC, FrameParser, FrameType, crc16_ccitt, encode_frame

# noise: random bytes where the sync pattern and plausible length bytes are common
noise_piece = st.one_of(st.binary(min_size=0, max_size=6), st.just(SYNC),
                        st.tuples(st.just(SYNC), st.integers(0, 255)).map(lambda t: t[0] + bytes([t[1]])))
noise_st = st.lists(noise_piece, max_size=6).map(b"".join)
frame_st = st.tuples(st.sampled_from(list(FrameType)), st.integers(0, 0xFFFF), st.binary(max_size=24))
frames_st = st.lists(frame_st, min_size=1, max_size=4)


class WholeDropParser:
    """A flawed parser kept only to prove the property can fail: on a bad CRC it skips the whole
    candidate (length byte + 8), which can swallow the start of the real frame behind it."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes):
        self.buffer += data
        out = []
        while True:
            i = self.buffer.find(SYNC)
            if i < 0 or len(self.buffer) < i + 8:
                return out
            del self.buffer[:i]
            n = self.buffer[2]
            if n > MAX_PAYLOAD:
                del self.buffer[:1]
                continue
            if len(self.buffer) < n + 8:
                return out
            body = bytes(self.buffer[2: 6 + n])
            ok = struct.unpack_from("<H", self.buffer, 6 + n)[0] == crc16_ccitt(body)
            if ok:
                out.append((body[1], struct.unpack_from("<H", body, 2)[0], body[4:]))
            del self.buffer[: n + 8]


def _parse_all(parser_factory, stream: bytes, cut: int) -> list[tuple[int, int, bytes]]:
    p = parser_factory()
    got = []
    for i in range(0, len(stream), cut):
        for f in p.feed(stream[i: i + cut]):
            got.append(f if isinstance(f, tuple) else (f.type, f.seq, f.payload))
    return got


def _check(parser_factory, noise: bytes, frames, cut: int) -> None:
    stream = noise + b"".join(encode_frame(t, s, pl) for t, s, pl in frames)
    got = _parse_all(parser_factory, stream, cut)
    want = [(int(t), s, pl) for t, s, pl in frames]
    assert [(int(t), s, pl) for t, s, pl in got[-len(want):]] == want, (noise.hex(), got)


def _property(parser_factory):
    @settings(max_examples=400, deadline=None, database=None)
    @given(noise=noise_st, frames=frames_st, cut=st.integers(1, 64))
    @example(noise=b"\x11\x22\x33" + SYNC + b"\xc8", frames=[(FrameType.RESULT, 7, bytes(6)),
                                                            (FrameType.DONE, 8, bytes(16))], cut=64)
    def prop(noise, frames, cut):
        _check(parser_factory, noise, frames, cut)
    return prop


def test_noise_with_sync_bytes_before_frames_never_loses_a_frame():
    _property(FrameParser)()


def test_property_catches_a_parser_that_drops_a_whole_candidate():
    with pytest.raises(AssertionError):
        _property(WholeDropParser)()


def test_false_long_sync_before_result_and_done_does_not_stall():
    """The board-run case: six noise bytes holding A5 5A C8 (a 200-byte claim), then RESULT and DONE,
    then silence. Both frames must come out of the same feed, with no more bytes arriving."""
    noise = bytes([0x01, 0x02, 0x03, 0xA5, 0x5A, 0xC8])
    stream = noise + encode_frame(FrameType.RESULT, 3, struct.pack("<IH", 0xDEADBEEF, 10)) \
        + encode_frame(FrameType.DONE, 4, bytes(16))
    frames = FrameParser().feed(stream)
    assert [f.type for f in frames] == [FrameType.RESULT, FrameType.DONE]
    assert frames[0].fields() == {"output_crc": 0xDEADBEEF, "output_len": 10}


def test_flush_abandons_a_pending_false_candidate():
    p = FrameParser()
    assert p.feed(SYNC + b"\xc8\x04\x00\x00abc") == []
    assert p.flush() == [] and len(p.buffer) <= 1
    assert [f.type for f in p.feed(encode_frame(FrameType.LOG, 0, b"x"))] == [FrameType.LOG]
