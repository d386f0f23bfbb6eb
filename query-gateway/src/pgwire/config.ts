/**
 * Configuration of the Postgres wire front end. Every option says its default.
 */
import { ConfigError } from "../config.ts";

export interface PgWireConfig {
  /** GATEWAY_PG_HOST. Default "127.0.0.1". */
  readonly host: string;
  /** GATEWAY_PG_PORT. Default 5434 (0 picks a free port, for tests). */
  readonly port: number;
  /** GATEWAY_PG_USER: the one login the wire server accepts. Default "netflow". */
  readonly user: string;
  /** GATEWAY_PG_PASSWORD: that login's password (SCRAM-SHA-256). Required. */
  readonly password: string;
  /**
   * GATEWAY_TLS_CERT / GATEWAY_TLS_KEY: PEM files. When set, TLS is offered and
   * required (a password never crosses the network in clear). Default: no TLS.
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** GATEWAY_PG_MAX_CONNECTIONS: client connections at once; more are refused (53300). Default 64. */
  readonly maxConnections: number;
}

export const PG_WIRE_DEFAULTS = { host: "127.0.0.1", port: 5434, user: "netflow", maxConnections: 64 } as const;

export function validatePgWireConfig(config: PgWireConfig): PgWireConfig {
  if (config.password === "") throw new ConfigError("GATEWAY_PG_PASSWORD is required for the Postgres wire server");
  if (config.user === "") throw new ConfigError("GATEWAY_PG_USER must not be empty");
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`GATEWAY_PG_PORT must be a port number, got ${config.port}`);
  }
  if (!Number.isInteger(config.maxConnections) || config.maxConnections <= 0) {
    throw new ConfigError(`GATEWAY_PG_MAX_CONNECTIONS must be a positive integer, got ${config.maxConnections}`);
  }
  return config;
}

/** TLS files shared by the HTTP API / REST catalog and the wire server. */
export function tlsFromEnv(env: NodeJS.ProcessEnv): PgWireConfig["tls"] {
  const certFile = env.GATEWAY_TLS_CERT ?? "";
  const keyFile = env.GATEWAY_TLS_KEY ?? "";
  if (certFile === "" && keyFile === "") return undefined;
  if (certFile === "" || keyFile === "")
    throw new ConfigError("set both GATEWAY_TLS_CERT and GATEWAY_TLS_KEY, or neither");
  return { certFile, keyFile };
}

export function pgWireConfigFromEnv(env: NodeJS.ProcessEnv): PgWireConfig {
  const port = env.GATEWAY_PG_PORT ? Number(env.GATEWAY_PG_PORT) : PG_WIRE_DEFAULTS.port;
  const max = env.GATEWAY_PG_MAX_CONNECTIONS ? Number(env.GATEWAY_PG_MAX_CONNECTIONS) : PG_WIRE_DEFAULTS.maxConnections;
  const tls = tlsFromEnv(env);
  return validatePgWireConfig({
    host: env.GATEWAY_PG_HOST ?? PG_WIRE_DEFAULTS.host,
    port,
    user: env.GATEWAY_PG_USER ?? PG_WIRE_DEFAULTS.user,
    password: env.GATEWAY_PG_PASSWORD ?? "",
    ...(tls === undefined ? {} : { tls }),
    maxConnections: max,
  });
}
