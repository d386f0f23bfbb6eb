import { describe, expect, it } from "vitest";
import { classify } from "./classify.ts";

const user = { superuser: false, extended: false };
const admin = { superuser: true, extended: false };

describe("classify", () => {
  it("passes ordinary statements without parsing them", async () => {
    for (const sql of ["SELECT 1", "INSERT INTO t VALUES (1)", "SET TimeZone = 'UTC'", "BEGIN", "SHOW search_path"]) {
      expect(await classify(sql, user), sql).toEqual({ kind: "pass" });
    }
  });

  it("refuses role changes for everyone", async () => {
    for (const sql of [
      "SET ROLE x",
      "set local role x",
      "SET SESSION ROLE x",
      "RESET ROLE",
      "SET SESSION AUTHORIZATION x",
      "RESET SESSION AUTHORIZATION",
      "SELECT 1; SET ROLE x",
    ]) {
      expect(await classify(sql, admin), sql).toMatchObject({ kind: "refuse", code: "42501" });
    }
  });

  it("refuses shared-session statements and, for non-superusers, escapes to the superuser", async () => {
    expect(await classify("DISCARD ALL", admin)).toMatchObject({ kind: "refuse", code: "0A000" });
    expect(await classify("DEALLOCATE ALL", admin)).toMatchObject({ kind: "refuse", code: "0A000" });
    expect(await classify("DEALLOCATE foo", admin)).toEqual({ kind: "pass" });
    expect(await classify("DO $$ BEGIN END $$", user)).toMatchObject({ kind: "refuse", code: "42501" });
    expect(await classify("DO $$ BEGIN END $$", admin)).toEqual({ kind: "pass" });
    expect(await classify("SELECT set_config('role', 'x', false)", user)).toMatchObject({ kind: "refuse" });
    expect(await classify("SELECT pg_catalog.set_config($1, 'x', false)", user)).toMatchObject({ kind: "refuse" });
    expect(await classify("SELECT set_config('search_path', 'x', false)", user)).toEqual({ kind: "pass" });
    expect(await classify("LISTEN archive", admin)).toMatchObject({ kind: "refuse", code: "0A000" });
    expect(await classify("SELECT pg_advisory_lock(1)", admin)).toMatchObject({ kind: "refuse", code: "0A000" });
    expect(await classify("SELECT pg_try_advisory_lock_shared(1, 2)", admin)).toMatchObject({ kind: "refuse" });
    expect(await classify("SELECT pg_advisory_unlock_all()", admin)).toMatchObject({ kind: "refuse" });
    expect(await classify("SELECT pg_advisory_xact_lock(1)", user)).toEqual({ kind: "pass" });
    // Statements cannot hide behind fake literals in comments or dollar quotes.
    expect(await classify("SELECT 1 /* ' */; SET ROLE x; /* ' */", admin)).toMatchObject({ kind: "refuse" });
    expect(await classify("SELECT $$ ' $$; SET ROLE x; SELECT $$ ' $$", admin)).toMatchObject({ kind: "refuse" });
    // Words in literals or identifiers alone do not refuse anything.
    expect(await classify("INSERT INTO notes VALUES ('to do: copy the role', 'it''s')", user)).toEqual({
      kind: "pass",
    });
    expect(await classify("SELECT 'set role x' AS role", user)).toEqual({ kind: "pass" });
  });

  it("rewrites COPY FROM STDIN to read the blob device, keeping every option", async () => {
    expect(
      await classify('COPY "My Table" (a, "B") FROM STDIN WITH (FORMAT csv, HEADER, DELIMITER \';\')', user),
    ).toEqual({
      kind: "copy-in",
      engineSql: "COPY \"My Table\" (a, \"B\") FROM '/dev/blob' WITH (FORMAT csv, HEADER, DELIMITER ';')",
      target: '"My Table"',
      columns: 2,
      binary: false,
    });
    expect(await classify("copy s.t from stdin csv header", user)).toMatchObject({
      engineSql: "copy s.t from '/dev/blob' csv header",
      target: '"s"."t"',
      columns: 0,
    });
    // pmacct's pgsql plugin (sql_use_copy) uses the old option syntax.
    expect(await classify("COPY acct_v9 (ip_src, bytes) FROM STDIN DELIMITER ','", user)).toMatchObject({
      engineSql: "COPY acct_v9 (ip_src, bytes) FROM '/dev/blob' DELIMITER ','",
      target: '"acct_v9"',
      columns: 2,
    });
    expect(await classify("COPY t FROM STDIN (FORMAT binary)", user)).toMatchObject({ binary: true });
    expect(await classify("COPY t TO STDOUT", user)).toEqual({ kind: "pass" });
    expect(await classify("COPY t FROM STDIN", { superuser: false, extended: true })).toMatchObject({
      kind: "refuse",
      code: "0A000",
    });
    expect(await classify("SELECT 1; COPY t FROM STDIN", user)).toMatchObject({ kind: "refuse", code: "0A000" });
  });
});
