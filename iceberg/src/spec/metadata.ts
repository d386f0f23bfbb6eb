/**
 * Table metadata (format version 2): the JSON document a catalog points at.
 * Ids that are longs in the spec (snapshot ids, sequence numbers) are `bigint`
 * and go through the exact JSON codec, never through a double.
 */
import { IcebergError } from "../errors.ts";
import { type JsonObject, JsonSyntaxError, type JsonValue, parseJson, stringifyJson } from "../json/exact-json.ts";
import {
  type PartitionSpec,
  partitionSpecFromJson,
  partitionSpecToJson,
  type SortOrder,
  sortOrderFromJson,
  sortOrderToJson,
} from "./partition.ts";
import { schemaFromJson, schemaToJson } from "./schema-json.ts";
import type { Schema } from "./types.ts";

export type SnapshotOperation = "append" | "replace" | "overwrite" | "delete";

export interface Snapshot {
  readonly snapshotId: bigint;
  readonly parentSnapshotId?: bigint;
  readonly sequenceNumber: bigint;
  readonly timestampMs: number;
  readonly manifestList: string;
  /** `operation` plus string metrics (added-data-files, total-records, ...). */
  readonly summary: { readonly operation: SnapshotOperation } & Readonly<Record<string, string>>;
  readonly schemaId?: number;
}

export interface SnapshotRef {
  readonly snapshotId: bigint;
  readonly type: "branch" | "tag";
  readonly maxRefAgeMs?: number;
  readonly maxSnapshotAgeMs?: number;
  readonly minSnapshotsToKeep?: number;
}

export interface TableMetadata {
  readonly formatVersion: 2;
  readonly tableUuid: string;
  readonly location: string;
  readonly lastSequenceNumber: bigint;
  readonly lastUpdatedMs: number;
  readonly lastColumnId: number;
  readonly schemas: readonly Schema[];
  readonly currentSchemaId: number;
  readonly partitionSpecs: readonly PartitionSpec[];
  readonly defaultSpecId: number;
  readonly lastPartitionId: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly currentSnapshotId: bigint | undefined;
  readonly snapshots: readonly Snapshot[];
  readonly snapshotLog: readonly { readonly timestampMs: number; readonly snapshotId: bigint }[];
  readonly metadataLog: readonly { readonly timestampMs: number; readonly metadataFile: string }[];
  readonly sortOrders: readonly SortOrder[];
  readonly defaultSortOrderId: number;
  readonly refs: Readonly<Record<string, SnapshotRef>>;
}

export function currentSchema(m: TableMetadata): Schema {
  const s = m.schemas.find((x) => x.schemaId === m.currentSchemaId);
  if (!s) throw new IcebergError("corrupt-metadata", `current-schema-id ${m.currentSchemaId} not in schemas`);
  return s;
}

export function defaultSpec(m: TableMetadata): PartitionSpec {
  const s = m.partitionSpecs.find((x) => x.specId === m.defaultSpecId);
  if (!s) throw new IcebergError("corrupt-metadata", `default-spec-id ${m.defaultSpecId} not in partition-specs`);
  return s;
}

export function defaultSortOrder(m: TableMetadata): SortOrder {
  const s = m.sortOrders.find((x) => x.orderId === m.defaultSortOrderId);
  if (!s)
    throw new IcebergError("corrupt-metadata", `default-sort-order-id ${m.defaultSortOrderId} not in sort-orders`);
  return s;
}

export function currentSnapshot(m: TableMetadata): Snapshot | undefined {
  if (m.currentSnapshotId === undefined) return undefined;
  return snapshotById(m, m.currentSnapshotId);
}

export function snapshotById(m: TableMetadata, id: bigint): Snapshot | undefined {
  return m.snapshots.find((s) => s.snapshotId === id);
}

export function metadataToJson(m: TableMetadata): string {
  const o: JsonObject = {
    "format-version": 2,
    "table-uuid": m.tableUuid,
    location: m.location,
    "last-sequence-number": m.lastSequenceNumber,
    "last-updated-ms": m.lastUpdatedMs,
    "last-column-id": m.lastColumnId,
    "current-schema-id": m.currentSchemaId,
    schemas: m.schemas.map(schemaToJson),
    "default-spec-id": m.defaultSpecId,
    "partition-specs": m.partitionSpecs.map(partitionSpecToJson),
    "last-partition-id": m.lastPartitionId,
    "default-sort-order-id": m.defaultSortOrderId,
    "sort-orders": m.sortOrders.map(sortOrderToJson),
    properties: { ...m.properties },
  };
  // Spec: current-snapshot-id is null (or absent) for a table without snapshots; Java writes -1 in old
  // versions, PyIceberg and Java 1.x accept null. We omit it when there is none.
  if (m.currentSnapshotId !== undefined) o["current-snapshot-id"] = m.currentSnapshotId;
  o.refs = Object.fromEntries(Object.entries(m.refs).map(([k, r]) => [k, refToJson(r)]));
  o.snapshots = m.snapshots.map(snapshotToJson);
  o.statistics = [];
  o["partition-statistics"] = [];
  o["snapshot-log"] = m.snapshotLog.map((e) => ({ "timestamp-ms": e.timestampMs, "snapshot-id": e.snapshotId }));
  o["metadata-log"] = m.metadataLog.map((e) => ({ "timestamp-ms": e.timestampMs, "metadata-file": e.metadataFile }));
  return stringifyJson(o, 2);
}

function refToJson(r: SnapshotRef): JsonObject {
  const o: JsonObject = { "snapshot-id": r.snapshotId, type: r.type };
  if (r.maxRefAgeMs !== undefined) o["max-ref-age-ms"] = r.maxRefAgeMs;
  if (r.maxSnapshotAgeMs !== undefined) o["max-snapshot-age-ms"] = r.maxSnapshotAgeMs;
  if (r.minSnapshotsToKeep !== undefined) o["min-snapshots-to-keep"] = r.minSnapshotsToKeep;
  return o;
}

function snapshotToJson(s: Snapshot): JsonObject {
  const o: JsonObject = { "snapshot-id": s.snapshotId };
  if (s.parentSnapshotId !== undefined) o["parent-snapshot-id"] = s.parentSnapshotId;
  o["sequence-number"] = s.sequenceNumber;
  o["timestamp-ms"] = s.timestampMs;
  o["manifest-list"] = s.manifestList;
  o.summary = { ...s.summary };
  if (s.schemaId !== undefined) o["schema-id"] = s.schemaId;
  return o;
}

/** Parses metadata JSON text exactly (64-bit ids stay bigint); a syntax error names the file. */
export function parseMetadataJson(text: string, file: string): JsonValue {
  try {
    return parseJson(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError)
      throw new IcebergError("corrupt-metadata", `metadata is not valid JSON: ${e.message}`, { file, cause: e });
    throw e;
  }
}

/** Parses a metadata JSON document; `file` names it in errors. */
export function metadataFromJson(text: string, file: string): TableMetadata {
  const root = parseMetadataJson(text, file);
  const r = new Reader(file);
  const o = r.obj(root, "metadata");
  const version = o["format-version"];
  if (version !== 2) {
    if (version === 1 || version === 3 || typeof version === "number")
      throw new IcebergError("unsupported-format-version", `format-version ${version} is not supported (only 2)`, {
        file,
      });
    throw new IcebergError("corrupt-metadata", "format-version is missing", { file });
  }
  try {
    const snapshots = r.arr(o.snapshots ?? [], "snapshots").map((s) => r.snapshot(s));
    const currentSnapshotId = o["current-snapshot-id"];
    const cur =
      currentSnapshotId === undefined || currentSnapshotId === null
        ? -1n
        : r.long(currentSnapshotId, "current-snapshot-id");
    const m: TableMetadata = {
      formatVersion: 2,
      tableUuid: r.str(o["table-uuid"], "table-uuid"),
      location: r.str(o.location, "location"),
      lastSequenceNumber: r.long(o["last-sequence-number"], "last-sequence-number"),
      lastUpdatedMs: r.int(o["last-updated-ms"], "last-updated-ms"),
      lastColumnId: r.int(o["last-column-id"], "last-column-id"),
      schemas: r.arr(o.schemas, "schemas").map(schemaFromJson),
      currentSchemaId: r.int(o["current-schema-id"], "current-schema-id"),
      partitionSpecs: r.arr(o["partition-specs"], "partition-specs").map(partitionSpecFromJson),
      defaultSpecId: r.int(o["default-spec-id"], "default-spec-id"),
      lastPartitionId: r.int(o["last-partition-id"], "last-partition-id"),
      properties: r.stringMap(o.properties ?? {}, "properties"),
      currentSnapshotId: cur === -1n ? undefined : cur,
      snapshots,
      snapshotLog: r.arr(o["snapshot-log"] ?? [], "snapshot-log").map((e) => {
        const x = r.obj(e, "snapshot-log entry");
        return {
          timestampMs: r.int(x["timestamp-ms"], "timestamp-ms"),
          snapshotId: r.long(x["snapshot-id"], "snapshot-id"),
        };
      }),
      metadataLog: r.arr(o["metadata-log"] ?? [], "metadata-log").map((e) => {
        const x = r.obj(e, "metadata-log entry");
        return {
          timestampMs: r.int(x["timestamp-ms"], "timestamp-ms"),
          metadataFile: r.str(x["metadata-file"], "metadata-file"),
        };
      }),
      sortOrders: r.arr(o["sort-orders"], "sort-orders").map(sortOrderFromJson),
      defaultSortOrderId: r.int(o["default-sort-order-id"], "default-sort-order-id"),
      refs: Object.fromEntries(Object.entries(r.obj(o.refs ?? {}, "refs")).map(([k, v]) => [k, r.ref(v)])),
    };
    // Cross-references must resolve, otherwise the document is corrupt.
    currentSchema(m);
    defaultSpec(m);
    defaultSortOrder(m);
    if (m.currentSnapshotId !== undefined && !snapshotById(m, m.currentSnapshotId))
      throw new IcebergError("corrupt-metadata", `current-snapshot-id ${m.currentSnapshotId} not in snapshots`);
    // Tables written before refs existed have no refs; the spec says main then follows current-snapshot-id.
    if (o.refs === undefined && m.currentSnapshotId !== undefined)
      return { ...m, refs: { main: { snapshotId: m.currentSnapshotId, type: "branch" } } };
    return m;
  } catch (e) {
    if (e instanceof IcebergError && e.file === undefined)
      throw new IcebergError(e.kind === "invalid-schema" ? "invalid-schema" : "corrupt-metadata", e.message, {
        file,
        cause: e,
      });
    throw e;
  }
}

class Reader {
  constructor(private readonly file: string) {}
  private fail(msg: string): never {
    throw new IcebergError("corrupt-metadata", msg, { file: this.file });
  }
  obj(v: JsonValue | undefined, what: string): JsonObject {
    if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v))
      this.fail(`${what} must be an object`);
    return v;
  }
  arr(v: JsonValue | undefined, what: string): JsonValue[] {
    if (!Array.isArray(v)) this.fail(`${what} must be an array`);
    return v;
  }
  str(v: JsonValue | undefined, what: string): string {
    if (typeof v !== "string") this.fail(`${what} must be a string`);
    return v;
  }
  int(v: JsonValue | undefined, what: string): number {
    if (typeof v !== "number" || !Number.isInteger(v)) this.fail(`${what} must be an integer`);
    return v;
  }
  long(v: JsonValue | undefined, what: string): bigint {
    if (typeof v === "bigint") return v;
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    return this.fail(`${what} must be an integer`);
  }
  stringMap(v: JsonValue, what: string): Record<string, string> {
    const o = this.obj(v, what);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.str(x, `${what}.${k}`);
    return out;
  }
  snapshot(v: JsonValue): Snapshot {
    const o = this.obj(v, "snapshot");
    const summary = this.stringMap(o.summary ?? { operation: "append" }, "summary");
    const op = summary.operation;
    if (op !== "append" && op !== "replace" && op !== "overwrite" && op !== "delete")
      this.fail(`snapshot summary operation ${JSON.stringify(op)} is invalid`);
    const parent = o["parent-snapshot-id"];
    return {
      snapshotId: this.long(o["snapshot-id"], "snapshot-id"),
      ...(parent === undefined || parent === null ? {} : { parentSnapshotId: this.long(parent, "parent-snapshot-id") }),
      sequenceNumber: this.long(o["sequence-number"] ?? 0, "sequence-number"),
      timestampMs: this.int(o["timestamp-ms"], "timestamp-ms"),
      manifestList: this.str(o["manifest-list"], "manifest-list"),
      summary: { ...summary, operation: op },
      ...(typeof o["schema-id"] === "number" ? { schemaId: o["schema-id"] } : {}),
    };
  }
  ref(v: JsonValue): SnapshotRef {
    const o = this.obj(v, "ref");
    const type = o.type;
    if (type !== "branch" && type !== "tag") this.fail("ref type must be branch or tag");
    return {
      snapshotId: this.long(o["snapshot-id"], "ref snapshot-id"),
      type,
      ...(typeof o["max-ref-age-ms"] === "number" ? { maxRefAgeMs: o["max-ref-age-ms"] } : {}),
      ...(typeof o["max-snapshot-age-ms"] === "number" ? { maxSnapshotAgeMs: o["max-snapshot-age-ms"] } : {}),
      ...(typeof o["min-snapshots-to-keep"] === "number" ? { minSnapshotsToKeep: o["min-snapshots-to-keep"] } : {}),
    };
  }
}
