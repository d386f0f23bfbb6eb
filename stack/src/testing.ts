import { SEAWEEDFS_COMPONENTS } from "./config.ts";
import type { Env } from "./env.ts";
import { freeTcpPort, freeUdpPort } from "./ports.ts";

/**
 * Environment for a whole local stack in `dataDir` on ports that were free a
 * moment ago, every listener on 127.0.0.1 (the collector too), for
 * `startStack({ env })` in integration and end-to-end tests. `overrides` win.
 * The archiver worker runs too: a test that inserts flows older than
 * ARCHIVE_AFTER (7 days) and counts them in the hot table sets ARCHIVER=off.
 */
export async function testStackEnv(dataDir: string, overrides: Env = {}): Promise<Env> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NETFLOW_DATA_DIR: dataDir,
    COLLECTOR_LISTEN_IP: "127.0.0.1",
    LOG_LEVEL: "warn",
    EMBEDDED_PG_PORT: String(await freeTcpPort()),
    REDIS_PORT: String(await freeTcpPort()),
    STACK_METRICS_PORT: String(await freeTcpPort()),
    ARCHIVER_METRICS_PORT: String(await freeTcpPort()),
    GATEWAY_HTTP_PORT: String(await freeTcpPort()),
    GATEWAY_PG_PORT: String(await freeTcpPort()),
    NETFLOW_PORT: String(await freeUdpPort()),
    SFLOW_PORT: String(await freeUdpPort()),
  };
  for (const component of SEAWEEDFS_COMPONENTS) {
    const name = component.toUpperCase();
    env[`SEAWEEDFS_${name}_PORT`] = String(await freeTcpPort());
    // Free ports come from the ephemeral range, where "HTTP port + 10000" may not exist.
    env[`SEAWEEDFS_${name}_GRPC_PORT`] = String(await freeTcpPort());
  }
  return { ...env, ...overrides };
}
