"""A labgrid lab on this machine for tests: a coordinator and one exporter, both on 127.0.0.1, whose
places hold stand-in boards (tests/lab_standin.py). Started in a fresh folder, bounded in time, and
torn down by process group, so no coordinator, exporter or ser2net outlives the test module.

labgrid 24+ needs no crossbar: the coordinator is a gRPC server (``labgrid-coordinator``) and the
exporter shares serial ports through ``ser2net`` (Debian package ser2net, which scripts/setup.sh
installs). ser2net would listen on every interface; the tests put a wrapper first on the exporter's
PATH that makes it listen on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SER2NET_LOOPBACK = """#!/bin/sh
# ser2net as labgrid's exporter starts it, but listening on 127.0.0.1 only (tests)
for a in "$@"; do
  shift
  set -- "$@" "$(printf '%s' "$a" | sed 's/),tcp,\\([0-9][0-9]*\\)$/),tcp,127.0.0.1,\\1/')"
done
exec {ser2net} "$@"
"""


def find_ser2net() -> str | None:
    return next((p for p in ("/usr/sbin/ser2net", "/usr/bin/ser2net") if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout_s: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    tail = log.read_text()[-2000:] if log is not None and log.is_file() else ""
    raise RuntimeError(f"{what} not ready within {timeout_s} s\n{tail}")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Lab:
    folder: Path
    address: str
    exporter_name: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def client(self, *args: str, env: dict | None = None, timeout_s: float = 60) -> subprocess.CompletedProcess:
        """labgrid-client against this lab's coordinator."""
        return subprocess.run([sys.executable, "-m", "labgrid.remote.client", "-x", self.address, *args],
                              capture_output=True, text=True, timeout=timeout_s, env=env or os.environ.copy(),
                              cwd=self.folder)

    def add_place(self, name: str, group: str) -> None:
        for args in (("-p", name, "create"), ("-p", name, "add-match", f"{self.exporter_name}/{group}/*")):
            p = self.client(*args)
            if p.returncode != 0:
                raise RuntimeError(f"labgrid-client {' '.join(args)}: {p.stderr}")

    def stop(self) -> None:
        for p in reversed(self.procs):  # exporter (and its ser2net children) first, then the coordinator
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(5)
            try:  # children the group still holds (ser2net)
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start_lab(folder: Path, groups: dict[str, dict], timeout_s: float = 60.0) -> Lab:
    """Coordinator + exporter sharing ``groups`` ({group: {ResourceClass: params}}), each group a place."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lab = Lab(folder, f"127.0.0.1:{port}", "exp1")
    bindir = folder / "bin"
    bindir.mkdir(exist_ok=True)
    ser2net = find_ser2net()
    (bindir / "ser2net").write_text(SER2NET_LOOPBACK.format(ser2net=ser2net))
    (bindir / "ser2net").chmod(0o755)
    (folder / "exporter.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", PYTHONUNBUFFERED="1")
    try:
        log = folder / "coordinator.log"
        lab.procs.append(subprocess.Popen([sys.executable, "-m", "labgrid.remote.coordinator", "--listen", lab.address],
                                          cwd=folder, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                          start_new_session=True, env=env))
        wait_for(lambda: _port_open(port), timeout_s, "labgrid coordinator", log)
        log = folder / "exporter.log"
        lab.procs.append(subprocess.Popen([sys.executable, "-m", "labgrid.remote.exporter", "-c", lab.address,
                                           "-n", lab.exporter_name, "--hostname", "127.0.0.1",
                                           str(folder / "exporter.yaml")],
                                          cwd=folder, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                          start_new_session=True, env=env))
        wait_for(lambda: "Exporter ready" in log.read_text(), timeout_s, "labgrid exporter", log)
        for group in groups:
            lab.add_place(group, group)
    except BaseException:
        lab.stop()
        raise
    return lab
