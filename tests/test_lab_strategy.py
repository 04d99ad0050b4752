"""The LaunchPad strategy and the frame driver on labgrid fakes (no ports, no processes): what gets
flashed and powered in which order, that nothing is flashed twice, and that a failure keeps the
board broken with its first cause."""

from __future__ import annotations

import attr
import pytest
from labgrid import Target
from labgrid.driver.common import Driver
from labgrid.driver.fake import FakeConsoleDriver
from labgrid.protocol import BootstrapProtocol, PowerProtocol, ResetProtocol
from labgrid.strategy.common import StrategyError

from hil.lab.frame_driver import FrameDriver
from hil.lab.strategy import Images, MSP430Strategy, Status
from hil.loader import ACK, LOAD, LOAD_END
from hil.serial_protocol import FrameParser, FrameType, encode_frame


@attr.s(eq=False)
class FakeFlasher(Driver, BootstrapProtocol, ResetProtocol):
    fail = attr.ib(default=False)

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.events: list = []

    @Driver.check_active
    def load(self, filename, force=False):
        if self.fail:
            raise RuntimeError("probe does not answer")
        self.events.append(("load", str(filename)))

    @Driver.check_active
    def reset(self):
        self.events.append(("reset",))


@attr.s(eq=False)
class LoaderConsole(FakeConsoleDriver):
    """A fake console with a device that acknowledges LOAD and LOAD_END frames as the loader does."""

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.parser = FrameParser()

    def _write(self, data, *_):
        self.txq.append(data)
        for f in self.parser.feed(data):
            if f.type == LOAD:
                self.rxq.insert(0, encode_frame(ACK, f.seq, f.payload[:4]))
            elif f.type == LOAD_END:
                self.rxq.insert(0, encode_frame(ACK, f.seq, f.payload[:8] + b"\x01"))
        return len(data)


@attr.s(eq=False)
class FakePower(Driver, PowerProtocol):
    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.events: list[str] = []

    @Driver.check_active
    def on(self):
        self.events.append("on")

    @Driver.check_active
    def off(self):
        self.events.append("off")

    def cycle(self):
        self.off()
        self.on()


@pytest.fixture
def board(tmp_path):
    target = Target("fake")
    console = LoaderConsole(target, "console")
    frames = FrameDriver(target, None)
    power = FakePower(target, None)
    flasher = FakeFlasher(target, None)
    strategy = MSP430Strategy(target, None)
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF image")
    yield target, strategy, flasher, power, console, frames, elf
    target.cleanup()


def test_off_flashed_running_off(board):
    target, strategy, flasher, power, _, _, elf = board
    strategy.set_images(Images(elf))
    strategy.transition("running")
    # flashing happens powered (the probe does not power the MCU), then off, then on to run
    assert flasher.events == [("load", str(elf))]
    assert power.events == ["off", "on", "off", "on"]
    strategy.transition("running")  # already there: nothing happens
    assert power.events == ["off", "on", "off", "on"]
    strategy.transition("flashed")
    strategy.transition("running")
    assert flasher.events == [("load", str(elf))]  # same image: not flashed again
    strategy.reload()
    strategy.transition("running")  # still running: a reload waits for the next way through 'flashed'
    assert flasher.events == [("load", str(elf))]
    strategy.transition("flashed")
    assert flasher.events == [("load", str(elf))] * 2
    strategy.transition(Status.off)
    assert power.events[-1] == "off" and strategy.status is Status.off


def test_loader_sends_the_blob_between_two_images(board, tmp_path):
    target, strategy, flasher, power, console, _, elf = board
    loader = tmp_path / "loader.elf"
    loader.write_bytes(b"\x7fELF loader")
    strategy.set_images(Images(elf, loader, b"blob"))
    strategy.transition("flashed")
    assert flasher.events == [("load", str(loader)), ("reset",), ("load", str(elf))]
    sent = b"".join(console.txq)
    assert encode_frame(LOAD, 0, bytes(4) + b"blob") in sent  # LOAD of the 4-byte blob at offset 0
    assert power.events == ["off", "on", "off"]  # powered while flashing and loading, off afterwards


def test_failure_keeps_the_board_broken_with_its_first_cause(board):
    target, strategy, flasher, power, _, _, elf = board
    strategy.set_images(Images(elf))
    flasher.fail = True
    with pytest.raises(StrategyError) as first:
        strategy.transition("running")
    assert "probe does not answer" in str(first.value.__cause__)
    flasher.fail = False
    with pytest.raises(StrategyError) as again:  # never retried: the same cause, not a new attempt
        strategy.transition("off")
    assert again.value.__cause__ is first.value.__cause__


def test_frame_driver_reads_frames_from_any_console(board):
    target, _, _, _, console, frames, _ = board
    done = encode_frame(FrameType.DONE, 7, (100).to_bytes(4, "little") + bytes(12))
    console.rxq.insert(0, b"\x00garbage" + done[:5])
    console.rxq.insert(0, done[5:])
    target.activate(frames)
    got = frames.read_frames(0.01) + frames.read_frames(0.01)
    assert [(f.type, f.seq, f.fields()["compute_cycles"]) for f in got] == [(FrameType.DONE, 7, 100)]
