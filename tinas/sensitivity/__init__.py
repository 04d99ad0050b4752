"""IMO sensitivity analysis: how much each architectural parameter moves IMO (the basis of the
Guidelines: drop parameters with a small IMO range, search hardest on blocks with a large one)."""
