"""Targets: emulator, host and board behind one interface (see base.py)."""
