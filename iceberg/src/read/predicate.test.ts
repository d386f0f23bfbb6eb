// The filter syntax: parsing with typed literals, exact row evaluation (three-valued), and
// the conservative planner translation. Table of cases.
import { describe, expect, it } from "vitest";
import type { Schema } from "../spec/types.ts";
import { matches, parsePredicate, toFilter } from "./predicate.ts";

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: "ts", required: false, type: "timestamptz" },
    { id: 2, name: "Breed Name", required: false, type: "string" },
    { id: 3, name: "n", required: false, type: "long" },
    { id: 4, name: "price", required: false, type: "decimal(10,2)" },
    { id: 5, name: "d", required: false, type: "date" },
    { id: 6, name: "ok", required: false, type: "boolean" },
  ],
};
const row = { ts: 1_767_225_600_000_001n, "Breed Name": "Rex", n: 5n, price: 999n, d: 18993, ok: null };

describe("parsePredicate + matches", () => {
  it.each<[string, boolean]>([
    ["ts >= '2026-01-01T00:00:00Z'", true],
    ["ts > '2026-01-01T00:00:00.000001Z'", false],
    ["ts = '2026-01-01T01:00:00.000001+01:00'", true],
    ["ts < '2026-01-01'", false],
    [`"Breed Name" = 'Rex'`, true],
    [`"Breed Name" != 'Rex'`, false],
    ["n = 5 and price = 9.99", true],
    ["price > '9.98' and price <= 9.99", true],
    ["d = '2022-01-01'", true],
    ["ok is null", true],
    ["ok = true", false],
    ["not ok = true", false], // unknown stays unknown under NOT
    ["ok = true or n = 5", true],
    ["NOT (n < 5) AND (d <> '2022-01-02')", true],
  ])("%s → %s", (text, want) => {
    expect(matches(parsePredicate(text, schema), row)).toBe(want);
  });
  it.each([
    ["nope = 1", /unknown column/],
    ["n = 'x'", /invalid integer/],
    ["price = 1.234", /more than 2 decimals/],
    ["ts = 'yesterday'", /invalid timestamp/],
    ["n = 1 n", /unexpected/],
    ["(n = 1", /missing \)/],
    ["n", /expected an operator/],
  ])("%s is refused", (text, err) => {
    expect(() => parsePredicate(text, schema)).toThrow(err);
  });
  it("planner filter keeps a superset (no exclusive minimum, NOT and != keep everything)", () => {
    expect(toFilter(parsePredicate("n > 3 and price < 1 or ok is null", schema))).toEqual({
      op: "or",
      filters: [
        {
          op: "and",
          filters: [
            { op: "range", column: "n", min: 3n },
            { op: "range", column: "price", max: 100n, maxExclusive: true },
          ],
        },
        { op: "is-null", column: "ok" },
      ],
    });
    expect(toFilter(parsePredicate("not n = 3", schema))).toEqual({ op: "true" });
    expect(toFilter(parsePredicate("n != 3", schema))).toEqual({ op: "true" });
  });
});
