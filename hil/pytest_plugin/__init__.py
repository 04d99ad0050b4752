"""pytest plugin of the harness (entry point loaded by the repository's conftest.py).

Services add their own options and fixtures in sibling modules; this module gathers them.
"""

from __future__ import annotations

import shutil

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "TiNAS-HIL harness")
    group.addoption(
        "--hil-sweep",
        choices=("bounded", "full"),
        default="bounded",
        help="size of slow sweeps: 'bounded' (CI, default) or 'full'",
    )
    group.addoption("--hil-inventory", default=None, help="board inventory file (board tests skip without one)")
    group.addoption("--hil-target", default=None, choices=("emulator", "host", "board"),
                    help="target of the dut fixture (default: board if an inventory is given, else emulator)")


@pytest.fixture(scope="session")
def sweep_budget(request: pytest.FixtureRequest) -> str:
    """'bounded' or 'full': slow tests size their sweeps with this."""
    return str(request.config.getoption("--hil-sweep"))


@pytest.fixture(scope="session")
def hil_target(request: pytest.FixtureRequest) -> str:
    """The dut's target: option, else board with an inventory, else the emulator (said in the header)."""
    opt = request.config.getoption("--hil-target")
    if opt is not None:
        return str(opt)
    return "board" if request.config.getoption("--hil-inventory") is not None else "emulator"


def pytest_report_header(config: pytest.Config) -> str:
    t = config.getoption("--hil-target") or ("board" if config.getoption("--hil-inventory") else "emulator (no board configured)")
    return f"hil: target {t}, sweeps {config.getoption('--hil-sweep')}"


def emulator_available() -> bool:
    return all(shutil.which(t) for t in ("clang-14", "ld.lld-14", "mspdebug", "gcc"))  # gcc builds the twin


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    inventory = config.getoption("--hil-inventory")
    skip_board = pytest.mark.skip(reason="needs a board: pass --hil-inventory FILE listing one")
    skip_emu = pytest.mark.skip(reason="needs clang-14, ld.lld-14, mspdebug and gcc (bash scripts/setup.sh installs them)")
    have_emu = emulator_available()
    for item in items:
        if "board" in item.keywords and inventory is None:
            item.add_marker(skip_board)
        if "emulator" in item.keywords and not have_emu:
            item.add_marker(skip_emu)


from hil.pytest_plugin.dut import Dut, dut  # noqa: E402,F401  (fixture registration)
