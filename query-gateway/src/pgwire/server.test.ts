// The Postgres wire front end with real clients (node pg simple + extended protocol, psql,
// psycopg2, SQLAlchemy + pandas) over a real gateway: embedded TimescaleDB with two archived
// days in a file:// Iceberg warehouse and two hot days. Every answer is compared with the
// HTTP API's answer to the same query (the same gateway), values parsed by their type OID.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { FLOW_COLUMNS } from "@netflow/schema";
import type { Hono } from "hono";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "../config.ts";
import type { Value } from "../engine/engine.ts";
import { fromPgText, pgValueType } from "../engine/values.ts";
import { Gateway } from "../gateway.ts";
import { createApp } from "../http/app.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "../tiers/fixture.ts";
import { Introspection } from "./introspection.ts";
import { PgWireServer } from "./server.ts";

const run = promisify(execFile);
const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const TOKEN = "wire-test-token";
const USER = "netflow";
const PASSWORD = "wire-test-pw";
const TEST_PY = new URL("../../test-py/", import.meta.url).pathname;

let fixture: TierFixture;
let gateway: Gateway;
let introspection: Introspection;
let wire: PgWireServer;
let tlsWire: PgWireServer;
let app: Hono;
let port: number;
let tlsPort: number;
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "gateway-wire-"));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert(flowDataset(FIRST_DAY, 4, 120, 11));
  await fixture.archive(FIRST_DAY, FIRST_DAY + 2n * DAY_US);
  const config = gatewayConfig({ pgUrl: fixture.readerUrl, warehouse: fixture.warehouse, cacheDir: tempDir() });
  gateway = new Gateway(config);
  await gateway.start();
  introspection = new Introspection({ url: fixture.readerUrl, poolSize: 2 });
  await introspection.start();
  const backend = { gateway, introspection, lockdown: config.lockdown };
  wire = new PgWireServer({ host: "127.0.0.1", port: 0, user: USER, password: PASSWORD, maxConnections: 16 }, backend);
  port = (await wire.start()).port;
  const certDir = tempDir();
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    join(certDir, "key.pem"),
    "-out",
    join(certDir, "cert.pem"),
  ]);
  tlsWire = new PgWireServer(
    {
      host: "127.0.0.1",
      port: 0,
      user: USER,
      password: PASSWORD,
      maxConnections: 4,
      tls: { certFile: join(certDir, "cert.pem"), keyFile: join(certDir, "key.pem") },
    },
    backend,
  );
  tlsPort = (await tlsWire.start()).port;
  app = createApp(gateway, { tokens: [TOKEN] });
}, 240_000);

afterAll(async () => {
  await tlsWire?.stop();
  await wire?.stop();
  await introspection?.stop();
  await gateway?.stop();
  await fixture?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function client(overrides: Partial<pg.ClientConfig> = {}): pg.Client {
  const c = new pg.Client({
    host: "127.0.0.1",
    port,
    user: USER,
    password: PASSWORD,
    database: "netflow",
    ...overrides,
  });
  c.on("error", () => undefined);
  return c;
}

interface Answer {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Value[])[];
}

async function http(sql: string, timeZone = "UTC", params?: readonly (string | null)[]): Promise<Answer> {
  const res = await app.request("/api/query", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ sql, timeZone, ...(params ? { params } : {}) }),
  });
  const body = (await res.json()) as { columns: { name: string }[]; rows: Value[][]; error?: string };
  if (res.status !== 200) throw new Error(`http ${res.status}: ${body.error}`);
  return { columns: body.columns.map((c) => c.name), rows: body.rows };
}

const RAW = { getTypeParser: () => (v: string) => v };

async function overWire(
  c: pg.Client,
  sql: string,
  params?: readonly (string | null)[],
): Promise<Answer & { oids: number[] }> {
  const r = await c.query({ text: sql, rowMode: "array", types: RAW, ...(params ? { values: [...params] } : {}) });
  const types = r.fields.map((f) => pgValueType(f.dataTypeID));
  return {
    columns: r.fields.map((f) => f.name),
    oids: r.fields.map((f) => f.dataTypeID),
    rows: (r.rows as (string | null)[][]).map((row) => row.map((v, i) => fromPgText(types[i] ?? "unknown", v))),
  };
}

function close(a: Value, b: Value): boolean {
  if (typeof a === "number" && typeof b === "number")
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

function expectSame(actual: readonly (readonly Value[])[], expected: readonly (readonly Value[])[], label: string) {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((row, i) => {
    const other = expected[i] ?? [];
    if (!(row.length === other.length && row.every((v, j) => close(v, other[j] ?? null)))) {
      expect(row, `${label} row ${i}`).toEqual(other);
    }
  });
}

const SPANNING = [
  "SELECT count(*) AS n, sum(bytes) AS bytes FROM flows",
  "SELECT proto, count(*) AS n, sum(bytes) AS bytes FROM flows GROUP BY proto ORDER BY proto NULLS FIRST",
  "SELECT date_trunc('day', ts) AS day, count(*) AS n, avg(bytes) AS avg_bytes FROM flows GROUP BY 1 ORDER BY 1",
  "SELECT src_addr, sum(bytes) AS total FROM flows WHERE src_addr << '10.0.0.0/8' GROUP BY 1 ORDER BY total DESC, 1 LIMIT 5",
  "SELECT ts, exporter, dst_port, bytes FROM flows WHERE ts = '2026-03-03 00:00:00+00' ORDER BY exporter",
];

/** Grafana's $__timeGroupAlias(ts,'1m') and $__timeFilter(ts), expanded as the PostgreSQL data source does. */
const GRAFANA =
  "SELECT floor(extract(epoch from ts)/60)*60 AS \"time\", sum(bytes) AS bytes FROM flows WHERE ts BETWEEN '2026-03-02T12:00:00Z' AND '2026-03-03T12:00:00Z' GROUP BY 1 ORDER BY 1";

describe("node pg", () => {
  it("simple protocol: spanning queries answer like the HTTP API, with real type OIDs", async () => {
    const c = client();
    await c.connect();
    try {
      for (const sql of [...SPANNING, GRAFANA]) {
        const [w, h] = await Promise.all([overWire(c, sql), http(sql)]);
        expect(w.columns).toEqual(h.columns);
        expectSame(w.rows, h.rows, sql);
      }
      const typed = await overWire(
        c,
        "SELECT count(*), ts, src_addr, dst_port, bytes FROM flows GROUP BY 2, 3, 4, 5 LIMIT 1",
      );
      expect(typed.oids).toEqual([20, 1184, 869, 23, 20]);
      const grafana = await overWire(c, GRAFANA);
      expect(grafana.rows.length).toBeGreaterThan(10);
    } finally {
      await c.end();
    }
  }, 120_000);

  it("extended protocol: parameterized queries, named prepared statements", async () => {
    const c = client();
    await c.connect();
    try {
      const sql = "SELECT dst_port, count(*) AS n FROM flows WHERE dst_port = $1 AND ts >= $2 GROUP BY 1";
      const params = ["443", "2026-03-01T12:00:00Z"];
      const [w, h] = await Promise.all([overWire(c, sql, params), http(sql, "UTC", params)]);
      expectSame(w.rows, h.rows, sql);
      expect(w.rows[0]?.[0]).toBe(443);
      const named = await c.query({
        name: "by-proto",
        text: "SELECT count(*) FROM flows WHERE proto = $1",
        values: [6],
      });
      const again = await c.query({
        name: "by-proto",
        text: "SELECT count(*) FROM flows WHERE proto = $1",
        values: [6],
      });
      expect(named.rows).toEqual(again.rows);
      const ref = await http("SELECT count(*) FROM flows WHERE proto = 6");
      expect(Number(named.rows[0]?.count)).toBe(ref.rows[0]?.[0]);
      // A refused statement in the extended protocol answers its SQLSTATE and the connection goes on.
      await expect(c.query({ text: "DELETE FROM flows WHERE bytes > $1", values: [1] })).rejects.toMatchObject({
        code: "25006",
      });
      expect((await c.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  }, 60_000);

  it("session settings: SET TimeZone is honoured by both tiers, SHOW answers from the session", async () => {
    const c = client({ application_name: "wire-test" });
    await c.connect();
    try {
      const sql = "SELECT date_trunc('day', ts) AS day, count(*) AS n FROM flows GROUP BY 1 ORDER BY 1";
      await c.query("SET TimeZone = 'America/New_York'");
      expect((await c.query("SHOW timezone")).rows).toEqual([{ TimeZone: "America/New_York" }]);
      expect((await c.query("SHOW application_name")).rows).toEqual([{ application_name: "wire-test" }]);
      const raw = await c.query({ text: sql, rowMode: "array", types: RAW });
      expect(String(raw.rows[0]?.[0])).toMatch(/^2026-0[23]-\d\d 00:00:00-05$/);
      const [w, h] = await Promise.all([overWire(c, sql), http(sql, "America/New_York")]);
      expectSame(w.rows, h.rows, sql);
      const utc = await http(sql, "UTC");
      expect(JSON.stringify(utc.rows)).not.toBe(JSON.stringify(h.rows));
      // Catalog queries see the session's zone too.
      expect((await c.query("SELECT current_setting('TimeZone') AS tz")).rows).toEqual([{ tz: "America/New_York" }]);
      await c.query("SET statement_timeout = '30s'");
      expect((await c.query("SHOW statement_timeout")).rows).toEqual([{ statement_timeout: "30s" }]);
      await expect(c.query("SET statement_timeout = 0")).rejects.toMatchObject({ code: "42501" });
      await expect(c.query("SET work_mem = '1GB'")).rejects.toMatchObject({ code: "42501" });
      // A statement running past the session's statement_timeout is canceled with 57014.
      await c.query("SET statement_timeout = 1");
      await expect(c.query(SPANNING[2] ?? "")).rejects.toMatchObject({ code: "57014" });
      await c.query("RESET ALL");
      expect((await c.query("SHOW TimeZone")).rows).toEqual([{ TimeZone: "UTC" }]);
    } finally {
      await c.end();
    }
  }, 60_000);

  it("a statement_timeout or CancelRequest stops the cold engine's work, not only the answer", async () => {
    // Four-way self-join of the archived days: billions of row combinations, far longer than
    // the gateway's own time limit unless DuckDB is interrupted.
    const heavy = `SELECT count(*) AS n FROM flows a, flows b, flows c, flows d
      WHERE a.ts < '2026-03-03' AND b.ts < '2026-03-03' AND c.ts < '2026-03-03' AND d.ts < '2026-03-03'
        AND a.bytes + b.bytes + c.bytes + d.bytes > 0`;
    // The same over every day: the hot days join in the cold engine too.
    const spanning =
      "SELECT count(*) AS n FROM flows a, flows b, flows c, flows d WHERE a.bytes + b.bytes + c.bytes + d.bytes > 0";
    const inFlight = () => Number(/^gateway_queries_in_flight (\d+)/m.exec(gateway.metricsText())?.[1] ?? Number.NaN);
    const settled = async () => {
      const deadline = Date.now() + 3_000;
      while (inFlight() !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return inFlight();
    };
    const c = client();
    await c.connect();
    try {
      await c.query("SET statement_timeout = 300");
      let started = performance.now();
      for (const sql of [heavy, spanning]) {
        started = performance.now();
        await expect(c.query(sql)).rejects.toMatchObject({ code: "57014" });
        expect(performance.now() - started).toBeLessThan(3_000);
        expect(await settled()).toBe(0);
        expect(performance.now() - started).toBeLessThan(5_000);
      }
      await c.query("RESET statement_timeout");
      // CancelRequest from another socket (node pg has no cancel API; psql sends it on SIGINT).
      started = performance.now();
      const running = c.query(heavy).then(
        () => undefined,
        (error: unknown) => error,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(inFlight()).toBe(1);
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const cancel = Buffer.alloc(16);
      cancel.writeInt32BE(16, 0);
      cancel.writeInt32BE(80877102, 4);
      cancel.writeInt32BE(processID, 8);
      cancel.writeInt32BE(secretKey, 12);
      const socket = net.connect(port, "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      socket.end(cancel);
      expect(await running).toMatchObject({ code: "57014" });
      expect(await settled()).toBe(0);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(Number((await c.query("SELECT count(*) AS n FROM flows")).rows[0]?.n)).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
  }, 60_000);

  it("transactions: read-only BEGIN/COMMIT/ROLLBACK with an aborted state after an error", async () => {
    const c = client();
    await c.connect();
    try {
      await c.query("BEGIN");
      expect(Number((await c.query("SELECT count(*) AS n FROM flows")).rows[0]?.n)).toBeGreaterThan(0);
      await expect(c.query("SELECT nope FROM flows")).rejects.toBeDefined();
      await expect(c.query("SELECT 1")).rejects.toMatchObject({ code: "25P02" });
      await c.query("ROLLBACK");
      expect((await c.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }]);
      await expect(c.query("BEGIN READ WRITE")).rejects.toMatchObject({ code: "25006" });
    } finally {
      await c.end();
    }
  }, 60_000);

  it("errors carry the gateway's SQLSTATE, message and position", async () => {
    const c = client();
    await c.connect();
    try {
      await expect(c.query("DROP TABLE flows")).rejects.toMatchObject({ code: "25006" });
      await expect(c.query("COPY flows TO STDOUT")).rejects.toMatchObject({ code: "42501" });
      const syntax = await c.query("SELECT count(* FROM flows").catch((e: unknown) => e as pg.DatabaseError);
      expect(syntax).toMatchObject({ code: "42601" });
      expect(Number((syntax as pg.DatabaseError).position)).toBeGreaterThan(0);
      await expect(c.query("SELECT read_csv('/etc/passwd') FROM flows")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await c.end();
    }
  }, 60_000);

  it("catalog introspection goes to the hot database", async () => {
    const c = client();
    await c.connect();
    try {
      expect(String((await c.query("SELECT version()")).rows[0]?.version)).toMatch(/PostgreSQL/);
      const cols = await c.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'flows' ORDER BY ordinal_position",
      );
      expect(cols.rows.map((r) => r.column_name)).toEqual(FLOW_COLUMNS.map((col) => col.name));
      // DBeaver/Grafana-style browsing of pg_catalog.
      const tables = await c.query(
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r','p') ORDER BY 1",
      );
      expect(tables.rows.map((r) => r.relname)).toContain("flows");
    } finally {
      await c.end();
    }
  }, 60_000);

  it("refuses a wrong password, an unknown user and plain text when TLS is required; TLS works", async () => {
    await expect(client({ password: "wrong" }).connect()).rejects.toMatchObject({ code: "28P01" });
    await expect(client({ user: "postgres" }).connect()).rejects.toMatchObject({ code: "28P01" });
    const plain = new pg.Client({ host: "127.0.0.1", port: tlsPort, user: USER, password: PASSWORD, ssl: false });
    plain.on("error", () => undefined);
    await expect(plain.connect()).rejects.toBeDefined();
    const tls = new pg.Client({
      host: "127.0.0.1",
      port: tlsPort,
      user: USER,
      password: PASSWORD,
      ssl: { rejectUnauthorized: false },
    });
    await tls.connect();
    try {
      const [w, h] = await Promise.all([overWire(tls, SPANNING[0] ?? ""), http(SPANNING[0] ?? "")]);
      expectSame(w.rows, h.rows, "over TLS");
    } finally {
      await tls.end();
    }
    expect(wire.metrics.authFailuresTotal).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("Describe of a prepared statement answers its columns (pgx, as Grafana uses it)", async () => {
    const c = client();
    await c.connect();
    try {
      type Conn = {
        parse(m: { name: string; text: string; types: number[] }): void;
        describe(m: { type: "S" | "P"; name: string }): void;
        bind(m: { portal: string; statement: string; values: unknown[] }): void;
        execute(m: { portal: string; rows: number }): void;
        sync(): void;
        on(event: string, fn: (msg: unknown) => void): void;
        removeAllListeners(event: string): void;
      };
      const conn = (c as unknown as { connection: Conn }).connection;
      const events: string[] = [];
      const fields: { name: string; dataTypeID: number }[][] = [];
      const rows: unknown[] = [];
      const done = new Promise<void>((resolve) => conn.on("readyForQuery", () => resolve()));
      conn.on("rowDescription", (m) => {
        events.push("T");
        fields.push((m as { fields: { name: string; dataTypeID: number }[] }).fields);
      });
      conn.on("parameterDescription", () => events.push("t"));
      conn.on("dataRow", (m) => rows.push((m as { fields: unknown[] }).fields));
      conn.on("commandComplete", () => events.push("C"));
      conn.parse({ name: "g1", text: GRAFANA, types: [] });
      conn.describe({ type: "S", name: "g1" });
      conn.bind({ portal: "", statement: "g1", values: [] });
      conn.execute({ portal: "", rows: 0 });
      conn.sync();
      await done;
      for (const e of ["readyForQuery", "rowDescription", "parameterDescription", "dataRow", "commandComplete"]) {
        conn.removeAllListeners(e);
      }
      expect(events).toEqual(["t", "T", "C"]);
      expect(fields[0]?.map((f) => f.name)).toEqual(["time", "bytes"]);
      expect(rows.length).toBe((await http(GRAFANA)).rows.length);
    } finally {
      await c.end();
    }
  }, 30_000);

  it("a CancelRequest is acknowledged without harm", async () => {
    const c = client();
    await c.connect();
    try {
      const packet = Buffer.alloc(16);
      packet.writeInt32BE(16, 0);
      packet.writeInt32BE(80877102, 4);
      packet.writeInt32BE(12345, 8);
      packet.writeInt32BE(678, 12);
      await new Promise<void>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => s.write(packet));
        s.on("close", () => resolve());
        s.on("error", () => resolve());
      });
      expect((await c.query("SELECT 3 AS three")).rows).toEqual([{ three: 3 }]);
    } finally {
      await c.end();
    }
  }, 30_000);
});

describe("psql", () => {
  const env = () => ({ ...process.env, PGPASSWORD: PASSWORD, PGCONNECT_TIMEOUT: "10" });
  const psql = (args: string[], extraEnv: Record<string, string> = {}, onPort = port) =>
    run("psql", ["-h", "127.0.0.1", "-p", String(onPort), "-U", USER, "-d", "netflow", "-X", ...args], {
      env: { ...env(), ...extraEnv },
    });

  it("scripted queries answer like the HTTP API", async () => {
    const sql = SPANNING[1] ?? "";
    const { stdout } = await psql(["-At", "-F", "|", "-c", sql]);
    const ref = await http(sql);
    const lines = stdout.trim().split("\n");
    expect(lines.length).toBe(ref.rows.length);
    lines.forEach((line, i) => {
      const [proto, n, bytes] = line.split("|");
      const row = ref.rows[i] ?? [];
      expect([proto === "" ? null : Number(proto), Number(n), Number(bytes)]).toEqual(row);
    });
  }, 60_000);

  it("\\d flows and \\dt describe the table (introspection on the embedded TimescaleDB)", async () => {
    const d = (await psql(["-c", "\\d flows"])).stdout;
    expect(d).toMatch(/Table "public\.flows"/);
    expect(d).toMatch(/ts\s+\|\s+timestamp with time zone/);
    expect(d).toMatch(/src_addr\s+\|\s+inet/);
    const dt = (await psql(["-c", "\\dt"])).stdout;
    expect(dt).toMatch(/public\s+\|\s+flows\s+\|\s+table/);
    // Queries on flows still go through the gateway (hot and archived days), not only the hot table.
    const count = (await psql(["-At", "-c", "SELECT count(*) FROM flows"])).stdout.trim();
    expect(Number(count)).toBe((await http("SELECT count(*) FROM flows")).rows[0]?.[0]);
  }, 60_000);

  it("refuses a wrong or missing password", async () => {
    await expect(psql(["-w", "-c", "SELECT 1"], { PGPASSWORD: "nope" })).rejects.toMatchObject({
      stderr: expect.stringMatching(/password authentication failed/),
    });
    const { PGPASSWORD: _ignored, ...noPassword } = process.env;
    await expect(
      run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", USER, "-w", "-X", "-c", "SELECT 1"], {
        env: { ...noPassword, PGPASSFILE: "/dev/null" },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/password/) });
  }, 30_000);

  it("connects with sslmode=require when TLS is configured", async () => {
    await expect(
      run(
        "psql",
        [`host=127.0.0.1 port=${tlsPort} user=${USER} dbname=netflow sslmode=disable`, "-X", "-c", "SELECT 1"],
        {
          env: env(),
        },
      ),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/SSL connection is required/) });
    const ok = await run(
      "psql",
      [
        `host=127.0.0.1 port=${tlsPort} user=${USER} dbname=netflow sslmode=require`,
        "-X",
        "-At",
        "-c",
        "SELECT count(*) FROM flows",
      ],
      { env: env() },
    );
    const ref = await http("SELECT count(*) FROM flows");
    expect(Number(ok.stdout.trim())).toBe(ref.rows[0]?.[0]);
  }, 30_000);
});

describe("Python clients", () => {
  it("psycopg2, SQLAlchemy and pandas.read_sql answer like the HTTP API", async () => {
    const queries = [SPANNING[0] ?? "", SPANNING[1] ?? "", SPANNING[2] ?? "", GRAFANA];
    const dsn = `host=127.0.0.1 port=${port} user=${USER} password=${PASSWORD} dbname=netflow`;
    const url = `postgresql+psycopg2://${USER}:${PASSWORD}@127.0.0.1:${port}/netflow`;
    const { stdout } = await run("python3", [join(TEST_PY, "wire_clients.py"), JSON.stringify({ dsn, url, queries })], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
      psycopg2: Value[][][];
      pandas: Value[][][];
      psycopg2_param: number;
      has_flows: boolean;
    };
    for (const [i, sql] of queries.entries()) {
      const ref = await http(sql);
      // Timestamps: ISO from Python vs canonical Z from the API; compare as instants.
      const norm = (rows: readonly (readonly Value[])[]) =>
        rows.map((r) => r.map((v) => (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) ? Date.parse(v) : v)));
      expectSame(norm(out.psycopg2[i] ?? []), norm(ref.rows), `psycopg2 ${sql}`);
      expectSame(norm(out.pandas[i] ?? []), norm(ref.rows), `pandas ${sql}`);
    }
    const param = await http("SELECT count(*) FROM flows WHERE dst_port = 443");
    expect(out.psycopg2_param).toBe(param.rows[0]?.[0]);
    expect(out.has_flows).toBe(true);
  }, 120_000);
});
