#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: Debian's ZooKeeper, kcat and netcat through
# apt-get (sudo when not root), then a virtual environment in .venv with the project and its test
# extras. Re-running it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
# ZOOKEEPER_HOME (a ZooKeeper tarball install) or KCLONE_ZOOKEEPER_CONNECT (an existing ensemble)
# replaces Debian's package.
if [ -z "${ZOOKEEPER_HOME:-}" ] && [ -z "${KCLONE_ZOOKEEPER_CONNECT:-}" ] && [ ! -f /usr/share/java/zookeeper.jar ]; then
  missing+=(zookeeper)
fi
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
dpkg -s netcat-openbsd >/dev/null 2>&1 || missing+=(netcat-openbsd)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} with apt-get" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "bootstrap: Python 3.11 or newer is needed (found $(python3 --version))" >&2; exit 1; }

stamp=.venv/.kclone-installed
want=$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing the project and its test extras into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test,docker]'
  echo "$want" > "$stamp"
fi
