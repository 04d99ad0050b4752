#!/usr/bin/env bash
# The test command of the README and of CI: set up, then the whole suite on all cores.
# Slow sweeps run in their bounded form (--hil-sweep=bounded, the default); pass --hil-sweep=full for all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -n auto -q "$@"
