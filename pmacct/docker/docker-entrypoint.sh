#!/bin/sh
# Container entrypoint of the flow collector (docker-compose.yml service `collector`).
# Runs our Collector (pmacct/src/collector.ts): it renders nfacctd.conf and
# sfacctd.conf from the flow schema into COLLECTOR_STATE_DIR at every start
# (pmacct/src/render.ts — the same generator as the local stack), waits for the
# database, and supervises the pmacct daemons of the official image
# (NFACCTD_PATH, SFACCTD_PATH) plus their health (status.json, UDP drops).
#   env: PG_URL (postgres://host:port/db; the collector logs in as netflow_collector),
#        NETFLOW_COLLECTOR_PASSWORD, and the COLLECTOR_* / *_PORT settings of pmacct/src/config.ts.
# `render` as first argument only writes the configs (to COLLECTOR_STATE_DIR) and exits.
set -eu
APP_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=deploy/docker/lib.sh
. "$APP_DIR/deploy/docker/lib.sh"
require_secret NETFLOW_COLLECTOR_PASSWORD
require_setting PG_URL
case "$NETFLOW_COLLECTOR_PASSWORD" in
  # pmacct's config format cannot quote: a blank would cut the password.
  *[[:space:]]*) netflow_die "NETFLOW_COLLECTOR_PASSWORD must not contain blanks (pmacct's config format cannot quote them)" ;;
esac
cd "$APP_DIR"
if [ "${1-}" = "render" ]; then
  exec node --import tsx pmacct/src/cli.ts render --out "${COLLECTOR_STATE_DIR:?COLLECTOR_STATE_DIR is not set}"
fi
exec node --import tsx pmacct/src/cli.ts run
