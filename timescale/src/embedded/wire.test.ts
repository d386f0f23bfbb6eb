// Wire behaviour of the embedded server with real clients (node pg, psql): framing,
// per-transaction serialization, extended protocol, authentication, per-connection role,
// settings and prepared statements, idle-transaction timeout, dropped connections.

import { execFileSync } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedTestServer, startEmbeddedForTest } from "./testing.ts";

const IDLE_TX_TIMEOUT_MS = 2500;

let server: EmbeddedTestServer;
const clients: pg.Client[] = [];

function urlFor(user: string, password: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/postgres`;
}

async function connect(url = server.url): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected an error");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await startEmbeddedForTest({ env: { EMBEDDED_PG_IDLE_TX_TIMEOUT_MS: String(IDLE_TX_TIMEOUT_MS) } });
  const admin = await connect();
  await admin.query(`
    CREATE TABLE items (id int, note text);
    CREATE TABLE ledger (client int, seq int);
    CREATE TABLE tz_probe (id int, ts timestamptz);
    GRANT SELECT, INSERT ON tz_probe TO PUBLIC;
    CREATE ROLE writer LOGIN PASSWORD 'writer-pw';
    GRANT INSERT ON items TO writer;
    CREATE ROLE cannot_login PASSWORD 'x';
    CREATE ROLE no_password LOGIN;
  `);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await server?.stop();
});

describe("framing", () => {
  it("runs a single 8 MB query string of INSERT statements", async () => {
    const client = await connect();
    await client.query("CREATE TABLE big (id int, payload text)");
    const payload = "x".repeat(1000);
    const statements: string[] = [];
    let size = 0;
    for (let i = 0; size < 8 * 1024 * 1024; i++) {
      const s = `INSERT INTO big VALUES (${i}, '${payload}');`;
      statements.push(s);
      size += s.length;
    }
    await client.query(statements.join("\n"));
    const { rows } = await client.query("SELECT count(*)::int AS n, sum(length(payload))::bigint AS bytes FROM big");
    expect(rows[0].n).toBe(statements.length);
    expect(Number(rows[0].bytes)).toBe(statements.length * 1000);
  });

  it("measures multi-row INSERT throughput into a hypertable over the wire", async () => {
    const client = await connect();
    await client.query(
      "CREATE TABLE flows_bench (ts timestamptz NOT NULL, src inet, dst inet, bytes bigint, packets bigint)",
    );
    await client.query("SELECT create_hypertable('flows_bench', 'ts', chunk_time_interval => interval '1 hour')");
    const batch = 5000;
    const batches = 10;
    const start = Date.now();
    for (let b = 0; b < batches; b++) {
      const values: string[] = [];
      for (let i = 0; i < batch; i++) {
        const n = b * batch + i;
        values.push(
          `('2024-01-01T00:00:00Z'::timestamptz + ${n} * interval '100 ms', '10.0.${n % 256}.1', '192.168.1.${n % 200}', ${n * 10}, ${n % 50})`,
        );
      }
      await client.query(`INSERT INTO flows_bench VALUES ${values.join(",")}`);
    }
    const seconds = (Date.now() - start) / 1000;
    const { rows } = await client.query("SELECT count(*)::int AS n FROM flows_bench");
    expect(rows[0].n).toBe(batch * batches);
    console.log(`multi-row INSERT over the wire: ${Math.round((batch * batches) / seconds)} rows/s`);
  });

  it("measures single-row autocommit INSERTs (each a durable commit) over the wire", async () => {
    const client = await connect();
    await client.query("CREATE TABLE single_rows (ts timestamptz NOT NULL, v int)");
    await client.query("SELECT create_hypertable('single_rows', 'ts')");
    const n = 1000;
    const start = Date.now();
    for (let i = 0; i < n; i++) {
      await client.query("INSERT INTO single_rows VALUES (now(), $1)", [i]);
    }
    const seconds = (Date.now() - start) / 1000;
    expect((await client.query("SELECT count(*)::int AS n FROM single_rows")).rows[0].n).toBe(n);
    console.log(`single-row INSERT over the wire: ${Math.round(n / seconds)} rows/s`);
    // Four clients at once: their commits share WAL flushes.
    const writers = await Promise.all([1, 2, 3, 4].map(() => connect()));
    const concurrentStart = Date.now();
    await Promise.all(
      writers.map(async (w) => {
        for (let i = 0; i < n / 4; i++) await w.query("INSERT INTO single_rows VALUES (now(), $1)", [i]);
      }),
    );
    const concurrentSeconds = (Date.now() - concurrentStart) / 1000;
    expect((await client.query("SELECT count(*)::int AS n FROM single_rows")).rows[0].n).toBe(2 * n);
    console.log(`single-row INSERT, 4 clients: ${Math.round(n / concurrentSeconds)} rows/s`);
  });
});

describe("authentication", () => {
  it("stores SCRAM verifiers and accepts the right password", async () => {
    const admin = await connect();
    const { rows } = await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'writer'");
    expect(rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$/);
    const writer = await connect(urlFor("writer", "writer-pw"));
    const who = await writer.query("SELECT current_user, session_user");
    expect(who.rows[0]).toEqual({ current_user: "writer", session_user: "writer" });
  });

  it("rejects a wrong password, unknown users, NOLOGIN roles and roles without a password", async () => {
    for (const [user, password] of [
      ["writer", "wrong"],
      ["nobody", "x"],
      ["cannot_login", "x"],
      ["no_password", ""],
      ["postgres", "wrong"],
    ] as const) {
      const err = await errorOf(connect(urlFor(user, password || "empty")));
      expect(err.message, user).toMatch(/password authentication failed/);
    }
  });

  it("follows ALTER ROLE … PASSWORD", async () => {
    const admin = await connect();
    await admin.query("CREATE ROLE rotating LOGIN PASSWORD 'old-pw'");
    await (await connect(urlFor("rotating", "old-pw"))).query("SELECT 1");
    await admin.query("ALTER ROLE rotating PASSWORD 'new-pw'");
    await (await connect(urlFor("rotating", "new-pw"))).query("SELECT 1");
    expect((await errorOf(connect(urlFor("rotating", "old-pw")))).message).toMatch(/password authentication failed/);
  });

  it("answers SSLRequest with N (psql sslmode=prefer falls back, sslmode=require fails)", () => {
    const env = { ...process.env, PGPASSWORD: server.password };
    const base = ["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-d", "postgres", "-At"];
    const out = execFileSync("psql", [...base, "-c", "SELECT 40 + 2"], {
      env: { ...env, PGSSLMODE: "prefer" },
    }).toString();
    expect(out.trim()).toBe("42");
    expect(() =>
      execFileSync("psql", [...base, "-c", "SELECT 1"], { env: { ...env, PGSSLMODE: "require" }, stdio: "pipe" }),
    ).toThrow(/does not support SSL/);
  });
});

describe("per-connection role", () => {
  it("enforces the login role's privileges", async () => {
    const writer = await connect(urlFor("writer", "writer-pw"));
    await writer.query("INSERT INTO items VALUES ($1, $2)", [1, "from writer"]);
    await writer.query("INSERT INTO items VALUES (2, 'simple protocol')");
    expect((await errorOf(writer.query("SELECT * FROM items"))).code).toBe("42501");
    expect((await errorOf(writer.query("DELETE FROM items"))).code).toBe("42501");
    expect((await errorOf(writer.query("SELECT * FROM items WHERE id = $1", [1]))).code).toBe("42501");
    const admin = await connect();
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM items");
    expect(rows[0].n).toBe(2);
  });

  it("refuses role changes with 42501, also inside transactions and via DO / set_config", async () => {
    const writer = await connect(urlFor("writer", "writer-pw"));
    for (const sql of [
      "SET ROLE postgres",
      "SET LOCAL ROLE postgres",
      "RESET ROLE",
      "SET SESSION AUTHORIZATION postgres",
      "SET SESSION AUTHORIZATION DEFAULT",
      "RESET SESSION AUTHORIZATION",
      "SELECT set_config('session_authorization', 'postgres', false)",
      "DO $$ BEGIN EXECUTE 'SET SESSION AUTHORIZATION postgres'; END $$",
    ]) {
      expect((await errorOf(writer.query(sql))).code, sql).toBe("42501");
    }
    // Extended protocol: the refusal surfaces when the statement runs.
    expect((await errorOf(writer.query({ text: "SET ROLE postgres", values: [] }))).code).toBe("42501");
    expect((await errorOf(writer.query("SELECT set_config($1, 'postgres', false)", ["role"]))).code).toBe("42501");
    await writer.query("BEGIN");
    expect((await errorOf(writer.query("SET ROLE postgres"))).code).toBe("42501");
    expect((await errorOf(writer.query("SELECT 1"))).code).toBe("25P02");
    await writer.query("ROLLBACK");
    const who = await writer.query("SELECT current_user, session_user");
    expect(who.rows[0]).toEqual({ current_user: "writer", session_user: "writer" });
    // The superuser may not switch either: every connection stays its login role.
    const admin = await connect();
    expect((await errorOf(admin.query("SET ROLE writer"))).code).toBe("42501");
  });
});

describe("per-connection settings", () => {
  it("keeps TimeZone, DateStyle, search_path, statement_timeout and application_name per connection", async () => {
    const a = await connect();
    const b = await connect();
    await a.query("SET TimeZone = 'Asia/Tokyo'");
    await a.query("SET DateStyle = 'SQL, DMY'");
    await a.query("SET search_path = pg_catalog");
    await a.query("SET statement_timeout = '7s'");
    await a.query("SET application_name = 'client-a'");
    await b.query("INSERT INTO public.tz_probe VALUES (1, '2024-01-01 00:00:00')");
    const seenByB = await b.query("SELECT ts::text AS ts FROM tz_probe WHERE id = 1");
    expect(seenByB.rows[0].ts).toBe("2024-01-01 00:00:00+00");
    const bSettings = await b.query(
      "SELECT current_setting('TimeZone') tz, current_setting('DateStyle') ds, current_setting('search_path') sp, current_setting('statement_timeout') st, current_setting('application_name') app",
    );
    expect(bSettings.rows[0]).toEqual({ tz: "GMT", ds: "ISO, MDY", sp: '"$user", public', st: "0", app: "" });
    const shownB = await b.query("SHOW TimeZone");
    expect(shownB.rows[0].TimeZone).toBe("GMT");
    const aSettings = await a.query(
      "SELECT current_setting('TimeZone') tz, current_setting('DateStyle') ds, current_setting('search_path') sp, current_setting('statement_timeout') st, current_setting('application_name') app",
    );
    expect(aSettings.rows[0]).toEqual({
      tz: "Asia/Tokyo",
      ds: "SQL, DMY",
      sp: "pg_catalog",
      st: "7s",
      app: "client-a",
    });
    const seenByA = await a.query("SELECT ts::text AS ts FROM public.tz_probe WHERE id = 1");
    expect(seenByA.rows[0].ts).toBe("01/01/2024 09:00:00 JST");
    const shownA = await a.query("SHOW TimeZone");
    expect(shownA.rows[0].TimeZone).toBe("Asia/Tokyo");
  });

  it("forgets a SET that was rolled back and honours startup parameters", async () => {
    const a = await connect();
    await a.query("BEGIN");
    await a.query("SET DateStyle = 'German'");
    await a.query("ROLLBACK");
    await (await connect()).query("SELECT 1");
    expect((await a.query("SHOW DateStyle")).rows[0].DateStyle).toBe("ISO, MDY");
    const named = new pg.Client({ connectionString: server.url, application_name: "startup-app" });
    clients.push(named);
    await named.connect();
    await (await connect()).query("SELECT 1");
    expect((await named.query("SHOW application_name")).rows[0].application_name).toBe("startup-app");
  });
});

describe("serialization per transaction", () => {
  it("lets idle (pooled) connections coexist without blocking anyone", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 6 });
    const held = await Promise.all(Array.from({ length: 5 }, () => pool.connect()));
    const other = await connect();
    const start = Date.now();
    await other.query("SELECT 1");
    expect(Date.now() - start).toBeLessThan(1000);
    for (const c of held) c.release();
    await pool.end();
  });

  it("holds other clients back while a transaction is open, and never interleaves", async () => {
    const a = await connect();
    const b = await connect();
    await a.query("BEGIN");
    await a.query("INSERT INTO ledger VALUES (100, 1)");
    let bDoneAt = 0;
    const bInsert = b.query("INSERT INTO ledger VALUES (200, 1)").then(() => {
      bDoneAt = Date.now();
    });
    await sleep(500);
    expect(bDoneAt).toBe(0);
    const seen = await a.query("SELECT client FROM ledger WHERE client IN (100, 200)");
    expect(seen.rows).toEqual([{ client: 100 }]);
    const commitAt = Date.now();
    await a.query("COMMIT");
    await bInsert;
    expect(bDoneAt).toBeGreaterThanOrEqual(commitAt);
  });

  it("keeps concurrent transactions of several clients apart", async () => {
    const n = 5;
    const rounds = 15;
    const workers = await Promise.all(Array.from({ length: n }, () => connect()));
    await Promise.all(
      workers.map(async (client, id) => {
        for (let seq = 1; seq <= rounds; seq++) {
          await client.query("BEGIN");
          await client.query("INSERT INTO ledger VALUES ($1, $2)", [id, seq]);
          const before = await client.query("SELECT count(*)::int AS n FROM ledger WHERE client < 100");
          await sleep(2);
          const after = await client.query("SELECT count(*)::int AS n FROM ledger WHERE client < 100");
          // Nobody else's insert lands inside this transaction.
          expect(after.rows[0].n).toBe(before.rows[0].n);
          await client.query(seq % 3 === 0 ? "ROLLBACK" : "COMMIT");
        }
      }),
    );
    const admin = await connect();
    const { rows } = await admin.query("SELECT client, count(*)::int AS n FROM ledger WHERE client < 100 GROUP BY 1");
    expect(rows).toHaveLength(n);
    for (const row of rows) expect(row.n).toBe(rounds - Math.floor(rounds / 3));
  });
});

describe("extended protocol", () => {
  it("runs parameterized queries and keeps named statements of connections apart", async () => {
    const a = await connect();
    const b = await connect();
    expect((await a.query("SELECT $1::int + $2::int AS s", [40, 2])).rows[0].s).toBe(42);
    for (let i = 0; i < 3; i++) {
      const ra = await a.query({ name: "same_name", text: "SELECT 'a' || $1::text AS v", values: [i] });
      const rb = await b.query({ name: "same_name", text: "SELECT 'b' || $1::text AS v", values: [i] });
      expect(ra.rows[0].v).toBe(`a${i}`);
      expect(rb.rows[0].v).toBe(`b${i}`);
    }
    const admin = await connect();
    const before = await admin.query(
      "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE '%:same_name'",
    );
    expect(before.rows[0].n).toBe(2);
    await a.end();
    await b.end();
    let left = 2;
    for (let i = 0; i < 50 && left > 0; i++) {
      await sleep(100);
      const after = await admin.query(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE '%:same_name'",
      );
      left = after.rows[0].n;
    }
    expect(left).toBe(0);
  });
});

describe("idle transactions and dropped connections", () => {
  it("rolls back and terminates a connection idle in a transaction with 25P03", async () => {
    const idle = new pg.Client({ connectionString: server.url });
    const errors: { code?: string }[] = [];
    idle.on("error", (err) => errors.push(err as { code?: string }));
    await idle.connect();
    // Connected first: authentication needs the engine for a moment too.
    const other = await connect();
    await idle.query("BEGIN");
    await idle.query("INSERT INTO ledger VALUES (300, 1)");
    const start = Date.now();
    await other.query("SELECT 1");
    const waited = Date.now() - start;
    expect(waited).toBeGreaterThan(IDLE_TX_TIMEOUT_MS - 1000);
    await sleep(200);
    expect(errors.map((e) => e.code)).toContain("25P03");
    const { rows } = await other.query("SELECT count(*)::int AS n FROM ledger WHERE client = 300");
    expect(rows[0].n).toBe(0);
  });

  it("rolls back when a client terminates mid-transaction", async () => {
    const leaving = await connect();
    const other = await connect();
    await leaving.query("BEGIN");
    await leaving.query("INSERT INTO ledger VALUES (500, 1)");
    await leaving.end();
    const start = Date.now();
    const { rows } = await other.query("SELECT count(*)::int AS n FROM ledger WHERE client = 500");
    expect(Date.now() - start).toBeLessThan(IDLE_TX_TIMEOUT_MS);
    expect(rows[0].n).toBe(0);
  });

  it("rolls back and releases the engine when a client drops mid-transaction", async () => {
    const dropping = await connect();
    const other = await connect();
    await dropping.query("BEGIN");
    await dropping.query("INSERT INTO ledger VALUES (400, 1)");
    const pending = other.query("SELECT count(*)::int AS n FROM ledger WHERE client = 400");
    await sleep(200);
    (dropping as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const start = Date.now();
    const { rows } = await pending;
    expect(Date.now() - start).toBeLessThan(IDLE_TX_TIMEOUT_MS);
    expect(rows[0].n).toBe(0);
  });
});
