import { mkdirSync } from "node:fs";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";
import type { GatewayTarget, S3Credentials } from "../config.ts";
import { assertTcpPortFree } from "../ports.ts";
import { DEFAULT_RESTART, SupervisedProcess } from "../process.ts";
import type { EndpointLine, Health, Service, ServiceContext } from "../service.ts";
import { type S3Access, warehouseEnv } from "./warehouse-env.ts";

export const GATEWAY_MAIN = "query-gateway/src/main.ts";

/** Where the gateway reads: the hot store as netflow_reader and the warehouse. */
export interface GatewayWiring {
  /** Login URL of the read-only `netflow_reader` role. */
  pgUrl: string;
  warehouse: string;
  /** The identity it reads with: the read-only one when there is one; undefined for a file:// warehouse. */
  s3: S3Access | undefined;
  /** The read-only identity its Iceberg REST catalog hands to clients; none without one. */
  vendedS3: S3Credentials | undefined;
  /** The secrets file as shown to users (hints read generated secrets from it). */
  secretsFile: string;
}

/** The address a local client connects to: a wildcard bind is reached on loopback. */
export function clientHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return isIPv6(host) ? `[${host}]` : host;
}

/**
 * The query gateway (`node --import tsx query-gateway/src/main.ts`: SQL over
 * the hot and cold tiers, HTTP API) as a supervised child. Ready when
 * GET /healthz answers 200, which needs its hot-database pool up.
 */
export class QueryGateway implements Service {
  readonly name = "gateway";
  readonly target: GatewayTarget;
  readonly process: SupervisedProcess;
  readonly #secretsFile: string;

  constructor(target: GatewayTarget, wiring: GatewayWiring, context: ServiceContext, log: Logger) {
    this.target = target;
    this.#secretsFile = wiring.secretsFile;
    this.process = new SupervisedProcess(
      {
        name: this.name,
        command: process.execPath,
        args: ["--import", "tsx", GATEWAY_MAIN],
        cwd: context.repoRoot,
        env: {
          ...context.childEnv,
          ...warehouseEnv(wiring.warehouse, wiring.s3),
          PG_URL: wiring.pgUrl,
          GATEWAY_TOKENS: target.tokens.join(","),
          GATEWAY_HTTP_HOST: target.host,
          GATEWAY_HTTP_PORT: String(target.port),
          GATEWAY_CACHE_DIR: target.cacheDir,
          GATEWAY_PG_HOST: target.host,
          GATEWAY_PG_PORT: String(target.pgWire.port),
          GATEWAY_PG_USER: target.pgWire.user,
          GATEWAY_PG_PASSWORD: target.pgWire.password,
          S3_READONLY_ACCESS_KEY_ID: wiring.vendedS3?.accessKeyId,
          S3_READONLY_SECRET_ACCESS_KEY: wiring.vendedS3?.secretAccessKey,
        },
        logFile: join(context.logDir, "gateway.log"),
        pidFile: join(context.pidDir, "gateway.pid"),
        readiness: { kind: "probe", probe: () => this.#healthy(1000), intervalMs: 250 },
        // tsx compiles the gateway, and DuckDB and the SQL parser (WASM) load, on a cold start.
        readyTimeoutMs: 120_000,
        stopTimeoutMs: context.stopTimeoutMs,
        restart: DEFAULT_RESTART,
      },
      log,
    );
  }

  /** Base URL of the HTTP API. */
  get url(): string {
    return `http://${clientHost(this.target.host)}:${this.target.port}`;
  }

  /** Login URL of its Postgres wire server (any database name is accepted). */
  get pgUrl(): string {
    const { port, user, password } = this.target.pgWire;
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${clientHost(this.target.host)}:${port}/netflow`;
  }

  async preflight(): Promise<void> {
    await this.process.reapLeftover();
    await assertTcpPortFree(this.target.host, this.target.port, "GATEWAY_HTTP_PORT");
    await assertTcpPortFree(this.target.host, this.target.pgWire.port, "GATEWAY_PG_PORT");
  }

  async start(): Promise<void> {
    mkdirSync(this.target.cacheDir, { recursive: true });
    await this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  endpoints(): EndpointLine[] {
    const body = JSON.stringify({ sql: "select count(*) from flows" });
    const token = this.target.tokensFromEnv
      ? // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion (the first token), not a template
        "${GATEWAY_TOKENS%%,*}"
      : this.#fromSecretsFile("GATEWAY_TOKENS");
    const { port, user, passwordFromEnv } = this.target.pgWire;
    const password = passwordFromEnv ? "$GATEWAY_PG_PASSWORD" : this.#fromSecretsFile("GATEWAY_PG_PASSWORD");
    const host = clientHost(this.target.host).replace(/^\[(.*)\]$/, "$1");
    return [
      { service: this.name, label: "query API (HTTP)", value: this.url },
      {
        service: this.name,
        label: "try it",
        value: `curl -s -H "Authorization: Bearer ${token}" -H 'content-type: application/json' -d '${body}' ${this.url}/api/query`,
      },
      {
        service: this.name,
        label: "SQL (Postgres wire)",
        value: `PGPASSWORD="${password}" psql -h ${host} -p ${port} -U ${user} netflow`,
      },
      { service: this.name, label: "Iceberg REST catalog", value: `${this.url}/iceberg` },
      { service: this.name, label: "cache", value: this.target.cacheDir },
    ];
  }

  /** A shell expression that reads a generated secret without printing it. */
  #fromSecretsFile(variable: string): string {
    return `$(sed -n 's/^${variable}=//p' ${this.#secretsFile})`;
  }

  async check(): Promise<Health> {
    try {
      const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(3000) });
      const text = await response.text();
      return { service: this.name, ok: response.ok, detail: `HTTP ${response.status} ${text.trim()}` };
    } catch (error) {
      return { service: this.name, ok: false, detail: (error as Error).message };
    }
  }

  async #healthy(timeoutMs: number): Promise<boolean> {
    const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  }
}
