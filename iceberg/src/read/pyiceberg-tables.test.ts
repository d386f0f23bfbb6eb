// Tables PyIceberg creates in this test (test-py/make_read_tables.py): a format v1 table with a
// copy-on-write delete, an added and a renamed column; Parquet files without field ids read
// through schema.name-mapping.default; and the same without a mapping, which must be refused.
// Rows are compared with PyIceberg and DuckDB's iceberg extension at every snapshot.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isIcebergError } from "../errors.ts";
import { FileObjectStore } from "../io/file-store.ts";
import { type JsonObject, type JsonValue, parseJson, stringifyJson } from "../json/exact-json.ts";
import { readManifestList } from "../manifest/manifest-list.ts";
import { openTable } from "./open.ts";
import { compareWithReference, type RefOutput, runPy } from "./reference-readers.ts";
import { type Row, readRows } from "./rows.ts";

interface Made {
  v1: { metadata_location: string; format_version: number; snapshots: string[] };
  mapped: { metadata_location: string; snapshots: string[]; name_mapping: string };
  unmapped: { metadata_location: string; snapshots: string[]; name_mapping: null };
  nested: { metadata_location: string; snapshots: string[] };
}

let dir = "";
let made: Made;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "read-tables-"));
  made = (await runPy("make_read_tables.py", { dir })) as unknown as Made;
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function all(location: string, snapshotId?: bigint): Promise<Row[]> {
  const t = await openTable(location);
  const out: Row[] = [];
  for await (const r of readRows(t, snapshotId === undefined ? {} : { snapshotId })) out.push(r);
  t.store.close();
  return out;
}

async function references(location: string, snapshots: readonly string[]) {
  const args = { metadata_location: location, snapshot_ids: [...snapshots] };
  const [py, duck] = await Promise.all([
    runPy("pyiceberg_read_fixture.py", args) as Promise<unknown> as Promise<RefOutput>,
    runPy("duckdb_read_fixture.py", args) as Promise<unknown> as Promise<RefOutput>,
  ]);
  return { py, duck };
}

describe("format v1 table written by PyIceberg", () => {
  it("is v1 and reads the same rows as PyIceberg and DuckDB at every snapshot", async () => {
    expect(made.v1.format_version).toBe(1);
    const t = await openTable(made.v1.metadata_location);
    expect(t.formatVersion).toBe(1);
    const snaps = made.v1.snapshots.map((id) => ({ id: BigInt(id) }));
    const { py, duck } = await references(made.v1.metadata_location, made.v1.snapshots);
    await compareWithReference(t, snaps, py, undefined);
    await compareWithReference(t, snaps, duck, undefined);
    t.store.close();
  });

  it("row counts, the delete, and the evolved schema (renamed column by id, added column null in old files)", async () => {
    const counts: number[] = [];
    for (const id of made.v1.snapshots) counts.push((await all(made.v1.metadata_location, BigInt(id))).length);
    expect(counts).toEqual([6, 12, 9, 13]);
    const cur = await all(made.v1.metadata_location);
    expect(cur.map((r) => r.id as bigint).sort((a, b) => Number(a - b))).toEqual([
      3n,
      4n,
      5n,
      6n,
      7n,
      8n,
      9n,
      10n,
      11n,
      12n,
      13n,
      14n,
      15n,
    ]);
    const r5 = cur.find((r) => r.id === 5n)!;
    expect(r5).toEqual({ id: 5n, label: "n5", kind: null, ts: r5.ts, amount: 135n, day: 19728, score: null });
    expect(cur.find((r) => r.id === 14n)?.score).toBe(3);
  });

  it("a v1 snapshot listing its manifests inline (no manifest list) reads the same rows", async () => {
    const text = await readFile(new URL(made.v1.metadata_location), "utf8");
    const doc = parseJson(text) as JsonObject;
    const store = new FileObjectStore();
    const snapshots: JsonValue[] = [];
    for (const s of doc.snapshots as JsonObject[]) {
      const list = await readManifestList(store, String(s["manifest-list"]).replace("file://", ""));
      const { "manifest-list": _drop, ...rest } = s;
      snapshots.push({ ...rest, manifests: list.map((m) => m.manifestPath) });
    }
    const inline = join(dir, "inline.metadata.json");
    await writeFile(inline, stringifyJson({ ...doc, snapshots }));
    const a = await all(made.v1.metadata_location);
    const b = await all(inline);
    expect(stringifyJson(b as never)).toBe(stringifyJson(a as never));
    expect(b.length).toBe(13);
  });
});

describe("Parquet files without field ids", () => {
  it("are read through schema.name-mapping.default (columns in another order), as PyIceberg and DuckDB do", async () => {
    expect(JSON.parse(made.mapped.name_mapping)).toHaveLength(3);
    const rows = await all(made.mapped.metadata_location);
    expect(rows.sort((a, b) => Number((a.id as bigint) - (b.id as bigint)))).toEqual([
      { id: 1n, city: "c0a", temp: 215n },
      { id: 2n, city: "c0b", temp: null },
      { id: 3n, city: null, temp: -30n },
      { id: 11n, city: "c1a", temp: 225n },
      { id: 12n, city: "c1b", temp: null },
      { id: 13n, city: null, temp: -30n },
    ]);
    const t = await openTable(made.mapped.metadata_location);
    const snaps = made.mapped.snapshots.map((id) => ({ id: BigInt(id), rows: 6 }));
    const { py, duck } = await references(made.mapped.metadata_location, made.mapped.snapshots);
    await compareWithReference(t, snaps, py, undefined);
    await compareWithReference(t, snaps, duck, undefined);
    t.store.close();
  });

  it("without a name mapping are refused with an error naming it (PyIceberg refuses too)", async () => {
    await expect(all(made.unmapped.metadata_location)).rejects.toSatisfy(
      (e: unknown) =>
        isIcebergError(e, "unsupported-feature") && /without field ids.*schema\.name-mapping\.default/.test(e.message),
    );
    const { py } = await references(made.unmapped.metadata_location, made.unmapped.snapshots);
    expect("error" in py.results[0]! ? py.results[0].error : "").toMatch(/field-ids|name-mapping/);
  });
});

describe("nested types (struct, list, map) with a renamed and an added struct field", () => {
  it("reads the same rows as PyIceberg and DuckDB at every snapshot", async () => {
    const t = await openTable(made.nested.metadata_location);
    const snaps = made.nested.snapshots.map((id, i) => ({ id: BigInt(id), rows: i === 0 ? 3 : 4 }));
    const { py, duck } = await references(made.nested.metadata_location, made.nested.snapshots);
    await compareWithReference(t, snaps, py, undefined);
    await compareWithReference(t, snaps, duck, undefined);
    t.store.close();
    const rows = await all(made.nested.metadata_location);
    expect(rows.find((r) => r.id === 1n)).toEqual({
      id: 1n,
      info: { a: 1, bee: "x", c: null },
      tags: [1n, 2n],
      attrs: new Map([
        ["k", 1],
        ["j", null],
      ]),
    });
  });
});
