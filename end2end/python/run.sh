#!/usr/bin/env bash
# Runs the Python client tests against a real `plume` (debug build) on fresh ports
# and a temporary data dir. The venv is kept in end2end/python/.venv between runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi
# Not under `make test` (PLUME_BUILT=1), whose `cargo test` built it: see end2end/run.sh.
[ -n "${PLUME_BUILT:-}" ] || (cd "$root" && cargo build --quiet -p server --bin plume)
exec "$venv/bin/pytest" -q "$here" "$@"
