// Which spanning queries split into per-tier partial aggregates, and into what. A table of
// cases; the executed equivalence with TimescaleDB is the differential test (gateway.test.ts).
import { deparseSync } from "pgsql-deparser";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser, parseSql } from "../sql/parser.ts";
import { splitAggregate } from "./partial-aggregate.ts";

beforeAll(async () => {
  await loadSqlParser();
});

function split(sql: string) {
  const stmt = parseSql(sql).stmts?.[0]?.stmt;
  if (stmt === undefined) throw new Error("no statement");
  const s = splitAggregate(stmt);
  return s === null
    ? null
    : { partial: deparseSync([s.partial], { pretty: false }), merge: deparseSync([s.merge], { pretty: false }) };
}

describe("decomposable", () => {
  const cases: [string, string, string][] = [
    ["SELECT count(*) FROM flows", "SELECT count(*) AS a1 FROM flows", "SELECT (sum(a1))::int8 AS count FROM __parts"],
    [
      "SELECT proto, sum(bytes) AS b FROM flows WHERE ts > now() - interval '1 day' GROUP BY proto ORDER BY b DESC LIMIT 3",
      "SELECT proto AS g1, sum(bytes) AS a1 FROM flows WHERE ts > (now() - '1 day'::interval) GROUP BY 1",
      "SELECT g1 AS proto, sum(a1) AS b FROM __parts GROUP BY g1 ORDER BY 2 DESC LIMIT 3",
    ],
    [
      "SELECT time_bucket('5 minutes', ts) AS t, avg(bytes), max(ts) FROM flows GROUP BY 1 ORDER BY 1",
      "SELECT time_bucket('5 minutes', ts) AS g1, sum(bytes) AS a1, count(bytes) AS a2, max(ts) AS a3 FROM flows GROUP BY 1",
      'SELECT g1 AS t, (sum(a1))::float8 / "nullif"(sum(a2), 0) AS avg, max(a3) AS max FROM __parts GROUP BY g1 ORDER BY 1',
    ],
    [
      "SELECT f.exporter, count(*) FILTER (WHERE proto = 6) AS tcp, sum(bytes) / count(*) AS mean FROM flows f GROUP BY f.exporter HAVING count(*) > 10",
      "SELECT f.exporter AS g1, count(*) FILTER (WHERE proto = 6) AS a1, sum(bytes) AS a2, count(*) AS a3 FROM flows AS f GROUP BY 1",
      "SELECT g1 AS exporter, (sum(a1))::int8 AS tcp, sum(a2) / (sum(a3))::int8 AS mean FROM __parts GROUP BY g1 HAVING (sum(a3))::int8 > 10",
    ],
    [
      "SELECT date_trunc('day', ts) AS day, count(*) AS n FROM flows GROUP BY day",
      "SELECT date_trunc('day', ts) AS g1, count(*) AS a1 FROM flows GROUP BY 1",
      "SELECT g1 AS day, (sum(a1))::int8 AS n FROM __parts GROUP BY g1",
    ],
    // Output names that shadow flow columns: ORDER BY prefers the output name, GROUP BY the
    // input column, aggregate arguments and WHERE always read the input column (Postgres rules).
    [
      "SELECT src_addr, sum(bytes) AS bytes FROM flows WHERE ts > now() - interval '30 days' GROUP BY src_addr ORDER BY bytes DESC LIMIT 10",
      "SELECT src_addr AS g1, sum(bytes) AS a1 FROM flows WHERE ts > (now() - '30 days'::interval) GROUP BY 1",
      "SELECT g1 AS src_addr, sum(a1) AS bytes FROM __parts GROUP BY g1 ORDER BY 2 DESC LIMIT 10",
    ],
    [
      "SELECT proto, sum(bytes) AS bytes FROM flows WHERE bytes > 100 GROUP BY proto HAVING sum(bytes) > 5 ORDER BY sum(bytes) DESC, proto",
      "SELECT proto AS g1, sum(bytes) AS a1 FROM flows WHERE bytes > 100 GROUP BY 1",
      "SELECT g1 AS proto, sum(a1) AS bytes FROM __parts GROUP BY g1 HAVING sum(a1) > 5 ORDER BY sum(a1) DESC, 1",
    ],
    [
      "SELECT dst_port AS proto, count(*) AS n FROM flows GROUP BY proto, dst_port ORDER BY proto, n",
      "SELECT proto AS g1, dst_port AS g2, count(*) AS a1 FROM flows GROUP BY 1, 2",
      "SELECT g2 AS proto, (sum(a1))::int8 AS n FROM __parts GROUP BY g1, g2 ORDER BY 1, 2",
    ],
    [
      "SELECT proto, sum(bytes), max(packets) AS packets FROM flows GROUP BY proto ORDER BY sum DESC, packets",
      "SELECT proto AS g1, sum(bytes) AS a1, max(packets) AS a2 FROM flows GROUP BY 1",
      "SELECT g1 AS proto, sum(a1) AS sum, max(a2) AS packets FROM __parts GROUP BY g1 ORDER BY 2 DESC, 3",
    ],
    [
      "SELECT proto AS p, count(*) FROM flows GROUP BY p ORDER BY p",
      "SELECT proto AS g1, count(*) AS a1 FROM flows GROUP BY 1",
      "SELECT g1 AS p, (sum(a1))::int8 AS count FROM __parts GROUP BY g1 ORDER BY 1",
    ],
  ];
  it.each(cases)("%s", (sql, partial, merge) => {
    const s = split(sql);
    expect(s?.partial).toBe(partial);
    expect(s?.merge).toBe(merge);
  });

  it("a group key written differently in SELECT than in GROUP BY is refused rather than guessed", () => {
    // f.exporter vs exporter: not the same tree, so the output column reads flows outside an aggregate.
    expect(split("SELECT exporter, count(*) FROM flows f GROUP BY f.exporter")).toBeNull();
  });
});

describe("not decomposable (the hot slice is moved instead)", () => {
  it.each([
    "SELECT count(DISTINCT src_addr) FROM flows",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY bytes) FROM flows",
    "SELECT ts, bytes FROM flows",
    "SELECT * FROM flows LIMIT 10",
    "SELECT proto, sum(bytes) OVER (PARTITION BY proto) FROM flows",
    "SELECT count(*) FROM flows f JOIN flows g ON f.ts = g.ts",
    "WITH x AS (SELECT * FROM flows) SELECT count(*) FROM x",
    "SELECT count(*) FROM flows WHERE src_addr IN (SELECT src_addr FROM flows WHERE bytes > 10)",
    "SELECT count(*) FROM flows UNION ALL SELECT 1",
    "SELECT DISTINCT proto FROM flows",
    "SELECT proto, string_agg(host(src_addr), ',') FROM flows GROUP BY proto",
    "SELECT proto, count(*) FROM flows GROUP BY ROLLUP (proto)",
    "SELECT bytes, count(*) FROM flows GROUP BY proto",
    "SELECT count(*) FROM (SELECT * FROM flows) s",
    // GROUP BY prefers the input column: proto is not grouped, Postgres refuses it.
    "SELECT proto AS bytes, count(*) FROM flows GROUP BY bytes",
    // Two outputs named x with different expressions: ORDER BY x is ambiguous in Postgres.
    "SELECT proto AS x, dst_port AS x, count(*) FROM flows GROUP BY 1, 2 ORDER BY x",
    "SELECT proto, sum(bytes) AS total FROM flows GROUP BY total",
  ])("%s", (sql) => {
    expect(split(sql)).toBeNull();
  });
});
