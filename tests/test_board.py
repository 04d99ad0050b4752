"""The board path on labgrid against real stand-ins, from a local environment file (one host, no
coordinator): mspdebug sim is the probe, pyvisa-sim the supply, and the UART a pseudo-terminal behind
which the emulator runs the firmware (tests/lab_standin.py). Bad inputs end in clear errors with the
board switched off. The coordinator path is in tests/test_lab_coordinator.py."""

from __future__ import annotations

import os
import pty
from pathlib import Path

import pandas as pd
import pytest
import yaml

import hil
from hil.build import build_firmware
from hil.cli import main as hil_main
from hil.lab.address import BoardAddress, BoardUnavailable
from hil.targets.board import BoardError, BoardTarget
from tests.fw_models import IMAGE_BLOCKS, make_artifact

SIM = f"{Path(hil.__file__).parent / 'sim_instruments' / 'supplies.yaml'}@sim"
KEYSIGHT = "USB0::0x2A8D::0x1102::SIM0001::0::INSTR"


def board_resources(uart: str, ohm: float = 3000.0) -> list[dict]:
    return [{"RawSerialPort": {"port": uart, "speed": 115200}},
            {"MSP430Probe": {"driver": "sim"}},
            {"ScpiSupplyPort": {"visa": KEYSIGHT, "backend": SIM, "v_max_v": 6.0, "i_max_a": 0.2}},
            {"SeriesResistor": {"ohm": ohm, "capacitor_f": 0.00047}}]


def env_file(tmp_path: Path, resources: list[dict], drivers: list[dict] | None = None) -> Path:
    target = {"resources": resources}
    if drivers is not None:
        target["drivers"] = drivers
    p = tmp_path / "env.yaml"
    p.write_text(yaml.safe_dump({"targets": {"lp0": target}, "imports": ["hil.lab.classes"]}))
    return p


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("hil.drivers.mspdebug_flash.STATE_DIR", tmp_path / "state")


@pytest.fixture
def artifact(tmp_path):
    return make_artifact(tmp_path / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)


@pytest.mark.emulator
def test_local_environment_run_is_bit_exact(tmp_path, artifact):
    from tests.lab_standin import StandInBoard

    loader = build_firmware("fr5994", flags=("-DTINAS_LOADER",)).elf
    board = StandInBoard(artifact.directory, loader)
    try:
        env = env_file(tmp_path, board_resources(board.uart_path))
        out = tmp_path / "m.csv"
        rc = hil_main(["run", "--target", "board", "--lg-env", str(env), "--artifact", str(artifact.directory),
                       "--profile", "rf_fading", "--timeout", "120", "--out", str(out)])
    finally:
        board.close()
    assert rc == 0
    df = pd.read_csv(out)
    assert list(df["power_mode"]) == ["intermittent", "continuous", "reference"] and df["output_correct"].all()
    assert board.received_blob == artifact.blob  # the loader step put the model where the device runs it
    assert len(board.runs) >= 3 and all(r.output_correct for r in board.runs)
    # what the board reported over the UART is what the device computed (the stand-in's own counters)
    assert list(df["compute_cycles"]) == [r.compute_cycles for r in board.runs[-3:]]
    assert df["firmware_hash"].iloc[2] != df["firmware_hash"].iloc[0]  # the reference image was flashed
    assert set(df["target_id"]) == {"board-lp0"}


@pytest.mark.emulator
def test_supply_replays_the_profile_behind_the_resistor(tmp_path, artifact):
    from hil.lab.place import open_board
    from hil.power.profile import load_profile
    from tests.lab_standin import StandInBoard

    board = StandInBoard(artifact.directory, build_firmware("fr5994", flags=("-DTINAS_LOADER",)).elf)
    try:
        target = BoardTarget(open_board(BoardAddress(env=str(env_file(tmp_path, board_resources(board.uart_path))))),
                             elf=build_firmware("fr5994").elf)
        prof = load_profile("rf_fading")
        target.set_profile(prof)
        ts, vs = target.supply_voltages()
        # matched load: P = V²/(4R), so V = sqrt(4·3000 Ω·P), capped at the port's 6 V limit
        k = int(prof.power_w.argmax())
        assert vs[k] == pytest.approx(min(6.0, (4 * 3000.0 * prof.power_w[k]) ** 0.5))
        assert len(ts) > 100 and vs.max() <= 6.0
        target.load(artifact.directory)  # no loader image: flashes the inference image only
        r = target.run(timeout_s=120)
        target.close()
    finally:
        board.close()
    assert r.output_correct and "supply replay" in r.log
    assert r.compute_cycles == board.runs[-1].compute_cycles


def test_unplugged_port_is_a_clear_error(tmp_path, artifact):
    from hil.lab.place import open_board

    target = BoardTarget(open_board(BoardAddress(env=str(env_file(tmp_path, board_resources("/dev/ttyNOTHERE"))))))
    target.load(artifact.directory)
    with pytest.raises(BoardError, match="ttyNOTHERE"):
        target.run(timeout_s=5)
    target.close()


def test_board_that_never_completes_stays_broken(tmp_path, artifact):
    from hil.lab.place import open_board

    master, slave = pty.openpty()
    try:
        target = BoardTarget(open_board(BoardAddress(env=str(env_file(tmp_path, board_resources(os.ttyname(slave)))))))
        target.load(artifact.directory)
        with pytest.raises(BoardError, match="stopped answering"):
            target.run(timeout_s=1.0)
        with pytest.raises(Exception, match="broken"):
            target.run()
        target.close()
        assert target.lease.released
    finally:
        os.close(master)
        os.close(slave)


def test_bad_board_descriptions(tmp_path, artifact, capsys):
    from hil.lab.place import open_board

    with pytest.raises(BoardUnavailable, match="not found"):
        open_board(BoardAddress(env=str(tmp_path / "missing.yaml")))
    with pytest.raises(BoardUnavailable, match="exactly one of"):
        BoardAddress(env="a.yaml", place="lp0")
    with pytest.raises(BoardUnavailable, match="exactly one of"):
        BoardAddress()
    with pytest.raises(BoardError, match="no board configured"):
        BoardTarget(None)
    no_supply = [r for r in board_resources("/dev/null") if "ScpiSupplyPort" not in r]
    with pytest.raises(BoardUnavailable, match="ScpiSupplyPort"):
        open_board(BoardAddress(env=str(env_file(tmp_path, no_supply))))
    bad_probe = board_resources("/dev/null")
    bad_probe[1] = {"MSP430Probe": {"driver": "jtag"}}
    with pytest.raises(BoardUnavailable, match="jtag"):
        open_board(BoardAddress(env=str(env_file(tmp_path, bad_probe))))
    out = tmp_path / "never.csv"
    assert hil_main(["run", "--artifact", str(artifact.directory), "--lg-env", "x.yaml", "--out", str(out)]) == 2
    assert "only apply to --target board" in capsys.readouterr().err
    assert hil_main(["run", "--target", "board", "--artifact", str(artifact.directory), "--out", str(out)]) == 2
    assert "--lg-env FILE or --lg-place NAME" in capsys.readouterr().err and not out.exists()


def test_supply_limit_from_the_port_resource(tmp_path):
    """The driver refuses a set-point above the bench's limit before sending it."""
    from hil.drivers.scpi_supply import SupplyError
    from hil.lab.place import open_board

    res = board_resources("/dev/null")
    res[2]["ScpiSupplyPort"]["v_max_v"] = 3.0
    lease = open_board(BoardAddress(env=str(env_file(tmp_path, res))))
    supply = lease.target.get_driver("PowerProtocol")
    with pytest.raises(SupplyError, match="outside"):
        supply.set_voltage(3.5)
    supply.set_voltage(2.5)
    assert abs(supply.supply.measure()[0] - 2.5) < 1e-6
    lease.release()


def test_several_places_share_out_the_matrix():
    import argparse

    from hil.commands.run import build_specs, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["run", "--target", "board", "--lg-place", "lp-a1, lp-b1", "--lg-coordinator", "lab-a:1",
                              "--lg-wait", "30", "--artifact", "art", "--profile", "p1", "p2", "--repeat", "2",
                              "--out", "m.csv"])
    specs = build_specs(args)
    assert [(s.profile, s.seed, s.board.place) for s in specs] == [
        ("p1", 0, "lp-a1"), ("p1", 1, "lp-b1"), ("p2", 0, "lp-a1"), ("p2", 1, "lp-b1")]
    assert {(s.board.coordinator, s.board.wait_s, s.board.env) for s in specs} == {("lab-a:1", 30.0, None)}
