#!/bin/sh
# Redis of the compose stack (BullMQ queue of the archiver).
# Persistence for BullMQ: append-only file fsynced every second (a crash loses
# at most ~1 s of queue changes; jobs are idempotent, so a lost "completed"
# mark only repeats a no-op), plus RDB snapshots for fast restarts.
# noeviction: BullMQ must never have its keys evicted under memory pressure.
# The configuration is passed on stdin so the password is not in argv.
#   env: REDIS_PASSWORD (required), REDIS_PORT (default 6379), REDIS_DATA_DIR (default /data),
#        REDIS_MAXMEMORY (default 0 = no limit), REDIS_BIND (default "* -::*")
set -eu
# shellcheck source=deploy/docker/lib.sh
. "$(dirname "$0")/lib.sh"
require_secret REDIS_PASSWORD
case "$REDIS_PASSWORD" in
  *[[:space:]\"]*) netflow_die "REDIS_PASSWORD must not contain blanks or quotes" ;;
esac
exec "${REDIS_SERVER:-redis-server}" - <<CONF
port ${REDIS_PORT:-6379}
bind ${REDIS_BIND:-* -::*}
protected-mode yes
requirepass "$REDIS_PASSWORD"
dir ${REDIS_DATA_DIR:-/data}
appendonly yes
appendfsync everysec
save 900 1 300 100 60 10000
maxmemory ${REDIS_MAXMEMORY:-0}
maxmemory-policy noeviction
CONF
