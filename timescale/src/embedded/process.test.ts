// The server as a process: start-up errors, clean shutdown, and no loss of committed data
// on kill -9 (restart on the same data directory).

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { afterAll, describe, expect, it } from "vitest";
import { type EmbeddedTestServer, startEmbeddedForTest } from "./testing.ts";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");
const TSX = createRequire(import.meta.url).resolve("tsx");
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "embedded-proc-"));
  tempDirs.push(dir);
  return dir;
}

/** Runs main.ts to completion (for start-up failures). */
function runMain(env: Record<string, string>): { status: number | null; stderr: string; ms: number } {
  const started = Date.now();
  const base = { ...process.env };
  delete base.EMBEDDED_PG_PASSWORD;
  const result = spawnSync(process.execPath, ["--import", TSX, MAIN], {
    env: { ...base, EMBEDDED_PG_HOST: "127.0.0.1", ...env },
    timeout: 90_000,
  });
  return { status: result.status, stderr: result.stderr.toString(), ms: Date.now() - started };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("start-up errors", () => {
  it("refuses to start without EMBEDDED_PG_PASSWORD", () => {
    const run = runMain({ EMBEDDED_PG_DATA_DIR: path.join(tempDir(), "data"), EMBEDDED_PG_PORT: "0" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("EMBEDDED_PG_PASSWORD is required");
  });

  it("fails fast with a clear message when the port is in use", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const run = runMain({
        EMBEDDED_PG_DATA_DIR: path.join(tempDir(), "data"),
        EMBEDDED_PG_PORT: String(port),
        EMBEDDED_PG_PASSWORD: "pw",
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port 127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("fails with a clear message when the data directory is not writable", () => {
    const parent = tempDir();
    const file = path.join(parent, "a-file");
    fs.writeFileSync(file, "");
    const run = runMain({
      EMBEDDED_PG_DATA_DIR: path.join(file, "data"),
      EMBEDDED_PG_PORT: "0",
      EMBEDDED_PG_PASSWORD: "pw",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/data directory .* is not writable/);
  });
});

describe("durability", () => {
  let server: EmbeddedTestServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it("keeps committed rows across kill -9 and serves the hypertable after restart", async () => {
    server = await startEmbeddedForTest({
      env: { EMBEDDED_PG_MAX_CONNECTIONS: "3", EMBEDDED_PG_CHECKPOINT_INTERVAL_MS: "1000" },
    });
    const s = server;
    await withClient(s.url, async (c) => {
      await c.query("CREATE TABLE hot (ts timestamptz NOT NULL, v int)");
      await c.query("SELECT create_hypertable('hot', 'ts', chunk_time_interval => interval '1 day')");
      for (let i = 0; i < 20; i++) {
        await c.query("INSERT INTO hot VALUES ('2024-01-01'::timestamptz + $1 * interval '1 hour', $1)", [i]);
      }
      // The layer checkpoints on its own (the engine has no checkpointer process).
      const first = (await c.query("SELECT checkpoint_time FROM pg_control_checkpoint()")).rows[0].checkpoint_time;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const later = (await c.query("SELECT checkpoint_time FROM pg_control_checkpoint()")).rows[0].checkpoint_time;
      expect(later.getTime()).toBeGreaterThan(first.getTime());
      await pipeline(
        Readable.from([Buffer.from("2024-02-01 00:00:00+00\t100\n2024-02-02 00:00:00+00\t101\n")]),
        c.query(copyFrom("COPY hot FROM STDIN")),
      );
    });
    // An open transaction at the moment of the kill must leave nothing behind.
    const open = new pg.Client({ connectionString: s.url });
    open.on("error", () => undefined);
    await open.connect();
    await open.query("BEGIN");
    await open.query("INSERT INTO hot VALUES ('2024-03-01', 999)");
    await s.kill9();
    await open.end().catch(() => undefined);
    await s.restart();
    await withClient(s.url, async (c) => {
      const { rows } = await c.query("SELECT count(*)::int AS n, max(v)::int AS max FROM hot");
      expect(rows[0]).toEqual({ n: 22, max: 101 });
      // Inserting into a hypertable after reopening needs LOAD 'timescaledb' at start.
      await c.query("INSERT INTO hot VALUES ('2024-04-01', 200)");
      expect((await c.query("SELECT count(*)::int AS n FROM hot")).rows[0].n).toBe(23);
    });
    // A second server on the same data directory is refused.
    const second = runMain({ EMBEDDED_PG_DATA_DIR: s.dataDir, EMBEDDED_PG_PORT: "0", EMBEDDED_PG_PASSWORD: "pw" });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("is in use by another embedded server");
    // The connection limit: a fourth concurrent client is turned away with 53300.
    const three = await Promise.all(
      [1, 2, 3].map(async () => {
        const c = new pg.Client({ connectionString: s.url });
        c.on("error", () => undefined);
        await c.connect();
        return c;
      }),
    );
    const fourth = new pg.Client({ connectionString: s.url });
    fourth.on("error", () => undefined);
    await expect(fourth.connect()).rejects.toMatchObject({ code: "53300" });
    await Promise.all(three.map((c) => c.end()));
    // SIGTERM closes cleanly (exit code 0, checked by the helper), telling clients why.
    const connected = new pg.Client({ connectionString: s.url });
    const told: { code?: string }[] = [];
    connected.on("error", (err) => told.push(err as { code?: string }));
    await connected.connect();
    await s.restart();
    expect(told.map((e) => e.code)).toContain("57P01");
    await withClient(s.url, async (c) => {
      expect((await c.query("SELECT count(*)::int AS n FROM hot")).rows[0].n).toBe(23);
    });
  });
});
