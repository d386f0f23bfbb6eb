// The lockdown, table-driven: every forbidden class with several variants is refused with
// the right SQLSTATE and a message naming what was refused, and a wide set of tricky legal
// queries is accepted (a lockdown that refuses everything fails here).
import { beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { type CheckedStatement, checkStatement } from "./lockdown.ts";
import { loadSqlParser } from "./parser.ts";

beforeAll(async () => {
  await loadSqlParser();
});

function refusal(sql: string): GatewayError {
  try {
    checkStatement(sql, { maxStatementTimeoutMs: 60_000 });
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error(`accepted: ${sql}`);
}

/** [class, sql, SQLSTATE, text the message must contain (case-insensitive)] */
const REFUSED: readonly [string, string, string, string][] = [
  ["multiple statements", "SELECT 1; SELECT 2", "0A000", "one statement"],
  ["multiple statements", "SELECT count(*) FROM flows; DROP TABLE flows", "0A000", "one statement"],
  ["multiple statements", "BEGIN; SELECT 1; COMMIT", "0A000", "one statement"],
  ["empty", "", "42601", "empty"],
  ["empty", "  ; -- nothing", "42601", "empty"],
  ["empty", "/* only a comment */", "42601", "empty"],

  ["DDL", "CREATE TABLE t (a int)", "25006", "CREATE TABLE"],
  ["DDL", "DROP TABLE flows", "25006", "DROP"],
  ["DDL", "ALTER TABLE flows ADD COLUMN x int", "25006", "ALTER TABLE"],
  ["DDL", "TRUNCATE flows", "25006", "TRUNCATE"],
  ["DDL", "CREATE INDEX ON flows (ts)", "25006", "CREATE INDEX"],
  ["DDL", "CREATE VIEW v AS SELECT 1", "25006", "CREATE VIEW"],
  ["DDL", "GRANT SELECT ON flows TO public", "25006", "GRANT"],
  ["DDL", "CREATE EXTENSION httpfs", "25006", "CREATE EXTENSION"],
  ["DDL", "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", "25006", "CREATE FUNCTION"],

  ["DML", "INSERT INTO flows (ts) VALUES (now())", "25006", "INSERT"],
  ["DML", "UPDATE flows SET bytes = 0", "25006", "UPDATE"],
  ["DML", "DELETE FROM flows WHERE ts < now()", "25006", "DELETE"],
  ["DML", "MERGE INTO flows f USING x ON f.ts = x.ts WHEN MATCHED THEN DELETE", "25006", "MERGE"],
  ["data-modifying CTE", "WITH d AS (DELETE FROM flows RETURNING *) SELECT count(*) FROM d", "25006", "DELETE"],
  [
    "data-modifying CTE",
    "WITH a AS (SELECT 1), b AS (INSERT INTO t SELECT * FROM a RETURNING 1) SELECT * FROM b",
    "25006",
    "INSERT",
  ],
  [
    "data-modifying CTE",
    "SELECT * FROM (WITH u AS (UPDATE flows SET bytes = 1 RETURNING ts) SELECT * FROM u) s",
    "25006",
    "UPDATE",
  ],
  ["SELECT INTO", "SELECT * INTO stolen FROM flows", "25006", "SELECT INTO"],
  ["SELECT INTO", "SELECT ts INTO TEMP t FROM flows LIMIT 1", "25006", "SELECT INTO"],
  ["SELECT INTO", "WITH x AS (SELECT 1 AS a) SELECT a INTO UNLOGGED t2 FROM x", "25006", "SELECT INTO"],
  ["CREATE TABLE AS", "CREATE TABLE t AS SELECT * FROM flows", "25006", "CREATE TABLE AS"],
  ["CREATE TABLE AS", "CREATE MATERIALIZED VIEW mv AS SELECT 1", "25006", "CREATE TABLE AS"],
  ["CREATE TABLE AS", "CREATE TEMP TABLE t AS WITH x AS (SELECT 1) SELECT * FROM x", "25006", "CREATE TABLE AS"],

  ["COPY", "COPY flows TO STDOUT", "42501", "COPY"],
  ["COPY", "COPY (SELECT * FROM flows) TO '/tmp/flows.csv'", "42501", "COPY"],
  ["COPY", "COPY flows FROM '/etc/passwd'", "42501", "COPY"],
  ["COPY", "COPY flows FROM PROGRAM 'curl evil'", "42501", "COPY"],
  ["CALL", "CALL refresh_continuous_aggregate('x', NULL, NULL)", "42501", "CALL"],
  ["CALL", "CALL checkpoint()", "42501", "CALL"],
  ["CALL", "CALL pg_catalog.anything(1)", "42501", "CALL"],
  ["DO", "DO $$ BEGIN PERFORM 1; END $$", "42501", "DO"],
  ["DO", "DO LANGUAGE plpgsql 'BEGIN NULL; END'", "42501", "DO"],
  ["DO", "do $x$ declare a int; begin end $x$", "42501", "DO"],

  // DuckDB-only statements do not parse in the Postgres grammar: refused as syntax errors
  // whose message names the statement.
  ["ATTACH/DETACH", "ATTACH 'other.duckdb' AS other", "42601", "ATTACH"],
  ["ATTACH/DETACH", "ATTACH DATABASE 's3://bucket/x.db' AS x (READ_ONLY)", "42601", "ATTACH"],
  ["ATTACH/DETACH", "DETACH other", "42601", "DETACH"],
  ["INSTALL/LOAD", "INSTALL httpfs", "42601", "INSTALL"],
  ["INSTALL/LOAD", "FORCE INSTALL httpfs FROM 'http://x'", "42601", "FORCE"],
  ["INSTALL/LOAD", "LOAD 'httpfs'", "42501", "LOAD"],
  ["INSTALL/LOAD", "LOAD '/tmp/evil.so'", "42501", "LOAD"],
  ["PRAGMA", "PRAGMA enable_profiling", "42601", "PRAGMA"],
  ["PRAGMA", "PRAGMA table_info('flows')", "42601", "PRAGMA"],
  ["PRAGMA", "pragma threads = 64", "42601", "PRAGMA"],
  ["EXPORT/IMPORT", "EXPORT DATABASE '/tmp/dump'", "42601", "EXPORT"],
  ["EXPORT/IMPORT", "IMPORT DATABASE '/tmp/dump'", "42601", "IMPORT"],
  ["EXPORT/IMPORT", "export database 's3://b/k' (FORMAT parquet)", "42601", "EXPORT"],
  ["LISTEN/NOTIFY", "LISTEN archive", "0A000", "LISTEN"],
  ["LISTEN/NOTIFY", "NOTIFY archive, 'x'", "0A000", "NOTIFY"],
  ["LISTEN/NOTIFY", "UNLISTEN *", "0A000", "UNLISTEN"],
  ["VACUUM/LOCK", "VACUUM flows", "25006", "VACUUM"],
  ["VACUUM/LOCK", "ANALYZE flows", "25006", "ANALYZE"],
  ["VACUUM/LOCK", "LOCK TABLE flows IN ACCESS EXCLUSIVE MODE", "25006", "LOCK"],
  ["PREPARE/EXECUTE", "PREPARE q AS SELECT 1", "0A000", "PREPARE"],
  ["PREPARE/EXECUTE", "EXECUTE q", "0A000", "EXECUTE"],
  ["PREPARE/EXECUTE", "DEALLOCATE ALL", "0A000", "DEALLOCATE"],
  ["cursors", "DECLARE c CURSOR FOR SELECT 1", "0A000", "DECLARE"],

  ["row locks", "SELECT * FROM flows FOR UPDATE", "25006", "FOR UPDATE"],
  ["row locks", "SELECT * FROM flows WHERE ts > now() FOR SHARE SKIP LOCKED", "25006", "FOR UPDATE/SHARE"],
  ["row locks", "SELECT * FROM (SELECT * FROM flows FOR NO KEY UPDATE) s", "25006", "FOR UPDATE"],
  ["row locks", "SELECT 1 UNION ALL SELECT 2 FOR KEY SHARE", "25006", "FOR UPDATE/SHARE"],

  ["file/URL functions", "SELECT * FROM read_csv('/etc/passwd')", "42501", "read_csv"],
  ["file/URL functions", "SELECT * FROM read_csv_auto('https://example.com/x.csv')", "42501", "read_csv_auto"],
  [
    "file/URL functions",
    "SELECT count(*) FROM (SELECT * FROM read_parquet('s3://b/*.parquet')) p",
    "42501",
    "read_parquet",
  ],
  ["file/URL functions", "SELECT * FROM parquet_scan('/warehouse/flows/data/x.parquet')", "42501", "parquet_scan"],
  [
    "file/URL functions",
    "WITH j AS (SELECT * FROM read_json_auto('x.json')) SELECT * FROM j",
    "42501",
    "read_json_auto",
  ],
  ["file/URL functions", "SELECT * FROM flows f, LATERAL glob('/etc/*') g", "42501", "glob"],
  ["file/URL functions", "SELECT * FROM \"READ_CSV\"('/etc/passwd')", "42501", "read_csv"],
  ["file/URL functions", "SELECT length((SELECT content FROM read_text('/etc/shadow')))", "42501", "read_text"],
  ["file/URL functions", "SELECT * FROM read_blob('/etc/hosts')", "42501", "read_blob"],
  ["file/URL functions", "SELECT * FROM iceberg_scan('s3://warehouse/flows')", "42501", "iceberg_scan"],
  ["file/URL functions", "SELECT * FROM delta_scan('x')", "42501", "delta_scan"],
  ["file/URL functions", "SELECT * FROM sqlite_scan('x.db', 't')", "42501", "sqlite_scan"],
  ["file/URL functions", "SELECT * FROM postgres_scan('host=x', 'public', 'flows')", "42501", "postgres_scan"],
  ["file/URL functions", "SELECT * FROM query('SELECT * FROM read_csv(''x'')')", "42501", "query"],
  ["file/URL functions", "SELECT * FROM query_table('flows')", "42501", "query_table"],
  ["DuckDB introspection", "SELECT * FROM duckdb_databases()", "42501", "duckdb_databases"],
  ["DuckDB introspection", "SELECT path FROM pragma_database_list()", "42501", "pragma_database_list"],
  ["DuckDB introspection", "SELECT * FROM duckdb_temporary_files()", "42501", "duckdb_temporary_files"],
  ["DuckDB introspection", "SELECT * FROM arrow_scan('x')", "42501", "arrow_scan"],
  ["server files", "SELECT pg_read_file('/etc/passwd')", "42501", "pg_read_file"],
  [
    "server files",
    "SELECT * FROM flows WHERE bytes > length(pg_catalog.pg_read_binary_file('x'))",
    "42501",
    "pg_read_binary_file",
  ],
  ["server files", "SELECT * FROM pg_ls_dir('.')", "42501", "pg_ls_dir"],
  ["server files", "SELECT (pg_stat_file('postgresql.conf')).size", "42501", "pg_stat_file"],
  ["server files", "SELECT lo_import('/etc/passwd')", "42501", "lo_import"],
  ["server files", "SELECT lo_export(1, '/tmp/x')", "42501", "lo_export"],
  ["SQL in strings", "SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", "42501", "dblink"],
  ["SQL in strings", "SELECT dblink_exec('drop table flows')", "42501", "dblink_exec"],
  ["SQL in strings", "SELECT query_to_xml('select pg_read_file(''x'')', true, true, '')", "42501", "query_to_xml"],
  ["DoS and control", "SELECT pg_sleep(3600)", "42501", "pg_sleep"],
  ["DoS and control", "SELECT count(*) FROM flows WHERE pg_sleep_for('1 hour') IS NULL", "42501", "pg_sleep_for"],
  ["DoS and control", "SELECT set_config('statement_timeout', '0', false)", "42501", "set_config"],
  ["DoS and control", "SELECT pg_terminate_backend(1)", "42501", "pg_terminate_backend"],
  ["DoS and control", "SELECT pg_cancel_backend(pid) FROM (SELECT 1 AS pid) s", "42501", "pg_cancel_backend"],
  ["DoS and control", "SELECT pg_reload_conf()", "42501", "pg_reload_conf"],
  ["DoS and control", "SELECT pg_advisory_lock(1)", "42501", "pg_advisory_lock"],
  ["settings leaks", "SELECT current_setting('data_directory')", "42501", "current_setting"],
  ["settings leaks", "SELECT current_setting('s3_secret_access_key')", "42501", "s3_secret_access_key"],
  ["settings leaks", "SELECT current_setting(name) FROM (VALUES ('hba_file')) v(name)", "42501", "current_setting"],

  ["file path as table", 'SELECT * FROM "flows.parquet"', "42501", "file path"],
  ["file path as table", 'SELECT count(*) FROM "s3://bucket/data/x.csv"', "42501", "file path"],
  ["file path as table", 'SELECT * FROM flows f JOIN "/etc/passwd" p ON true', "42501", "file path"],
  ["file path as table", "SELECT * FROM 'flows.parquet'", "42601", "syntax error"],
  ["file path as table", "SELECT * FROM data.parquet", "42501", "file path"],
  ["file path as table", "SELECT * FROM x.y.csv", "42501", "file path"],
  ["unsupported time zones", "SET TIME ZONE -7", "22023", "time zone"],
  ["unsupported time zones", "SET TimeZone = 'UTC+2'", "22023", "time zone"],
  ["unsupported time zones", "SET LOCAL TIME ZONE 'Mars/Olympus'", "22023", "time zone"],
  ["secret catalogs", "SELECT rolpassword FROM pg_authid", "42501", "pg_authid"],
  ["secret catalogs", "SELECT passwd FROM pg_catalog.pg_shadow", "42501", "pg_shadow"],
  ["secret catalogs", "SELECT * FROM flows WHERE exists (SELECT 1 FROM pg_user_mapping)", "42501", "pg_user_mapping"],
  ["secret catalogs", "TABLE pg_catalog.pg_authid", "42501", "pg_authid"],
  ["secret catalogs", "SELECT query FROM pg_stat_activity", "42501", "pg_stat_activity"],

  ["SET outside the allow-list", "SET search_path = evil, public", "42501", "search_path"],
  ["SET outside the allow-list", "SET ROLE postgres", "42501", "role"],
  ["SET outside the allow-list", "SET SESSION AUTHORIZATION postgres", "42501", "session_authorization"],
  ["SET outside the allow-list", "SET LOCAL work_mem = '64GB'", "42501", "work_mem"],
  ["SET outside the allow-list", "RESET enable_seqscan", "42501", "enable_seqscan"],
  ["statement_timeout limit", "SET statement_timeout = 0", "42501", "statement_timeout"],
  ["statement_timeout limit", "SET statement_timeout = '2min'", "42501", "statement_timeout"],
  ["statement_timeout limit", "SET LOCAL statement_timeout TO 60001", "42501", "statement_timeout"],
  ["statement_timeout limit", "SET statement_timeout = 'forever'", "22023", "statement_timeout"],
  ["client_encoding", "SET client_encoding = 'LATIN1'", "0A000", "client_encoding"],
  ["client_encoding", "SET client_encoding TO 'SQL_ASCII'", "0A000", "client_encoding"],
  ["client_encoding", "SET LOCAL client_encoding = WIN1252", "0A000", "client_encoding"],
  ["READ WRITE", "BEGIN READ WRITE", "25006", "READ WRITE"],
  ["READ WRITE", "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE", "25006", "READ WRITE"],
  ["READ WRITE", "SET TRANSACTION READ WRITE", "25006", "READ WRITE"],
  ["READ WRITE", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "25006", "READ WRITE"],
  ["two-phase commit", "PREPARE TRANSACTION 'x'", "0A000", "two-phase"],
  ["two-phase commit", "COMMIT PREPARED 'x'", "0A000", "two-phase"],
  ["two-phase commit", "ROLLBACK PREPARED 'x'", "0A000", "two-phase"],
  ["SHOW leaks", "SHOW data_directory", "42501", "data_directory"],
  ["SHOW leaks", "SHOW ALL", "42501", "all"],
  ["SHOW leaks", "SHOW hba_file", "42501", "hba_file"],
  ["EXPLAIN of a write", "EXPLAIN ANALYZE DELETE FROM flows", "25006", "DELETE"],
  ["EXPLAIN of a write", "EXPLAIN INSERT INTO flows SELECT * FROM flows", "25006", "INSERT"],
  ["EXPLAIN of a write", "EXPLAIN (ANALYZE) CREATE TABLE t AS SELECT 1", "25006", "CREATE TABLE AS"],
  ["EXPLAIN of a write", "EXPLAIN ANALYZE SELECT * FROM read_parquet('x')", "42501", "read_parquet"],
  ["syntax errors", "SELEC 1", "42601", "syntax error"],
  ["syntax errors", "SELECT * FROM flows WHERE", "42601", "syntax error"],
  ["syntax errors", "SELECT 'unterminated", "42601", "unterminated"],
];

describe("refused statements", () => {
  it.each(REFUSED)("%s: %s → %s", (_class, sql, code, naming) => {
    const error = refusal(sql);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(false);
    expect(error.kind).toBe(code === "42601" ? "syntax" : "refused");
    expect(`${error.message} ${error.detail ?? ""}`.toLowerCase()).toContain(naming.toLowerCase());
    // Refusing leaves nothing behind: the next request is served.
    expect(checkStatement("SELECT 1").kind).toBe("select");
  });

  it("covers every forbidden class with at least three variants", () => {
    const perClass = new Map<string, number>();
    for (const [c] of REFUSED) perClass.set(c, (perClass.get(c) ?? 0) + 1);
    for (const [c, n] of perClass) expect(n, c).toBeGreaterThanOrEqual(c === "cursors" ? 1 : 3);
  });
});

describe("error positions", () => {
  it("reports the parser's position, 1-based, counted in characters", () => {
    expect(refusal("SELECT * FROM 'x.parquet'").position).toBe(15);
    // Two multibyte characters before the error must not shift it.
    expect(refusal("SELECT 'é€' FROM 'x'").position).toBe(18);
  });

  it("points at the refused function and relation", () => {
    expect(refusal("SELECT 1, read_csv('x')").position).toBe(11);
    expect(refusal("SELECT 'ü', pg_sleep(1)").position).toBe(13);
    expect(refusal("SELECT * FROM pg_authid").position).toBe(15);
  });

  it("points at the second statement", () => {
    expect(refusal("SELECT 1; SELECT 2").position).toBe(11);
  });
});

/** [description, sql, expected kind] */
const ACCEPTED: readonly [string, string, CheckedStatement["kind"]][] = [
  ["plain count", "SELECT count(*) FROM flows", "select"],
  [
    "comments everywhere",
    "/* DROP TABLE flows; */ SELECT -- DELETE FROM flows\n count(*) FROM flows /* ; */",
    "select",
  ],
  ["quoted alias named like a function", 'SELECT bytes AS "read_csv", ts AS "pg_read_file" FROM flows', "select"],
  ["quoted column named read_csv in a CTE", 'WITH x AS (SELECT 1 AS "read_csv") SELECT "read_csv" FROM x', "select"],
  [
    "CTEs named like functions",
    "WITH read_csv AS (SELECT 1 AS a), glob AS (SELECT a FROM read_csv) SELECT * FROM glob",
    "select",
  ],
  [
    "forbidden words in literals",
    "SELECT 'DROP TABLE flows; COPY x TO ''/tmp''' AS s, 'read_csv(''/etc/passwd'')' AS t",
    "select",
  ],
  ["dollar-quoted strings", "SELECT $$DELETE FROM flows$$ AS a, $tag$ATTACH 'x'; PRAGMA y$tag$ AS b", "select"],
  ["escape string", "SELECT E'\\x41 INSERT INTO x' AS s", "select"],
  [
    "window functions",
    "SELECT src_addr, sum(bytes) OVER (PARTITION BY exporter ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW), rank() OVER w FROM flows WINDOW w AS (ORDER BY bytes DESC)",
    "select",
  ],
  ["EXPLAIN", "EXPLAIN SELECT count(*) FROM flows WHERE ts > now() - interval '1 day'", "explain"],
  ["EXPLAIN ANALYZE of a SELECT", "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", "explain"],
  [
    "CIDR containment",
    "SELECT count(*) FROM flows WHERE src_addr << '10.0.0.0/8' OR dst_addr <<= '2001:db8::/32'::cidr",
    "select",
  ],
  [
    "time_bucket",
    "SELECT time_bucket('5 minutes', ts) AS b, sum(bytes) FROM flows WHERE ts >= now() - interval '1 hour' GROUP BY 1 ORDER BY 1",
    "select",
  ],
  ["percentile_cont WITHIN GROUP", "SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY bytes) FROM flows", "select"],
  [
    "LATERAL",
    "SELECT e.exporter, t.* FROM (SELECT DISTINCT exporter FROM flows) e, LATERAL (SELECT dst_port, count(*) FROM flows f WHERE f.exporter = e.exporter GROUP BY 1 ORDER BY 2 DESC LIMIT 3) t",
    "select",
  ],
  ["VALUES list", "VALUES (1, 'a'), (2, 'b')", "select"],
  ["VALUES in FROM", "SELECT * FROM (VALUES (80, 'http'), (443, 'https')) AS p(port, name)", "select"],
  [
    "nested CTEs",
    "WITH a AS (WITH b AS (SELECT ts, bytes FROM flows) SELECT * FROM b), c AS (SELECT sum(bytes) AS s FROM a) SELECT * FROM c",
    "select",
  ],
  [
    "recursive CTE",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT * FROM n",
    "select",
  ],
  [
    "join to a lookup table",
    "SELECT e.name, sum(f.bytes) FROM flows f JOIN ref.exporters e ON e.address = f.exporter GROUP BY 1",
    "select",
  ],
  [
    "set operations",
    "SELECT src_addr FROM flows INTERSECT SELECT dst_addr FROM flows EXCEPT SELECT '10.0.0.1'::inet",
    "select",
  ],
  ["TABLE shorthand", "TABLE flows", "select"],
  [
    "catalog introspection",
    "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
    "select",
  ],
  [
    "psql \\d style",
    "SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'flows'::regclass",
    "select",
  ],
  ["current_setting of a safe setting", "SELECT current_setting('server_version_num')::int", "select"],
  [
    "functions with forbidden-looking prefixes",
    "SELECT lower('X'), read_csv_count FROM (SELECT 1 AS read_csv_count) s",
    "select",
  ],
  ["trailing semicolon", "SELECT 1;", "select"],
  [
    "quoted table alias",
    'SELECT "f"."bytes" FROM flows AS "f" WHERE "f".ts BETWEEN \'2026-01-01\' AND \'2026-01-02\'',
    "select",
  ],
  [
    "FILTER and GROUPING SETS",
    "SELECT proto, count(*) FILTER (WHERE bytes > 1000) FROM flows GROUP BY GROUPING SETS ((proto), ())",
    "select",
  ],
  ["BEGIN", "BEGIN", "transaction"],
  ["BEGIN READ ONLY REPEATABLE READ", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "transaction"],
  ["START TRANSACTION", "START TRANSACTION READ ONLY", "transaction"],
  ["COMMIT", "COMMIT", "transaction"],
  ["END", "END", "transaction"],
  ["ROLLBACK", "ROLLBACK", "transaction"],
  ["SAVEPOINT", "SAVEPOINT s1", "transaction"],
  ["SHOW TimeZone", "SHOW TimeZone", "show"],
  ["SHOW transaction isolation", "SHOW TRANSACTION ISOLATION LEVEL", "show"],
  ["SET TimeZone", "SET TIME ZONE 'Europe/Paris'", "set"],
  ["SET LOCAL TimeZone", "SET LOCAL TimeZone = 'UTC'", "set"],
  ["SET application_name", "SET application_name = 'grafana'", "set"],
  ["SET DateStyle", "SET DateStyle = ISO, MDY", "set"],
  ["SET extra_float_digits", "SET extra_float_digits = 3", "set"],
  ["SET client_encoding", "SET client_encoding = 'UTF8'", "set"],
  ["SET statement_timeout within the limit", "SET statement_timeout = '30s'", "set"],
  ["RESET ALL", "RESET ALL", "set"],
  ["SET TRANSACTION READ ONLY", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", "set"],
];

describe("accepted statements", () => {
  it.each(ACCEPTED)("%s", (_description, sql, kind) => {
    expect(checkStatement(sql, { maxStatementTimeoutMs: 60_000 }).kind).toBe(kind);
  });

  it("accepts at least 20 tricky SELECT-like queries", () => {
    expect(ACCEPTED.filter(([, , kind]) => kind === "select" || kind === "explain").length).toBeGreaterThanOrEqual(20);
  });

  it("describes what it accepted", () => {
    expect(checkStatement("EXPLAIN ANALYZE SELECT 1")).toMatchObject({ kind: "explain", analyze: true });
    expect(checkStatement("EXPLAIN (ANALYZE false) SELECT 1")).toMatchObject({ kind: "explain", analyze: false });
    expect(checkStatement("SET TIME ZONE 'Europe/Paris'")).toEqual({
      kind: "set",
      name: "timezone",
      value: "Europe/Paris",
      local: false,
    });
    expect(checkStatement("SET LOCAL statement_timeout = 5000")).toEqual({
      kind: "set",
      name: "statement_timeout",
      value: "5000",
      local: true,
    });
    expect(checkStatement("RESET TimeZone")).toEqual({ kind: "set", name: "timezone", value: null, local: false });
    expect(checkStatement("START TRANSACTION ISOLATION LEVEL REPEATABLE READ")).toEqual({
      kind: "transaction",
      action: "begin",
      isolation: "repeatable read",
    });
    expect(checkStatement("SHOW TRANSACTION ISOLATION LEVEL")).toEqual({ kind: "show", name: "transaction_isolation" });
  });
});
