#!/usr/bin/env bash
# The lab: set-up (idempotent), then the guided tour of a live cluster. Extra arguments go to
# `kclone demo tour` (see `kclone demo tour --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/kclone demo tour "$@"
