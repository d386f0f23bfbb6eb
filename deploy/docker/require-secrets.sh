#!/bin/sh
# Entrypoint wrapper for the third-party images of the compose stack
# (timescaledb, minio, pgadmin, jupyter): checks the named secrets, then execs
# the image's own entrypoint.
#   require-secrets.sh NAME... -- command [args...]
set -eu
# shellcheck source=deploy/docker/lib.sh
. "$(dirname "$0")/lib.sh"
names=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  names="$names $1"
  shift
done
[ "$#" -gt 0 ] || netflow_die "usage: require-secrets.sh NAME... -- command [args...]"
shift
[ "$#" -gt 0 ] || netflow_die "require-secrets.sh: no command after --"
# shellcheck disable=SC2086 # names are variable names: split on purpose
require_secret $names
exec "$@"
