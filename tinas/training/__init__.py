"""Supernet training, subnet fine-tuning, evaluation and checkpoints (CPU, deterministic under a seed)."""
