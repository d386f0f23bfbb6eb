# shellcheck shell=sh
# Shared by the container entrypoints of the compose stack (sourced, POSIX sh).
# Why here and not in the code: a secret that is missing or still the
# `change-me` placeholder of .env_example must stop a container before it
# starts anything, with one line that names the variable and the fix.

# Exit status for configuration errors (sysexits.h EX_CONFIG), so
# `docker compose ps` shows a distinct code and restart loops are easy to spot.
NETFLOW_EX_CONFIG=78

netflow_die() {
  printf 'netflow: refusing to start: %s\n' "$*" >&2
  exit "$NETFLOW_EX_CONFIG"
}

# netflow_env_label NAME — NAME, plus the .env setting it comes from where docker-compose.yml
# hands a setting over under the name the code reads. NETFLOW_ENV_NAMES lists those as
# CONTAINER=DOTENV pairs, e.g. "NETFLOW_COLLECTOR_PASSWORD=POSTGRES_PMACCT_PW": a message
# must name what the operator can find in .env.
netflow_env_label() {
  for _pair in ${NETFLOW_ENV_NAMES-}; do
    if [ "${_pair%%=*}" = "$1" ]; then
      printf '%s (from %s in .env)' "$1" "${_pair#*=}"
      unset _pair
      return 0
    fi
  done
  unset _pair
  printf '%s' "$1"
}

# require_secret NAME... — each must be set, non-empty and not `change-me`.
require_secret() {
  for _name in "$@"; do
    eval "_value=\${$_name-}"
    if [ -z "$_value" ]; then
      netflow_die "$(netflow_env_label "$_name") is not set; set it in .env (see .env_example; generate one with: openssl rand -base64 24)"
    fi
    if [ "$_value" = "change-me" ]; then
      netflow_die "$(netflow_env_label "$_name") is still the example value \"change-me\"; replace it in .env (generate one with: openssl rand -base64 24)"
    fi
  done
  unset _name _value
}

# require_setting NAME... — each must be set and non-empty (not a secret: no advice to generate it).
require_setting() {
  for _name in "$@"; do
    eval "_value=\${$_name-}"
    if [ -z "$_value" ]; then
      netflow_die "$_name is not set; set it in .env or docker-compose.yml (see .env_example)"
    fi
  done
  unset _name _value
}

# with_login URL USER PASSWORD — prints URL with the login put in, percent-encoded.
# Passwords from `openssl rand -base64` contain '/' and '+', which break a
# URL written by hand. The values travel in the environment, not in argv,
# so they never show up in the process list.
with_login() {
  NETFLOW_URL="$1" NETFLOW_USER="$2" NETFLOW_PASS="$3" node -e '
    const url = new URL(process.env.NETFLOW_URL);
    url.username = process.env.NETFLOW_USER;
    url.password = process.env.NETFLOW_PASS;
    process.stdout.write(url.href);
  ' || netflow_die "cannot put a login into the URL \"$1\""
}
