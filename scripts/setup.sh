#!/usr/bin/env bash
# Install everything a fresh Debian 12 machine needs: the MSP430 toolchain and emulator through apt
# (only when missing) and the Python packages into ./.venv. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
# program:package for every tool a test marker needs (hil/pytest_plugin MARKER_TOOLS) and the native
# compiler of the host-port firmware tests; under CI=true a test whose tool is missing fails.
# ser2net: how a labgrid exporter shares a board's UART (the lab tests start one on 127.0.0.1)
for pair in gcc:gcc make:make clang-14:clang-14 ld.lld-14:lld-14 llvm-size-14:llvm-14 llvm-nm-14:llvm-14 \
            llvm-objcopy-14:llvm-14 mspdebug:mspdebug ser2net:ser2net; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "[setup] installing with apt: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}"
fi
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.tinas-hil-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[setup] installing Python packages into .venv (torch pinned to the local CPU build 2.13.0)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[test]"
  touch "$stamp"
fi
