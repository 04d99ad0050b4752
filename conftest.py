"""Loads the hil pytest plugin: the dut fixture, the markers and the emulator fallback."""

pytest_plugins = ["hil.pytest_plugin"]
