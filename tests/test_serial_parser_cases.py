"""The serial parser on hand-built byte streams (contract 8): the per-layer counters of LAYER-end frames,
false syncs abandoned one byte at a time, a frame completed by its last byte, and the idle-line flush.
Deterministic companions of the random property in tests/test_serial_resync.py; byte counts by hand."""

from __future__ import annotations

import struct

from hil.serial_protocol import SYNC, Frame, FrameParser, FrameType, encode_frame, layer_counters

# the LAYER-end counter block as the firmware writes it: layer u16, boots u16, then 17 u32 (4 + 68 = 72 bytes)
NAMES = ("layer", "boots", "boot_prev", "tiles", "commits", "rd_cmds", "rd_bytes", "wr_cmds", "wr_bytes", "mac_calls",
         "mac_elems", "op_requant", "op_relu", "op_add", "op_gap", "op_zero", "op_div", "cycles_compute", "cycles_preserve")
BLOCK = struct.Struct("<HH" + "I" * 17)


def layer_end(layer: int, base: int, status: int = 1, short: int = 0) -> Frame:
    vals = [layer, 2] + [base + k for k in range(17)]
    return Frame(FrameType.LAYER, 0, struct.pack("<HB", layer, status) + BLOCK.pack(*vals)[: BLOCK.size - short])


def test_layer_end_frame_carries_the_counters():
    assert BLOCK.size == 72
    f = layer_end(3, 100).fields()
    assert (f["layer"], f["status"]) == (3, 1)
    want = dict(zip(NAMES, [3, 2] + list(range(100, 117))))
    assert {k[4:]: v for k, v in f.items() if k.startswith("cnt_")} == want
    assert len([k for k in f if k.startswith("cnt_")]) == 19
    # a layer start (status 0) or a block one byte short carries none
    assert layer_end(3, 100, status=0).fields() == {"layer": 3, "status": 0}
    assert layer_end(3, 100, short=1).fields() == {"layer": 3, "status": 1}


def test_layer_counters_in_layer_order_last_report_wins():
    frames = [Frame(FrameType.BOOT, 0, struct.pack("<I", 1)), layer_end(1, 10), layer_end(0, 20, status=0),
              layer_end(0, 30), layer_end(1, 40), layer_end(2, 50, short=1), Frame(FrameType.DONE, 0, bytes(16))]
    got = layer_counters(frames)
    assert [c["layer"] for c in got] == [0, 1]  # layer 2 never reported its block
    assert got[0] == dict(zip(NAMES, [0, 2] + list(range(30, 47))))
    assert got[1]["tiles"] == 40 + 1 and got[1]["cycles_preserve"] == 40 + 16  # the second report of layer 1
    assert layer_counters([]) == ()


def test_false_sync_with_a_long_claim_is_dropped_by_one_byte():
    real = encode_frame(FrameType.RESULT, 7, bytes(6))
    p = FrameParser()
    # A5 5A C8 claims 200 bytes; the real frame inside it is complete: 3 bytes skipped, one by one
    out = p.feed(SYNC + b"\xc8" + real)
    assert [(f.type, f.seq) for f in out] == [(FrameType.RESULT, 7)]
    assert (p.bytes_skipped, p.frames_ok, p.frames_bad_crc, len(p.buffer)) == (3, 1, 0, 0)


def test_a_real_frame_inside_a_false_candidate_waits_for_its_last_byte():
    real = encode_frame(FrameType.LOG, 9, b"abc")  # 11 bytes
    p = FrameParser()
    assert p.feed(SYNC + b"\xc8" + real[:-1]) == [] and p.bytes_skipped == 0  # nothing complete yet
    out = p.feed(real[-1:])
    assert [f.payload for f in out] == [b"abc"] and p.bytes_skipped == 3
    # a sync pair whose header is cut short after the false candidate is no frame either
    q = FrameParser()
    assert q.feed(SYNC + b"\xc8\x00\x00\x00" + SYNC + b"\x00\x05") == [] and q.bytes_skipped == 0


def test_a_corrupt_frame_inside_a_false_candidate_is_not_taken():
    real = bytearray(encode_frame(FrameType.LOG, 9, b"abc"))
    real[-1] ^= 0xFF  # bad CRC
    p = FrameParser()
    assert p.feed(SYNC + b"\xc8" + bytes(real) + b"\x00" * 4) == [] and p.bytes_skipped == 0


def test_the_second_of_two_inner_syncs_can_be_the_real_frame():
    real = encode_frame(FrameType.LOG, 1, b"z")  # 9 bytes
    # false candidate, then a second false sync (length 5, bad CRC: its bytes are all known), then the frame
    p = FrameParser()
    out = p.feed(SYNC + b"\xc8" + SYNC + b"\x05\x01\x00\x00" + real)
    assert [f.payload for f in out] == [b"z"]


def test_flush_on_an_idle_line_skips_the_pending_candidate_byte_by_byte():
    p = FrameParser()
    assert p.feed(SYNC + b"\x0a\x01\x02\x03") == []  # claims 10 bytes, 6 arrived
    assert p.flush() == []
    # the sync byte abandoned, then 5A 0A 01 02 03 hold no sync: all 6 bytes skipped, nothing kept
    assert p.bytes_skipped == 6 and len(p.buffer) == 0
    # two pending candidates, 3 garbage bytes before the first: 3 + 6 + 6 bytes
    q = FrameParser()
    assert q.feed(b"\x01\x02\x03" + SYNC + b"\x0a\x01\x02\x03" + SYNC + b"\x0a\x01\x02\x03") == []
    assert q.flush() == [] and q.bytes_skipped == 15 and len(q.buffer) == 0
    assert FrameParser().flush() == []


def test_an_impossible_length_is_dropped_as_soon_as_the_header_is_in():
    # A5 5A F5 claims 245 > 240 bytes: with the 6 header bytes present nothing is awaited, all 6 are skipped
    p = FrameParser()
    assert p.feed(SYNC + b"\xf5\x00\x00\x00") == []
    assert p.bytes_skipped == 6 and len(p.buffer) == 0


def test_inner_frames_of_any_crc_and_unusual_header_bytes_are_found():
    # eight seqs give CRCs above and below 0x8000; the false candidate claims 240 bytes and the byte two before
    # the inner sync is 0xFF, and the inner frame's type byte is 0xF1: neither is a length
    for seq in range(8):
        real = encode_frame(0xF1, seq, bytes([seq]))
        p = FrameParser()
        out = p.feed(SYNC + b"\xf0\xff\x00" + real)
        assert [(f.type, f.seq) for f in out] == [(0xF1, seq)], seq
        assert p.bytes_skipped == 5


def test_a_pending_real_frame_holding_sync_bytes_is_kept():
    real = encode_frame(FrameType.LOG, 1, b"\xa5\x5a\x01")  # its payload holds the sync pattern
    p = FrameParser()
    assert p.feed(real[:9]) == [] and p.bytes_skipped == 0  # the inner "sync" has 2 of its 6 header bytes
    assert [f.payload for f in p.feed(real[9:])] == [b"\xa5\x5a\x01"] and p.bytes_skipped == 0
    # a false candidate ending in a bare sync pair waits without error
    q = FrameParser()
    assert q.feed(SYNC + b"\xc8\x00\x00\x00" + SYNC) == [] and q.bytes_skipped == 0


def test_a_valid_inner_frame_between_two_other_syncs_is_found():
    real = encode_frame(FrameType.LOG, 1, b"z")
    p = FrameParser()
    out = p.feed(SYNC + b"\xc8" + SYNC + b"\x05\x01\x00\x00" + real + SYNC + b"\x05")
    assert [f.payload for f in out] == [b"z"] and p.buffer == bytearray(SYNC + b"\x05")


def test_an_empty_inner_frame_ending_the_buffer_is_complete():
    real = encode_frame(FrameType.LOG, 4, b"")  # 8 bytes: the shortest frame
    p = FrameParser()
    out = p.feed(SYNC + b"\xc8" + real)
    assert [(f.type, f.seq, f.payload) for f in out] == [(FrameType.LOG, 4, b"")] and p.bytes_skipped == 3


def test_flush_counts_a_complete_bad_candidate_behind_the_pending_one():
    # pending head (claims 200), then a complete 9-byte candidate with a bad CRC, then a pending one (claims 10):
    # flushing examines each in turn: the middle one is counted as a bad frame
    bad = SYNC + b"\x01\x05\x00\x00\x41\x00\x00"
    p = FrameParser()
    assert p.feed(SYNC + b"\xc8" + bad + SYNC + b"\x0a\x00") == [] and p.frames_bad_crc == 0
    assert p.flush() == []
    assert (p.frames_bad_crc, p.bytes_skipped, len(p.buffer)) == (1, 3 + 9 + 4, 0)


def test_flush_parses_bytes_already_in_the_buffer():
    """A parser made over bytes received earlier (its ``buffer`` field) flushes them like fed bytes: garbage
    counted, a false candidate abandoned, the frames inside returned with the flush's time stamp."""
    one, two = encode_frame(FrameType.LOG, 1, b"a"), encode_frame(FrameType.LOG, 2, b"b")
    p = FrameParser(buffer=bytearray(b"\x01\x02" + SYNC + b"\xc8" + one + SYNC + b"\x0a\x00"))
    out = p.flush(t_host_s=7.5)
    assert [(f.seq, f.t_host_s) for f in out] == [(1, 7.5)]
    # skipped: 2 garbage + 3 of the false candidate + 4 of the pending tail
    assert (p.bytes_skipped, len(p.buffer)) == (9, 0)
    q = FrameParser(buffer=bytearray(SYNC + b"\xc8" + one + two))
    assert [(f.seq, f.t_host_s) for f in q.flush()] == [(1, 0.0), (2, 0.0)] and q.flush() == []
