"""Cost-model calibration: fit primitive and end-to-end constants to measurements, write a new profile."""
