"""Recovery's slot choice on the host port, by editing the progress slots in NVM between two boots: a
slot whose fields no longer match its check word is never trusted (whichever field was damaged), and
of two valid slots the newer one is taken (the older would redo work, which the counters show)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from hil.drivers.host_process import EXIT_DONE, EXIT_YIELD, HostDevice, build_host_firmware
from tests.fw_models import IMAGE_BLOCKS, make_artifact

pytestmark = pytest.mark.tools("gcc", "make")

SLOT = struct.Struct("<IHHII")  # seq, layer, reserved, tile, check (rt_model.h)


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


def boot_until(dev: HostDevice, boots: int) -> None:
    dev.flash()
    for _ in range(boots):
        assert dev.run_once(yield_mode=True).exit_code == EXIT_YIELD


def finish(dev: HostDevice) -> np.ndarray:
    for _ in range(10000):
        r = dev.run_once(yield_mode=True)
        if r.exit_code == EXIT_DONE:
            return dev.output()
        assert r.exit_code == EXIT_YIELD, r.stderr
    raise AssertionError("no completion")


def slots(dev: HostDevice) -> tuple[int, list[tuple[int, ...]]]:
    off = dev.header["ctrl_off"]
    data = dev.nvm_path.read_bytes()
    return off, [SLOT.unpack_from(data, off + 16 * i) for i in range(2)]


def patch(dev: HostDevice, addr: int, raw: bytes) -> None:
    data = bytearray(dev.nvm_path.read_bytes())
    data[addr: addr + len(raw)] = raw
    dev.nvm_path.write_bytes(bytes(data))


@pytest.mark.parametrize("field, offset, flip", [("seq", 0, 1 << 20), ("layer", 4, 1 << 4), ("tile", 8, 1 << 8)])
def test_damaged_newest_slot_is_not_trusted(tmp_path, exe, field, offset, flip):
    """One bit flipped in a field of the newest slot (as an NVM fault would): recovery must fall back to
    the older slot and redo one batch, and the output is still right. A check word that skipped the
    field would resume from the damaged value (skipping or repeating layers)."""
    art = make_artifact(tmp_path / "a", proactive=True, **dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS))
    dev = HostDevice(exe, art, tmp_path / "nvm")
    boot_until(dev, 7)
    off, s = slots(dev)
    newest = 0 if s[0][0] > s[1][0] else 1
    addr = off + 16 * newest + offset
    size = 4 if field in ("seq", "tile") else 2
    value = int.from_bytes(dev.nvm_path.read_bytes()[addr: addr + size], "little") ^ flip
    patch(dev, addr, value.to_bytes(size, "little"))
    assert np.array_equal(finish(dev), art.expected_output)


def test_newer_of_two_valid_slots_is_taken(tmp_path, exe):
    """Both slots valid: resuming from the newer one runs each tile once (compute ticks = tiles of the
    continuous run); resuming from the older would run a batch twice."""
    art = make_artifact(tmp_path / "a", proactive=True, **dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS))
    ref = HostDevice(exe, art, tmp_path / "nvm_ref", tick_clock=True).run(yield_mode=True)
    dev = HostDevice(exe, art, tmp_path / "nvm", tick_clock=True)
    boot_until(dev, 5)
    _, s = slots(dev)
    assert abs(s[0][0] - s[1][0]) == 1  # two valid, consecutive commits
    assert np.array_equal(finish(dev), art.expected_output)
    assert dev.ctrl()["compute_cycles"] == ref.ctrl["compute_cycles"]
