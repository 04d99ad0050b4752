"""Getting a board: from a labgrid environment file (one host) or a coordinator place (a lab).

``open_board(BoardAddress(...))`` returns a ``BoardLease``: a labgrid target holding the LaunchPad's
resources, its drivers (ours by default, or those the environment file names) and the strategy. With
a coordinator the place is acquired for the run and released by ``release()`` whatever happened; a
place held by someone else is waited for up to ``wait_s`` seconds, then refused naming the holder.
The coordinator's lock is the only lock: there are no local lock files.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import time
from pathlib import Path

from labgrid import Environment, Target
from labgrid.exceptions import NoDriverFoundError, NoResourceFoundError

import hil.lab.classes  # noqa: F401  (registers our resources and drivers with labgrid)
from hil.lab.address import BoardAddress, BoardUnavailable

LOG = logging.getLogger("hil.lab.place")


def add_board_drivers(target: Target) -> None:
    """Give ``target`` our standard drivers where the environment named none: labgrid's SerialDriver
    on the UART, the frame driver, mspdebug, the SCPI supply and the strategy."""
    from labgrid.driver import SerialDriver

    from hil.lab.flash_driver import MspdebugDriver
    from hil.lab.frame_driver import FrameDriver
    from hil.lab.strategy import MSP430Strategy
    from hil.lab.supply_driver import ScpiSupplyDriver

    for protocol, make in (("ConsoleProtocol", SerialDriver), ("FrameDriver", FrameDriver),
                           ("BootstrapProtocol", MspdebugDriver), ("PowerProtocol", ScpiSupplyDriver),
                           ("MSP430Strategy", MSP430Strategy)):
        try:
            target.get_driver(protocol, activate=False)
        except NoDriverFoundError:
            try:
                make(target, None)
            except NoResourceFoundError as exc:
                raise BoardUnavailable(f"target {target.name} lacks a resource the board needs: {exc}") from None


class BoardLease:
    """One board for one run; ``release()`` (or leaving the ``with`` block) frees it."""

    def __init__(self, target: Target, address: BoardAddress, session=None, env: Environment | None = None,
                 place: str | None = None) -> None:
        self.target, self.address, self.session, self.env, self.place = target, address, session, env, place
        self.released = False

    @property
    def name(self) -> str:
        return self.place or self.target.name

    @property
    def strategy(self):
        return self.target.get_driver("MSP430Strategy", activate=False)

    def release(self) -> None:
        """Switch the board off, close its drivers and, with a coordinator, release the place."""
        if self.released:
            return
        self.released = True
        try:
            self.target.cleanup()  # deactivates drivers: supply output off, serial closed
        finally:
            if self.session is not None:
                _forget_remote_resources(self.target)
                _end_session(self.session, self.place)

    def __enter__(self) -> BoardLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def open_board(address: BoardAddress) -> BoardLease:
    if address.env is not None:
        return _from_env(address)
    return _from_place(address)


def _from_env(address: BoardAddress) -> BoardLease:
    if not Path(address.env).is_file():
        raise BoardUnavailable(f"labgrid environment file {address.env} not found")
    try:
        env = Environment(config_file=str(address.env))
    except FileNotFoundError:
        raise BoardUnavailable(f"labgrid environment file {address.env} not found") from None
    except Exception as exc:  # labgrid raises several kinds for a bad file
        raise BoardUnavailable(f"labgrid environment file {address.env}: {exc}") from None
    targets = env.config.get_targets()
    role = address.role or (next(iter(targets)) if len(targets) == 1 else "main")
    if role not in targets:
        raise BoardUnavailable(f"{address.env}: no target {role!r} (has: {', '.join(targets) or 'none'})")
    place = _remote_place_of(targets[role])
    session = None
    if place is not None:  # the environment names a coordinator place: acquire it before building
        coord = address.coordinator or env.config.get_option("coordinator_address", "") or None
        session = _acquire(BoardAddress(place=place, coordinator=coord, wait_s=address.wait_s))
    try:
        target = env.get_target(role)
        add_board_drivers(target)
    except BaseException as exc:
        if session is not None:
            _end_session(session, place)
        if isinstance(exc, Exception) and not isinstance(exc, BoardUnavailable):
            raise BoardUnavailable(f"{address.env}: target {role}: {exc}") from None
        raise
    return BoardLease(target, address, session=session, env=env, place=place)


def _remote_place_of(target_config: dict) -> str | None:
    res = target_config.get("resources", {})
    items = res.items() if isinstance(res, dict) else (kv for d in res for kv in d.items())
    for cls, args in items:
        if cls == "RemotePlace":
            return str((args or {}).get("name"))
    return None


def _from_place(address: BoardAddress) -> BoardLease:
    from labgrid.resource.remote import RemotePlace

    session = _acquire(address)
    try:
        target = Target(address.place)
        RemotePlace(target, name=address.place)
        add_board_drivers(target)
    except BaseException:
        _end_session(session, address.place)
        raise
    return BoardLease(target, address, session=session, place=address.place)


class _Sessions:
    """One labgrid client session per coordinator per process, shared by every lease taken through it.
    labgrid's coordinator tells clients apart by their connection, and gRPC gives all channels of a
    process to one address the same connection, so a second session would be refused."""

    def __init__(self) -> None:
        self._open: dict[str, list] = {}  # coordinator address -> [session, leases using it]

    def take(self, coord: str):
        from labgrid.remote.client import start_session

        entry = self._open.get(coord)
        if entry is None:
            try:
                with _quiet():
                    session = start_session(coord, extra={"args": argparse.Namespace(place=None,
                                                                                       allow_unmatched=False)})
            except Exception as exc:
                raise BoardUnavailable(f"labgrid coordinator {coord} is not reachable ({exc}); "
                                       f"start it with 'labgrid-coordinator' or pass --lg-coordinator") from None
            entry = self._open[coord] = [session, 0]
        entry[1] += 1
        return entry[0]

    def give_back(self, session) -> None:
        for coord, entry in list(self._open.items()):
            if entry[0] is session:
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._open[coord]
                    loop = session.loop
                    with contextlib.suppress(Exception):
                        loop.run_until_complete(session.stop())
                    with contextlib.suppress(Exception):
                        loop.run_until_complete(session.close())
                return


_SESSIONS = _Sessions()


def _acquire(address: BoardAddress):
    """A client session holding ``address.place``, with labgrid's remote-place manager pointed at it."""
    from labgrid.remote.client import Error as ClientError
    from labgrid.resource.remote import RemotePlaceManager

    coord = address.coordinator_address()
    session = _SESSIONS.take(coord)
    loop = session.loop
    deadline = time.monotonic() + address.wait_s
    try:
        while True:
            place = session.places.get(address.place)
            if place is None:
                raise BoardUnavailable(f"coordinator {coord} has no place {address.place!r} "
                                       f"(known: {', '.join(sorted(session.places)) or 'none'})")
            why = f"is held by {place.acquired}" if place.acquired else ""
            if not why:
                try:
                    session.args = argparse.Namespace(place=address.place, allow_unmatched=False)
                    with _quiet():
                        loop.run_until_complete(session.acquire())
                    break
                except ClientError as exc:  # taken meanwhile, reserved for someone else, or a resource is busy
                    held = session.places[address.place].acquired
                    why = f"is held by {held}" if held else f"was refused: {exc}"
            if time.monotonic() >= deadline:
                raise BoardUnavailable(f"place {address.place} {why}"
                                       + (f"; waited {address.wait_s:g} s" if address.wait_s else
                                          "; pass --lg-wait SECONDS to wait for it"))
            loop.run_until_complete(asyncio.sleep(min(1.0, max(0.05, deadline - time.monotonic()))))
    except BaseException:
        _SESSIONS.give_back(session)
        raise
    LOG.info("acquired place %s at %s", address.place, coord)
    manager = RemotePlaceManager.get()
    manager.session, manager.loop = session, loop
    return session


def _end_session(session, place: str | None) -> None:
    """Release ``place`` (when given and held by us) and give the session back."""
    loop = session.loop
    try:
        if place is not None and session.places.get(place) and session.places[place].acquired == _me(session):
            session.args = argparse.Namespace(place=place, kick=False)
            with _quiet():
                loop.run_until_complete(session.release())
            LOG.info("released place %s", place)
    finally:
        _SESSIONS.give_back(session)


def _me(session) -> str:
    return f"{session.gethostname()}/{session.getuser()}"


def _forget_remote_resources(target: Target) -> None:
    """labgrid's remote-place manager is per process; drop this target's entries so a later lease in
    the same process does not poll resources of a released place."""
    from labgrid.resource.remote import RemotePlaceManager

    manager = RemotePlaceManager.get()
    manager.unmanaged_resources = [r for r in manager.unmanaged_resources if r.target is not target]
    manager.resources = [r for r in manager.resources if r.target is not target]


@contextlib.contextmanager
def _quiet():
    """labgrid's client prints progress to stdout; keep our command's output ours (logged instead)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        yield
    if buf.getvalue().strip():
        LOG.info("labgrid: %s", buf.getvalue().strip())
