/**
 * The row stream for small tables: every live row of a snapshot, projected
 * on the table schema by field id, with position and equality deletes
 * applied, optionally filtered. Rows are produced one data file at a time
 * (a whole file is in memory at once), so use the plan (`planRead`) and a
 * real engine for large tables.
 *
 * Column values per field, in this order (the spec's projection rules):
 * the identity-partition value from the manifest; else the Parquet column
 * with the field id (or the name mapping); else `initial-default`; else null.
 */
import { IcebergError } from "../errors.ts";
import type { JsonValue } from "../json/exact-json.ts";
import { type IcebergType, indexById, isPrimitive, type NestedField, type PrimitiveType } from "../spec/types.ts";
import type { NameMappingField } from "./metadata-compat.ts";
import type { ReadableTable } from "./open.ts";
import { ParquetReader, type ProjectedField, type RowValue } from "./parquet.ts";
import { type FileScanTask, type PlanOptions, planRead, type ReadPlan } from "./plan.ts";
import { literalFor, matches, type Predicate, toFilter } from "./predicate.ts";

export type Row = Record<string, RowValue>;

export interface ReadRowsOptions extends PlanOptions {
  /** Rows must match this (exact); also prunes files unless `filter` is given. */
  readonly where?: Predicate;
  /** Stop after this many rows. Default: all. */
  readonly limit?: number;
}

/** Reserved field ids of position-delete files (spec). */
const DELETE_FILE_PATH = 2147483546;
const DELETE_POS = 2147483545;
const POSITION_MAPPING: NameMappingField[] = [
  { fieldId: DELETE_FILE_PATH, names: ["file_path"], fields: [] },
  { fieldId: DELETE_POS, names: ["pos"], fields: [] },
];

function defaultValue(type: IcebergType, raw: JsonValue, fieldName: string): RowValue {
  if (raw === null) return null;
  if (!isPrimitive(type))
    throw new IcebergError("unsupported-feature", `initial-default of nested field ${fieldName} is not supported`);
  if (type === "boolean" && typeof raw === "boolean") return raw;
  return literalFor(type, { k: "str", v: String(raw) });
}

/** A hashable key of equality-delete values (null equals null, as the spec says). */
function keyOf(values: readonly RowValue[]): string {
  return values
    .map((v) => {
      if (v === null) return "N";
      if (v instanceof Uint8Array) return `x${Buffer.from(v).toString("hex")}`;
      if (typeof v === "bigint" || typeof v === "number") return `n${v.toString()}`;
      if (typeof v === "string") return `s${JSON.stringify(v)}`;
      if (typeof v === "boolean") return `b${v}`;
      throw new IcebergError("unsupported-feature", "equality deletes on nested fields are not supported");
    })
    .join("\u0000");
}

class DeleteCache {
  private readonly positions = new Map<string, Map<string, Set<bigint>>>();
  private readonly equality = new Map<string, Set<string>>();

  constructor(
    private readonly reader: ParquetReader,
    private readonly t: ReadableTable,
  ) {}

  /** Positions deleted by a position-delete file, grouped by the stored data file path. */
  async positionsOf(location: string): Promise<Map<string, Set<bigint>>> {
    let m = this.positions.get(location);
    if (!m) {
      const r = await this.reader.read(
        location,
        [
          { id: DELETE_FILE_PATH, type: "string" },
          { id: DELETE_POS, type: "long" },
        ],
        POSITION_MAPPING,
      );
      m = new Map();
      const [paths = [], pos = []] = r.columns;
      for (let i = 0; i < paths.length; i++) {
        const p = paths[i] as string;
        let s = m.get(p);
        if (!s) {
          s = new Set();
          m.set(p, s);
        }
        s.add(pos[i] as bigint);
      }
      this.positions.set(location, m);
    }
    return m;
  }

  async keysOf(location: string, fields: readonly ProjectedField[]): Promise<Set<string>> {
    const cacheKey = `${location}\u0000${fields.map((f) => f.id).join(",")}`;
    let s = this.equality.get(cacheKey);
    if (!s) {
      const r = await this.reader.read(location, fields, this.t.nameMapping);
      s = new Set();
      const n = r.positions.length;
      for (let i = 0; i < n; i++) s.add(keyOf(r.columns.map((c) => c[i] ?? null)));
      this.equality.set(cacheKey, s);
    }
    return s;
  }
}

/** The type of a field id in any schema of the table (equality keys may name dropped columns). */
function fieldById(t: ReadableTable, id: number): NestedField {
  for (const s of [t.metadata.schemas.find((x) => x.schemaId === t.metadata.currentSchemaId), ...t.metadata.schemas]) {
    const f = s ? indexById(s.fields).get(id) : undefined;
    if (f) return f;
  }
  throw new IcebergError("corrupt-metadata", `equality field id ${id} is in no schema`, { file: t.metadataLocation });
}

function projectionFor(t: ReadableTable, task: FileScanTask, fields: readonly NestedField[]): ProjectedField[] {
  return fields.map((f) => {
    const i = task.partitionFields.findIndex((p) => p.sourceId === f.id && p.transform.kind === "identity");
    if (i >= 0 && isPrimitive(f.type)) {
      let v = task.dataFile.partition[i] ?? null;
      // A promoted source column (int → long) keeps the old partition value type.
      if (typeof v === "number" && (f.type === "long" || f.type === "timestamp" || f.type === "timestamptz"))
        v = BigInt(v);
      return { id: f.id, type: f.type, constant: { value: v, override: true } };
    }
    const raw = t.initialDefaults.get(f.id);
    if (raw !== undefined)
      return { id: f.id, type: f.type, constant: { value: defaultValue(f.type, raw, f.name), override: false } };
    return { id: f.id, type: f.type };
  });
}

async function* rowsOfTask(
  t: ReadableTable,
  plan: ReadPlan,
  task: FileScanTask,
  reader: ParquetReader,
  deletes: DeleteCache,
): AsyncGenerator<Row> {
  const out = plan.schema.fields;
  const eqIds = [...new Set(task.equalityDeletes.flatMap((d) => d.deleteFile.equalityIds))].filter(
    (id) => !out.some((f) => f.id === id),
  );
  const extra = eqIds.map((id) => fieldById(t, id));
  const fields = projectionFor(t, task, [...out, ...extra]);
  const data = await reader.read(task.location, fields, t.nameMapping);
  const deleted = new Set<bigint>();
  for (const d of task.positionDeletes) {
    for (const p of (await deletes.positionsOf(d.location)).get(task.dataFile.filePath) ?? []) deleted.add(p);
  }
  const eqChecks: { cols: number[]; keys: Set<string> }[] = [];
  for (const d of task.equalityDeletes) {
    const ids = d.deleteFile.equalityIds;
    const keyFields = ids.map((id) => {
      const f = fieldById(t, id);
      if (!isPrimitive(f.type))
        throw new IcebergError("unsupported-feature", "equality deletes on nested fields are not supported", {
          file: d.location,
        });
      return { id, type: f.type as PrimitiveType };
    });
    const cols = ids.map((id) => fields.findIndex((f) => f.id === id));
    eqChecks.push({ cols, keys: await deletes.keysOf(d.location, keyFields) });
  }
  for (let i = 0; i < data.positions.length; i++) {
    if (deleted.has(data.positions[i]!)) continue;
    if (eqChecks.some((c) => c.keys.has(keyOf(c.cols.map((k) => data.columns[k]?.[i] ?? null))))) continue;
    const row: Row = {};
    out.forEach((f, k) => {
      row[f.name] = data.columns[k]?.[i] ?? null;
    });
    yield row;
  }
}

/** Every live row of a snapshot (the current one by default), deletes applied. */
export async function* readRows(t: ReadableTable, options: ReadRowsOptions = {}): AsyncGenerator<Row> {
  const plan = await planRead(t, {
    ...options,
    ...(options.filter === undefined && options.where ? { filter: toFilter(options.where) } : {}),
  });
  yield* rowsOfPlan(t, plan, options);
}

/** Rows of an already computed plan. */
export async function* rowsOfPlan(
  t: ReadableTable,
  plan: ReadPlan,
  options: { readonly where?: Predicate; readonly limit?: number } = {},
): AsyncGenerator<Row> {
  const reader = new ParquetReader(t.store);
  const deletes = new DeleteCache(reader, t);
  let n = 0;
  try {
    if (options.limit !== undefined && options.limit <= 0) return;
    for (const task of plan.tasks) {
      for await (const row of rowsOfTask(t, plan, task, reader, deletes)) {
        if (options.where && !matches(options.where, row)) continue;
        yield row;
        if (options.limit !== undefined && ++n >= options.limit) return;
      }
    }
  } finally {
    await reader.close();
  }
}
