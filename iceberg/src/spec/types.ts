/**
 * Iceberg types and schemas (spec "Schemas and Data Types").
 *
 * Primitive types are their spec string (`"long"`, `"decimal(9,2)"`,
 * `"fixed[16]"`), nested types are objects, exactly as in the metadata JSON,
 * so (de)serialization is close to the identity.
 */
import { IcebergError } from "../errors.ts";

export type PrimitiveType =
  | "boolean"
  | "int"
  | "long"
  | "float"
  | "double"
  | "date"
  | "time"
  | "timestamp"
  | "timestamptz"
  | "string"
  | "uuid"
  | "binary"
  | `fixed[${number}]`
  | `decimal(${number},${number})`;

export interface NestedField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
}

export interface StructType {
  readonly type: "struct";
  readonly fields: readonly NestedField[];
}

export interface ListType {
  readonly type: "list";
  readonly elementId: number;
  readonly elementRequired: boolean;
  readonly element: IcebergType;
}

export interface MapType {
  readonly type: "map";
  readonly keyId: number;
  readonly key: IcebergType;
  readonly valueId: number;
  readonly valueRequired: boolean;
  readonly value: IcebergType;
}

export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema {
  readonly schemaId: number;
  readonly fields: readonly NestedField[];
  readonly identifierFieldIds?: readonly number[];
}

/**
 * The value domain used for partition values and bounds:
 * boolean → boolean; int, date → number (date = days since epoch);
 * long, time, timestamp, timestamptz → bigint (micros); float, double → number;
 * decimal → bigint (unscaled); string → string; uuid, fixed, binary → Uint8Array.
 */
export type PrimitiveValue = boolean | number | bigint | string | Uint8Array;

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === "string";
}

const FIXED = /^fixed\[(\d+)\]$/;
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const SIMPLE = new Set([
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "string",
  "uuid",
  "binary",
]);

export function parsePrimitive(s: string): PrimitiveType {
  if (SIMPLE.has(s)) return s as PrimitiveType;
  const f = FIXED.exec(s);
  if (f) return `fixed[${Number(f[1])}]`;
  const d = DECIMAL.exec(s);
  if (d) {
    const p = Number(d[1]);
    const sc = Number(d[2]);
    if (p < 1 || p > 38 || sc > p) throw new IcebergError("invalid-schema", `invalid decimal type ${s}`);
    return `decimal(${p},${sc})`;
  }
  throw new IcebergError("invalid-schema", `unknown type ${JSON.stringify(s)}`);
}

export function fixedLength(t: PrimitiveType): number | undefined {
  const f = FIXED.exec(t);
  return f ? Number(f[1]) : undefined;
}

export function decimalParams(t: PrimitiveType): { precision: number; scale: number } | undefined {
  const d = DECIMAL.exec(t);
  return d ? { precision: Number(d[1]), scale: Number(d[2]) } : undefined;
}

/** Every field of a schema by id, including nested fields, list elements and map keys/values. */
export function indexById(fields: readonly NestedField[]): Map<number, NestedField> {
  const out = new Map<number, NestedField>();
  const add = (f: NestedField): void => {
    if (out.has(f.id)) throw new IcebergError("invalid-schema", `duplicate field id ${f.id} (${f.name})`);
    out.set(f.id, f);
    visit(f.type, f.name);
  };
  const visit = (t: IcebergType, path: string): void => {
    if (isPrimitive(t)) return;
    if (t.type === "struct") for (const f of t.fields) add({ ...f, name: `${path}.${f.name}` });
    else if (t.type === "list")
      add({ id: t.elementId, name: `${path}.element`, required: t.elementRequired, type: t.element });
    else {
      add({ id: t.keyId, name: `${path}.key`, required: true, type: t.key });
      add({ id: t.valueId, name: `${path}.value`, required: t.valueRequired, type: t.value });
    }
  };
  for (const f of fields) add(f);
  return out;
}

/** Validates a schema: unique field ids, unique top-level names. Returns the highest id used. */
export function validateSchema(schema: Schema): number {
  const byId = indexById(schema.fields);
  const names = new Set<string>();
  for (const f of schema.fields) {
    if (names.has(f.name)) throw new IcebergError("invalid-schema", `duplicate column name ${f.name}`);
    names.add(f.name);
  }
  for (const id of schema.identifierFieldIds ?? []) {
    if (!byId.has(id)) throw new IcebergError("invalid-schema", `identifier field id ${id} is not in the schema`);
  }
  return Math.max(0, ...byId.keys());
}

export function findField(schema: Schema, id: number): NestedField | undefined {
  return indexById(schema.fields).get(id);
}

export function findFieldByName(schema: Schema, name: string): NestedField | undefined {
  return schema.fields.find((f) => f.name === name);
}
