"""The artifact record (artifact.json) and its loader: what an exported model is, and what the cost
model predicted for it, so measurements can sit beside predictions."""

from __future__ import annotations

import hashlib
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
    d = Path(directory)
    if not d.is_dir():
        raise ContractError(f"{d}: artifact directory not found")
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
    except (OSError, ValueError) as exc:
        raise ContractError(f"{d / 'golden.npz'}: cannot read golden vectors ({exc})") from None
    return LoadedArtifact(d, rec, blob, golden)


