#!/usr/bin/env bash
# Stops the PostgreSQL server started by scripts/start-postgres.sh (same PGPORT / PGDATA_DIR).
set -euo pipefail
data=${PGDATA_DIR:-/tmp/switchyard-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
