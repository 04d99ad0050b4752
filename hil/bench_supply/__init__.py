"""Programmable supplies over SCPI (PyVISA): per-model command tables, a driver, a trace replayer."""
