"""The intermittent inference cost model and execution-design explorer (the original's, docs/original-tinas.md).

Public API: ``evaluate`` (explore the best design per layer), ``evaluate_design`` (cost given designs),
``NetworkCost`` / ``LayerCost`` results, ``CapacitorError``.
"""

from tinas.cost.capacitor import Capacitor, CapacitorError, capacitor_of
from tinas.cost.explorer import LAYER_CACHE, LayerCache, explore_layer_int
from tinas.cost.network_cost import (
    COST_MODEL_VERSION, LayerCost, NetworkCost, StorageUse, evaluate, evaluate_design, storage_use,
)

__all__ = [
    "COST_MODEL_VERSION", "Capacitor", "CapacitorError", "LAYER_CACHE", "LayerCache", "LayerCost",
    "NetworkCost", "StorageUse", "capacitor_of", "evaluate", "evaluate_design", "explore_layer_int", "storage_use",
]
