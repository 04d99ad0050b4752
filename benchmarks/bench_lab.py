"""The board layer's overheads on one machine: starting a labgrid lab (coordinator + exporter + place),
acquiring and releasing a place, refusing a second client, one measurement through a place versus a
local environment file (stand-in board: the emulator behind a pty, mspdebug sim, pyvisa-sim), and a
run matrix in local processes versus Ray tasks. Writes benchmarks/results/lab.{json,md}."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from hil.build import build_firmware  # noqa: E402
from hil.cli import main as hil_main  # noqa: E402
from hil.lab.address import BoardAddress  # noqa: E402
from hil.lab.place import open_board  # noqa: E402
from tests.fw_models import IMAGE_BLOCKS, make_artifact  # noqa: E402
from tests.lab_fixture import start_lab  # noqa: E402
from tests.lab_standin import StandInBoard  # noqa: E402

SIM = f"{ROOT / 'hil' / 'sim_instruments' / 'supplies.yaml'}@sim"
VISA = "USB0::0x2A8D::0x1102::SIM0001::0::INSTR"


SECOND_CLIENT = """
import json, sys, time
from hil.lab.address import BoardAddress, BoardUnavailable
from hil.lab.place import open_board
t0 = time.perf_counter()
try:
    open_board(BoardAddress(place="lp0", coordinator=sys.argv[1])).release()
    print(json.dumps([None, "not refused"]))
except BoardUnavailable as exc:
    print(json.dumps([time.perf_counter() - t0, str(exc)]))
"""


def resources(uart: str, probe: str) -> dict:
    return {"RawSerialPort": {"port": uart, "speed": 115200}, probe: {"driver": "sim"},
            "ScpiSupplyPort": {"visa": VISA, "backend": SIM}, "SeriesResistor": {"ohm": 3000, "capacitor_f": 0.00047}}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    os.environ.setdefault("TINAS_HIL_STATE", tempfile.mkdtemp(prefix="lab-bench-state-"))
    res: dict = {}
    import hil.commands
    from tinas.cli import build_parser

    build_parser("hil", "", hil.commands)  # import every command once, so no figure pays for imports
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as d:
        folder = Path(d)
        art = make_artifact(folder / "a", dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS, proactive=False)
        board = StandInBoard(art.directory, build_firmware("fr5994", flags=("-DTINAS_LOADER",)).elf, visa=VISA)
        lab = None
        try:
            t0 = time.perf_counter()
            net = resources(board.uart_path, "NetworkMSP430Probe")
            net["NetworkMSP430Probe"]["host"] = "{{ hostname }}"
            lab = start_lab(folder / "lab", {"lp0": net})
            res["lab_start_s"] = time.perf_counter() - t0
            addr = BoardAddress(place="lp0", coordinator=lab.address)
            res["place_acquire_release_s"] = statistics.median(timed(lambda: open_board(addr).release()) for _ in range(5))
            lease = open_board(addr)
            try:  # another client is another process (labgrid allows one session per process)
                p = subprocess.run([sys.executable, "-c", SECOND_CLIENT, lab.address], capture_output=True, text=True,
                                   timeout=120, env=dict(os.environ, LG_USERNAME="bench-second-client",
                                                         PYTHONPATH=str(ROOT)))
                res["second_client_refused_s"], res["second_client_message"] = json.loads(p.stdout.splitlines()[-1])
            finally:
                lease.release()
            run = ["run", "--target", "board", "--artifact", str(art.directory), "--profile", "thevenin_tinas"]
            res["measurement_through_place_s"] = timed(lambda: hil_main(
                [*run, "--lg-place", "lp0", "--lg-coordinator", lab.address, "--out", str(folder / "p.csv")]))
            env = folder / "env.yaml"
            env.write_text(yaml.safe_dump({"targets": {"lp0": {"resources": resources(board.uart_path, "MSP430Probe")}}}))
            res["measurement_local_env_s"] = timed(lambda: hil_main([*run, "--lg-env", str(env), "--out", str(folder / "e.csv")]))
        finally:
            if lab is not None:
                lab.stop()
            board.close()
        matrix = ["run", "--artifact", str(art.directory), "--profile", "thevenin_tinas", "square_wave",
                  "--repeat", "2", "--ccap", "0.00047"]
        res["matrix_runs"] = 4
        res["matrix_local_2_workers_s"] = timed(lambda: hil_main([*matrix, "--workers", "2", "--out", str(folder / "l.csv")]))
        res["matrix_ray_local_cluster_2_cpus_s"] = timed(lambda: hil_main([*matrix, "--ray", "--workers", "2",
                                                                          "--out", str(folder / "r.csv")]))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "lab.json").write_text(json.dumps(res, indent=1))
    (out / "lab.md").write_text(
        "## Board layer on labgrid, Ray (`benchmarks/bench_lab.py`)\n\n"
        "Stand-in board (emulator behind a pty, mspdebug sim, pyvisa-sim), coordinator and exporter on 127.0.0.1;\n"
        "small DIGITS network (tests/fw_models.py, fixed seed), no proactive shutdowns, loader + blob + image flashed\n"
        "per run. Command: `.venv/bin/python benchmarks/bench_lab.py`; 2-core Debian 12 VM shared with other jobs,\n"
        "so the figures are upper bounds. Ray pays its cluster start and a fresh import of the project per worker:\n"
        "it is for spreading runs over machines, not for speed on one.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| start a lab: coordinator, exporter, one place (3 labgrid-client calls) | {res['lab_start_s']:.1f} s |\n"
        f"| acquire + release a place (client session included), median of 5 | {res['place_acquire_release_s']:.2f} s |\n"
        f"| a second client refused, naming the holder (session start included) | {res['second_client_refused_s']:.2f} s |\n"
        f"| one measurement (intermittent + continuous run) through the place | {res['measurement_through_place_s']:.1f} s |\n"
        f"| the same from a local environment file (no coordinator, no ser2net) | {res['measurement_local_env_s']:.1f} s |\n"
        f"| emulator matrix of {res['matrix_runs']} runs: 2 local processes | {res['matrix_local_2_workers_s']:.1f} s |\n"
        f"| the same as Ray tasks on a new local cluster of 2 CPUs (start included) | {res['matrix_ray_local_cluster_2_cpus_s']:.1f} s |\n"
    )
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
