"""Hardware-in-the-loop harness: firmware builds, targets, power traces, measurements, calibration."""

__version__ = "0.1.0"
