#!/bin/sh
# Container entrypoint of the query gateway (docker-compose.yml service `gateway`).
# Checks its secrets, puts the read-only login into PG_URL (percent-encoded)
# and runs `node --import tsx query-gateway/src/main.ts`.
#   env (besides what query-gateway/src/config.ts reads):
#     PG_URL                    postgres://host:port/db, without login
#     NETFLOW_READER_PASSWORD   login of role netflow_reader (read-only; set by the migrator)
#     GATEWAY_TOKENS            bearer tokens of the HTTP API (comma-separated)
#     GATEWAY_PG_PASSWORD       password of the Postgres wire server's login (GATEWAY_PG_USER)
#     S3_SECRET_ACCESS_KEY      the read-only key of the warehouse bucket (S3_ACCESS_KEY_ID)
set -eu
APP_DIR="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=deploy/docker/lib.sh
. "$APP_DIR/deploy/docker/lib.sh"
require_secret NETFLOW_READER_PASSWORD GATEWAY_TOKENS GATEWAY_PG_PASSWORD S3_SECRET_ACCESS_KEY
require_setting PG_URL WAREHOUSE S3_ACCESS_KEY_ID
# Every token is a secret: a list that still holds the placeholder is refused too.
case ",$GATEWAY_TOKENS," in
  *,change-me,*) netflow_die "GATEWAY_TOKENS still holds the example value \"change-me\"; replace it in .env (generate one with: openssl rand -base64 24)" ;;
esac
PG_URL="$(with_login "$PG_URL" netflow_reader "$NETFLOW_READER_PASSWORD")"
export PG_URL
cd "$APP_DIR"
exec node --import tsx query-gateway/src/main.ts "$@"
