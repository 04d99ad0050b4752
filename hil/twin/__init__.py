"""The MSP430FR5994 twin: a C emulator (csrc/) behind a ctypes binding (machine.py)."""
