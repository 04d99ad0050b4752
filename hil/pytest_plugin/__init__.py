"""pytest plugin of the harness (entry point loaded by the repository's conftest.py).

Services add their own options and fixtures in sibling modules; this module gathers them.
"""

from __future__ import annotations

import os
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


# The external programs each marker needs (scripts/setup.sh installs all of them).
MARKER_TOOLS: dict[str, tuple[str, ...]] = {
    "emulator": ("clang-14", "ld.lld-14", "llvm-size-14", "llvm-nm-14", "mspdebug"),
}


def missing_tools(tools: tuple[str, ...] | list[str]) -> list[str]:
    """The programs of ``tools`` that are not on PATH, in the order given."""
    return [t for t in tools if shutil.which(t) is None]


def emulator_available() -> bool:
    return not missing_tools(MARKER_TOOLS["emulator"])


def under_ci() -> bool:
    """CI sets CI=true: there a missing tool is a broken setup, not a reason to skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def tools_needed(item: pytest.Item) -> list[str]:
    """Every program ``item`` needs: those of its markers, and those named by ``@pytest.mark.tools(...)``."""
    need: list[str] = []
    for marker, tools in MARKER_TOOLS.items():
        if item.get_closest_marker(marker) is not None:
            need += tools
    for m in item.iter_markers("tools"):
        need += list(m.args)
    return list(dict.fromkeys(need))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"emulator: needs {', '.join(MARKER_TOOLS['emulator'])}")
    config.addinivalue_line("markers", "tools(*names): needs these programs on PATH (skipped without them; "
                                       "under CI=true the test fails naming them)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    inventory = config.getoption("--hil-inventory")
    skip_board = pytest.mark.skip(reason="needs a board: pass --hil-inventory FILE listing one")
    for item in items:
        if "board" in item.keywords and inventory is None:
            item.add_marker(skip_board)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test whose tools are missing is skipped with their names, or, under CI, fails with them: a CI
    run that silently skipped the emulator tests would pass without testing them."""
    if item.get_closest_marker("skip") is not None:  # skipped anyway (a board test without an inventory)
        return
    gone = missing_tools(tools_needed(item))
    if not gone:
        return
    msg = (f"missing tool(s) {', '.join(gone)} needed by this test; bash scripts/setup.sh installs them")
    if under_ci():
        pytest.fail(f"CI=true: {msg}", pytrace=False)
    pytest.skip(msg)


from hil.pytest_plugin.dut import Dut, dut  # noqa: E402,F401  (fixture registration)
