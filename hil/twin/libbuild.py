"""Builds the twin's shared library with gcc at first use, cached under a hash of the C sources.

A clean checkout needs nothing but gcc: the library is compiled into ``hil/twin/_build/`` (ignored by
git) keyed by a hash of every source and the flags, under a file lock so parallel test workers wait
for one build.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from filelock import FileLock

from tinas.errors import TinasError

CSRC = Path(__file__).resolve().parent / "csrc"
BUILD_DIR = Path(__file__).resolve().parent / "_build"
CFLAGS = ("-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fPIC", "-shared",
          "-fno-strict-aliasing")


class TwinBuildError(TinasError):
    """The twin's C library could not be built (gcc missing or a compile error)."""


def sources() -> list[Path]:
    return sorted(CSRC.glob("*.c"))


def library_path() -> Path:
    """Path of the built library for the current sources (building it if needed)."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise TwinBuildError("gcc not found: the FR5994 twin is compiled at first use (apt-get install gcc)")
    h = hashlib.sha256()
    for p in sources() + sorted(CSRC.glob("*.h")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(" ".join(CFLAGS).encode())
    out = BUILD_DIR / f"libtwin-{h.hexdigest()[:16]}.so"
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock"):
        if not out.is_file():
            tmp = out.with_suffix(".so.tmp")
            r = subprocess.run([gcc, *CFLAGS, "-I", str(CSRC), *map(str, sources()), "-o", str(tmp), "-lm"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise TwinBuildError(f"building the twin failed:\n{r.stderr[-4000:]}")
            tmp.rename(out)
    return out
