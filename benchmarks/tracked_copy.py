"""A copy of the checkout's tracked files, for benchmarks that mutate the code (mutation testing, planted
firmware bugs) without touching the checkout itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def copy_tracked(root: Path, dst: Path) -> None:
    """Every file git tracks under ``root``, as it is in the working tree, copied to the same path in ``dst``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout.split(b"\0")
    for f in (x.decode() for x in files if x):
        src = root / f
        if src.is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / f)
