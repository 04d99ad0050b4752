"""The artifact record (artifact.json) and its loader: what an exported model is, and what the cost
model predicted for it, so measurements can sit beside predictions."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from tinas.errors import ContractError
from tinas.network import LayerDesign, Network
from tinas.records import Record


class Predictions(BaseModel):
    """The cost model's numbers for this network and design on the export's platform."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    latency_intermittent_s: float
    latency_continuous_s: float
    active_time_s: float
    recharge_time_s: float
    imo_percent: float
    power_cycles: int
    ccap_f: float
    platform_sha256: str
    cost_model_version: str
    components_int_s: dict[str, float]
    components_cont_s: dict[str, float]


class FirmwareLayer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    covers: tuple[str, ...]
    kind: str
    f_out: int
    shift: int
    out_elements: int
    design: LayerDesign


class Artifact(Record):
    FORMAT: ClassVar[str] = "tinas.artifact"
    VERSION: ClassVar[int] = 1
    name: str
    network: Network
    designs: tuple[LayerDesign, ...]
    firmware_layers: tuple[FirmwareLayer, ...]
    blob_sha256: str
    blob_size: int
    nvm_size: int
    out_len: int
    out_f: int
    proactive_shutdown: bool
    predictions: Predictions | None
    source: str
    weights_sha256: str


MANIFEST = "manifest.json"
ARTIFACT_FILES = ("artifact.json", "model.bin", "model.h", "golden.npz")


class Manifest(Record):
    """SHA-256 of every file of an artifact, so one flipped bit anywhere (a tile size in artifact.json,
    a golden vector) is refused, not only a changed blob."""

    FORMAT: ClassVar[str] = "tinas.artifact-manifest"
    VERSION: ClassVar[int] = 1
    files: dict[str, str]  # file name -> sha256 hex

    @property
    def sha256(self) -> str:
        """One hash for the whole artifact (over the sorted file hashes)."""
        return hashlib.sha256("".join(f"{k}:{v}\n" for k, v in sorted(self.files.items())).encode()).hexdigest()


def _sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(d: Path) -> Manifest:
    m = Manifest(files={n: _sha256_file(d / n) for n in ARTIFACT_FILES if (d / n).is_file()})
    m.to_file(d / MANIFEST)
    return m


def verify_manifest(d: Path) -> Manifest:
    """Every listed file present with its recorded hash; raises ``ContractError`` naming the first that is not."""
    mpath = d / MANIFEST
    if not mpath.is_file():
        raise ContractError(f"{d}: no {MANIFEST} (artifact written by an older 'tinas export' or copied "
                            f"incompletely); export it again")
    m = Manifest.from_file(mpath)
    missing = [n for n in ARTIFACT_FILES if n not in m.files]
    if missing:
        raise ContractError(f"{mpath}: does not list {', '.join(missing)}")
    for name, want in m.files.items():
        f = d / name
        if not f.is_file():
            raise ContractError(f"{f}: missing (listed in {MANIFEST})")
        if _sha256_file(f) != want:
            raise ContractError(f"{f}: sha256 does not match {MANIFEST} (file changed or truncated); "
                                f"export the artifact again")
    return m


class LoadedArtifact:
    """An artifact directory read back: record, blob bytes and golden vectors."""

    def __init__(self, directory: Path, record: Artifact, blob: bytes, golden: dict[str, np.ndarray]) -> None:
        self.directory = directory
        self.record = record
        self.blob = blob
        self.golden = golden

    @property
    def expected_output(self) -> np.ndarray:
        return self.golden[f"layer_{len(self.record.firmware_layers) - 1}"].reshape(-1).astype(np.int16)

    @property
    def sha256(self) -> str:
        return self.record.blob_sha256


def load_artifact(directory: str | Path) -> LoadedArtifact:
    """Read an artifact after checking every file against its manifest."""
    d = Path(directory)
    if not d.is_dir():
        raise ContractError(f"{d}: artifact directory not found")
    verify_manifest(d)
    rec = Artifact.from_file(d / "artifact.json")
    blob_path = d / "model.bin"
    if not blob_path.is_file():
        raise ContractError(f"{blob_path}: missing model blob")
    blob = blob_path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != rec.blob_sha256:
        raise ContractError(f"{blob_path}: sha256 does not match artifact.json (file changed or truncated)")
    try:
        with np.load(d / "golden.npz") as z:
            golden = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ContractError(f"{d / 'golden.npz'}: cannot read golden vectors ({exc})") from None
    return LoadedArtifact(d, rec, blob, golden)
