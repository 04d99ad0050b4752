"""Harvested power: profiles (traces), importers, the event-driven energy model, simple power models."""
