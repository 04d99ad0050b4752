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


@pytest.fixture(scope="session")
def sweep_budget(request: pytest.FixtureRequest) -> str:
    """'bounded' or 'full': slow tests size their sweeps with this."""
    return str(request.config.getoption("--hil-sweep"))


def emulator_available() -> bool:
    return all(shutil.which(t) for t in ("clang-14", "ld.lld-14", "mspdebug"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    inventory = config.getoption("--hil-inventory")
    skip_board = pytest.mark.skip(reason="needs a board: pass --hil-inventory FILE listing one")
    skip_emu = pytest.mark.skip(reason="needs clang-14, ld.lld-14 and mspdebug (bash scripts/setup.sh installs them)")
    have_emu = emulator_available()
    for item in items:
        if "board" in item.keywords and inventory is None:
            item.add_marker(skip_board)
        if "emulator" in item.keywords and not have_emu:
            item.add_marker(skip_emu)
