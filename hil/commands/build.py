"""``hil build --target host|emulator|fr5994 [--flag NAME ...]``: build the firmware a target runs and
say what came out (memory map, path, sha256), so a newcomer can check the toolchain before any run.

The emulator (the FR5994 twin) runs the very ELF a board is flashed with: ``emulator`` and ``fr5994``
build the same bytes, and the output says so. ``host`` builds the native executable with make; its
variants are the Makefile targets (``-DRT_NO_PRESERVATION`` selects host-nopres, ``-DRT_BROKEN_COMMIT``
host-broken), since the native build takes no free-form flags.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from tinas.errors import TinasError

HOST_FLAG_VARIANTS = {"-DRT_NO_PRESERVATION": "host-nopres", "-DRT_BROKEN_COMMIT": "host-broken"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build the firmware of a target; print its memory map, path and sha256",
                       description="Build (or reuse a cached build of) the firmware a target runs. emulator and "
                                   "fr5994 are the same MSP430 ELF (the twin runs what a board is flashed with); "
                                   "host is the native executable of the host port.")
    p.add_argument("--target", choices=("host", "emulator", "fr5994"), default="emulator",
                   help="which firmware: host (native, make), emulator or fr5994 (the same MSP430 ELF; default "
                        "emulator)")
    p.add_argument("--flag", action="append", default=[], metavar="NAME",
                   help="compiler define, repeatable, as NAME, NAME=VALUE or --flag=-DNAME: RT_NO_PRESERVATION "
                        "(continuous-power baseline), RT_BROKEN_COMMIT (sweep self-test), TINAS_MICROBENCH, "
                        "TINAS_LOADER (the last two MSP430 only)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _build_host(flags: list[str]) -> dict:
    from hil.drivers.host_process import build_host_firmware

    variants = {HOST_FLAG_VARIANTS[f] for f in flags if f in HOST_FLAG_VARIANTS}
    unknown = [f for f in flags if f not in HOST_FLAG_VARIANTS]
    if unknown:
        raise TinasError(f"the host build takes only {', '.join(HOST_FLAG_VARIANTS)} (its make variants), "
                         f"not {' '.join(unknown)}")
    if len(variants) > 1:
        raise TinasError("RT_NO_PRESERVATION and RT_BROKEN_COMMIT exclude each other")
    variant = variants.pop() if variants else "host"
    exe = build_host_firmware(variant=variant)
    return {"target": "host", "variant": variant, "path": str(exe), "sha256": sha256_of(exe),
            "bytes": exe.stat().st_size, "memory_map": "native executable: no MSP430 memory map", "same_as": None}


def _build_msp430(target: str, flags: list[str]) -> dict:
    from hil.build import build_firmware

    res = build_firmware("fr5994", flags=tuple(flags))
    return {"target": target, "variant": "fr5994" + "".join(f" {f}" for f in flags), "path": str(res.elf),
            "sha256": sha256_of(res.elf), "bytes": res.elf.stat().st_size, "memory_map": res.memory_map(),
            "same_as": "fr5994" if target == "emulator" else "emulator", "reused": res.reused,
            "text_bytes": res.text_bytes, "data_bytes": res.data_bytes, "bss_bytes": res.bss_bytes}


def normalise_flag(flag: str) -> str:
    """``NAME``, ``NAME=V`` or ``-DNAME`` -> ``-DNAME`` (argparse cannot take a value starting with '-'
    after a space, so the bare name is the easy spelling)."""
    name = flag[2:] if flag.startswith("-D") else flag
    if not name or not (name[0].isalpha() or name[0] == "_") or not all(c.isalnum() or c == "_" for c in name.split("=")[0]):
        raise TinasError(f"--flag {flag}: expected a C macro name (e.g. RT_NO_PRESERVATION or -DRT_NO_PRESERVATION)")
    return "-D" + name


def run(args: argparse.Namespace) -> int:
    import json

    flags = [normalise_flag(f) for f in args.flag]
    info = _build_host(flags) if args.target == "host" else _build_msp430(args.target, flags)
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    print(f"target:     {info['target']} ({info['variant']})")
    print(f"memory map: {info['memory_map']}")
    print(f"file:       {info['path']} ({info['bytes']} B)")
    print(f"sha256:     {info['sha256']}")
    if info["same_as"]:
        print(f"note:       the {info['target']} and {info['same_as']} targets use this same ELF "
              f"(the twin runs what a board is flashed with)")
    return 0
