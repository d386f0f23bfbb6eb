// What buildStack hands the archiver and the gateway (no process is started).
import pino from "pino";
import { describe, expect, it } from "vitest";
import { stackConfigFromEnv } from "./config.ts";
import type { Env } from "./env.ts";
import type { SupervisedProcess } from "./process.ts";
import { buildStack } from "./stack.ts";

/** A developer's own settings the children must not see where the stack sets its own. */
const CHILD_ENV = {
  PATH: "/usr/bin",
  PG_URL: "postgres://dev:dev@elsewhere/db",
  S3_ACCESS_KEY_ID: "developer-key",
  S3_SECRET_ACCESS_KEY: "developer-secret",
  S3_ENDPOINT: "http://elsewhere:9000",
  ARCHIVE_BATCH_ROWS: "500",
  ARCHIVER_METRICS_HOST: "0.0.0.0",
};

function build(env: Env) {
  const secrets = { get: (name: string) => env[name] ?? `gen-${name}` };
  const config = stackConfigFromEnv(env, { repoRoot: "/repo", secrets });
  return buildStack(config, {}, CHILD_ENV, pino({ level: "silent" }));
}

function childEnv(processes: Map<string, SupervisedProcess>, name: string): NodeJS.ProcessEnv {
  const env = processes.get(name)?.spec.env;
  if (env === undefined) throw new Error(`no ${name} process`);
  return env;
}

const pick = (env: NodeJS.ProcessEnv, names: string[]) => Object.fromEntries(names.map((n) => [n, env[n]]));
const S3_VARS = ["WAREHOUSE", "S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"];

describe("buildStack with the archiver and the gateway", () => {
  it("starts them after the object store and before the collector, both supervised", () => {
    const built = build({});
    expect(built.services.map((s) => s.name)).toEqual([
      "timescaledb",
      "migrations",
      "redis",
      "seaweedfs",
      "bucket",
      "archiver",
      "gateway",
      "collector",
      "metrics",
    ]);
    expect([...built.processes.keys()]).toEqual(["timescaledb", "redis", "seaweedfs", "archiver", "gateway"]);
    expect(built.processes.get("archiver")?.spec.args).toEqual(["--import", "tsx", "archiver/src/cli.ts", "worker"]);
    expect(built.processes.get("gateway")?.spec.args).toEqual(["--import", "tsx", "query-gateway/src/main.ts"]);
    expect(built.endpoints.archiver).toEqual({ metricsUrl: "http://127.0.0.1:9465/metrics" });
    expect(built.endpoints.gateway).toEqual({
      url: "http://127.0.0.1:8080",
      tokens: ["gen-GATEWAY_TOKENS"],
      pgUrl: "postgres://netflow:gen-GATEWAY_PG_PASSWORD@127.0.0.1:5434/netflow",
    });
  });

  it("runs the archiver as netflow_archiver with Redis and the read-write S3 identity", () => {
    const env = childEnv(build({ ARCHIVE_AFTER: "3 days", HOT_COMPRESS_AFTER: "1 day" }).processes, "archiver");
    expect(
      pick(env, [
        "PG_URL",
        "REDIS_URL",
        ...S3_VARS,
        "ARCHIVE_AFTER",
        "HOT_COMPRESS_AFTER",
        "COLD_RETENTION",
        "ARCHIVER_METRICS_HOST",
        "ARCHIVER_METRICS_PORT",
        "ARCHIVE_BATCH_ROWS",
      ]),
    ).toEqual({
      PG_URL: "postgres://netflow_archiver:gen-NETFLOW_ARCHIVER_PASSWORD@127.0.0.1:5433/postgres",
      REDIS_URL: "redis://:gen-REDIS_PASSWORD@127.0.0.1:6380",
      WAREHOUSE: "s3://netflow",
      S3_ENDPOINT: "http://127.0.0.1:8333",
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: "gen-S3_ACCESS_KEY_ID",
      S3_SECRET_ACCESS_KEY: "gen-S3_SECRET_ACCESS_KEY",
      ARCHIVE_AFTER: "3 days",
      HOT_COMPRESS_AFTER: "1 day",
      COLD_RETENTION: "off",
      ARCHIVER_METRICS_HOST: "127.0.0.1",
      ARCHIVER_METRICS_PORT: "9465",
      // Settings the launcher does not own pass through.
      ARCHIVE_BATCH_ROWS: "500",
    });
  });

  it("runs the gateway as netflow_reader with the read-only S3 identity and its own cache", () => {
    const env = childEnv(build({ NETFLOW_DATA_DIR: "/d" }).processes, "gateway");
    expect(
      pick(env, [
        "PG_URL",
        ...S3_VARS,
        "GATEWAY_TOKENS",
        "GATEWAY_HTTP_HOST",
        "GATEWAY_HTTP_PORT",
        "GATEWAY_CACHE_DIR",
        "GATEWAY_PG_HOST",
        "GATEWAY_PG_PORT",
        "GATEWAY_PG_USER",
        "GATEWAY_PG_PASSWORD",
        "S3_READONLY_ACCESS_KEY_ID",
        "S3_READONLY_SECRET_ACCESS_KEY",
      ]),
    ).toEqual({
      PG_URL: "postgres://netflow_reader:gen-NETFLOW_READER_PASSWORD@127.0.0.1:5433/postgres",
      WAREHOUSE: "s3://netflow",
      S3_ENDPOINT: "http://127.0.0.1:8333",
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: "gen-S3_READONLY_ACCESS_KEY_ID",
      S3_SECRET_ACCESS_KEY: "gen-S3_READONLY_SECRET_ACCESS_KEY",
      GATEWAY_TOKENS: "gen-GATEWAY_TOKENS",
      GATEWAY_HTTP_HOST: "127.0.0.1",
      GATEWAY_HTTP_PORT: "8080",
      GATEWAY_CACHE_DIR: "/d/gateway-cache",
      GATEWAY_PG_HOST: "127.0.0.1",
      GATEWAY_PG_PORT: "5434",
      GATEWAY_PG_USER: "netflow",
      GATEWAY_PG_PASSWORD: "gen-GATEWAY_PG_PASSWORD",
      // What its Iceberg REST catalog vends to clients.
      S3_READONLY_ACCESS_KEY_ID: "gen-S3_READONLY_ACCESS_KEY_ID",
      S3_READONLY_SECRET_ACCESS_KEY: "gen-S3_READONLY_SECRET_ACCESS_KEY",
    });
  });

  // `undefined` in an expectation: the variable is not in the child's environment at all.
  const warehouses: { name: string; env: Env; archiver: Record<string, unknown>; gateway: Record<string, unknown> }[] =
    [
      {
        name: "a file:// warehouse removes every S3 variable",
        env: { WAREHOUSE: "file:///w" },
        archiver: { WAREHOUSE: "file:///w", S3_ENDPOINT: undefined, S3_ACCESS_KEY_ID: undefined },
        gateway: { WAREHOUSE: "file:///w", S3_ENDPOINT: undefined, S3_SECRET_ACCESS_KEY: undefined },
      },
      {
        name: "an external S3 without a read-only identity: the gateway signs with the read-write one",
        env: {
          S3_ENDPOINT: "http://minio:9000",
          S3_ACCESS_KEY_ID: "ak",
          S3_SECRET_ACCESS_KEY: "sk",
          S3_BUCKET: "flows-b",
        },
        archiver: { WAREHOUSE: "s3://flows-b", S3_ENDPOINT: "http://minio:9000", S3_ACCESS_KEY_ID: "ak" },
        gateway: {
          WAREHOUSE: "s3://flows-b",
          S3_ENDPOINT: "http://minio:9000",
          S3_ACCESS_KEY_ID: "ak",
          S3_READONLY_ACCESS_KEY_ID: undefined,
        },
      },
      {
        name: "an external S3 with a read-only identity: the gateway uses it",
        env: {
          S3_ENDPOINT: "http://minio:9000",
          S3_ACCESS_KEY_ID: "ak",
          S3_SECRET_ACCESS_KEY: "sk",
          S3_READONLY_ACCESS_KEY_ID: "ro",
          S3_READONLY_SECRET_ACCESS_KEY: "rs",
        },
        archiver: { S3_ACCESS_KEY_ID: "ak", S3_SECRET_ACCESS_KEY: "sk" },
        gateway: { S3_ACCESS_KEY_ID: "ro", S3_SECRET_ACCESS_KEY: "rs", S3_READONLY_ACCESS_KEY_ID: "ro" },
      },
    ];
  for (const { name, env, archiver, gateway } of warehouses) {
    it(name, () => {
      const { processes } = build(env);
      expect(pick(childEnv(processes, "archiver"), Object.keys(archiver))).toEqual(archiver);
      expect(pick(childEnv(processes, "gateway"), Object.keys(gateway))).toEqual(gateway);
    });
  }

  it("ARCHIVER=off and GATEWAY=off build neither", () => {
    const built = build({ ARCHIVER: "off", GATEWAY: "off" });
    expect(built.services.map((s) => s.name)).not.toContain("archiver");
    expect(built.services.map((s) => s.name)).not.toContain("gateway");
    expect(built.endpoints.archiver).toBeUndefined();
    expect(built.endpoints.gateway).toBeUndefined();
  });

  it("prints a curl example and a psql command that read the secrets instead of showing them", () => {
    const lines = (env: Env) =>
      Object.fromEntries(
        build(env)
          .services.filter((s) => s.name === "gateway")
          .flatMap((s) => s.endpoints())
          .map((l) => [l.label, l.value]),
      );
    const generated = lines({ NETFLOW_DATA_DIR: "/d" });
    expect(generated["try it"]).toBe(
      `curl -s -H "Authorization: Bearer $(sed -n 's/^GATEWAY_TOKENS=//p' /d/secrets.env)" -H 'content-type: application/json' -d '{"sql":"select count(*) from flows"}' http://127.0.0.1:8080/api/query`,
    );
    expect(generated["SQL (Postgres wire)"]).toBe(
      `PGPASSWORD="$(sed -n 's/^GATEWAY_PG_PASSWORD=//p' /d/secrets.env)" psql -h 127.0.0.1 -p 5434 -U netflow netflow`,
    );
    const fromEnv = lines({ GATEWAY_TOKENS: "t1,t2", GATEWAY_PG_PASSWORD: "p1", GATEWAY_HTTP_HOST: "::" });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell expansion the example must contain
    expect(fromEnv["try it"]).toContain('"Authorization: Bearer ${GATEWAY_TOKENS%%,*}"');
    expect(fromEnv["try it"]).toContain("http://[::1]:8080/api/query");
    expect(fromEnv["SQL (Postgres wire)"]).toBe(
      'PGPASSWORD="$GATEWAY_PG_PASSWORD" psql -h ::1 -p 5434 -U netflow netflow',
    );
    expect(JSON.stringify(fromEnv)).not.toMatch(/t1|p1/);
  });
});
