"""Q15 quantisation and the bit-exact Python reference of the firmware arithmetic."""
