#!/bin/sh
# One-shot `migrate` service of the compose stack (runs in the archiver image):
# applies the TimescaleDB migrations and sets the service roles' passwords,
# then exits 0 — the services that use the database start after it.
#   env: PG_URL (postgres://host:port/db, without login), POSTGRES_USER (default postgres),
#        POSTGRES_PASSWORD, NETFLOW_{COLLECTOR,READER,ARCHIVER}_PASSWORD, HOT_* (timescale/src/config.ts)
set -eu
APP_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=deploy/docker/lib.sh
. "$APP_DIR/deploy/docker/lib.sh"
require_secret POSTGRES_PASSWORD NETFLOW_COLLECTOR_PASSWORD NETFLOW_READER_PASSWORD NETFLOW_ARCHIVER_PASSWORD
require_setting PG_URL
PG_URL="$(with_login "$PG_URL" "${POSTGRES_USER:-postgres}" "$POSTGRES_PASSWORD")"
export PG_URL
cd "$APP_DIR"
exec node --import tsx timescale/src/cli.ts migrate
