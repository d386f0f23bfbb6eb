#!/bin/sh
# Container entrypoint of the archiver (docker-compose.yml service `archiver`).
# Checks its secrets, puts the logins into the URLs (percent-encoded) and runs
# the BullMQ scheduler + worker: `node --import tsx archiver/src/cli.ts worker`.
#   env (besides what archiver/src/config.ts reads):
#     PG_URL                      postgres://host:port/db, without login
#     NETFLOW_ARCHIVER_PASSWORD   login of role netflow_archiver (set by the migrator)
#     REDIS_URL                   redis://host:port/db, without password
#     REDIS_PASSWORD              Redis requirepass
#     S3_SECRET_ACCESS_KEY        read-write key of the warehouse bucket (S3_ACCESS_KEY_ID)
# Extra arguments replace `worker` (e.g. `status`, `archive --before <time>`).
set -eu
APP_DIR="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=deploy/docker/lib.sh
. "$APP_DIR/deploy/docker/lib.sh"
require_secret NETFLOW_ARCHIVER_PASSWORD REDIS_PASSWORD S3_SECRET_ACCESS_KEY
require_setting PG_URL REDIS_URL WAREHOUSE S3_ACCESS_KEY_ID
PG_URL="$(with_login "$PG_URL" netflow_archiver "$NETFLOW_ARCHIVER_PASSWORD")"
REDIS_URL="$(with_login "$REDIS_URL" "" "$REDIS_PASSWORD")"
export PG_URL REDIS_URL
cd "$APP_DIR"
if [ "$#" -eq 0 ]; then set -- worker; fi
exec node --import tsx archiver/src/cli.ts "$@"
