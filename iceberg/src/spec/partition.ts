/** Partition specs and sort orders (spec "Partitioning", "Sorting"). */
import { IcebergError } from "../errors.ts";
import type { JsonObject, JsonValue } from "../json/exact-json.ts";
import { parseTransform, resultType, type Transform, transformToString } from "./transforms.ts";
import { indexById, isPrimitive, type PrimitiveType, type Schema } from "./types.ts";

export interface PartitionField {
  readonly sourceId: number;
  /** Partition field ids start at 1000 and are unique across all specs of a table. */
  readonly fieldId: number;
  readonly name: string;
  readonly transform: Transform;
}

export interface PartitionSpec {
  readonly specId: number;
  readonly fields: readonly PartitionField[];
}

export const UNPARTITIONED: PartitionSpec = { specId: 0, fields: [] };
/** The first partition field id; `last-partition-id` of an unpartitioned table is this minus one. */
export const PARTITION_FIELD_ID_START = 1000;

export interface SortField {
  readonly sourceId: number;
  readonly transform: Transform;
  readonly direction: "asc" | "desc";
  readonly nullOrder: "nulls-first" | "nulls-last";
}

export interface SortOrder {
  readonly orderId: number;
  readonly fields: readonly SortField[];
}

export const UNSORTED: SortOrder = { orderId: 0, fields: [] };

/** Partition fields with their source and result types, resolved against a schema. */
export interface BoundPartitionField extends PartitionField {
  readonly sourceType: PrimitiveType;
  readonly resultType: PrimitiveType;
}

export function bindPartitionSpec(spec: PartitionSpec, schema: Schema): BoundPartitionField[] {
  const byId = indexById(schema.fields);
  return spec.fields.map((f) => {
    const src = byId.get(f.sourceId);
    if (!src)
      throw new IcebergError("invalid-spec", `partition field ${f.name}: source id ${f.sourceId} not in schema`);
    if (!isPrimitive(src.type))
      throw new IcebergError("invalid-spec", `partition field ${f.name}: source ${src.name} is not primitive`);
    return { ...f, sourceType: src.type, resultType: resultType(f.transform, src.type) };
  });
}

export function partitionSpecToJson(s: PartitionSpec): JsonObject {
  return {
    "spec-id": s.specId,
    fields: s.fields.map((f) => ({
      name: f.name,
      transform: transformToString(f.transform),
      "source-id": f.sourceId,
      "field-id": f.fieldId,
    })),
  };
}

function num(v: JsonValue | undefined, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v))
    throw new IcebergError("invalid-spec", `${what} must be an integer`);
  return v;
}

function objOf(v: JsonValue, what: string): JsonObject {
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new IcebergError("invalid-spec", `${what} must be an object`);
  return v;
}

export function partitionSpecFromJson(v: JsonValue): PartitionSpec {
  const o = objOf(v, "partition spec");
  const fields = o.fields;
  if (!Array.isArray(fields)) throw new IcebergError("invalid-spec", "partition spec fields must be an array");
  return {
    specId: num(o["spec-id"], "spec-id"),
    fields: fields.map((fv) => {
      const f = objOf(fv, "partition field");
      if (typeof f.name !== "string" || typeof f.transform !== "string")
        throw new IcebergError("invalid-spec", "partition field needs name and transform");
      return {
        name: f.name,
        transform: parseTransform(f.transform),
        sourceId: num(f["source-id"], "source-id"),
        fieldId: num(f["field-id"], "field-id"),
      };
    }),
  };
}

export function sortOrderToJson(s: SortOrder): JsonObject {
  return {
    "order-id": s.orderId,
    fields: s.fields.map((f) => ({
      transform: transformToString(f.transform),
      "source-id": f.sourceId,
      direction: f.direction,
      "null-order": f.nullOrder,
    })),
  };
}

export function sortOrderFromJson(v: JsonValue): SortOrder {
  const o = objOf(v, "sort order");
  const fields = o.fields;
  if (!Array.isArray(fields)) throw new IcebergError("invalid-spec", "sort order fields must be an array");
  return {
    orderId: num(o["order-id"], "order-id"),
    fields: fields.map((fv) => {
      const f = objOf(fv, "sort field");
      const direction = f.direction;
      const nullOrder = f["null-order"];
      if (direction !== "asc" && direction !== "desc") throw new IcebergError("invalid-spec", "invalid sort direction");
      if (nullOrder !== "nulls-first" && nullOrder !== "nulls-last")
        throw new IcebergError("invalid-spec", "invalid null order");
      if (typeof f.transform !== "string") throw new IcebergError("invalid-spec", "sort field needs a transform");
      return {
        transform: parseTransform(f.transform),
        sourceId: num(f["source-id"], "source-id"),
        direction,
        nullOrder,
      };
    }),
  };
}
