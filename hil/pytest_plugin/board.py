"""The board service of the plugin: --hil-lg-* options and the ``hil_board`` fixture.

A board is configured by a labgrid environment file (``--hil-lg-env``; labgrid's own ``--lg-env`` is
honoured when ours is absent) or by coordinator places (``--hil-lg-place``). Several places, comma
separated, give each pytest-xdist worker its own: worker gwN takes place N modulo their number.
"""

from __future__ import annotations

import os

import pytest

from hil.lab.address import BoardAddress


def add_board_options(group) -> None:
    group.addoption("--hil-lg-env", default=None, metavar="FILE",
                    help="labgrid environment file of the board (board tests skip without a board)")
    group.addoption("--hil-lg-place", default=None, metavar="NAME[,NAME…]",
                    help="labgrid coordinator place(s); with pytest-xdist each worker takes its own")
    group.addoption("--hil-lg-coordinator", default=None, metavar="HOST:PORT",
                    help="labgrid coordinator (default: $LG_COORDINATOR, else 127.0.0.1:20408)")
    group.addoption("--hil-lg-wait", type=float, default=None, metavar="SECONDS",
                    help="wait this long for a place someone else holds (default 0: refuse at once)")


def _labgrid_env(config: pytest.Config) -> str | None:
    """labgrid's --lg-env (its plugin is installed with labgrid), else None."""
    try:
        return config.getoption("lg_env")
    except ValueError:  # labgrid's plugin disabled (-p no:labgrid)
        return None


def board_configured(config: pytest.Config) -> bool:
    return any(v is not None for v in (config.getoption("--hil-lg-env"), config.getoption("--hil-lg-place"),
                                       _labgrid_env(config)))


def board_address(config: pytest.Config) -> BoardAddress | None:
    """The board this worker uses, from the options (None: no board configured)."""
    env = config.getoption("--hil-lg-env") or _labgrid_env(config)
    places = config.getoption("--hil-lg-place")
    wait = config.getoption("--hil-lg-wait")
    coord = config.getoption("--hil-lg-coordinator")
    if env is None and places is None:
        return None
    if env is not None and places is not None:
        raise pytest.UsageError("give --hil-lg-env or --hil-lg-place, not both")
    place = None
    if places is not None:
        names = [p.strip() for p in places.split(",") if p.strip()]
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        index = int(worker[2:]) if worker[2:].isdigit() else 0
        place = names[index % len(names)]
    return BoardAddress(env=env if place is None else None, place=place, coordinator=coord,
                        wait_s=0.0 if wait is None else float(wait))


@pytest.fixture(scope="session")
def hil_board(request: pytest.FixtureRequest) -> BoardAddress | None:
    """Where this worker's board is (None without one; ``board`` tests are skipped then)."""
    return board_address(request.config)
