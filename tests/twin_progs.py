"""Small MSP430 test programs for the twin's tests: built with clang-14/ld.lld-14 and the project's own
startup, helpers and linker script; plus a generator of random-instruction assembly programs."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from hil.build import CFLAGS
from hil.firmware_paths import FIRMWARE_DIR

TOOLCHAIN = FIRMWARE_DIR / "toolchain"


def build_program(tmp: Path, sources: dict[str, str], name: str = "prog", with_runtime: bool = True,
                  ldscript: Path | None = None) -> Path:
    """Write ``sources`` (file name -> text) into ``tmp`` and link them (with crt0 and the mspabi
    helpers unless ``with_runtime`` is false) into ``tmp/name.elf``."""
    files = []
    for fname, text in sources.items():
        p = tmp / fname
        p.write_text(text)
        files.append(p)
    if with_runtime:
        files += [TOOLCHAIN / "crt0.S", TOOLCHAIN / "mspabi.c", TOOLCHAIN / "mspabi_shift.S"]
    objs = []
    for i, f in enumerate(files):
        o = tmp / f"{i:02d}_{f.name}.o"
        r = subprocess.run(["clang-14", *CFLAGS, f"-I{TOOLCHAIN}", "-c", str(f), "-o", str(o)],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"compiling {f.name}: {r.stderr}")
        objs.append(str(o))
    elf = tmp / f"{name}.elf"
    r = subprocess.run(["ld.lld-14", "-T", str(ldscript or TOOLCHAIN / "fr5994.ld"), "--gc-sections", "-z",
                        "max-page-size=2", "-z", "noseparate-code", *objs, "-o", str(elf)], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"linking: {r.stderr}")
    return elf


FMT1 = ("mov", "add", "addc", "sub", "subc", "cmp", "dadd", "bit", "bic", "bis", "xor", "and")
FMT2 = ("rrc", "rra", "swpb", "sxt")
JUMPS = ("jne", "jeq", "jnc", "jc", "jn", "jge", "jl", "jmp")
BUF = 64  # bytes of scratch memory the random program works on


def _encode_mov_autoinc(rs: int, d: str, bw: bool) -> str:
    """``mov[.b] @Rs+, dst`` with a memory destination as .word directives (SLAU367 Format I encoding)."""
    if d.startswith("&"):
        rd, word = 2, d[1:]
    elif "(" in d:
        rd, word = int(d[d.index("(") + 2:-1]), d[:d.index("(")]
    else:
        rd, word = 0, f"{d}-."  # symbolic: relative to the index word itself
    op = 0x4000 | rs << 8 | 1 << 7 | int(bw) << 6 | 3 << 4 | rd
    return f"    .word 0x{op:04x}\n    .word {word}"


def random_program(seed: int, n: int = 300) -> str:
    """An assembly program of ``n`` random instructions over r5-r15 and a scratch buffer, in every
    addressing mode (register, indexed, symbolic, absolute, indirect, autoincrement, immediate and the
    constant generators), byte and word, with conditional jumps; SR is logged after each instruction.
    r4 holds the buffer's address and is never a destination."""
    rnd = random.Random(seed)
    regs = [f"r{i}" for i in range(5, 16)]
    out = ["    .section .text.main,\"ax\",@progbits", "    .global main", "    .type main,@function", "main:",
           "    mov #buf, r4"]
    for r in regs:
        out.append(f"    mov #{rnd.randrange(65536)}, {r}")
    for k in range(0, BUF, 2):
        out.append(f"    mov #{rnd.randrange(65536)}, {k}(r4)")
    out.append(f"    mov #{rnd.randrange(512)}, r2")  # random initial flags (C, Z, N, V)
    out[-1] = f"    mov #{rnd.choice([0, 1, 2, 4, 0x100, 0x105, 0x107, 0x103])}, r2"

    def src(bw: bool) -> str:
        k = rnd.randrange(0, BUF, 1 if bw else 2)
        kind = rnd.randrange(9)
        if kind == 0: return rnd.choice(regs)
        if kind == 1: return f"#{rnd.choice([0, 1, 2, 4, 8, -1])}"
        if kind == 2: return f"#{rnd.randrange(65536) if not bw else rnd.randrange(256)}"
        if kind == 3: return f"{k}(r4)"
        if kind == 4: return f"&buf+{k}"
        if kind == 5: return f"buf+{k}"
        if kind == 6: return "@r4"
        if kind == 7: return "SRC_AUTOINC"
        return rnd.choice(regs)

    def dst(bw: bool) -> str:
        k = rnd.randrange(0, BUF, 1 if bw else 2)
        kind = rnd.randrange(5)
        if kind <= 1: return rnd.choice(regs)
        if kind == 2: return f"{k}(r4)"
        if kind == 3: return f"&buf+{k}"
        return f"buf+{k}"

    for i in range(n):
        kind = rnd.random()
        if kind < 0.65:
            op = rnd.choice(FMT1)
            bw = rnd.random() < 0.35
            if op == "dadd":  # decimal add is defined for BCD operands only (SLAU367 DADD)
                digits = 2 if bw else 4
                r = rnd.choice(regs)
                bcd = lambda: int("".join(rnd.choice("0123456789") for _ in range(digits)), 16)
                out.append(f"    mov #{bcd()}, {r}")
                out.append(f"    dadd{'.b' if bw else ''} #{bcd()}, {r}")
                out.append(f"    mov r2, &srlog+{2 * i}")
                continue
            s, d = src(bw), dst(bw)
            if s == "SRC_AUTOINC":
                ar = rnd.choice([r for r in regs if r != d])
                out.append(f"    mov r4, {ar}")
                out.append(f"    add #{rnd.randrange(0, BUF - 2, 2)}, {ar}")
                s = f"@{ar}+"
                if op == "mov" and d not in regs:  # llvm-mc 14 rejects this form: encode it by hand
                    out.append(_encode_mov_autoinc(int(ar[1:]), d, bw))
                    out.append(f"    mov r2, &srlog+{2 * i}")
                    continue
            out.append(f"    {op}{'.b' if bw else ''} {s}, {d}")
        elif kind < 0.85:
            op = rnd.choice(FMT2)
            bw = op in ("rrc", "rra") and rnd.random() < 0.4
            d = dst(bw)
            out.append(f"    {op}{'.b' if bw else ''} {d}")
        elif kind < 0.93:
            # llvm-mc 14 assembles PUSH with register and immediate operands only
            s = rnd.choice(regs) if rnd.random() < 0.5 else f"#{rnd.choice([0, 1, 2, 4, 8, -1, rnd.randrange(65536)])}"
            b = rnd.random() < 0.3 and s in regs
            out.append(f"    push{'.b' if b else ''} {s}")
            out.append(f"    pop {rnd.choice(regs)}" if not b else f"    mov.b @r1, {rnd.choice(regs)}\n    add #2, r1")
        else:
            j = rnd.choice(JUMPS)
            out.append(f"    {j} .Lj{i}")
            out.append(f"    add #{rnd.randrange(1, 9)}, {rnd.choice(regs)}")
            out.append(f".Lj{i}:")
        out.append(f"    mov r2, &srlog+{2 * i}")
    out += ["    ret", "", "    .section .bss.buf,\"aw\",@nobits", "    .global buf", "    .p2align 1", "buf:",
            f"    .skip {BUF}", "    .global srlog", "srlog:", f"    .skip {2 * n}", ""]
    return "\n".join(out)
