"""Flashing through the real mspdebug program, against its simulator driver."""

from __future__ import annotations

import pytest

from hil.build import build_firmware
from hil.drivers.mspdebug_flash import FlashError, Mspdebug

pytestmark = pytest.mark.emulator


def test_program_verify_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("TINAS_HIL_STATE", str(tmp_path))
    elf = build_firmware("fr5994").elf  # the board image, flashed as a board would be
    m = Mspdebug("sim")
    assert m.program(elf) is True
    # the reset vector at 0xFFFE points at _start (0x4000), as the linker script placed it
    assert m.read_memory(0xFFFE, 2, elf=elf) == bytes([0x00, 0x40])


def test_missing_image_and_unknown_driver(tmp_path):
    with pytest.raises(FlashError, match="does not exist"):
        Mspdebug("sim").program(tmp_path / "nope.elf")
    with pytest.raises(FlashError, match="unknown mspdebug driver"):
        Mspdebug("jtag")


def test_tilib_without_ti_library_is_explained(monkeypatch):
    monkeypatch.setattr("hil.drivers.mspdebug_flash.tilib_available", lambda: False)
    with pytest.raises(FlashError, match="libmsp430.so"):
        Mspdebug("tilib")


def test_probe_that_does_not_answer():
    # the ezfet driver with no probe attached: mspdebug fails; bounded retries, then a clear error
    m = Mspdebug("ezfet", serial="NOPROBE", timeout_s=10, retries=1)
    with pytest.raises(FlashError, match="failed after 2 attempts"):
        m.reset()
