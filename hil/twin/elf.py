"""A small reader for the MSP430 ELF32 files the toolchain writes: loadable segments and symbols.

Only what the twin needs: PT_LOAD segments at their physical (load) addresses, like a flasher writes
them, and the symbol table for breakpoints and variables.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from tinas.errors import TinasError


class ElfError(TinasError):
    """The file is not a little-endian ELF32 MSP430 executable."""


@dataclass(frozen=True)
class Segment:
    paddr: int
    data: bytes


@dataclass(frozen=True)
class Elf:
    segments: tuple[Segment, ...]
    symbols: dict[str, int]
    entry: int


EM_MSP430 = 105


def read_elf(path: str | Path) -> Elf:
    raw = Path(path).read_bytes()
    if raw[:4] != b"\x7fELF" or raw[4] != 1 or raw[5] != 1:
        raise ElfError(f"{path}: not a little-endian ELF32 file")
    (e_type, e_machine, _v, e_entry, e_phoff, e_shoff, _fl, _eh, e_phentsize, e_phnum, e_shentsize, e_shnum,
     _shstrndx) = struct.unpack_from("<HHIIIIIHHHHHH", raw, 16)
    if e_machine != EM_MSP430:
        raise ElfError(f"{path}: machine {e_machine} is not MSP430 ({EM_MSP430})")
    segs = []
    for i in range(e_phnum):
        p_type, p_off, _vaddr, p_paddr, p_filesz, _memsz, _flags, _align = struct.unpack_from(
            "<IIIIIIII", raw, e_phoff + i * e_phentsize)
        if p_type == 1 and p_filesz:
            segs.append(Segment(p_paddr, raw[p_off:p_off + p_filesz]))
    syms: dict[str, int] = {}
    secs = [struct.unpack_from("<IIIIIIIIII", raw, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    for sh in secs:
        if sh[1] == 2:  # SHT_SYMTAB
            strtab = secs[sh[6]]
            s_off, s_size, entsize = sh[4], sh[5], sh[9] or 16
            for k in range(s_size // entsize):
                st_name, st_value, _size, _info, _other, _shndx = struct.unpack_from("<IIIBBH", raw, s_off + k * entsize)
                if st_name:
                    end = raw.index(b"\0", strtab[4] + st_name)
                    syms.setdefault(raw[strtab[4] + st_name:end].decode(), st_value)
    return Elf(tuple(segs), syms, e_entry)
