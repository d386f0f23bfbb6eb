// Which statements count as catalog introspection (answered by the hot database directly)
// and which go through the gateway: a table of cases, including what drivers really send.
import { beforeAll, describe, expect, it } from "vitest";
import { checkStatement } from "../sql/lockdown.ts";
import { loadSqlParser } from "../sql/parser.ts";
import { isIntrospection } from "./introspection.ts";

beforeAll(async () => {
  await loadSqlParser();
});

const CASES: readonly [string, boolean][] = [
  ["SELECT version()", true],
  ["SELECT current_setting('server_version_num')", true],
  ["select pg_catalog.version()", true],
  [
    "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname OPERATOR(pg_catalog.~) '^(flows)$' COLLATE pg_catalog.default",
    true,
  ],
  ["SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", true],
  ["SELECT typname FROM pg_type WHERE oid = 23", true],
  ["WITH t AS (SELECT relname FROM pg_class) SELECT * FROM t", true],
  ["SELECT count(*) FROM flows", false],
  ["SELECT count(*) FROM public.flows", false],
  ["SELECT * FROM ref.exporters", false],
  ["SELECT f.bytes FROM flows f JOIN pg_catalog.pg_class c ON false", false],
  ["SELECT (SELECT count(*) FROM flows) AS n", false],
  ["WITH flows AS (SELECT * FROM flows) SELECT count(*) FROM flows", false],
  ["SELECT * FROM iceberg_tables", false],
];

describe("isIntrospection", () => {
  for (const [sql, expected] of CASES) {
    it(`${expected ? "hot catalog" : "gateway"}: ${sql.slice(0, 70)}`, () => {
      const checked = checkStatement(sql);
      if (checked.kind !== "select") throw new Error(`not a select: ${checked.kind}`);
      expect(isIntrospection(checked.node)).toBe(expected);
    });
  }
});
