#!/usr/bin/env bash
# Runs a command (a test suite) on PostgreSQL: starts a throwaway cluster from
# Debian's `postgresql` binaries (`initdb` in a temporary directory, a free
# loopback port, owned by `postgres` when run as root, since PostgreSQL refuses
# to run as root), runs the command, then stops and removes the cluster.
# The command sees PLUME_TEST_POSTGRES_BIN and PGHOST/PGPORT/PGUSER; the
# suites' fixtures then give each server a database of its own (`createdb`).
#   end2end/with-postgres.sh end2end/python/run.sh
set -euo pipefail
bin="$(dirname "$(readlink -f "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")")"
dir="$(mktemp -d /tmp/plume-pg.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_owner=()
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$dir"
	as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U plume --no-sync -E UTF8 >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" >/dev/null
trap '"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
export PLUME_TEST_POSTGRES_BIN="$bin" PGHOST=127.0.0.1 PGPORT="$port" PGUSER=plume
"$@"
