import { deparseSync } from "pgsql-deparser";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, parseSql } from "../sql/parser.ts";
import { withRowCap } from "./row-cap.ts";

beforeAll(loadSqlParser);

function capped(sql: string, cap = 101): string | null {
  const stmt = parseSql(sql).stmts?.[0]?.stmt;
  if (stmt === undefined) throw new Error(`no statement in ${sql}`);
  const out = withRowCap(stmt, cap);
  return out === null ? null : deparseSync([out], { pretty: false });
}

/** The same statement as the deparser writes it (its spelling of LIMIT, OFFSET, FETCH…). */
function canonical(sql: string): string {
  const stmt = parseSql(sql).stmts?.[0]?.stmt;
  if (stmt === undefined) throw new Error(`no statement in ${sql}`);
  return deparseSync([stmt], { pretty: false });
}

describe("a final statement's rows capped by its LIMIT", () => {
  it("adds the cap where there is no limit, or LIMIT ALL / NULL", () => {
    expect(capped("SELECT a FROM t ORDER BY a")).toBe(canonical("SELECT a FROM t ORDER BY a LIMIT 101"));
    expect(capped("SELECT a FROM t LIMIT ALL")).toBe(canonical("SELECT a FROM t LIMIT 101"));
    expect(capped("SELECT a FROM t LIMIT NULL")).toBe(canonical("SELECT a FROM t LIMIT 101"));
  });

  it("keeps a smaller constant limit and lowers a larger one, OFFSET untouched", () => {
    expect(capped("SELECT a FROM t LIMIT 10")).toBe(canonical("SELECT a FROM t LIMIT 10"));
    expect(capped("SELECT a FROM t LIMIT 0")).toBe(canonical("SELECT a FROM t LIMIT 0"));
    expect(capped("SELECT a FROM t LIMIT 101")).toBe(canonical("SELECT a FROM t LIMIT 101"));
    expect(capped("SELECT a FROM t LIMIT 5000")).toBe(canonical("SELECT a FROM t LIMIT 101"));
    expect(capped("SELECT a FROM t LIMIT 99999999999")).toBe(canonical("SELECT a FROM t LIMIT 101"));
    // A parameter inlined as text, as Postgres would read it (a bigint).
    expect(capped("SELECT a FROM t LIMIT '4'")).toBe(canonical("SELECT a FROM t LIMIT '4'"));
    expect(capped("SELECT a FROM t LIMIT ' 5000'")).toBe(canonical("SELECT a FROM t LIMIT 101"));
    expect(capped("SELECT a FROM t OFFSET 7")).toBe(canonical("SELECT a FROM t LIMIT 101 OFFSET 7"));
    expect(capped("SELECT a FROM t FETCH FIRST 5000 ROWS ONLY")).toBe(canonical("SELECT a FROM t LIMIT 101"));
  });

  it("caps a set operation as a whole, not its branches", () => {
    expect(capped("SELECT a FROM t UNION ALL SELECT b FROM u")).toBe(
      canonical("SELECT a FROM t UNION ALL SELECT b FROM u LIMIT 101"),
    );
    expect(capped("WITH w AS (SELECT a FROM t LIMIT 5000) SELECT a FROM w")).toBe(
      canonical("WITH w AS (SELECT a FROM t LIMIT 5000) SELECT a FROM w LIMIT 101"),
    );
  });

  it("leaves alone what it cannot bound: expressions, parameters, WITH TIES", () => {
    expect(capped("SELECT a FROM t LIMIT (SELECT 3)")).toBeNull();
    expect(capped("SELECT a FROM t LIMIT $1")).toBeNull();
    expect(capped("SELECT a FROM t LIMIT '4.5'")).toBeNull();
    expect(capped("SELECT a FROM t ORDER BY a FETCH FIRST 3 ROWS WITH TIES")).toBeNull();
  });
});
