// Integration test: the real local stack (embedded TimescaleDB, redis-server,
// SeaweedFS, pmacct) on free ports in a temp data dir.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "./env.ts";
import { StackError } from "./errors.ts";
import { processAlive } from "./lock.ts";
import { freeTcpPort } from "./ports.ts";
import { s3Client } from "./services/bucket.ts";
import type { FlowCollector } from "./services/collector.ts";
import { type StackHandle, startStack } from "./stack.ts";
import { stackStatus } from "./status.ts";
import { testStackEnv } from "./testing.ts";

// The AWS SDK's "Node 22 soon" notice is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const dataDir = mkdtempSync(join(tmpdir(), "stack-it-"));
const log = pino({ level: process.env.STACK_TEST_LOG ?? "warn" });
let env: Env;
let stack: StackHandle | undefined;

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Every process the stack runs right now, by service. */
function childPids(handle: StackHandle): number[] {
  const pids = ["timescaledb", "redis", "seaweedfs"].map((name) => handle.process(name)?.pid);
  const collector = handle.services.find((s) => s.name === "collector") as FlowCollector | undefined;
  for (const daemon of collector?.collector.status().daemons ?? []) pids.push(daemon.pid ?? undefined);
  return pids.filter((pid): pid is number => pid !== undefined);
}

beforeAll(async () => {
  // The archiver and the gateway have their own test (stack-services.test.ts).
  env = await testStackEnv(dataDir, {
    STACK_STOP_TIMEOUT_S: "15",
    LOG_LEVEL: process.env.STACK_TEST_LOG ?? "warn",
    ARCHIVER: "off",
    GATEWAY: "off",
  });
  stack = await startStack({ env, logger: log });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("local stack", () => {
  it("serves the migrated hot store to the superuser and the service roles", async () => {
    const { postgres } = stack!.endpoints;
    expect(await query(postgres.url, "select 1 as one")).toEqual([{ one: 1 }]);
    const [flows] = await query<{ table: string | null }>(postgres.url, "select to_regclass('flows')::text as table");
    expect(flows?.table).toBe("flows");
    const [ext] = await query<{ n: number }>(
      postgres.url,
      "select count(*)::int as n from pg_extension where extname = 'timescaledb'",
    );
    expect(ext?.n).toBe(1);
    expect(await query(postgres.roleUrls.reader, "select count(*)::int as n from flows")).toEqual([{ n: 0 }]);
    await expect(query(postgres.roleUrls.reader, "delete from flows")).rejects.toThrow(/permission denied/);
  });

  it("runs Redis with a password", async () => {
    const url = new URL(stack!.endpoints.redis.url);
    const authed = new Redis(stack!.endpoints.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await authed.connect();
    expect(await authed.ping()).toBe("PONG");
    expect(await authed.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    authed.disconnect();
    const anonymous = new Redis({
      host: url.hostname,
      port: Number(url.port),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    anonymous.on("error", () => {});
    await anonymous.connect().catch(() => {});
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
  });

  it("serves the bucket on the local S3 and refuses wrong credentials", async () => {
    const store = stack!.endpoints.objectStore;
    if (store.kind !== "s3") throw new Error("expected the local S3");
    const client = s3Client(store);
    await client.send(new PutObjectCommand({ Bucket: store.bucket, Key: "probe/hello.txt", Body: "hello" }));
    const got = await client.send(new GetObjectCommand({ Bucket: store.bucket, Key: "probe/hello.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello");

    const wrong = s3Client({ ...store, credentials: { ...store.credentials, secretAccessKey: "wrong" } });
    await expect(wrong.send(new GetObjectCommand({ Bucket: store.bucket, Key: "probe/hello.txt" }))).rejects.toThrow();

    const readOnly = s3Client({ ...store, credentials: store.readOnlyCredentials! });
    const read = await readOnly.send(new GetObjectCommand({ Bucket: store.bucket, Key: "probe/hello.txt" }));
    expect(await read.Body?.transformToString()).toBe("hello");
    await expect(
      readOnly.send(new PutObjectCommand({ Bucket: store.bucket, Key: "probe/no.txt", Body: "no" })),
    ).rejects.toThrow(/Access ?Denied/i);
    for (const c of [client, wrong, readOnly]) c.destroy();
  });

  it("runs the collector on the configured UDP ports", async () => {
    const collector = stack!.services.find((s) => s.name === "collector");
    expect(collector).toBeDefined();
    const health = await (collector as FlowCollector).collector.refreshHealth();
    expect(health.daemons.map((d) => [d.daemon, d.port, d.running])).toEqual([
      ["nfacctd", Number(env.NETFLOW_PORT), true],
      ["sfacctd", Number(env.SFLOW_PORT), true],
    ]);
  });

  it("refuses a second concurrent stack on the same data dir", async () => {
    const error = await startStack({ env, logger: log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).kind).toBe("locked");
  });

  it("refuses a port in use before spawning anything, naming the variable", async () => {
    const other = mkdtempSync(join(tmpdir(), "stack-it-other-"));
    try {
      const error = await startStack({
        env: await testStackEnv(other, { REDIS_PORT: env.REDIS_PORT }),
        logger: log,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StackError);
      expect((error as StackError).kind).toBe("port-in-use");
      expect((error as StackError).variable).toBe("REDIS_PORT");
      expect(existsSync(join(other, "timescale"))).toBe(false);
      expect(existsSync(join(other, "stack.lock"))).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("uses external services by URL instead of starting local ones", async () => {
    const { postgres, redis, objectStore } = stack!.endpoints;
    if (objectStore.kind !== "s3") throw new Error("expected the local S3");
    const other = mkdtempSync(join(tmpdir(), "stack-it-external-"));
    const external: Env = {
      PATH: process.env.PATH,
      NETFLOW_DATA_DIR: other,
      PG_URL: postgres.url,
      REDIS_URL: redis.url,
      S3_ENDPOINT: objectStore.endpoint,
      S3_ACCESS_KEY_ID: objectStore.credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: objectStore.credentials.secretAccessKey,
      S3_BUCKET: "external-bucket",
      COLLECTOR: "off",
      STACK_METRICS_PORT: "off",
      ARCHIVER: "off",
      GATEWAY: "off",
    };
    try {
      const second = await startStack({ env: external, logger: log });
      try {
        expect(["timescaledb", "redis", "seaweedfs"].map((name) => second.process(name))).toEqual([
          undefined,
          undefined,
          undefined,
        ]);
        expect(second.services.map((service) => service.name)).toEqual([
          "timescaledb",
          "migrations",
          "redis",
          "bucket",
        ]);
        expect(second.endpoints.postgres.url).toBe(postgres.url);
        expect(second.endpoints.warehouse).toBe("s3://external-bucket");
        expect((await Promise.all(second.services.map((service) => service.check()))).every((h) => h.ok)).toBe(true);
      } finally {
        await second.stop();
      }

      const closed = await freeTcpPort();
      const cases: [Env, string, RegExp][] = [
        [
          { PG_URL: `postgres://postgres:x@127.0.0.1:${closed}/postgres`, PG_CONNECT_TIMEOUT_S: "0" },
          "PG_URL",
          /cannot connect/,
        ],
        [{ PG_URL: postgres.url.replace(/:[^:@/]+@/, ":wrong@") }, "PG_URL", /authentication/],
        [{ REDIS_URL: redis.url.replace(/:[^:@/]+@/, ":wrong@") }, "REDIS_URL", /WRONGPASS|invalid/i],
        [{ S3_SECRET_ACCESS_KEY: "wrong" }, "S3_ENDPOINT", /HTTP 403 \(access denied: check S3_ACCESS_KEY_ID/],
      ];
      for (const [override, variable, message] of cases) {
        const error = await startStack({ env: { ...external, ...override }, logger: log }).catch((e: unknown) => e);
        expect(error, variable).toBeInstanceOf(StackError);
        expect((error as StackError).variable).toBe(variable);
        expect((error as StackError).message).toMatch(message);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("restarts the embedded TimescaleDB after SIGKILL with committed rows intact", async () => {
    const { postgres } = stack!.endpoints;
    await query(
      postgres.url,
      `insert into flows (ts, exporter, packets, bytes)
       select now() - make_interval(secs => g), '192.0.2.1', g, g * 100 from generate_series(1, 500) g`,
    );
    const timescale = stack!.process("timescaledb")!;
    const before = timescale.pid!;
    const restarted = timescale.nextRestart();
    process.kill(before, "SIGKILL");
    await restarted;
    expect(timescale.pid).not.toBe(before);
    expect(processAlive(before)).toBe(false);
    const [row] = await query<{ n: number; bytes: string }>(
      postgres.url,
      "select count(*)::int as n, sum(bytes)::text as bytes from flows",
    );
    expect(row).toEqual({ n: 500, bytes: String(100 * ((500 * 501) / 2)) });

    const metrics = await (await fetch(`http://127.0.0.1:${env.STACK_METRICS_PORT}/metrics`)).text();
    expect(metrics).toContain('netflow_stack_process_restarts_total{service="timescaledb"} 1\n');
    expect(metrics).toContain('netflow_stack_process_restarts_total{service="redis"} 0\n');
    expect(metrics).toContain('netflow_stack_process_up{service="timescaledb"} 1\n');
    expect(metrics).toMatch(/netflow_collector_up\{daemon="nfacctd",port="\d+"\} 1/);
  });

  it("stops every process, and a second run reuses the data and the secrets", async () => {
    const pids = childPids(stack!);
    expect(pids.length).toBe(5);
    const secrets = readFileSync(join(dataDir, "secrets.env"), "utf8");
    const up = await stackStatus(env);
    expect(up.launcherPid).toBe(process.pid);
    expect(up.health.filter((h) => !h.ok)).toEqual([]);
    expect(up.health.map((h) => h.service)).toEqual([
      "timescaledb",
      "migrations",
      "redis",
      "seaweedfs",
      "bucket",
      "collector",
      "metrics",
    ]);

    await stack!.stop();
    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(join(dataDir, "stack.lock"))).toBe(false);
    const down = await stackStatus(env);
    expect(down.launcherPid).toBeUndefined();
    expect(down.health.filter((h) => h.ok)).toEqual([]);

    stack = await startStack({ env, logger: log });
    expect(readFileSync(join(dataDir, "secrets.env"), "utf8")).toBe(secrets);
    const [row] = await query<{ n: number }>(stack.endpoints.postgres.url, "select count(*)::int as n from flows");
    expect(row?.n).toBe(500);
    const store = stack.endpoints.objectStore;
    if (store.kind !== "s3") throw new Error("expected the local S3");
    const client = s3Client(store);
    const got = await client.send(new GetObjectCommand({ Bucket: store.bucket, Key: "probe/hello.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello");
    client.destroy();
  });
});
