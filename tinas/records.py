"""Versioned, atomically written records: the base of every file contract in docs/architecture.md.

Each contract is a frozen pydantic model with a ``FORMAT`` name and an integer ``VERSION``. Files carry
both, so a reader refuses what it does not understand with a message that names the file, instead of
misreading it. Writes go to a temporary file in the same folder and are renamed into place, so a crash
never leaves a half-written result.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Iterator, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from tinas.errors import ContractError


def _read_umask() -> int:
    """The process umask, read once at import (os.umask can only be read by setting it, which is racy
    once threads run)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _umask() -> int:
    return _UMASK


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes 0600 files; results are for sharing: 0666 minus the umask (0644)
            tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


class Record(BaseModel):
    """Base of every contract: frozen, no unknown fields, a format name and a version in the file."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    FORMAT: ClassVar[str] = "tinas.record"
    VERSION: ClassVar[int] = 1

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON data, with its envelope (format and version) first."""
        return {"format": self.FORMAT, "version": self.VERSION, **self.model_dump(mode="json")}

    def to_file(self, path: str | os.PathLike[str]) -> Path:
        """Write the record as JSON, atomically."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")
        return Path(path)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<data>") -> Self:
        """Validate the envelope and the fields; errors name the source and the offending key."""
        if not isinstance(data, dict):
            raise ContractError(f"{source}: expected a JSON object for {cls.FORMAT}, got {type(data).__name__}")
        body = dict(data)
        fmt = body.pop("format", None)
        version = body.pop("version", None)
        if fmt != cls.FORMAT:
            raise ContractError(f"{source}: format is {fmt!r}, expected {cls.FORMAT!r}")
        if not isinstance(version, int) or version > cls.VERSION or version < 1:
            raise ContractError(
                f"{source}: {cls.FORMAT} version {version!r} is not supported (this reader knows 1..{cls.VERSION})"
            )
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<root>"
            raise ContractError(f"{source}: {cls.FORMAT} field '{where}': {first['msg']}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Self:
        """Read and validate a record file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ContractError(f"{p}: file not found") from None
        except OSError as exc:
            raise ContractError(f"{p}: cannot read ({exc.strerror})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContractError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(data, source=str(p))
