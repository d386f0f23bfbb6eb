// COPY FROM STDIN through the embedded server (emulated: buffered, then loaded in-process
// from a blob) and COPY TO STDOUT, with node pg + pg-copy-streams and psql \copy.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedTestServer, startEmbeddedForTest } from "./testing.ts";

const COPY_LIMIT = 4 * 1024 * 1024;

let server: EmbeddedTestServer;
const clients: pg.Client[] = [];

async function connect(user = "postgres", password = server.password): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/postgres`,
  });
  client.on("error", () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

async function copyIn(client: pg.Client, sql: string, chunks: (string | Buffer)[]): Promise<void> {
  await pipeline(
    Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))),
    client.query(copyFrom(sql)),
  );
}

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error("expected an error");
}

beforeAll(async () => {
  server = await startEmbeddedForTest({ env: { EMBEDDED_PG_COPY_MAX_BYTES: String(COPY_LIMIT) } });
  const admin = await connect();
  await admin.query(`
    CREATE TABLE plain (id int, note text, at timestamptz);
    CREATE TABLE flows_hot (ts timestamptz NOT NULL, src inet, bytes bigint, note text);
    SELECT create_hypertable('flows_hot', 'ts', chunk_time_interval => interval '1 hour');
    CREATE TABLE base (a int, b text);
    CREATE VIEW ingest AS SELECT a, b FROM base;
    CREATE FUNCTION ingest_row() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO base VALUES (NEW.a, upper(NEW.b)); RETURN NULL; END $$;
    CREATE TRIGGER ingest_ins INSTEAD OF INSERT ON ingest FOR EACH ROW EXECUTE FUNCTION ingest_row();
    CREATE ROLE collector LOGIN PASSWORD 'collector-pw';
    GRANT INSERT ON ingest, flows_hot TO collector;
    CREATE ROLE reader LOGIN PASSWORD 'reader-pw';
    GRANT SELECT ON flows_hot, plain TO reader;
  `);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await server?.stop();
});

describe("COPY FROM STDIN", () => {
  it("loads text format with escapes, NULLs and multi-byte characters, split across CopyData messages", async () => {
    const client = await connect();
    const data = "1\ttab\\there\t2024-01-01 00:00:00+00\n2\t\\N\t\\N\n3\tnaïve – ✓\t2024-01-02 12:00:00+00\n";
    const bytes = Buffer.from(data);
    // Split inside a multi-byte character on purpose.
    const cut = bytes.indexOf(Buffer.from("✓")) + 1;
    await copyIn(client, "COPY plain (id, note, at) FROM STDIN", [bytes.subarray(0, cut), bytes.subarray(cut)]);
    const { rows } = await client.query("SELECT id, note, at::text AS at FROM plain ORDER BY id");
    expect(rows).toEqual([
      { id: 1, note: "tab\there", at: "2024-01-01 00:00:00+00" },
      { id: 2, note: null, at: null },
      { id: 3, note: "naïve – ✓", at: "2024-01-02 12:00:00+00" },
    ]);
    await client.query("TRUNCATE plain");
  });

  it("loads CSV with a header, quotes, embedded newlines and a custom delimiter", async () => {
    const client = await connect();
    await copyIn(client, "COPY plain (id, note) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')", [
      'id;note\n10;"semi; colon"\n11;"two\nlines"\n12;\n',
    ]);
    const { rows } = await client.query("SELECT id, note FROM plain ORDER BY id");
    expect(rows).toEqual([
      { id: 10, note: "semi; colon" },
      { id: 11, note: "two\nlines" },
      { id: 12, note: null },
    ]);
    await client.query("TRUNCATE plain");
  });

  it("interprets zone-less timestamps in the connection's own TimeZone", async () => {
    const tokyo = await connect();
    await tokyo.query("SET TimeZone = 'Asia/Tokyo'");
    await copyIn(tokyo, "COPY plain (id, at) FROM STDIN", ["20\t2024-01-01 09:00:00\n"]);
    const utc = await connect();
    const { rows } = await utc.query("SELECT at::text AS at FROM plain WHERE id = 20");
    expect(rows[0].at).toBe("2024-01-01 00:00:00+00");
    await utc.query("TRUNCATE plain");
  });

  it("writes into a view with an INSTEAD OF INSERT trigger as a role with INSERT on the view only", async () => {
    const collector = await connect("collector", "collector-pw");
    await copyIn(collector, "COPY ingest (a, b) FROM STDIN", ["1\tone\n2\ttwo\n"]);
    await copyIn(collector, "COPY ingest FROM STDIN WITH (FORMAT csv)", ["3,three\n"]);
    expect((await errorOf(collector.query("SELECT * FROM base"))).code).toBe("42501");
    const admin = await connect();
    const { rows } = await admin.query("SELECT a, b FROM base ORDER BY a");
    expect(rows).toEqual([
      { a: 1, b: "ONE" },
      { a: 2, b: "TWO" },
      { a: 3, b: "THREE" },
    ]);
  });

  it("refuses a role without INSERT privilege", async () => {
    const reader = await connect("reader", "reader-pw");
    const err = await errorOf(copyIn(reader, "COPY plain (id) FROM STDIN", ["99\n"]));
    expect(err.code).toBe("42501");
    expect((await reader.query("SELECT count(*)::int AS n FROM plain")).rows[0].n).toBe(0);
  });

  it("aborts on CopyFail and on bad data, and the connection stays usable", async () => {
    const client = await connect();
    const stream = client.query(copyFrom("COPY plain (id) FROM STDIN"));
    const failed = new Promise<{ code?: string }>((resolve) =>
      stream.on("error", (e) => resolve(e as { code?: string })),
    );
    stream.write("1\n");
    stream.destroy(new Error("client gave up"));
    await failed;
    const bad = await errorOf(copyIn(client, "COPY plain (id) FROM STDIN", ["1\nnot-a-number\n"]));
    expect(bad.code).toBe("22P02");
    const unknown = await errorOf(copyIn(client, "COPY no_such_table FROM STDIN", ["1\n"]));
    expect(unknown.code).toBe("42P01");
    expect((await client.query("SELECT count(*)::int AS n FROM plain")).rows[0].n).toBe(0);
  });

  it("follows the surrounding transaction", async () => {
    const client = await connect();
    await client.query("BEGIN");
    await copyIn(client, "COPY plain (id) FROM STDIN", ["1\n2\n"]);
    expect((await client.query("SELECT count(*)::int AS n FROM plain")).rows[0].n).toBe(2);
    await client.query("ROLLBACK");
    expect((await client.query("SELECT count(*)::int AS n FROM plain")).rows[0].n).toBe(0);
    await client.query("BEGIN");
    await copyIn(client, "COPY plain (id) FROM STDIN", ["3\n"]);
    await client.query("COMMIT");
    expect((await client.query("SELECT count(*)::int AS n FROM plain")).rows[0].n).toBe(1);
    await client.query("BEGIN");
    expect((await errorOf(copyIn(client, "COPY plain (id) FROM STDIN", ["x\n"]))).code).toBe("22P02");
    expect((await errorOf(client.query("SELECT 1"))).code).toBe("25P02");
    await client.query("ROLLBACK");
    const who = await client.query("SELECT current_user");
    expect(who.rows[0].current_user).toBe("postgres");
    await client.query("TRUNCATE plain");
  });

  it("refuses more data than the configured limit with 54000", async () => {
    const client = await connect();
    const line = `${"7\t".padEnd(1000, "y")}\n`;
    const chunks = Array.from({ length: Math.ceil((COPY_LIMIT * 1.2) / line.length) }, () => line);
    const err = await errorOf(copyIn(client, "COPY plain (id, note) FROM STDIN", chunks));
    expect(err.code).toBe("54000");
    expect((await client.query("SELECT count(*)::int AS n FROM plain")).rows[0].n).toBe(0);
  });

  it("works with psql \\copy, both directions", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "embedded-copy-"));
    const file = path.join(dir, "in.csv");
    fs.writeFileSync(file, 'id,note\n30,from psql\n31,"quoted, value"\n');
    const env = { ...process.env, PGPASSWORD: server.password };
    const base = ["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-d", "postgres", "-At"];
    const loaded = execFileSync(
      "psql",
      [...base, "-c", `\\copy plain (id, note) from '${file}' with (format csv, header)`],
      {
        env,
      },
    ).toString();
    expect(loaded.trim()).toBe("COPY 2");
    const out = execFileSync(
      "psql",
      [...base, "-c", "\\copy (SELECT id, note FROM plain ORDER BY id) to stdout with (format csv)"],
      {
        env,
      },
    ).toString();
    expect(out).toBe('30,from psql\n31,"quoted, value"\n');
    // Binary format round trip: out through the engine, back in through the emulation.
    const bin = path.join(dir, "rows.bin");
    execFileSync("psql", [...base, "-c", `\\copy plain (id, note) to '${bin}' with (format binary)`], { env });
    execFileSync("psql", [...base, "-c", "TRUNCATE plain"], { env });
    const binLoaded = execFileSync(
      "psql",
      [...base, "-c", `\\copy plain (id, note) from '${bin}' with (format binary)`],
      {
        env,
      },
    ).toString();
    expect(binLoaded.trim()).toBe("COPY 2");
    const again = execFileSync("psql", [...base, "-c", "SELECT id || ':' || note FROM plain ORDER BY id"], { env });
    expect(again.toString()).toBe("30:from psql\n31:quoted, value\n");
    fs.rmSync(dir, { recursive: true, force: true });
    execFileSync("psql", [...base, "-c", "TRUNCATE plain"], { env });
  });
});

describe("COPY TO STDOUT", () => {
  it("streams rows out through the engine", async () => {
    const client = await connect();
    await client.query("INSERT INTO plain (id, note) SELECT g, 'n' || g FROM generate_series(1, 1000) g");
    const chunks: Buffer[] = [];
    await pipeline(
      client.query(copyTo("COPY (SELECT id, note FROM plain ORDER BY id) TO STDOUT")),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk);
          done();
        },
      }),
    );
    const lines = Buffer.concat(chunks).toString().trimEnd().split("\n");
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toBe("1000\tn1000");
    await client.query("TRUNCATE plain");
  });
});

describe("COPY throughput", () => {
  it("measures rows/s into a hypertable as the collector role", async () => {
    const collector = await connect("collector", "collector-pw");
    const perCopy = 10_000;
    const copies = 20;
    const base = Date.UTC(2024, 0, 1);
    const batches: string[] = [];
    for (let c = 0; c < copies; c++) {
      const lines: string[] = [];
      for (let i = 0; i < perCopy; i++) {
        const n = c * perCopy + i;
        lines.push(`${new Date(base + n * 50).toISOString()}\t10.${n % 256}.${(n >> 8) % 256}.1\t${n * 3}\tflow\n`);
      }
      batches.push(lines.join(""));
    }
    const start = Date.now();
    for (const batch of batches) {
      await copyIn(collector, "COPY flows_hot (ts, src, bytes, note) FROM STDIN", [batch]);
    }
    const seconds = (Date.now() - start) / 1000;
    const admin = await connect();
    const { rows } = await admin.query("SELECT count(*)::int AS n, sum(bytes)::bigint AS s FROM flows_hot");
    const total = perCopy * copies;
    expect(rows[0].n).toBe(total);
    expect(BigInt(rows[0].s)).toBe((BigInt(total) * BigInt(total - 1) * 3n) / 2n);
    console.log(`COPY FROM STDIN into a hypertable: ${Math.round(total / seconds)} rows/s`);
  });
});
