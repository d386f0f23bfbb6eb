/** Schema ↔ metadata JSON (spec appendix C "JSON serialization"). */
import { IcebergError } from "../errors.ts";
import type { JsonObject, JsonValue } from "../json/exact-json.ts";
import { type IcebergType, type NestedField, parsePrimitive, type Schema, validateSchema } from "./types.ts";

export function schemaToJson(s: Schema): JsonObject {
  const out: JsonObject = { type: "struct", "schema-id": s.schemaId };
  if (s.identifierFieldIds && s.identifierFieldIds.length > 0) out["identifier-field-ids"] = [...s.identifierFieldIds];
  out.fields = s.fields.map(fieldToJson);
  return out;
}

function fieldToJson(f: NestedField): JsonObject {
  const out: JsonObject = { id: f.id, name: f.name, required: f.required, type: typeToJson(f.type) };
  if (f.doc !== undefined) out.doc = f.doc;
  return out;
}

export function typeToJson(t: IcebergType): JsonValue {
  if (typeof t === "string") return t;
  switch (t.type) {
    case "struct":
      return { type: "struct", fields: t.fields.map(fieldToJson) };
    case "list":
      return {
        type: "list",
        "element-id": t.elementId,
        element: typeToJson(t.element),
        "element-required": t.elementRequired,
      };
    case "map":
      return {
        type: "map",
        "key-id": t.keyId,
        key: typeToJson(t.key),
        "value-id": t.valueId,
        value: typeToJson(t.value),
        "value-required": t.valueRequired,
      };
  }
}

function fail(msg: string): never {
  throw new IcebergError("invalid-schema", msg);
}

function obj(v: JsonValue | undefined, what: string): JsonObject {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`${what} must be an object`);
  return v as JsonObject;
}

function int(v: JsonValue | undefined, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) fail(`${what} must be an integer`);
  return v;
}

function bool(v: JsonValue | undefined, what: string): boolean {
  if (typeof v !== "boolean") fail(`${what} must be a boolean`);
  return v;
}

export function schemaFromJson(v: JsonValue): Schema {
  const o = obj(v, "schema");
  const fields = o.fields;
  if (!Array.isArray(fields)) fail("schema.fields must be an array");
  const ids = o["identifier-field-ids"];
  const schema: Schema = {
    schemaId: o["schema-id"] === undefined ? 0 : int(o["schema-id"], "schema-id"),
    fields: fields.map((f) => fieldFromJson(f)),
    ...(Array.isArray(ids) ? { identifierFieldIds: ids.map((x) => int(x, "identifier-field-ids[]")) } : {}),
  };
  validateSchema(schema);
  return schema;
}

function fieldFromJson(v: JsonValue): NestedField {
  const o = obj(v, "field");
  if (typeof o.name !== "string") fail("field.name must be a string");
  const doc = o.doc;
  return {
    id: int(o.id, `field ${o.name} id`),
    name: o.name,
    required: bool(o.required, `field ${o.name} required`),
    type: typeFromJson(o.type),
    ...(typeof doc === "string" ? { doc } : {}),
  };
}

export function typeFromJson(v: JsonValue | undefined): IcebergType {
  if (typeof v === "string") return parsePrimitive(v);
  const o = obj(v, "type");
  switch (o.type) {
    case "struct":
      if (!Array.isArray(o.fields)) fail("struct.fields must be an array");
      return { type: "struct", fields: o.fields.map(fieldFromJson) };
    case "list":
      return {
        type: "list",
        elementId: int(o["element-id"], "element-id"),
        element: typeFromJson(o.element),
        elementRequired: bool(o["element-required"], "element-required"),
      };
    case "map":
      return {
        type: "map",
        keyId: int(o["key-id"], "key-id"),
        key: typeFromJson(o.key),
        valueId: int(o["value-id"], "value-id"),
        value: typeFromJson(o.value),
        valueRequired: bool(o["value-required"], "value-required"),
      };
    default:
      return fail(`unknown nested type ${JSON.stringify(o.type)}`);
  }
}
