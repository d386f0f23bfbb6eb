// What the cold plan tells the gateway about its own SQL: whether the query's instant is in it
// (a plan made at another instant is then another plan) and whether its rows are capped.
import { beforeAll, describe, expect, it } from "vitest";
import type { Route } from "../route/route.ts";
import { loadSqlParser, parseSql } from "../sql/parser.ts";
import { planQuery } from "./plan.ts";

beforeAll(loadSqlParser);

const COLD: Route = { route: "cold", hotChunks: [], coldFiles: [], coldFilesPruned: 0 };

function coldPlan(sql: string, now: bigint) {
  const stmt = parseSql(sql).stmts?.[0]?.stmt;
  if (stmt === undefined) throw new Error(`no statement in ${sql}`);
  const plan = planQuery(stmt, COLD, {
    sql,
    timeZone: "Europe/Paris",
    now,
    ranges: [],
    hotSliceRowLimit: 10,
    rowCap: 101,
  });
  if (plan.strategy !== "cold") throw new Error(`not a cold plan: ${plan.strategy}`);
  return plan;
}

describe("cold plans", () => {
  const t1 = 1_790_000_000_000_000n;
  const t2 = t1 + 86_400_000_000n;

  it("say when the query's now() is in their SQL, and the SQL then moves with it", () => {
    for (const sql of [
      "SELECT count(*) FROM flows WHERE ts > now() - interval '1 day'",
      "SELECT count(*) FROM flows WHERE ts > current_timestamp - interval '1 day'",
      "SELECT count(*) FROM flows WHERE ts::date = current_date",
      "SELECT transaction_timestamp(), count(*) FROM flows",
    ]) {
      expect(coldPlan(sql, t1).usesNow, sql).toBe(true);
      expect(coldPlan(sql, t1).coldSql, sql).not.toBe(coldPlan(sql, t2).coldSql);
    }
  });

  it("and when it is not, the SQL is the same at any instant", () => {
    for (const sql of [
      "SELECT count(*) FROM flows WHERE ts >= '2026-03-01' AND ts < '2026-03-02'",
      "SELECT date_trunc('day', ts), sum(bytes) FROM flows GROUP BY 1 ORDER BY 1",
      "SELECT src_addr FROM flows WHERE src_addr << '10.0.0.0/8' LIMIT 5",
    ]) {
      expect(coldPlan(sql, t1).usesNow, sql).toBe(false);
      expect(coldPlan(sql, t1).coldSql, sql).toBe(coldPlan(sql, t2).coldSql);
    }
  });

  it("are capped unless their LIMIT cannot be bounded", () => {
    expect(coldPlan("SELECT ts FROM flows ORDER BY ts", t1).capped).toBe(true);
    expect(coldPlan("SELECT ts FROM flows ORDER BY ts FETCH FIRST 2 ROWS WITH TIES", t1).capped).toBe(false);
  });
});
