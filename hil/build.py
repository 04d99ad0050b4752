"""Firmware builds: native (host) with make, the MSP430 ELF (fr5994) with clang-14 and ld.lld-14.

The fr5994 ELF is what a board is flashed with and what the FR5994 twin runs (same bytes). Every build
goes to its own folder keyed by a hash of the sources and flags, so an unchanged build is reused. The
memory map is reported; a build whose code and constants exceed the small memory model's lower FRAM
(0x4000-0xFF7F), or whose data leaves too little CPU SRAM for the stack, fails with a message saying so.

Build flags (``flags=``, passed to the compiler): ``-DRT_NO_PRESERVATION`` (no progress commits: the
continuous-power baseline for IMO), ``-DRT_BROKEN_COMMIT`` (deliberately broken commit order, for the
failure sweep's self-test), ``-DTINAS_MICROBENCH`` and ``-DTINAS_LOADER`` (the other two images).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

from filelock import FileLock
from dataclasses import dataclass
from pathlib import Path

from hil.firmware_paths import FIRMWARE_DIR
from tinas.errors import TinasError
from tinas.platform import Platform

PORTS = ("fr5994",)
RUNTIME = ("runtime/rt_engine.c", "runtime/rt_layers.c", "runtime/rt_frame.c", "runtime/rt_microbench.c", "runtime/rt_loader.c",
           "runtime/rt_counters.c")
TOOLCHAIN = ("toolchain/mspabi.c", "toolchain/crt0.S", "toolchain/mspabi_shift.S", "toolchain/main_msp430.c")
CFLAGS = ("--target=msp430", "-Os", "-std=c99", "-ffreestanding", "-nostdlib", "-ffunction-sections",
          "-fdata-sections", "-Wall", "-Wextra", "-Werror", "-Wno-unused-command-line-argument")
FRAM_LIMIT = 0xFF80 - 0x4000  # lower FRAM of the small memory model (fr5994.ld)
PRESERVATION_FLAGS = ("-DRT_NO_PRESERVATION", "-DRT_BROKEN_COMMIT")
BUILD_ROOT = FIRMWARE_DIR / "build"


class BuildError(TinasError):
    """The firmware could not be built (tool missing, compile error, or it does not fit)."""


@dataclass(frozen=True)
class BuildResult:
    port: str
    elf: Path
    text_bytes: int
    data_bytes: int
    bss_bytes: int
    fram_limit_bytes: int
    symbols: dict[str, int]
    reused: bool

    @property
    def lea_bytes(self) -> int:
        """Bytes of LEA RAM (.learam) the image uses (counted by llvm-size inside .bss)."""
        return self.symbols.get("__learam_end", 0) - self.symbols.get("__learam_start", 0)

    @property
    def sram_bytes(self) -> int:
        """.data + .bss in the CPU-only SRAM (0x1C00-0x2BFF); the stack takes the rest."""
        return self.data_bytes + self.bss_bytes - self.lea_bytes

    def memory_map(self) -> str:
        used = self.text_bytes + self.data_bytes
        return (f"{self.port}: code+const {used} B of {self.fram_limit_bytes} B lower FRAM "
                f"({100 * used / self.fram_limit_bytes:.1f} %), CPU SRAM .data+.bss {self.sram_bytes} B of 4096 B "
                f"(stack: the rest), LEA RAM {self.lea_bytes} B of 3784 B")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BuildError(f"'{name}' not found: install clang-14 lld-14 llvm-14 (bash scripts/setup.sh does)")
    return path


def port_sources(port: str) -> list[Path]:
    if port not in PORTS:
        raise BuildError(f"unknown port {port!r}; MSP430 ports are {', '.join(PORTS)}")
    d = FIRMWARE_DIR / "ports" / port
    return [FIRMWARE_DIR / s for s in RUNTIME + TOOLCHAIN] + sorted(d.glob("*.c"))


def build_firmware(port: str, platform: Platform | None = None, flags: tuple[str, ...] = (),
                   extra_sources: tuple[Path, ...] = ()) -> BuildResult:
    """Build the MSP430 ELF of ``port`` (cached). ``platform`` is accepted for callers that pass one;
    nothing in the ELF depends on it (the device's timing lives in the twin and the board)."""
    del platform
    clang, lld = _tool("clang-14"), _tool("ld.lld-14")
    if all(f in flags for f in PRESERVATION_FLAGS):
        raise BuildError("RT_NO_PRESERVATION and RT_BROKEN_COMMIT exclude each other")
    srcs = port_sources(port) + list(extra_sources)
    headers = (sorted((FIRMWARE_DIR / "include").glob("*.h")) + sorted((FIRMWARE_DIR / "ports" / port).glob("*.h"))
               + [FIRMWARE_DIR / "toolchain" / "fr5994_regs.h"])
    h = hashlib.sha256()
    for p in srcs + headers + [FIRMWARE_DIR / "toolchain" / "fr5994.ld"]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(" ".join(CFLAGS).encode())
    h.update(" ".join(flags).encode())
    out = BUILD_ROOT / f"{port}-{h.hexdigest()[:12]}"
    elf = out / "tinas_fw.elf"
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock"):  # parallel workers asking for the same build wait for one
        reused = elf.is_file()
        if not reused:
            _compile_and_link(port, srcs, flags, out, clang, lld)
    size = subprocess.run([_tool("llvm-size-14"), str(elf)], capture_output=True, text=True).stdout.splitlines()[-1].split()
    nm = subprocess.run([_tool("llvm-nm-14"), str(elf)], capture_output=True, text=True).stdout
    syms = {m.group(3): int(m.group(1), 16) for m in re.finditer(r"^([0-9a-f]+) (\w) (\S+)$", nm, re.M)}
    return BuildResult(port, elf, int(size[0]), int(size[1]), int(size[2]), FRAM_LIMIT, syms, reused)


def _compile_and_link(port: str, srcs: list[Path], flags: tuple[str, ...], out: Path, clang: str, lld: str) -> None:
    """Compile and link into a temporary folder, then move it into place (a failed build leaves nothing)."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    inc = [f"-I{FIRMWARE_DIR / 'include'}", f"-I{FIRMWARE_DIR / 'ports' / port}", f"-I{FIRMWARE_DIR / 'toolchain'}"]
    objs = []
    for i, src in enumerate(srcs):
        obj = tmp / f"{i:02d}_{src.stem}.o"
        r = subprocess.run([clang, *CFLAGS, *flags, *inc, "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"compiling {src.name} for {port} failed:\n{r.stderr[-3000:]}")
        objs.append(str(obj))
    r = subprocess.run([lld, "-T", str(FIRMWARE_DIR / "toolchain" / "fr5994.ld"), "--gc-sections", "-z",
                        "max-page-size=2", "-z", "noseparate-code", *objs, "-o", str(tmp / "tinas_fw.elf")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        if "will not fit in region" in r.stderr or "overflowed" in r.stderr or "for the stack" in r.stderr:
            raise BuildError(f"the {port} firmware does not fit the MSP430 small memory model "
                             f"(code+const in lower FRAM 0x4000-0xFF7F, data+stack in CPU SRAM 0x1C00-0x2BFF, "
                             f"LEA buffers in 0x2C00-0x3AC7): {r.stderr.strip()[-600:]}")
        raise BuildError(f"linking the {port} firmware failed:\n{r.stderr[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
