"""Importers of recorded power traces into the project's profile format (contract 6)."""

from hil.power.importers.energytrace import import_energytrace
from hil.power.importers.shepherd import import_shepherd
from hil.power.importers.voltage_log import import_voltage_log

__all__ = ["import_energytrace", "import_shepherd", "import_voltage_log"]
