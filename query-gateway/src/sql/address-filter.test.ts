// Which address predicates may prune cold files: a table of statements and the filter (or
// none) that must come out. A wrong "prunable" answer would silently drop rows, so the
// not-prunable cases matter as much as the prunable ones.
import { cidrRange } from "@netflow/iceberg";
import { beforeAll, describe, expect, it } from "vitest";
import { addressFilter } from "./address-filter.ts";
import { DEFAULT_LOCKDOWN_CONFIG } from "./config.ts";
import { checkStatement } from "./lockdown.ts";
import { loadSqlParser } from "./parser.ts";

beforeAll(async () => {
  await loadSqlParser();
});

function filterOf(sql: string) {
  const checked = checkStatement(sql, DEFAULT_LOCKDOWN_CONFIG);
  if (checked.kind !== "select") throw new Error(`not a select: ${sql}`);
  return addressFilter(checked.node);
}

const range = (column: string, cidr: string) => {
  const { lo, hi } = cidrRange(cidr);
  return { op: "range", column, min: lo, max: hi };
};

describe("prunable", () => {
  it.each([
    ["SELECT * FROM flows WHERE src_addr << '10.1.0.0/16'", range("src_addr", "10.1.0.0/16")],
    ["SELECT * FROM flows WHERE dst_addr <<= '2001:db8::/32'::cidr", range("dst_addr", "2001:db8::/32")],
    ["SELECT * FROM flows WHERE '10.0.0.0/8' >> src_addr", range("src_addr", "10.0.0.0/8")],
    ["SELECT * FROM flows WHERE src_addr = '10.1.2.3'", range("src_addr", "10.1.2.3")],
    ["SELECT * FROM flows WHERE '10.1.2.3'::inet = exporter", range("exporter", "10.1.2.3")],
    ["SELECT * FROM flows f WHERE f.src_addr << '10.1.0.0/16' AND f.proto = 6", range("src_addr", "10.1.0.0/16")],
    ["SELECT * FROM flows WHERE src_addr << '10.1.2.77/16'", range("src_addr", "10.1.0.0/16")],
  ])("%s", (sql, expected) => {
    expect(filterOf(sql)).toEqual(expected);
  });

  it("OR and IN become an OR of ranges; two references, one per branch", () => {
    expect(filterOf("SELECT 1 FROM flows WHERE src_addr << '10.1.0.0/16' OR src_addr = '10.2.0.1'")).toEqual({
      op: "or",
      filters: [range("src_addr", "10.1.0.0/16"), range("src_addr", "10.2.0.1")],
    });
    expect(filterOf("SELECT 1 FROM flows WHERE src_addr IN ('10.1.0.1', '::1')")).toEqual({
      op: "or",
      filters: [range("src_addr", "10.1.0.1"), range("src_addr", "::1")],
    });
    expect(
      filterOf(
        "SELECT 1 FROM flows WHERE src_addr << '10.1.0.0/16' UNION SELECT 2 FROM flows WHERE dst_addr << '10.2.0.0/16'",
      ),
    ).toEqual({ op: "or", filters: [range("src_addr", "10.1.0.0/16"), range("dst_addr", "10.2.0.0/16")] });
  });
});

describe("not prunable", () => {
  it.each([
    "SELECT * FROM flows",
    "SELECT * FROM flows WHERE NOT (src_addr << '10.1.0.0/16')",
    "SELECT * FROM flows WHERE src_addr <> '10.1.2.3'",
    "SELECT * FROM flows WHERE src_addr NOT IN ('10.1.2.3')",
    "SELECT * FROM flows WHERE src_addr >> '10.1.0.0/16'",
    "SELECT * FROM flows WHERE src_addr << '10.1.0.0/16' OR proto = 6",
    "SELECT * FROM flows WHERE src_addr << $1",
    "SELECT * FROM flows WHERE src_addr << 'not an address'",
    // Only one of two references filtered.
    "SELECT 1 FROM flows a WHERE a.src_addr << '10.1.0.0/16' UNION ALL SELECT 1 FROM flows b",
    "SELECT * FROM flows a JOIN flows b ON a.ts = b.ts WHERE a.src_addr << '10.1.0.0/16'",
    // Unqualified with two references: ambiguous, never assumed.
    "SELECT * FROM flows a, flows b WHERE src_addr << '10.1.0.0/16'",
    // A predicate on another alias, in the ON clause, or in a subquery that does not read flows.
    "SELECT * FROM flows f JOIN ref.exporters e ON e.address = f.exporter WHERE e.address << '10.0.0.0/8'",
    "SELECT * FROM flows f LEFT JOIN ref.exporters e ON f.src_addr << '10.0.0.0/8'",
    "SELECT * FROM flows f WHERE EXISTS (SELECT 1 FROM ref.exporters e WHERE f.src_addr << '10.0.0.0/8')",
    // A CTE named flows shadows the table.
    "WITH flows AS (SELECT '10.1.0.1'::inet AS src_addr) SELECT * FROM flows WHERE src_addr << '10.1.0.0/16'",
  ])("%s", (sql) => {
    expect(filterOf(sql)).toBeNull();
  });
});
