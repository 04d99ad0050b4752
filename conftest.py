"""Test-suite settings. The hil pytest plugin (dut fixture, markers, emulator fallback) loads through its
pytest11 entry point; a checkout whose install predates that entry point (pip install -e . not rerun)
loads it here instead, so it is registered exactly once either way."""

import os
from importlib.metadata import entry_points

_registered = any(ep.value == "hil.pytest_plugin" for ep in entry_points(group="pytest11"))
pytest_plugins = ["pytester"] + ([] if _registered else ["hil.pytest_plugin"])

# one torch thread per test process: pytest-xdist already runs one process per core
os.environ.setdefault("TINAS_TORCH_THREADS", "1")
