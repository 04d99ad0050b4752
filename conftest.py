"""Loads the hil pytest plugin: the dut fixture, the markers and the emulator fallback."""

pytest_plugins = ["hil.pytest_plugin", "pytester"]

import os

# one torch thread per test process: pytest-xdist already runs one process per core
os.environ.setdefault("TINAS_TORCH_THREADS", "1")
