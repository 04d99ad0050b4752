#!/usr/bin/env bash
# The main job on the embedded default: search, export, build, emulated runs, calibration and report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/hil pipeline --out runs/main-job "$@"
