#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the tests (Debian's postgresql package) on
# 127.0.0.1:${PGPORT:-54329} with trust auth, data in ${PGDATA_DIR:-/tmp/switchyard-pg}, and
# prints the URL to export as SWITCHYARD_POSTGRES_URL. Idempotent: a running server is reused.
set -euo pipefail
port=${PGPORT:-54329}
data=${PGDATA_DIR:-/tmp/switchyard-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/initdb" ]] || { echo "start-postgres: Debian's postgresql package is not installed" >&2; exit 1; }
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    if [[ ! -f "$data/PG_VERSION" ]]; then
        mkdir -p "$data"
        [[ $(id -u) == 0 ]] && chown postgres:postgres "$data"
        as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
