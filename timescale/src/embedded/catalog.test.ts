// Catalog access of non-superusers on a freshly initialized data directory: what psql's
// \d and \dt read (pg_am, pg_opclass, …) must follow the catalogs' own ACLs, and GRANTs on
// catalog rows must work. Both broke while the engine kept the catalog caches of its
// in-process initdb (see engine.ts).

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotStoreConfigFromEnv } from "../config.ts";
import { migrate } from "../migrate.ts";
import { type EmbeddedTestServer, startEmbeddedForTest } from "./testing.ts";

const run = promisify(execFile);
const READER_PASSWORD = "reader-pw";

let server: EmbeddedTestServer;
let readerUrl: string;

beforeAll(async () => {
  server = await startEmbeddedForTest();
  await migrate(server.url, {
    config: { ...hotStoreConfigFromEnv({}), rolePasswords: { netflow_reader: READER_PASSWORD } },
  });
  readerUrl = `postgres://netflow_reader:${READER_PASSWORD}@127.0.0.1:${server.port}/postgres`;
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("catalog privileges of a fresh data directory", () => {
  it("grants SELECT on exactly the catalogs whose ACL grants it to PUBLIC", async () => {
    // Reference: the ACL stored in pg_class (aclexplode, grantee 0 = PUBLIC), against what
    // the privilege check of the reader's own session says.
    const rows = await query<{ relname: string; public_read: boolean; readable: boolean }>(
      readerUrl,
      `SELECT c.relname,
              EXISTS (SELECT 1 FROM pg_catalog.aclexplode(c.relacl) a
                       WHERE a.grantee = 0 AND a.privilege_type = 'SELECT') AS public_read,
              pg_catalog.has_table_privilege(c.oid, 'SELECT') AS readable
         FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r'`,
    );
    expect(rows.filter((r) => r.public_read).map((r) => r.relname)).toContain("pg_am");
    const wrong = rows.filter((r) => r.public_read !== r.readable).map((r) => r.relname);
    expect(wrong).toEqual([]);
    const am = await query<{ n: string }>(readerUrl, "SELECT count(*) AS n FROM pg_catalog.pg_am");
    expect(Number(am[0]?.n)).toBeGreaterThan(0);
  });

  it("lets psql \\d flows and \\dt describe the tables as netflow_reader", async () => {
    const d = (await run("psql", [readerUrl, "-X", "-c", "\\d flows"])).stdout;
    expect(d).toMatch(/Table "public\.flows"/);
    expect(d).toMatch(/ts\s+\|\s+timestamp with time zone/);
    expect(d).toMatch(/src_addr\s+\|\s+inet/);
    const dt = (await run("psql", [readerUrl, "-X", "-c", "\\dt"])).stdout;
    expect(dt).toMatch(/public\s+\|\s+flows\s+\|\s+table/);
  }, 30_000);

  it("applies a GRANT on a catalog table", async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query("GRANT SELECT ON pg_catalog.pg_am TO netflow_reader");
      const { rows } = await client.query<{ ok: boolean }>(
        "SELECT pg_catalog.has_table_privilege('netflow_reader', 'pg_catalog.pg_am', 'SELECT') AS ok",
      );
      expect(rows[0]?.ok).toBe(true);
      await client.query("REVOKE SELECT ON pg_catalog.pg_am FROM netflow_reader");
    } finally {
      await client.end();
    }
  });
});
