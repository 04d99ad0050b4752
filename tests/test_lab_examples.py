"""The lab files docs/board-setup.md ships are usable as written: the exporter files render (labgrid
reads them through Jinja2) into resources our classes accept, the one-desk environment builds a board
target with our drivers, and the client environment names a place. No hardware is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parent.parent / "docs" / "lab"


@pytest.mark.parametrize("host", ["lab-a", "lab-b"])
def test_exporter_files_render_into_our_resources(host):
    from labgrid import Target, target_factory
    from labgrid.remote.config import ResourceConfig

    import hil.lab.classes  # noqa: F401

    cfg = ResourceConfig(str(LAB / f"exporter-{host}.yaml"),
                         {"hostname": host, "env": {}, "isolated": False, "name": host})
    (group, resources), = cfg.data.items()
    assert group.startswith("lp-")
    target = Target(group)
    for cls, params in resources.items():
        if cls == "USBSerialPort":
            continue  # labgrid's own; the exporter turns it into a NetworkSerialPort
        target_factory.make_resource(target, cls, None, dict(params))
    probe = target.get_resource("NetworkMSP430Probe", wait_avail=False)
    assert probe.host == host and probe.driver == "tilib"
    port = target.get_resource("ScpiSupplyPort", wait_avail=False)
    assert port.visa.startswith("TCPIP") and port.v_max_v == 6.0  # a LAN supply: clients reach it


def test_one_desk_environment_builds_a_board_target():
    from labgrid import Environment

    import hil.lab.classes  # noqa: F401
    from hil.lab.place import add_board_drivers

    target = Environment(str(LAB / "bench.yaml")).get_target("lp0")
    add_board_drivers(target)  # nothing to add: the file lists them all
    assert [type(d).__name__ for d in target.drivers] == ["SerialDriver", "FrameDriver", "MspdebugDriver",
                                                          "ScpiSupplyDriver", "MSP430Strategy"]
    assert target.get_resource("SeriesResistor", wait_avail=False).ohm == 2800.0
    target.cleanup()


def test_client_environment_names_a_place():
    import yaml

    from hil.lab.place import _remote_place_of

    doc = yaml.safe_load((LAB / "remote.yaml").read_text())
    assert _remote_place_of(doc["targets"]["lp-a1"]) == "lp-a1"
    assert doc["options"]["coordinator_address"] == "lab-a:20408"
