#!/bin/sh
# Healthcheck of the collector container: healthy when status.json (rewritten
# by the Collector every few seconds) is fresh and every daemon runs.
#   env: COLLECTOR_STATE_DIR; HEALTH_MAX_AGE_S (default 30)
set -eu
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, expanded by node
NETFLOW_STATUS="${COLLECTOR_STATE_DIR:?COLLECTOR_STATE_DIR is not set}/status.json" \
NETFLOW_MAX_AGE_S="${HEALTH_MAX_AGE_S:-30}" exec node -e '
  const fs = require("node:fs");
  let status;
  try {
    status = JSON.parse(fs.readFileSync(process.env.NETFLOW_STATUS, "utf8"));
  } catch (error) {
    console.error(`no collector status: ${error.message}`);
    process.exit(1);
  }
  const ageS = (Date.now() - Date.parse(status.updatedAt)) / 1000;
  const down = status.daemons.filter((d) => !d.running).map((d) => d.daemon);
  if (!(ageS <= Number(process.env.NETFLOW_MAX_AGE_S))) {
    console.error(`collector status is ${Math.round(ageS)} s old`);
    process.exit(1);
  }
  if (status.daemons.length === 0 || down.length > 0) {
    console.error(`daemons not running: ${down.join(", ") || "none configured"}`);
    process.exit(1);
  }
  console.log(status.daemons.map((d) => `${d.daemon}:${d.port} up`).join(", "));
'
