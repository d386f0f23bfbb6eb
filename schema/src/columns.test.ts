import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { columnByName, FLOW_COLUMNS, type IcebergType, type PgType, TIME_COLUMN } from "./columns.ts";

const registry = JSON.parse(readFileSync(new URL("./field-ids.json", import.meta.url), "utf8")) as {
  ids: Record<string, string>;
  retired: number[];
};

// Each hot-tier type has exactly one cold-tier representation.
const ICEBERG_FOR_PG: Record<PgType, IcebergType> = {
  timestamptz: "timestamptz",
  inet: "binary",
  bigint: "long",
  integer: "int",
  smallint: "int",
  boolean: "boolean",
};

describe("flow column catalog", () => {
  it("has unique names that are plain SQL identifiers", () => {
    const names = FLOW_COLUMNS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it("keeps every field id ever assigned (append-only registry)", () => {
    const ids = FLOW_COLUMNS.map((c) => c.fieldId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const column of FLOW_COLUMNS) {
      expect(registry.ids[String(column.fieldId)], `field id ${column.fieldId} of ${column.name}`).toBe(column.name);
      expect(registry.retired).not.toContain(column.fieldId);
    }
    const live = new Set(FLOW_COLUMNS.map((c) => String(c.fieldId)));
    for (const id of Object.keys(registry.ids)) {
      if (!live.has(id))
        expect(registry.retired, `field id ${id} vanished without being retired`).toContain(Number(id));
    }
  });

  it("maps each Postgres type to its one Iceberg type", () => {
    for (const column of FLOW_COLUMNS) expect(column.icebergType, column.name).toBe(ICEBERG_FOR_PG[column.pgType]);
  });

  it("has a non-null timestamptz time column", () => {
    const time = columnByName(TIME_COLUMN);
    expect(time.pgType).toBe("timestamptz");
    expect(time.nullable).toBe(false);
  });

  it("gives every pmacct-fed column a distinct primitive and pmacct column", () => {
    const fed = FLOW_COLUMNS.flatMap((c) => (c.pmacct === null ? [] : [c.pmacct]));
    expect(new Set(fed.map((p) => p.primitive)).size).toBe(fed.length);
    expect(new Set(fed.map((p) => p.column)).size).toBe(fed.length);
  });

  it("documents every column", () => {
    for (const column of FLOW_COLUMNS) expect(column.doc.length, column.name).toBeGreaterThan(20);
  });

  it("names the known columns when asked for an unknown one", () => {
    expect(() => columnByName("srcaddr")).toThrow(/unknown flow column "srcaddr".*src_addr/);
  });
});
