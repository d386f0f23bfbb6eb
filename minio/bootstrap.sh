#!/bin/sh
# One-shot bootstrap of the compose stack's MinIO (service `minio-bootstrap`),
# safe to run again (every step is idempotent; a changed secret is applied):
#   1. waits for the server,
#   2. creates the warehouse bucket (private: no anonymous access),
#   3. creates two policies scoped to that bucket — netflow-readwrite (archiver:
#      list, get, put, delete) and netflow-readonly (catalog clients, the
#      gateway, notebooks: list and get) — from policy-*.json,
#   4. creates or updates the two service users and attaches one policy each.
# The root credentials are used here only; no service gets them.
#   env: MINIO_URL (default http://minio:9000), MINIO_ROOT_USER, MINIO_ROOT_PASSWORD,
#        S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
#        S3_READONLY_ACCESS_KEY_ID, S3_READONLY_SECRET_ACCESS_KEY, MINIO_WAIT_S (default 120)
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=deploy/docker/lib.sh
. "$HERE/../deploy/docker/lib.sh"
require_secret MINIO_ROOT_PASSWORD S3_SECRET_ACCESS_KEY S3_READONLY_SECRET_ACCESS_KEY
require_setting MINIO_ROOT_USER S3_BUCKET S3_ACCESS_KEY_ID S3_READONLY_ACCESS_KEY_ID
case "$S3_BUCKET" in
  *[!a-z0-9.-]*) netflow_die "S3_BUCKET=\"$S3_BUCKET\" is not a valid bucket name (a-z, 0-9, '.', '-')" ;;
esac
[ "$S3_ACCESS_KEY_ID" != "$S3_READONLY_ACCESS_KEY_ID" ] ||
  netflow_die "S3_ACCESS_KEY_ID and S3_READONLY_ACCESS_KEY_ID must differ"

MC="${MC:-mc}"
ALIAS=netflow
# mc keeps its alias file here; the container has no other writable home.
MC_CONFIG_DIR="${MC_CONFIG_DIR:-$(mktemp -d)}"
export MC_CONFIG_DIR
log() { printf 'minio-bootstrap: %s\n' "$*" >&2; }

"$MC" --config-dir "$MC_CONFIG_DIR" alias set "$ALIAS" "${MINIO_URL:-http://minio:9000}" \
  "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
deadline=$(($(date +%s) + ${MINIO_WAIT_S:-120}))
until "$MC" --config-dir "$MC_CONFIG_DIR" ready "$ALIAS" >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || netflow_die "MinIO at ${MINIO_URL:-http://minio:9000} did not get ready within ${MINIO_WAIT_S:-120} s"
  sleep 2
done
mcx() { "$MC" --config-dir "$MC_CONFIG_DIR" "$@"; }

mcx mb --ignore-existing "$ALIAS/$S3_BUCKET" >/dev/null
mcx anonymous set private "$ALIAS/$S3_BUCKET" >/dev/null
log "bucket $S3_BUCKET ready (private)"

policies="$(mktemp -d)"
for kind in readwrite readonly; do
  sed "s/\${S3_BUCKET}/$S3_BUCKET/g" "$HERE/policy-$kind.json" >"$policies/$kind.json"
  # `policy create` replaces an existing policy of that name: edits apply on re-run.
  mcx admin policy create "$ALIAS" "netflow-$kind" "$policies/$kind.json" >/dev/null
done

# attach USER POLICY — tolerates "already attached" so a re-run succeeds.
attach() {
  if ! out="$(mcx admin policy attach "$ALIAS" "$2" --user "$1" 2>&1)"; then
    case "$out" in
      *"already in effect"* | *"already attached"*) ;;
      *) printf '%s\n' "$out" >&2; netflow_die "cannot attach policy $2 to $1" ;;
    esac
  fi
}
# `user add` on an existing user sets its secret: rotating a key is a re-run.
mcx admin user add "$ALIAS" "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" >/dev/null
attach "$S3_ACCESS_KEY_ID" netflow-readwrite
mcx admin user add "$ALIAS" "$S3_READONLY_ACCESS_KEY_ID" "$S3_READONLY_SECRET_ACCESS_KEY" >/dev/null
attach "$S3_READONLY_ACCESS_KEY_ID" netflow-readonly
log "users $S3_ACCESS_KEY_ID (netflow-readwrite) and $S3_READONLY_ACCESS_KEY_ID (netflow-readonly) ready"
rm -rf "$policies"
