"""Model artifact export (contract 5): binary blob, C header, golden vectors, artifact record."""

from tinas.export.artifact import Artifact, load_artifact
from tinas.export.writer import export_model

__all__ = ["Artifact", "export_model", "load_artifact"]
