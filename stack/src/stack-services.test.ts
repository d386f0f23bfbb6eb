// Integration test: the whole local stack on free ports in a temp data dir,
// with the archiver worker and the query gateway it launches.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "./env.ts";
import type { FlowCollector } from "./services/collector.ts";
import { type StackHandle, startStack } from "./stack.ts";
import { stackStatus } from "./status.ts";
import { testStackEnv } from "./testing.ts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const dataDir = mkdtempSync(join(tmpdir(), "stack-services-"));
const log = pino({ level: process.env.STACK_TEST_LOG ?? "warn" });
let env: Env;
let stack: StackHandle | undefined;

const RECENT_ROWS = 300;
const OLD_ROWS = 200;
/** Old enough for ARCHIVE_AFTER (7 days) and in a chunk of its own (1-day chunks). */
const OLD_AGE = "20 days";

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function gatewayQuery(sql: string, token: string | undefined): Promise<Response> {
  const { url } = stack!.endpoints.gateway!;
  return fetch(`${url}/api/query`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ sql }),
  });
}

/** The single number a `select count(*) …` returns through the gateway. */
async function gatewayCount(sql: string): Promise<number> {
  const response = await gatewayQuery(sql, stack!.endpoints.gateway!.tokens[0]);
  const body = (await response.json()) as { rows?: unknown[][]; detail?: string };
  expect(response.status, body.detail).toBe(200);
  return Number(body.rows?.[0]?.[0]);
}

async function hotCount(): Promise<number> {
  const [row] = await query<{ n: number }>(stack!.endpoints.postgres.url, "select count(*)::int as n from flows");
  return row?.n ?? -1;
}

/** The processes alive among `groups` and in their process groups (each supervised child leads its own). */
function groupMembers(groups: ReadonlySet<number>): number[] {
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command: state, ppid, pgrp, …
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && (groups.has(Number(entry)) || groups.has(Number(fields[2]))))
        members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

describe("archiver and query gateway in the local stack", () => {
  beforeAll(async () => {
    env = await testStackEnv(dataDir, {
      STACK_STOP_TIMEOUT_S: "15",
      LOG_LEVEL: process.env.STACK_TEST_LOG ?? "warn",
      // Scan for chunks to archive every 2 s instead of every 5 minutes.
      ARCHIVE_SCHEDULE_EVERY_S: "2",
      ARCHIVE_BACKOFF_S: "1",
    });
    stack = await startStack({ env, logger: log });
    const { postgres } = stack.endpoints;
    await query(
      postgres.url,
      `insert into flows (ts, exporter, packets, bytes)
       select now() - make_interval(secs => g), '192.0.2.1', g, g * 100 from generate_series(1, ${RECENT_ROWS}) g`,
    );
    await query(
      postgres.url,
      `insert into flows (ts, exporter, packets, bytes)
       select now() - interval '${OLD_AGE}' - make_interval(secs => g), '192.0.2.2', g, g * 10
         from generate_series(1, ${OLD_ROWS}) g`,
    );
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("serves the gateway's /healthz without a token and refuses queries without one", async () => {
    const { url, tokens } = stack!.endpoints.gateway!;
    expect(url).toBe(`http://127.0.0.1:${env.GATEWAY_HTTP_PORT}`);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const anonymous = await gatewayQuery("select count(*) from flows", undefined);
    expect(anonymous.status).toBe(401);
    const wrong = await gatewayQuery("select count(*) from flows", `${tokens[0]}x`);
    expect(wrong.status).toBe(401);
    // The generated token is the one kept for the next run.
    expect(readFileSync(join(dataDir, "secrets.env"), "utf8")).toContain(`GATEWAY_TOKENS=${tokens[0]}\n`);
  });

  it("answers a count over all time equal to the rows inserted, whichever tier holds them", async () => {
    expect(await gatewayCount("select count(*) from flows")).toBe(RECENT_ROWS + OLD_ROWS);
    const line = stack!.lines.find((l) => l.service === "gateway" && l.label === "try it");
    expect(line?.value).toContain(`${stack!.endpoints.gateway!.url}/api/query`);
    expect(line?.value).not.toContain(stack!.endpoints.gateway!.tokens[0]);
  });

  it("answers the same count on its Postgres wire server, and refuses a wrong password", async () => {
    const { pgUrl } = stack!.endpoints.gateway!;
    expect(await query(pgUrl, "select count(*)::int as n from flows")).toEqual([{ n: RECENT_ROWS + OLD_ROWS }]);
    const wrong = new URL(pgUrl);
    wrong.password = "wrong";
    await expect(query(wrong.toString(), "select 1")).rejects.toThrow(/password|authentication/i);
  });

  it("runs the archiver worker, which archives the old chunk to S3 (hot count drops, total unchanged)", async () => {
    const metrics = await fetch(stack!.endpoints.archiver!.metricsUrl);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# (HELP|TYPE) \w+/m);

    const deadline = Date.now() + 60_000;
    while ((await hotCount()) !== RECENT_ROWS && Date.now() < deadline) await sleep(500);
    expect(await hotCount()).toBe(RECENT_ROWS);
    const [logged] = await query<{ rows: string }>(
      stack!.endpoints.postgres.url,
      "select sum(row_count)::text as rows from archive_log",
    );
    expect(logged?.rows).toBe(String(OLD_ROWS));

    // The gateway reads the archived rows back from the Iceberg table with the read-only identity.
    expect(await gatewayCount("select count(*) from flows")).toBe(RECENT_ROWS + OLD_ROWS);
    expect(await gatewayCount(`select count(*) from flows where ts < now() - interval '10 days'`)).toBe(OLD_ROWS);
    const [bytes] = (
      (await (
        await gatewayQuery(
          "select sum(bytes) from flows where exporter = '192.0.2.2'",
          stack!.endpoints.gateway!.tokens[0],
        )
      ).json()) as { rows: unknown[][] }
    ).rows;
    expect(Number(bytes?.[0])).toBe(10 * ((OLD_ROWS * (OLD_ROWS + 1)) / 2));
  }, 90_000);

  it("keeps both serving after the embedded TimescaleDB is killed and restarted", async () => {
    const timescale = stack!.process("timescaledb")!;
    const restarted = timescale.nextRestart();
    process.kill(timescale.pid!, "SIGKILL");
    await restarted;
    // Pooled connections to the dead engine fail once; a new query must work within a few tries.
    let count: number | undefined;
    for (let attempt = 0; attempt < 20 && count === undefined; attempt++) {
      const response = await gatewayQuery("select count(*) from flows", stack!.endpoints.gateway!.tokens[0]);
      if (response.status === 200) count = Number(((await response.json()) as { rows: unknown[][] }).rows[0]?.[0]);
      else await sleep(500);
    }
    expect(count).toBe(RECENT_ROWS + OLD_ROWS);
    expect((await fetch(stack!.endpoints.archiver!.metricsUrl)).status).toBe(200);
  }, 60_000);

  it("reports both in status and the launcher's metrics, and stop() leaves no process behind", async () => {
    const status = await stackStatus(env);
    expect(status.health.filter((h) => !h.ok)).toEqual([]);
    expect(status.health.map((h) => h.service)).toEqual([
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
    const metrics = await (await fetch(`http://127.0.0.1:${env.STACK_METRICS_PORT}/metrics`)).text();
    expect(metrics).toContain('netflow_stack_process_up{service="archiver"} 1\n');
    expect(metrics).toContain('netflow_stack_process_up{service="gateway"} 1\n');
    // Neither needed a restart when the database went away under them.
    expect(metrics).toContain('netflow_stack_process_restarts_total{service="archiver"} 0\n');
    expect(metrics).toContain('netflow_stack_process_restarts_total{service="gateway"} 0\n');
    expect(metrics).toContain('netflow_stack_process_restarts_total{service="timescaledb"} 1\n');

    const handle = stack!;
    const leaders = ["timescaledb", "redis", "seaweedfs", "archiver", "gateway"].map(
      (name) => handle.process(name)?.pid,
    );
    const collector = handle.services.find((s) => s.name === "collector") as FlowCollector;
    for (const daemon of collector.collector.status().daemons) leaders.push(daemon.pid ?? undefined);
    const groups = new Set(leaders.filter((pid): pid is number => pid !== undefined));
    expect(groups.size).toBe(7);
    expect(groupMembers(groups).length).toBeGreaterThanOrEqual(7);

    await handle.stop();
    stack = undefined;
    expect(groupMembers(groups)).toEqual([]);
    const down = await stackStatus(env);
    expect(down.health.filter((h) => h.ok)).toEqual([]);
  }, 60_000);
});

describe("archiver and query gateway over a file:// warehouse", () => {
  it("archives into the folder and the gateway reads it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-services-file-"));
    const warehouseDir = join(dir, "warehouse");
    const fileStack = await startStack({
      env: await testStackEnv(dir, {
        WAREHOUSE: `file://${warehouseDir}`,
        COLLECTOR: "off",
        STACK_METRICS_PORT: "off",
        ARCHIVE_SCHEDULE_EVERY_S: "2",
        LOG_LEVEL: process.env.STACK_TEST_LOG ?? "warn",
      }),
      logger: log,
    });
    try {
      expect(fileStack.process("seaweedfs")).toBeUndefined();
      const { postgres, gateway } = fileStack.endpoints;
      await query(
        postgres.url,
        `insert into flows (ts, exporter, packets, bytes)
         select now() - interval '${OLD_AGE}' - make_interval(secs => g), '192.0.2.3', 1, g
           from generate_series(1, ${OLD_ROWS}) g`,
      );
      const hot = async () => (await query<{ n: number }>(postgres.url, "select count(*)::int as n from flows"))[0]?.n;
      const deadline = Date.now() + 60_000;
      while ((await hot()) !== 0 && Date.now() < deadline) await sleep(500);
      expect(await hot()).toBe(0);
      const files = readdirSync(warehouseDir, { recursive: true }).map(String);
      expect(files.filter((f) => f.endsWith(".parquet")).length).toBeGreaterThan(0);

      const response = await fetch(`${gateway!.url}/api/query`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${gateway!.tokens[0]}` },
        body: JSON.stringify({ sql: "select count(*), sum(bytes) from flows" }),
      });
      const body = (await response.json()) as { rows: unknown[][]; detail?: string };
      expect(response.status, body.detail).toBe(200);
      expect(body.rows[0]?.map(Number)).toEqual([OLD_ROWS, (OLD_ROWS * (OLD_ROWS + 1)) / 2]);
    } finally {
      await fileStack.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
