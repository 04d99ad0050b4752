"""The solution file (contract 4) written by ``tinas search``."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from tinas.network import LayerDesign, Network
from tinas.records import Record


class Solution(Record):
    FORMAT: ClassVar[str] = "tinas.solution"
    VERSION: ClassVar[int] = 1
    settings: dict[str, Any]
    dataset: str
    choices: list[list[Any]]
    width: Annotated[float, Field(gt=0)]
    resolution: Annotated[int, Field(gt=0)]
    network: Network
    designs: list[LayerDesign]
    accuracy_supernet: float
    accuracy_finetuned: float
    latency_intermittent_s: float
    latency_continuous_s: float
    active_time_s: float
    recharge_time_s: float
    imo_percent: float
    power_cycles: int
    score: float
    weights_path: str
    weights_sha256: str
    platform: str
    platform_sha256: str
    ccap_f: Annotated[float, Field(gt=0)]
    q15_agreement: float | None = None  # top-1 agreement of the Q15 reference with the float model (test split)
    accuracy_q15: float | None = None
