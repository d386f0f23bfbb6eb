/**
 * Reading metadata other engines wrote. The write side's parser knows format
 * version 2 only; here a v1 document is rewritten into the v2 shape first
 * (single `schema` / `partition-spec`, partition field ids assigned from 1000,
 * sequence numbers 0, `manifests` lists instead of a manifest list), and the
 * features we cannot read correctly are refused by name before anything is
 * read. Field attributes the shared model does not carry (`initial-default`)
 * and the table's name mapping are extracted here too.
 */
import { IcebergError } from "../errors.ts";
import { type JsonObject, type JsonValue, parseJson, stringifyJson } from "../json/exact-json.ts";
import { metadataFromJson, parseMetadataJson, type TableMetadata } from "../spec/metadata.ts";
import { parsePrimitive } from "../spec/types.ts";

/** Marks a v1 snapshot that lists its manifests inline (no manifest list file). */
export const INLINE_MANIFESTS = "inline-manifests:";

/** Types added in format v3 (or later) that this reader does not implement. */
const V3_TYPES = new Set(["variant", "geometry", "geography", "unknown", "timestamp_ns", "timestamptz_ns"]);

export interface NameMappingField {
  readonly fieldId: number | undefined;
  readonly names: readonly string[];
  readonly fields: readonly NameMappingField[];
}

export interface ParsedMetadata {
  readonly formatVersion: 1 | 2;
  readonly metadata: TableMetadata;
  /** v1 snapshots without a manifest list: snapshot id → manifest paths. */
  readonly inlineManifests: ReadonlyMap<bigint, readonly string[]>;
  /** `initial-default` per field id (raw JSON single-value serialization), from every schema. */
  readonly initialDefaults: ReadonlyMap<number, JsonValue>;
  /** `schema.name-mapping.default`, when set. */
  readonly nameMapping: readonly NameMappingField[] | undefined;
}

function unsupported(feature: string, file: string): never {
  throw new IcebergError("unsupported-feature", `${feature} is not supported by this reader`, { file });
}

function isObj(v: JsonValue | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

/** Walks every type in a schema JSON: refuses v3-only types, collects `initial-default`s. */
function scanType(t: JsonValue | undefined, file: string, defaults: Map<number, JsonValue>): void {
  if (typeof t === "string") {
    const base = t.replace(/\(.*$/, "");
    if (V3_TYPES.has(base)) unsupported(`type ${t} (format v3)`, file);
    try {
      parsePrimitive(t);
    } catch {
      unsupported(`type ${t}`, file);
    }
    return;
  }
  if (!isObj(t)) return;
  if (t.type === "struct" && Array.isArray(t.fields)) {
    for (const f of t.fields) {
      if (!isObj(f)) continue;
      if (f["initial-default"] !== undefined && typeof f.id === "number") defaults.set(f.id, f["initial-default"]);
      scanType(f.type, file, defaults);
    }
  } else if (t.type === "list") scanType(t.element, file, defaults);
  else if (t.type === "map") {
    scanType(t.key, file, defaults);
    scanType(t.value, file, defaults);
  }
}

function parseNameMapping(text: string, file: string): NameMappingField[] {
  const conv = (v: JsonValue): NameMappingField => {
    if (!isObj(v) || !Array.isArray(v.names))
      throw new IcebergError("corrupt-metadata", "invalid schema.name-mapping.default", { file });
    const id = v["field-id"];
    return {
      fieldId: typeof id === "number" ? id : undefined,
      names: v.names.filter((n): n is string => typeof n === "string"),
      fields: Array.isArray(v.fields) ? v.fields.map(conv) : [],
    };
  };
  let root: JsonValue;
  try {
    root = parseJson(text);
  } catch (e) {
    throw new IcebergError("corrupt-metadata", "schema.name-mapping.default is not valid JSON", { file, cause: e });
  }
  if (!Array.isArray(root)) throw new IcebergError("corrupt-metadata", "name mapping must be an array", { file });
  return root.map(conv);
}

/** v1 → v2 shape, so the shared parser can read it. */
function upgradeV1(o: JsonObject, inline: Map<bigint, string[]>): JsonObject {
  const out: JsonObject = { ...o, "format-version": 2 };
  if (out["table-uuid"] === undefined) out["table-uuid"] = "00000000-0000-0000-0000-000000000000";
  out["last-sequence-number"] = 0;
  if (!Array.isArray(o.schemas) && isObj(o.schema)) {
    const id = typeof o.schema["schema-id"] === "number" ? o.schema["schema-id"] : 0;
    out.schemas = [{ ...o.schema, "schema-id": id }];
    out["current-schema-id"] = id;
  }
  const withIds = (fields: JsonValue[]): JsonValue[] =>
    fields.map((f, i) => (isObj(f) && f["field-id"] === undefined ? { ...f, "field-id": 1000 + i } : f));
  if (Array.isArray(o["partition-specs"])) {
    out["partition-specs"] = o["partition-specs"].map((s) =>
      isObj(s) && Array.isArray(s.fields) ? { ...s, fields: withIds(s.fields) } : s,
    );
  } else {
    out["partition-specs"] = [
      { "spec-id": 0, fields: withIds(Array.isArray(o["partition-spec"]) ? o["partition-spec"] : []) },
    ];
    out["default-spec-id"] = 0;
  }
  if (out["default-spec-id"] === undefined) out["default-spec-id"] = 0;
  if (out["last-partition-id"] === undefined) {
    let max = 999;
    for (const s of out["partition-specs"] as JsonValue[])
      if (isObj(s) && Array.isArray(s.fields))
        for (const f of s.fields) if (isObj(f) && typeof f["field-id"] === "number") max = Math.max(max, f["field-id"]);
    out["last-partition-id"] = max;
  }
  if (!Array.isArray(o["sort-orders"])) {
    out["sort-orders"] = [{ "order-id": 0, fields: [] }];
    out["default-sort-order-id"] = 0;
  }
  out.snapshots = (Array.isArray(o.snapshots) ? o.snapshots : []).map((s) => {
    if (!isObj(s)) return s;
    const snap: JsonObject = { ...s, "sequence-number": 0 };
    if (snap["manifest-list"] === undefined && Array.isArray(s.manifests)) {
      const id = s["snapshot-id"];
      const key = typeof id === "bigint" ? id : BigInt(id as number);
      inline.set(
        key,
        s.manifests.filter((m): m is string => typeof m === "string"),
      );
      snap["manifest-list"] = `${INLINE_MANIFESTS}${key}`;
    }
    if (!isObj(snap.summary)) snap.summary = { operation: "append" };
    else if (snap.summary.operation === undefined) snap.summary = { ...snap.summary, operation: "append" };
    return snap;
  });
  return out;
}

/** Parses a metadata JSON of format version 1 or 2; refuses v3+ and unsupported features by name. */
export function parseAnyMetadata(text: string, file: string): ParsedMetadata {
  const root = parseMetadataJson(text, file);
  if (!isObj(root)) throw new IcebergError("corrupt-metadata", "metadata must be an object", { file });
  const version = root["format-version"];
  if (version !== 1 && version !== 2) {
    if (typeof version === "number")
      throw new IcebergError(
        "unsupported-format-version",
        `format-version ${version} is not supported by this reader (only 1 and 2)`,
        { file },
      );
    throw new IcebergError("corrupt-metadata", "format-version is missing", { file });
  }
  const defaults = new Map<number, JsonValue>();
  const schemas = Array.isArray(root.schemas) ? root.schemas : isObj(root.schema) ? [root.schema] : [];
  for (const s of schemas) scanType(s, file, defaults);
  if (Array.isArray(root["encryption-keys"]) && root["encryption-keys"].length > 0)
    unsupported("table encryption (encryption-keys)", file);
  const inline = new Map<bigint, string[]>();
  const doc = version === 1 ? upgradeV1(root, inline) : root;
  const metadata = metadataFromJson(stringifyJson(doc), file);
  const mappingText = metadata.properties["schema.name-mapping.default"];
  return {
    formatVersion: version,
    metadata,
    inlineManifests: inline,
    initialDefaults: defaults,
    nameMapping: mappingText === undefined ? undefined : parseNameMapping(mappingText, file),
  };
}
