#!/usr/bin/env bash
# The main job on the embedded default: search, export, build, emulated runs, calibration and report.
# Redirected (`bash scripts/main-job.sh > log 2>&1`), the log is plain text: no colours or redrawn
# progress bars, no line over 300 characters, and it ends with a summary block (hil/joblog.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -t 1 ] || [ ! -t 2 ]; then
  export NO_COLOR=1 PY_COLORS=0 PIP_PROGRESS_BAR=off PIP_DISABLE_PIP_VERSION_CHECK=1
fi
bash scripts/setup.sh
exec .venv/bin/hil pipeline --out runs/main-job "$@"
