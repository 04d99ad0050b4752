"""pytest plugin of the harness, registered through the ``pytest11`` entry point in pyproject.toml
(named like the module, so ``-p hil.pytest_plugin`` and the entry point are one registration).

Options live in the ``hil`` group, each with a same-named fixture; services add their own in sibling
modules: ``board`` (the labgrid board: --hil-lg-*) and ``dut_fixture`` (the device under test and its log).
"""

from __future__ import annotations

import os
import shutil

import pytest

from hil.pytest_plugin.board import add_board_options, board_address, board_configured


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "TiNAS-HIL harness")
    group.addoption("--hil-sweep", choices=("bounded", "full"), default="bounded",
                    help="size of slow sweeps: 'bounded' (CI, default) or 'full'")
    group.addoption("--hil-target", default=None, choices=("emulator", "host", "board"),
                    help="target of the dut fixture (default: board when one is configured, else emulator)")
    group.addoption("--hil-timeout", type=float, default=None,
                    help="wall-clock limit per inference of the dut, seconds (default 900)")
    group.addoption("--hil-log-dir", default=None,
                    help="folder for one log per dut (default: pytest's temporary folder, hil-logs/)")
    add_board_options(group)


@pytest.fixture(scope="session")
def sweep_budget(request: pytest.FixtureRequest) -> str:
    """'bounded' or 'full': slow tests size their sweeps with this."""
    return str(request.config.getoption("--hil-sweep"))


def resolve_target(config: pytest.Config) -> str:
    """--hil-target, else board when one is configured, else the emulator."""
    opt = config.getoption("--hil-target")
    if opt is not None:
        return str(opt)
    return "board" if board_configured(config) else "emulator"


@pytest.fixture(scope="session")
def hil_target(request: pytest.FixtureRequest) -> str:
    return resolve_target(request.config)


@pytest.fixture(scope="session")
def hil_timeout(request: pytest.FixtureRequest) -> float:
    value = request.config.getoption("--hil-timeout")
    return 900.0 if value is None else float(value)


def pytest_report_header(config: pytest.Config) -> str:
    target = resolve_target(config)
    if target == "board":
        where = board_address(config)
        target += f" ({where.describe()})" if where is not None else " (none configured: board tests skip)"
    elif not board_configured(config):
        target += " (no board configured)"
    return f"hil: target {target}, sweeps {config.getoption('--hil-sweep')}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "board: needs a real MSP430FR5994 board (--hil-lg-env FILE or "
                                       "--hil-lg-place NAME); skipped without one")
    config.addinivalue_line("markers", "emulator: needs clang-14, ld.lld-14 and mspdebug")


# The external programs each marker needs (scripts/setup.sh installs all of them).
MARKER_TOOLS: dict[str, tuple[str, ...]] = {
    "emulator": ("clang-14", "ld.lld-14", "llvm-size-14", "llvm-nm-14", "mspdebug", "gcc"),  # gcc builds the twin
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
    skip_board = pytest.mark.skip(reason="needs a board: pass --hil-lg-env FILE or --hil-lg-place NAME "
                                         "(docs/board-setup.md)")
    have_board = board_configured(config)
    for item in items:
        if "board" in item.keywords and not have_board:
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


from hil.pytest_plugin.board import hil_board  # noqa: E402,F401  (fixture registration)
from hil.pytest_plugin.dut_fixture import Dut, dut, pytest_runtest_makereport  # noqa: E402,F401
