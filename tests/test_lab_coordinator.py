"""Boards through a real labgrid coordinator: a coordinator and an exporter on 127.0.0.1 share two
stand-in LaunchPads as places (tests/lab_fixture.py, tests/lab_standin.py). An inference runs through
a place end to end, bit-exact; a second client is refused naming the holder, or waits; a board that
stops answering mid-run is switched off, its place released, and no measurement file is written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import hil
from hil.build import build_firmware
from hil.cli import main as hil_main
from tests.fw_models import IMAGE_BLOCKS, make_artifact

pytestmark = pytest.mark.emulator

SIM = f"{Path(hil.__file__).parent / 'sim_instruments' / 'supplies.yaml'}@sim"
ROOT = Path(__file__).resolve().parent.parent
SUPPLIES = {"lp0": "USB0::0x2A8D::0x1102::SIM0001::0::INSTR", "lp1": "USB0::0xFFFF::0x9174::SIM0003::INSTR"}


def group(uart: str, visa: str, probe_serial: str) -> dict:
    return {"RawSerialPort": {"port": uart, "speed": 115200},
            "NetworkMSP430Probe": {"host": "{{ hostname }}", "driver": "sim", "serial": probe_serial},
            "ScpiSupplyPort": {"visa": visa, "backend": SIM, "v_max_v": 6.0, "i_max_a": 0.2},
            "SeriesResistor": {"ohm": 3000.0, "capacitor_f": 0.00047}}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from tests.lab_fixture import find_ser2net, start_lab
    from tests.lab_standin import StandInBoard

    if find_ser2net() is None:
        pytest.skip("needs ser2net, which labgrid's exporter shares serial ports with (bash scripts/setup.sh installs it)")
    folder = tmp_path_factory.mktemp("lab")
    art = make_artifact(folder / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS)
    loader = build_firmware("fr5994", flags=("-DTINAS_LOADER",)).elf
    boards = {"lp0": StandInBoard(art.directory, loader, visa=SUPPLIES["lp0"], probe_id="sim:LP0"),
              "lp1": StandInBoard(art.directory, loader, visa=SUPPLIES["lp1"], probe_id="sim:LP1",
                                  die_after_frames=6)}
    lab = None
    try:
        lab = start_lab(folder, {name: group(b.uart_path, SUPPLIES[name], name.upper()) for name, b in boards.items()})
        lab.artifact, lab.boards = art, boards
        yield lab
    finally:
        if lab is not None:
            lab.stop()
        for b in boards.values():
            b.close()


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("hil.drivers.mspdebug_flash.STATE_DIR", tmp_path / "state")


def held_by(lab, place: str) -> str:
    out = lab.client("-p", place, "show").stdout
    return next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.strip().startswith("acquired:")), "")


def test_inference_through_a_place_is_bit_exact(lab, tmp_path):
    out = tmp_path / "m.csv"
    rc = hil_main(["run", "--target", "board", "--lg-place", "lp0", "--lg-coordinator", lab.address,
                   "--artifact", str(lab.artifact.directory), "--profile", "thevenin_tinas", "--timeout", "120",
                   "--out", str(out)])
    assert rc == 0
    df = pd.read_csv(out)
    board = lab.boards["lp0"]
    assert list(df["power_mode"]) == ["intermittent", "continuous", "reference"] and df["output_correct"].all()
    assert board.received_blob == lab.artifact.blob
    assert list(df["compute_cycles"]) == [r.compute_cycles for r in board.runs[-3:]]
    assert set(df["target_id"]) == {"board-lp0"}
    assert held_by(lab, "lp0") in ("", "None")  # released after the run


def test_environment_file_naming_a_place(lab, tmp_path):
    import yaml

    from hil.lab.address import BoardAddress
    from hil.lab.place import open_board

    env = tmp_path / "remote.yaml"
    env.write_text(yaml.safe_dump({"targets": {"lp0": {"resources": {"RemotePlace": {"name": "lp0"}}}},
                                   "options": {"coordinator_address": lab.address}}))
    lease = open_board(BoardAddress(env=str(env)))
    try:
        assert held_by(lab, "lp0").endswith("/" + os.environ.get("LG_USERNAME", _user()))
        port = lease.target.get_resource("ScpiSupplyPort", wait_avail=False)
        probe = lease.target.get_resource("NetworkMSP430Probe", wait_avail=False)
        assert port.visa == SUPPLIES["lp0"] and probe.host == "127.0.0.1" and probe.serial == "LP0"
        assert lease.target.get_resource("NetworkSerialPort", wait_avail=False).host == "127.0.0.1"
    finally:
        lease.release()
    assert held_by(lab, "lp0") in ("", "None")


def _user() -> str:
    import getpass

    return getpass.getuser()


GRAB = """
import sys
from hil.lab.address import BoardAddress
from hil.lab.place import open_board
lease = open_board(BoardAddress(place="lp0", coordinator=sys.argv[1], wait_s=float(sys.argv[2])))
print("got", lease.name, flush=True)
lease.release()
"""


def test_second_client_is_refused_naming_the_holder_or_waits(lab):
    from hil.lab.address import BoardAddress
    from hil.lab.place import open_board

    env = dict(os.environ, LG_USERNAME="bob", PYTHONPATH=str(ROOT))
    lease = open_board(BoardAddress(place="lp0", coordinator=lab.address))
    try:
        me = held_by(lab, "lp0")
        p = subprocess.run([sys.executable, "-c", GRAB, lab.address, "0"], capture_output=True, text=True,
                           env=env, timeout=60)
        assert p.returncode != 0 and f"place lp0 is held by {me}" in p.stderr
        waiter = subprocess.Popen([sys.executable, "-c", GRAB, lab.address, "60"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(3)
        assert waiter.poll() is None  # still waiting while we hold the place
    finally:
        lease.release()
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0 and "got lp0" in out, err


def test_board_that_stops_answering_is_released_and_reported(lab, tmp_path, capsys):
    out = tmp_path / "m.csv"
    rc = hil_main(["run", "--target", "board", "--lg-place", "lp1", "--lg-coordinator", lab.address,
                   "--artifact", str(lab.artifact.directory), "--timeout", "10", "--out", str(out)])
    err = " ".join(capsys.readouterr().err.split())  # long messages are wrapped on a terminal-less stderr
    assert rc == 2
    assert "board lp1" in err and "stopped answering" in err and "place lp1 released" in err
    assert not out.exists() and not (tmp_path / "m.timeline.png").exists()
    log = tmp_path / "m.log"  # the report: what the board said before it fell silent
    assert f"log: {log}" in err and "frame BOOT" in log.read_text() and "stopped answering" in log.read_text()
    assert held_by(lab, "lp1") in ("", "None")
    assert lab.boards["lp1"].frames_out == 6  # it did answer, then fell silent mid-run


def test_two_places_held_at_once_in_one_process(lab):
    """labgrid's coordinator refuses a second session from one process; leases share one instead."""
    from hil.lab.address import BoardAddress
    from hil.lab.place import open_board

    a = open_board(BoardAddress(place="lp0", coordinator=lab.address))
    try:
        b = open_board(BoardAddress(place="lp1", coordinator=lab.address))
        assert a.session is b.session and held_by(lab, "lp0") == held_by(lab, "lp1") != ""
        b.release()
        assert held_by(lab, "lp1") in ("", "None") and held_by(lab, "lp0") != ""
    finally:
        a.release()
    assert held_by(lab, "lp0") in ("", "None")


def test_board_tests_run_through_the_plugin_options(lab, pytester):
    """tests/test_on_board.py as a user runs it against a lab: the --hil-lg-* options reach the place."""
    pytester.makeconftest(f"""
import pytest

@pytest.fixture(scope="module")
def artifact_dir():
    return {str(lab.artifact.directory)!r}
""")
    import inspect

    from tests import test_on_board

    pytester.makepyfile(test_on_board="import pytest\n\npytestmark = pytest.mark.board\n\n\n"
                        + inspect.getsource(test_on_board.test_inference_is_bit_exact_on_the_board))
    result = pytester.runpytest("-p", "hil.pytest_plugin", "-p", "no:labgrid", "-p", "no:cacheprovider",
                                "--hil-lg-place", "lp0", "--hil-lg-coordinator", lab.address, "--hil-timeout", "120")
    result.assert_outcomes(passed=1)
    assert any(f"hil: target board (place lp0 at {lab.address})" in line for line in result.outlines)
    assert held_by(lab, "lp0") in ("", "None")
