"""Host side of the serial protocol (contract 8): frame types and a resynchronising parser.

Frames: ``A5 5A | len u8 | type u8 | seq u16 LE | payload | crc16 u16 LE``, CRC-16/CCITT-FALSE over
len, type, seq and payload. The parser scans for the sync bytes, so garbage written while the supply
browns out is skipped; a frame whose CRC fails is dropped and counted, never misread.

Resynchronisation: noise can contain the sync bytes. A false sync is abandoned by advancing ONE byte
past it (never the whole candidate, which may hold the start of a real frame): when its length byte is
impossible, when its CRC fails, and - so a false sync with a long claimed length cannot stall the parser
while the device has stopped sending - as soon as a complete, CRC-valid frame starts inside it.
``flush()`` abandons a pending candidate after the line has gone idle.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from tinas.export.layout import COUNTER_FIELDS, COUNTERS

SYNC = b"\xa5\x5a"
MAX_PAYLOAD = 240


class FrameType(IntEnum):
    BOOT = 0x01
    LAYER = 0x02
    RESULT = 0x03
    DONE = 0x04
    LOG = 0x05
    ERROR = 0x06


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes
    t_host_s: float = 0.0  # host timestamp when the frame was complete

    def fields(self) -> dict[str, int]:
        """Decode the payload of the known frame types."""
        p = self.payload
        if self.type == FrameType.BOOT and len(p) >= 4:
            return {"boot_count": struct.unpack_from("<I", p)[0]}
        if self.type == FrameType.LAYER and len(p) >= 3:
            layer, status = struct.unpack_from("<HB", p)
            out = {"layer": layer, "status": status}
            if status == 1 and len(p) >= 3 + COUNTERS.size:  # layer end: the layer's primitive counters
                vals = COUNTERS.unpack_from(p, 3)
                out |= {f"cnt_{name}": v for (name, _), v in zip(COUNTER_FIELDS, vals)}
            return out
        if self.type == FrameType.RESULT and len(p) >= 6:
            crc, n = struct.unpack_from("<IH", p)
            return {"output_crc": crc, "output_len": n}
        if self.type == FrameType.DONE and len(p) >= 16:
            c, pr, r, b = struct.unpack_from("<IIII", p)
            return {"compute_cycles": c, "preserve_cycles": pr, "recover_cycles": r, "boot_count": b}
        if self.type == FrameType.ERROR and len(p) >= 2:
            return {"code": struct.unpack_from("<H", p)[0]}
        return {}


def layer_counters(frames: list[Frame]) -> tuple[dict[str, int], ...]:
    """Per-layer counters from the LAYER-end frames of a run, in layer order (the last frame of a layer
    wins if a layer was reported twice); keys as in ``COUNTER_FIELDS``."""
    by_layer: dict[int, dict[str, int]] = {}
    for f in frames:
        if f.type != FrameType.LAYER:
            continue
        d = f.fields()
        if d.get("status") == 1 and "cnt_tiles" in d:
            by_layer[d["layer"]] = {k[4:]: v for k, v in d.items() if k.startswith("cnt_")}
    return tuple(by_layer[k] for k in sorted(by_layer))


def encode_frame(ftype: int, seq: int, payload: bytes) -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = struct.pack("<BBH", len(payload), ftype, seq & 0xFFFF) + payload
    return SYNC + body + struct.pack("<H", crc16_ccitt(body))


@dataclass
class FrameParser:
    """Feed bytes in any chunking; get complete, CRC-checked frames out."""

    buffer: bytearray = field(default_factory=bytearray)
    frames_ok: int = 0
    frames_bad_crc: int = 0
    bytes_skipped: int = 0
    seq_gaps: int = 0
    _last_seq: int | None = None

    def feed(self, data: bytes, t_host_s: float = 0.0) -> list[Frame]:
        self.buffer.extend(data)
        out: list[Frame] = []
        while True:
            i = self.buffer.find(SYNC)
            if i < 0:
                keep = 1 if self.buffer.endswith(SYNC[:1]) else 0
                self.bytes_skipped += len(self.buffer) - keep
                del self.buffer[: len(self.buffer) - keep]
                return out
            if i:
                self.bytes_skipped += i
                del self.buffer[:i]
            if len(self.buffer) < 6:
                return out
            n = self.buffer[2]
            if n > MAX_PAYLOAD:
                self.bytes_skipped += 1
                del self.buffer[:1]
                continue
            total = 6 + n + 2
            if len(self.buffer) < total:
                if self._valid_frame_after(0):
                    self._skip_false_sync()
                    continue
                return out
            body = bytes(self.buffer[2: 6 + n])
            (crc,) = struct.unpack_from("<H", self.buffer, 6 + n)
            if crc != crc16_ccitt(body):
                self.frames_bad_crc += 1
                self._skip_false_sync()
                continue
            _, ftype, seq = struct.unpack_from("<BBH", body)
            if self._last_seq is not None and seq != ((self._last_seq + 1) & 0xFFFF) and seq != 0:
                self.seq_gaps += 1
            self._last_seq = seq
            out.append(Frame(ftype, seq, body[4:], t_host_s))
            self.frames_ok += 1
            del self.buffer[:total]

    def _skip_false_sync(self) -> None:
        """Drop the first byte only: the false candidate may hide a real frame's sync."""
        self.bytes_skipped += 1
        del self.buffer[:1]

    def _complete_valid_at(self, i: int) -> bool:
        """Is the candidate at sync position ``i`` complete with a valid CRC? (Only asked while the head
        candidate is pending, i.e. the buffer is shorter than 248 bytes: a candidate after it claiming
        more than MAX_PAYLOAD can never be complete, so its length needs no check of its own.)"""
        b = self.buffer
        if len(b) < i + 8:  # sync, header and CRC of an empty payload
            return False
        n = b[i + 2]
        if len(b) < i + 8 + n:
            return False
        (crc,) = struct.unpack_from("<H", b, i + 6 + n)
        return crc == crc16_ccitt(bytes(b[i + 2: i + 6 + n]))

    def _valid_frame_after(self, start: int) -> bool:
        """Is there a complete, CRC-valid frame starting after ``start``? (Then the pending candidate at
        ``start`` is a false sync: a real frame never contains another valid frame, except by a
        1-in-65536 CRC coincidence on payload bytes that happen to hold the sync.)"""
        j = self.buffer.find(SYNC, start + 1)
        while j >= 0:
            if self._complete_valid_at(j):
                return True
            j = self.buffer.find(SYNC, j + 1)
        return False

    def flush(self, t_host_s: float = 0.0) -> list[Frame]:
        """The line went idle: abandon incomplete candidates one byte at a time and return what parses."""
        out: list[Frame] = []
        while self.buffer.find(SYNC) >= 0:
            i = self.buffer.find(SYNC)
            self.bytes_skipped += i
            del self.buffer[:i]
            self._skip_false_sync()
            out += self.feed(b"", t_host_s)
        return out
