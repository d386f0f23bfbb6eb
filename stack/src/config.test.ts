import { describe, expect, it } from "vitest";
import { type StackConfig, stackConfigFromEnv } from "./config.ts";
import type { Env } from "./env.ts";
import { StackError } from "./errors.ts";
import type { SecretSource } from "./secrets.ts";

const REPO = "/repo";

/** Secrets from the environment, else a deterministic stand-in for a generated value. */
function secretsFrom(env: Env): SecretSource {
  return { get: (name) => env[name] ?? `generated-${name}` };
}

function parse(env: Env): StackConfig {
  return stackConfigFromEnv(env, { repoRoot: REPO, secrets: secretsFrom(env) });
}

function failure(env: Env): StackError {
  try {
    parse(env);
  } catch (error) {
    if (error instanceof StackError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe("stackConfigFromEnv defaults", () => {
  it("runs every service locally with embedded defaults and generated secrets", () => {
    const config = parse({});
    expect(config.dataDir).toBe("/repo/.data");
    expect(config.logLevel).toBe("info");
    expect(config.stopTimeoutMs).toBe(20_000);
    expect(config.metricsPort).toBe(9464);
    expect(config.hotStore).toEqual({
      kind: "embedded",
      dataDir: "/repo/.data/timescale",
      host: "127.0.0.1",
      port: 5433,
      password: "generated-EMBEDDED_PG_PASSWORD",
    });
    expect(config.rolePasswords).toEqual({
      collector: "generated-NETFLOW_COLLECTOR_PASSWORD",
      reader: "generated-NETFLOW_READER_PASSWORD",
      archiver: "generated-NETFLOW_ARCHIVER_PASSWORD",
    });
    expect(config.hotStoreSettings.rolePasswords).toEqual({
      netflow_collector: "generated-NETFLOW_COLLECTOR_PASSWORD",
      netflow_reader: "generated-NETFLOW_READER_PASSWORD",
      netflow_archiver: "generated-NETFLOW_ARCHIVER_PASSWORD",
    });
    expect(config.redis).toEqual({
      kind: "local",
      dataDir: "/repo/.data/redis",
      host: "127.0.0.1",
      port: 6380,
      password: "generated-REDIS_PASSWORD",
    });
    expect(config.objectStore).toMatchObject({
      kind: "seaweedfs",
      dataDir: "/repo/.data/seaweedfs",
      host: "127.0.0.1",
      region: "us-east-1",
      bucket: "netflow",
      credentials: { accessKeyId: "generated-S3_ACCESS_KEY_ID", secretAccessKey: "generated-S3_SECRET_ACCESS_KEY" },
      ports: {
        s3: { http: 8333, grpc: 18333 },
        master: { http: 9333, grpc: 19333 },
        volume: { http: 9340, grpc: 19340 },
        filer: { http: 8889, grpc: 18889 },
        admin: { http: 23646, grpc: 33646 },
      },
    });
    expect(config.archiver).toEqual({ metricsPort: 9465, archiveAfter: "7 days", coldRetention: undefined });
    expect(config.gateway).toEqual({
      host: "127.0.0.1",
      port: 8080,
      tokens: ["generated-GATEWAY_TOKENS"],
      tokensFromEnv: false,
      cacheDir: "/repo/.data/gateway-cache",
      pgWire: { port: 5434, user: "netflow", password: "generated-GATEWAY_PG_PASSWORD", passwordFromEnv: false },
    });
  });
});

describe("stackConfigFromEnv overrides", () => {
  const cases: { name: string; env: Env; expected: (config: StackConfig) => unknown; value: unknown }[] = [
    {
      name: "PG_URL makes the hot store external",
      env: { PG_URL: "postgres://u:p@db.example.net:5432/netflow" },
      expected: (c) => c.hotStore,
      value: { kind: "external", url: "postgres://u:p@db.example.net:5432/netflow" },
    },
    {
      name: "postgresql:// is accepted too",
      env: { PG_URL: "postgresql://u@localhost/x" },
      expected: (c) => c.hotStore.kind,
      value: "external",
    },
    {
      name: "an empty PG_URL means unset",
      env: { PG_URL: "" },
      expected: (c) => c.hotStore.kind,
      value: "embedded",
    },
    {
      name: "EMBEDDED_PG_PORT and a relative EMBEDDED_PG_DATA_DIR",
      env: { EMBEDDED_PG_PORT: "15433", EMBEDDED_PG_DATA_DIR: "pgdata" },
      expected: (c) => c.hotStore.kind === "embedded" && [c.hotStore.port, c.hotStore.dataDir],
      value: [15433, "/repo/pgdata"],
    },
    {
      name: "NETFLOW_DATA_DIR moves every local service's data",
      env: { NETFLOW_DATA_DIR: "/tmp/x" },
      expected: (c) => [c.dataDir, c.redis.kind === "local" && c.redis.dataDir],
      value: ["/tmp/x", "/tmp/x/redis"],
    },
    {
      name: "passwords from the environment win over generated ones",
      env: { EMBEDDED_PG_PASSWORD: "pg-secret", REDIS_PASSWORD: "r-secret", NETFLOW_READER_PASSWORD: "rd" },
      expected: (c) => [
        c.hotStore.kind === "embedded" && c.hotStore.password,
        c.redis.kind === "local" && c.redis.password,
        c.rolePasswords.reader,
      ],
      value: ["pg-secret", "r-secret", "rd"],
    },
    {
      name: "REDIS_URL makes Redis external",
      env: { REDIS_URL: "redis://:pw@cache:6379/0" },
      expected: (c) => c.redis,
      value: { kind: "external", url: "redis://:pw@cache:6379/0" },
    },
    {
      name: "REDIS_PORT",
      env: { REDIS_PORT: "7000" },
      expected: (c) => c.redis.kind === "local" && c.redis.port,
      value: 7000,
    },
    {
      name: "S3_ENDPOINT with keys makes the object store external",
      env: {
        S3_ENDPOINT: "http://minio:9000",
        S3_ACCESS_KEY_ID: "ak",
        S3_SECRET_ACCESS_KEY: "sk",
        S3_BUCKET: "flows",
        S3_REGION: "eu-west-1",
      },
      expected: (c) => c.objectStore,
      value: {
        kind: "s3",
        endpoint: "http://minio:9000",
        region: "eu-west-1",
        bucket: "flows",
        credentials: { accessKeyId: "ak", secretAccessKey: "sk" },
      },
    },
    {
      name: "S3 keys without an endpoint become the local SeaweedFS identity",
      env: { S3_ACCESS_KEY_ID: "ak", S3_SECRET_ACCESS_KEY: "sk" },
      expected: (c) => c.objectStore.kind === "seaweedfs" && c.objectStore.credentials,
      value: { accessKeyId: "ak", secretAccessKey: "sk" },
    },
    {
      name: "WAREHOUSE=file:// replaces the object store",
      env: { WAREHOUSE: "file:///var/lib/netflow/warehouse" },
      expected: (c) => c.objectStore,
      value: { kind: "file", path: "/var/lib/netflow/warehouse" },
    },
    {
      name: "SeaweedFS ports, gRPC ports follow +10000 unless set",
      env: { SEAWEEDFS_S3_PORT: "9000", SEAWEEDFS_MASTER_PORT: "60000", SEAWEEDFS_MASTER_GRPC_PORT: "4000" },
      expected: (c) => c.objectStore.kind === "seaweedfs" && [c.objectStore.ports.s3, c.objectStore.ports.master],
      value: [
        { http: 9000, grpc: 19000 },
        { http: 60000, grpc: 4000 },
      ],
    },
    {
      name: "the collector writes to the embedded hot store as netflow_collector, state in the data dir",
      env: { NETFLOW_PORT: "12055", SFLOW_PORT: "off" },
      expected: (c) =>
        c.collector && [c.collector.database, c.collector.netflowPort, c.collector.sflowPort, c.collector.stateDir],
      value: [
        {
          host: "127.0.0.1",
          port: 5433,
          database: "postgres",
          user: "netflow_collector",
          password: "generated-NETFLOW_COLLECTOR_PASSWORD",
        },
        12055,
        null,
        "/repo/.data/pmacct",
      ],
    },
    {
      name: "the collector follows PG_URL",
      env: { PG_URL: "postgres://admin:pw@db.example.net:6432/netflow" },
      expected: (c) => c.collector?.database,
      value: {
        host: "db.example.net",
        port: 6432,
        database: "netflow",
        user: "netflow_collector",
        password: "generated-NETFLOW_COLLECTOR_PASSWORD",
      },
    },
    {
      name: "STACK_METRICS_PORT=off serves no metrics",
      env: { STACK_METRICS_PORT: "off" },
      expected: (c) => c.metricsPort,
      value: undefined,
    },
    {
      name: "COLLECTOR=off runs no collector",
      env: { COLLECTOR: "off" },
      expected: (c) => c.collector,
      value: undefined,
    },
    {
      name: "LOG_LEVEL is case-insensitive",
      env: { LOG_LEVEL: "DEBUG" },
      expected: (c) => c.logLevel,
      value: "debug",
    },
    {
      name: "ARCHIVER=off runs no archiver",
      env: { ARCHIVER: "off" },
      expected: (c) => c.archiver,
      value: undefined,
    },
    {
      name: "archiver metrics port, archive age and cold retention",
      env: { ARCHIVER_METRICS_PORT: "19465", ARCHIVE_AFTER: "36 hours", COLD_RETENTION: "5 years" },
      expected: (c) => c.archiver,
      value: { metricsPort: 19465, archiveAfter: "36 hours", coldRetention: "5 years" },
    },
    {
      name: "COLD_RETENTION=off keeps cold data forever",
      env: { COLD_RETENTION: "OFF" },
      expected: (c) => c.archiver?.coldRetention,
      value: undefined,
    },
    {
      name: "GATEWAY=off runs no gateway, and generates no token",
      env: { GATEWAY: "off" },
      expected: (c) => c.gateway,
      value: undefined,
    },
    {
      name: "GATEWAY_TOKENS from the environment, comma-separated",
      env: { GATEWAY_TOKENS: " alpha, beta ,," },
      expected: (c) => c.gateway && [c.gateway.tokens, c.gateway.tokensFromEnv],
      value: [["alpha", "beta"], true],
    },
    {
      name: "gateway address and a relative GATEWAY_CACHE_DIR",
      env: { GATEWAY_HTTP_HOST: "0.0.0.0", GATEWAY_HTTP_PORT: "18080", GATEWAY_CACHE_DIR: "cache" },
      expected: (c) => c.gateway && [c.gateway.host, c.gateway.port, c.gateway.cacheDir],
      value: ["0.0.0.0", 18080, "/repo/cache"],
    },
    {
      name: "the gateway's Postgres wire login",
      env: { GATEWAY_PG_PORT: "15434", GATEWAY_PG_USER: "grafana", GATEWAY_PG_PASSWORD: "pw" },
      expected: (c) => c.gateway?.pgWire,
      value: { port: 15434, user: "grafana", password: "pw", passwordFromEnv: true },
    },
    {
      name: "an external S3 takes an optional read-only identity",
      env: {
        S3_ENDPOINT: "http://minio:9000",
        S3_ACCESS_KEY_ID: "ak",
        S3_SECRET_ACCESS_KEY: "sk",
        S3_READONLY_ACCESS_KEY_ID: "ro",
        S3_READONLY_SECRET_ACCESS_KEY: "rs",
      },
      expected: (c) => c.objectStore.kind === "s3" && c.objectStore.readOnlyCredentials,
      value: { accessKeyId: "ro", secretAccessKey: "rs" },
    },
    {
      name: "HOT_CHUNK_INTERVAL reaches the migrator settings",
      env: { HOT_CHUNK_INTERVAL: "6 hours" },
      expected: (c) => c.hotStoreSettings.chunkInterval,
      value: "6 hours",
    },
  ];
  for (const { name, env, expected, value } of cases) {
    it(name, () => expect(expected(parse(env))).toEqual(value));
  }
});

describe("stackConfigFromEnv reads the compose stack's secret names", () => {
  it("takes the collector password from POSTGRES_PMACCT_PW unless NETFLOW_COLLECTOR_PASSWORD is set", () => {
    expect(parse({ POSTGRES_PMACCT_PW: "from-env-file" }).rolePasswords.collector).toBe("from-env-file");
    const both = parse({ POSTGRES_PMACCT_PW: "compose", NETFLOW_COLLECTOR_PASSWORD: "launcher" });
    expect(both.rolePasswords.collector).toBe("launcher");
  });
});

describe("stackConfigFromEnv rejects bad configuration, naming the variable", () => {
  const cases: { env: Env; variable: string; message: RegExp }[] = [
    { env: { PG_URL: "not a url" }, variable: "PG_URL", message: /not a valid URL/ },
    {
      env: { PG_URL: "mysql://u@h/db" },
      variable: "PG_URL",
      message: /scheme "mysql", expected postgres or postgresql/,
    },
    { env: { REDIS_URL: "localhost:6379" }, variable: "REDIS_URL", message: /scheme "localhost"/ },
    { env: { REDIS_URL: "http://cache" }, variable: "REDIS_URL", message: /expected redis or rediss/ },
    {
      env: { S3_ENDPOINT: "minio:9000", S3_ACCESS_KEY_ID: "a", S3_SECRET_ACCESS_KEY: "b" },
      variable: "S3_ENDPOINT",
      message: /scheme/,
    },
    { env: { S3_ENDPOINT: "http://minio:9000" }, variable: "S3_ACCESS_KEY_ID", message: /required when S3_ENDPOINT/ },
    {
      env: { S3_ENDPOINT: "http://minio:9000", S3_ACCESS_KEY_ID: "a" },
      variable: "S3_SECRET_ACCESS_KEY",
      message: /required/,
    },
    { env: { S3_BUCKET: "Bad_Bucket" }, variable: "S3_BUCKET", message: /not a valid bucket name/ },
    { env: { WAREHOUSE: "ftp://host/x" }, variable: "WAREHOUSE", message: /expected file/ },
    { env: { WAREHOUSE: "s3://bucket/x" }, variable: "WAREHOUSE", message: /expected file/ },
    { env: { WAREHOUSE: "file:///w", S3_ENDPOINT: "http://m:9000" }, variable: "WAREHOUSE", message: /not both/ },
    { env: { EMBEDDED_PG_PORT: "abc" }, variable: "EMBEDDED_PG_PORT", message: /integer from 1 to 65535, got "abc"/ },
    { env: { EMBEDDED_PG_PORT: "70000" }, variable: "EMBEDDED_PG_PORT", message: /integer/ },
    { env: { EMBEDDED_PG_PORT: "0" }, variable: "EMBEDDED_PG_PORT", message: /integer/ },
    { env: { REDIS_PORT: "63.5" }, variable: "REDIS_PORT", message: /integer/ },
    { env: { SEAWEEDFS_FILER_PORT: "60000" }, variable: "SEAWEEDFS_FILER_PORT", message: /at most 55535/ },
    { env: { LOG_LEVEL: "verbose" }, variable: "LOG_LEVEL", message: /one of trace, debug/ },
    { env: { STACK_STOP_TIMEOUT_S: "-1" }, variable: "STACK_STOP_TIMEOUT_S", message: /integer/ },
    { env: { REDIS_PASSWORD: "change-me" }, variable: "REDIS_PASSWORD", message: /placeholder/ },
    { env: { NETFLOW_READER_PASSWORD: "change-me" }, variable: "NETFLOW_READER_PASSWORD", message: /placeholder/ },
    { env: { POSTGRES_PMACCT_PW: "change-me" }, variable: "POSTGRES_PMACCT_PW", message: /placeholder/ },
    { env: { HOT_CHUNK_INTERVAL: "daily" }, variable: "HOT_CHUNK_INTERVAL", message: /not an interval/ },
    { env: { STACK_METRICS_PORT: "on" }, variable: "STACK_METRICS_PORT", message: /integer/ },
    { env: { COLLECTOR: "maybe" }, variable: "COLLECTOR", message: /one of on, off/ },
    { env: { NETFLOW_PORT: "abc" }, variable: "NETFLOW_PORT", message: /not a number/ },
    { env: { ARCHIVER: "yes" }, variable: "ARCHIVER", message: /one of on, off/ },
    { env: { ARCHIVE_AFTER: "weekly" }, variable: "ARCHIVE_AFTER", message: /not an interval like "7 days"/ },
    { env: { COLD_RETENTION: "forever" }, variable: "COLD_RETENTION", message: /"90 days" or "5 years"/ },
    { env: { COLD_RETENTION: "12 hours" }, variable: "COLD_RETENTION", message: /not like/ },
    { env: { ARCHIVER_METRICS_PORT: "metrics" }, variable: "ARCHIVER_METRICS_PORT", message: /integer/ },
    { env: { GATEWAY: "0" }, variable: "GATEWAY", message: /one of on, off/ },
    { env: { GATEWAY_HTTP_PORT: "99999" }, variable: "GATEWAY_HTTP_PORT", message: /integer from 1 to 65535/ },
    { env: { GATEWAY_HTTP_HOST: "localhost" }, variable: "GATEWAY_HTTP_HOST", message: /not an IP address/ },
    { env: { GATEWAY_TOKENS: "change-me" }, variable: "GATEWAY_TOKENS", message: /placeholder/ },
    { env: { GATEWAY_PG_PORT: "pg" }, variable: "GATEWAY_PG_PORT", message: /integer/ },
    { env: { GATEWAY_TLS_CERT: "/etc/cert.pem" }, variable: "GATEWAY_TLS_CERT", message: /not supported/ },
    { env: { GATEWAY_PG_PASSWORD: "changeme" }, variable: "GATEWAY_PG_PASSWORD", message: /placeholder/ },
    { env: { GATEWAY_TOKENS: " , " }, variable: "GATEWAY_TOKENS", message: /no token/ },
    {
      env: {
        S3_ENDPOINT: "http://m:9000",
        S3_ACCESS_KEY_ID: "a",
        S3_SECRET_ACCESS_KEY: "b",
        S3_READONLY_ACCESS_KEY_ID: "r",
      },
      variable: "S3_READONLY_SECRET_ACCESS_KEY",
      message: /required with the other/,
    },
  ];
  for (const { env, variable, message } of cases) {
    it(`${JSON.stringify(env)} → ${variable}`, () => {
      const error = failure(env);
      expect(error.kind).toBe("config");
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(variable);
    });
  }
});
