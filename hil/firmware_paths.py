"""Where the firmware sources live (the repository's firmware/ folder)."""

from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"
