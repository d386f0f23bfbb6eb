// Hand-crafted tables the reader must refuse by name (never return wrong rows): format v3,
// v3-only types, deletion vectors (puffin deletes), ORC data files, unknown storage schemes;
// plus `initial-default` of an added column, which it must apply. Each starts from a copy of
// the Athena fixture (one data file, two rows). The CLI reports a refusal with exit code 1.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isIcebergError } from "../errors.ts";
import { FileObjectStore } from "../io/file-store.ts";
import { type JsonObject, parseJson, stringifyJson } from "../json/exact-json.ts";
import { encodeContainer } from "../manifest/avro-io.ts";
import { manifestEntrySchema } from "../manifest/avro-schemas.ts";
import { readManifestList, writeManifestList } from "../manifest/manifest-list.ts";
import { table } from "./fixture-tables.ts";
import { openTable } from "./open.ts";
import { type Row, readRows } from "./rows.ts";

const STORED = "s3://hyperparam-iceberg/athena/example";
const METADATA = "metadata/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json";
let dir = "";
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "refuse-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the Athena table whose metadata is changed by `edit`; returns the metadata path. */
async function crafted(edit: (m: JsonObject, root: string) => Promise<JsonObject> | JsonObject): Promise<string> {
  const root = join(dir, `t${n++}`);
  await cp(table("athena/example").dir, root, { recursive: true });
  const m = parseJson(await readFile(join(root, METADATA), "utf8")) as JsonObject;
  const path = join(root, "metadata/00002-crafted.metadata.json");
  await writeFile(path, stringifyJson(await edit(m, root), 2));
  return path;
}

/** Adds a snapshot whose manifest list holds the original data manifest plus one crafted manifest entry. */
async function withExtraFile(m: JsonObject, root: string, dataFile: Record<string, unknown>, content: 0 | 1) {
  const store = new FileObjectStore();
  const current = (m.snapshots as JsonObject[]).at(-1)!;
  const manifests = await readManifestList(store, String(current["manifest-list"]).replace(STORED, root));
  const bytes = await encodeContainer(
    manifestEntrySchema([]),
    [
      {
        status: 1,
        snapshot_id: null,
        sequence_number: null,
        file_sequence_number: null,
        data_file: {
          content: 0,
          partition: {},
          record_count: 1n,
          file_size_in_bytes: 100n,
          column_sizes: null,
          value_counts: null,
          null_value_counts: null,
          nan_value_counts: null,
          lower_bounds: null,
          upper_bounds: null,
          key_metadata: null,
          split_offsets: null,
          equality_ids: null,
          sort_order_id: null,
          ...dataFile,
        },
      },
    ],
    { "partition-spec-id": "0", "format-version": "2", content: content === 0 ? "data" : "deletes" },
  );
  await writeFile(join(root, "metadata/crafted-m0.avro"), bytes);
  const snapshotId = 42n;
  await writeManifestList(
    store,
    join(root, "metadata/snap-42.avro"),
    snapshotId,
    BigInt(current["snapshot-id"] as number),
    2n,
    [
      ...manifests,
      {
        manifestPath: `${STORED}/metadata/crafted-m0.avro`,
        manifestLength: bytes.length,
        partitionSpecId: 0,
        content,
        sequenceNumber: 2n,
        minSequenceNumber: 2n,
        addedSnapshotId: snapshotId,
        addedFilesCount: 1,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: 1n,
        existingRowsCount: 0n,
        deletedRowsCount: 0n,
        partitions: [],
      },
    ],
  );
  return {
    ...m,
    "last-sequence-number": 2,
    "current-snapshot-id": snapshotId,
    refs: { main: { "snapshot-id": snapshotId, type: "branch" } },
    snapshots: [
      ...(m.snapshots as JsonObject[]),
      {
        "snapshot-id": snapshotId,
        "parent-snapshot-id": current["snapshot-id"]!,
        "sequence-number": 2,
        "timestamp-ms": 1743475000000,
        "manifest-list": `${STORED}/metadata/snap-42.avro`,
        summary: { operation: "overwrite" },
      },
    ],
  };
}

async function read(path: string): Promise<Row[]> {
  const t = await openTable(path, { tableRoot: "auto" });
  const out: Row[] = [];
  try {
    for await (const r of readRows(t)) out.push(r);
  } finally {
    t.store.close();
  }
  return out;
}

const refusal = (kind: "unsupported-feature" | "unsupported-format-version", text: RegExp) => (e: unknown) =>
  isIcebergError(e, kind) && text.test(e.message);

describe("refused with an error naming the feature", () => {
  it("format-version 3", async () => {
    const p = await crafted((m) => ({ ...m, "format-version": 3 }));
    await expect(read(p)).rejects.toSatisfy(refusal("unsupported-format-version", /format-version 3/));
  });
  it("a v3-only type (variant, timestamp_ns) even in a v2 table", async () => {
    for (const type of ["variant", "timestamp_ns"]) {
      const p = await crafted((m) => {
        const s = (m.schemas as JsonObject[])[0]!;
        return {
          ...m,
          schemas: [{ ...s, fields: [...(s.fields as JsonObject[]), { id: 3, name: "v", required: false, type }] }],
        };
      });
      await expect(read(p)).rejects.toSatisfy(
        refusal("unsupported-feature", new RegExp(`type ${type} \\(format v3\\)`)),
      );
    }
  });
  it("a deletion vector (puffin position delete)", async () => {
    const p = await crafted((m, root) =>
      withExtraFile(m, root, { content: 1, file_path: `${STORED}/data/dv.puffin`, file_format: "PUFFIN" }, 1),
    );
    await expect(read(p)).rejects.toSatisfy(refusal("unsupported-feature", /deletion vectors/));
  });
  it("an ORC data file", async () => {
    const p = await crafted((m, root) =>
      withExtraFile(m, root, { file_path: `${STORED}/data/x.orc`, file_format: "ORC" }, 0),
    );
    await expect(read(p)).rejects.toSatisfy(refusal("unsupported-feature", /ORC files/));
  });
  it("an hdfs:// location", async () => {
    const p = await crafted((m) => m);
    const t = await openTable(p, { mapLocations: [{ from: STORED, to: "hdfs://nn/x" }] });
    await expect(readRows(t).next()).rejects.toSatisfy(refusal("unsupported-feature", /storage scheme hdfs:\/\//));
  });
  it("the CLI exits 1 and names the feature", async () => {
    const p = await crafted((m, root) =>
      withExtraFile(m, root, { content: 1, file_path: `${STORED}/data/dv.puffin`, file_format: "PUFFIN" }, 1),
    );
    const main = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
    const tsx = createRequire(import.meta.url).resolve("tsx/cli");
    const err = await promisify(execFile)(process.execPath, [tsx, main, "scan", p, "--table-root", "auto"]).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/unsupported-feature.*deletion vectors/);
    expect(err?.stdout).toBe("");
  });
});

describe("initial-default", () => {
  it("fills an added column that old files do not have", async () => {
    const p = await crafted((m) => {
      const s = (m.schemas as JsonObject[])[0]!;
      const fields = [
        ...(s.fields as JsonObject[]),
        { id: 3, name: "score", required: false, type: "int", "initial-default": 7 },
        { id: 4, name: "since", required: false, type: "date", "initial-default": "2020-01-02" },
        { id: 5, name: "note", required: false, type: "string" },
      ];
      return { ...m, "last-column-id": 5, schemas: [{ ...s, fields }] };
    });
    expect(await read(p)).toEqual([
      { id: 1, name: "Alice", score: 7, since: 18263, note: null },
      { id: 2, name: "Bob", score: 7, since: 18263, note: null },
    ]);
  });
});
