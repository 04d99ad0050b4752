"""Predicted-versus-measured reports: Markdown with PNG plots beside it."""
