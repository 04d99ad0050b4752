"""The byte layout of the model in NVM, defined once (firmware/include/rt_model.h mirrors it and a
test compiles the header to compare every size and offset)."""

from __future__ import annotations

import struct

MAGIC = 0x4C484E54  # "TNHL"
VERSION = 1
FLAG_PROACTIVE = 0x0001
LAYER_FLAG_ONE_D = 0x01
KIND_CODES = {"CONV": 0, "DW": 1, "FC": 2, "RELU": 3, "ADD": 4, "GAP": 5}
ORDER_CODES = {"reuse_I": 0, "reuse_W": 1, "reuse_O": 2}

# (name, struct code) in C field order; little-endian, no padding
HEADER_FIELDS = [
    ("magic", "I"), ("version", "H"), ("n_layers", "H"), ("table_off", "I"), ("blob_size", "I"),
    ("input_off", "I"), ("psum_off", "I"), ("ctrl_off", "I"), ("out_off", "I"), ("out_len", "H"),
    ("flags", "H"), ("crc32", "I"),
]
LAYER_FIELDS = [
    ("kind", "B"), ("order", "B"), ("S", "B"), ("flags", "B"),
    ("in_c", "H"), ("in_h", "H"), ("in_w", "H"), ("out_c", "H"), ("out_h", "H"), ("out_w", "H"),
    ("kh", "B"), ("kw", "B"), ("stride", "B"), ("pad", "B"),
    ("Tr", "H"), ("Tc", "H"), ("Tm", "H"), ("Tn", "H"),
    ("shift", "B"), ("shift_b", "B"), ("reserved", "H"),
    ("in_off", "I"), ("in2_off", "I"), ("out_off", "I"), ("w_off", "I"), ("b_off", "I"), ("reserved2", "I"),
]
CTRL_FIELDS = [
    ("slot0_seq", "I"), ("slot0_layer", "H"), ("slot0_reserved", "H"), ("slot0_tile", "I"), ("slot0_check", "I"),
    ("slot1_seq", "I"), ("slot1_layer", "H"), ("slot1_reserved", "H"), ("slot1_tile", "I"), ("slot1_check", "I"),
    ("boot_count", "I"), ("done", "I"), ("compute_cycles", "I"), ("preserve_cycles", "I"),
    ("recover_cycles", "I"), ("output_crc", "I"), ("tiles_done", "I"), ("reported", "I"),
]


def fmt(fields: list[tuple[str, str]]) -> struct.Struct:
    return struct.Struct("<" + "".join(code for _, code in fields))


HEADER = fmt(HEADER_FIELDS)
LAYER = fmt(LAYER_FIELDS)
CTRL = fmt(CTRL_FIELDS)
# rt_counters.h: per-layer primitive counters, 18 little-endian u32 words (the first holds layer u16,
# boots u16); the exporter reserves two accumulators and one entry per layer after the control block
COUNTER_FIELDS = [
    ("layer", "H"), ("boots", "H"), ("boot_prev", "I"), ("tiles", "I"), ("commits", "I"), ("rd_cmds", "I"), ("rd_bytes", "I"),
    ("wr_cmds", "I"), ("wr_bytes", "I"), ("mac_calls", "I"), ("mac_elems", "I"), ("op_requant", "I"),
    ("op_relu", "I"), ("op_add", "I"), ("op_gap", "I"), ("op_zero", "I"), ("op_div", "I"),
    ("cycles_compute", "I"), ("cycles_preserve", "I"),
]
COUNTERS = fmt(COUNTER_FIELDS)


def counters_bytes(n_layers: int) -> int:
    """NVM the runtime's counters need after the control block (RT_CNT_NVM_BYTES)."""
    return (2 + n_layers) * COUNTERS.size


def offsets(fields: list[tuple[str, str]]) -> dict[str, int]:
    out, pos = {}, 0
    for name, code in fields:
        out[name] = pos
        pos += struct.calcsize("<" + code)
    return out


def pack(st: struct.Struct, fields: list[tuple[str, str]], values: dict[str, int]) -> bytes:
    return st.pack(*(int(values.get(name, 0)) for name, _ in fields))


def unpack(st: struct.Struct, fields: list[tuple[str, str]], data: bytes) -> dict[str, int]:
    return dict(zip((n for n, _ in fields), st.unpack(data[: st.size])))
