"""Frozen, serialisable subnet choices: what the search mutates and what the supernet activates."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BlockChoice(BaseModel):
    """One block: expansion ratio, kernel size, number of MBConv layers, residual skip on/off."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    exp: int = Field(ge=1)
    kernel: int = Field(ge=1)
    layers: int = Field(ge=1)
    skip: bool

    def as_list(self) -> list[Any]:
        """The original's ``[exp, k, nl, skip]`` form."""
        return [self.exp, self.kernel, self.layers, self.skip]

    @classmethod
    def from_list(cls, v: list[Any] | tuple[Any, ...]) -> BlockChoice:
        return cls(exp=int(v[0]), kernel=int(v[1]), layers=int(v[2]), skip=bool(v[3]))


class SubnetConfig(BaseModel):
    """A whole subnet: network-level width and resolution plus one choice per block."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    width: float = Field(gt=0, le=1)
    resolution: int = Field(ge=1)
    blocks: tuple[BlockChoice, ...]

    @property
    def key(self) -> str:
        """The original's string key ``<[e, k, n, s],…>`` extended with width and resolution."""
        inner = ",".join(str(b.as_list()) for b in self.blocks)
        return f"w{self.width:g}_r{self.resolution}<{inner}>"

    def with_block(self, i: int, choice: BlockChoice) -> SubnetConfig:
        blocks = list(self.blocks)
        blocks[i] = choice
        return SubnetConfig(width=self.width, resolution=self.resolution, blocks=tuple(blocks))
