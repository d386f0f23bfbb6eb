// Message-level checks against an independent encoder: node-postgres' pg-protocol serializer.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { serialize } from "pg-protocol";
import { describe, expect, it } from "vitest";
import { parseScramVerifier } from "./auth.ts";
import { startupSettings } from "./connection.ts";
import { PreparedNames } from "./prepared-names.ts";
import {
  commandComplete,
  copyFailReason,
  dataRows,
  endingStatus,
  errorResponse,
  firstError,
  firstResultRows,
  queryMessage,
  queryText,
  readyForQuery,
} from "./protocol.ts";
import { nextSegment, segmentsPerId, WalSync } from "./wal-sync.ts";

const copy = (b: Buffer) => new Uint8Array(b);

describe("prepared statement renaming", () => {
  const names = new PreparedNames(7);

  it("renames Parse, Bind, Describe, Close and Execute exactly like messages built with the new names", () => {
    const cases: [Buffer, Buffer][] = [
      [
        serialize.parse({ name: "s1", text: "SELECT $1::int", types: [23] }),
        serialize.parse({ name: "c7:s1", text: "SELECT $1::int", types: [23] }),
      ],
      [
        serialize.bind({ portal: "p", statement: "s1", values: ["1", null, "x"] }),
        serialize.bind({ portal: "c7:p", statement: "c7:s1", values: ["1", null, "x"] }),
      ],
      [serialize.bind({ statement: "s1", values: [] }), serialize.bind({ statement: "c7:s1", values: [] })],
      [serialize.describe({ type: "S", name: "s1" }), serialize.describe({ type: "S", name: "c7:s1" })],
      [serialize.describe({ type: "P", name: "p" }), serialize.describe({ type: "P", name: "c7:p" })],
      [serialize.close({ type: "S", name: "s1" }), serialize.close({ type: "S", name: "c7:s1" })],
      [serialize.execute({ portal: "p", rows: 10 }), serialize.execute({ portal: "c7:p", rows: 10 })],
    ];
    for (const [original, expected] of cases) {
      const input = copy(original);
      const want = copy(expected);
      expect(Buffer.from(names.rename(input).message)).toEqual(Buffer.from(want));
    }
  });

  it("leaves the unnamed statement and portal alone and reports created and closed statements", () => {
    const unnamed = copy(serialize.parse({ text: "SELECT 1" }));
    expect(names.rename(unnamed)).toEqual({ message: unnamed });
    expect(names.rename(copy(serialize.parse({ name: "a", text: "SELECT 1" }))).parsed).toBe("c7:a");
    expect(names.rename(copy(serialize.close({ type: "S", name: "a" }))).closed).toBe("c7:a");
    expect(names.rename(copy(serialize.close({ type: "P", name: "a" }))).closed).toBeUndefined();
    const sync = copy(serialize.sync());
    expect(names.rename(sync).message).toBe(sync);
  });
});

describe("messages", () => {
  it("reads query texts and CopyFail reasons", () => {
    expect(queryText(copy(serialize.query("SELECT 'ü'")))).toBe("SELECT 'ü'");
    expect(queryText(copy(serialize.parse({ name: "n", text: "SELECT 2" })))).toBe("SELECT 2");
    expect(queryText(queryMessage("SELECT 3"))).toBe("SELECT 3");
    expect(copyFailReason(copy(serialize.copyFail("gave up")))).toBe("gave up");
  });

  it("finds the ending ReadyForQuery and parses errors and rows", () => {
    const row = new Uint8Array([0x44, 0, 0, 0, 15, 0, 2, 0, 0, 0, 1, 0x61, 0xff, 0xff, 0xff, 0xff]);
    const error = errorResponse({ severity: "ERROR", code: "42501", message: "nope", hint: "ask" });
    const response = new Uint8Array([...row, ...error, ...readyForQuery("E")]);
    expect(endingStatus(response)).toBe("E");
    expect(endingStatus(row)).toBeUndefined();
    expect(dataRows(response)).toEqual([["a", null]]);
    expect(firstError(response)).toEqual({ severity: "ERROR", code: "42501", message: "nope", hint: "ask" });
    const row2 = new Uint8Array([0x44, 0, 0, 0, 11, 0, 1, 0, 0, 0, 1, 0x62]);
    const twoStatements = new Uint8Array([
      ...row,
      ...commandComplete("SELECT 1"),
      ...row2,
      ...commandComplete("SELECT 1"),
    ]);
    expect(firstResultRows(twoStatements)).toEqual([["a", null]]);
    expect(dataRows(twoStatements)).toEqual([["a", null], ["b"]]);
  });
});

describe("startup parameters", () => {
  it("turns parameters and -c options into settings", () => {
    const settings = startupSettings({
      user: "u",
      database: "d",
      application_name: "app",
      options: "-c statement_timeout=5s --search-path=x,y -c DateStyle=ISO",
    });
    expect(Object.fromEntries(settings)).toEqual({
      application_name: "app",
      statement_timeout: "5s",
      search_path: "x,y",
      DateStyle: "ISO",
    });
  });
});

describe("SCRAM verifiers", () => {
  it("parses the verifier format Postgres stores in pg_authid", () => {
    expect(parseScramVerifier("SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy")).toEqual({
      iterations: 4096,
      salt: "c2FsdA==",
      storedKey: "c3RvcmVk",
      serverKey: "c2VydmVy",
    });
    expect(parseScramVerifier("md5d41d8cd98f00b204e9800998ecf8427e")).toBeUndefined();
  });
});

describe("WAL flushing", () => {
  // 1 MB segments: 4096 a "log id", so segment 4096 is 000000010000000100000000.
  const segment = (n: number): string =>
    `00000001${(n >> 12).toString(16).toUpperCase().padStart(8, "0")}${(n & 0xfff).toString(16).toUpperCase().padStart(8, "0")}`;
  const walDir = (): {
    dir: string;
    write: (n: number, text: string) => void;
    age: (n: number, seconds: number) => void;
  } => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "walsync-"));
    fs.mkdirSync(path.join(dir, "pg_wal"));
    fs.writeFileSync(path.join(dir, "pg_wal", "archive_status"), "");
    const file = (n: number) => path.join(dir, "pg_wal", segment(n));
    // Segments are written in place at their full size (1 MB, sparse here), as Postgres does.
    const write = (n: number, text: string) => {
      const fd = fs.openSync(file(n), fs.existsSync(file(n)) ? "r+" : "w+");
      fs.ftruncateSync(fd, 1 << 20);
      fs.writeSync(fd, text, 0);
      fs.closeSync(fd);
    };
    const age = (n: number, seconds: number) => {
      const t = Date.now() / 1000 - seconds;
      fs.utimesSync(file(n), t, t);
    };
    return { dir, write, age };
  };

  it("flushes only segments modified since their last flush", async () => {
    const { dir, write, age } = walDir();
    write(1, "x");
    write(2, "y");
    age(1, 20);
    age(2, 10);
    const sync = new WalSync(dir);
    await sync.flush();
    expect(sync.syncs).toBe(2);
    await sync.flush();
    expect(sync.syncs).toBe(2);
    write(2, "more");
    // Three commits at once share two flushes (the running one may have looked before a write);
    // a segment written this recently is flushed by both, as the clock may not have ticked.
    await Promise.all([sync.flush(), sync.flush(), sync.flush()]);
    expect(sync.syncs).toBe(4);
    age(2, 10);
    await sync.flush();
    expect(sync.syncs).toBe(5);
    await sync.flush();
    expect(sync.syncs).toBe(5);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("looks only at the segment being written and the next, however many pg_wal holds", async () => {
    const { dir, write, age } = walDir();
    // 500 old segments, the current one (600), and recycled segments waiting under future names.
    for (let n = 100; n < 600; n++) {
      write(n, "old");
      age(n, 3600);
    }
    write(600, "current");
    age(600, 5);
    for (let n = 601; n < 640; n++) {
      write(n, "recycled");
      age(n, 7200);
    }
    const sync = new WalSync(dir);
    await sync.flush();
    expect(sync.syncs).toBe(540);
    await sync.flush();
    expect({ syncs: sync.syncs, checked: sync.lastChecked }).toEqual({ syncs: 540, checked: 2 });
    // A commit fills the current segment and goes on into the first recycled one.
    write(600, "commit");
    write(601, "commit");
    await sync.flush();
    expect({ syncs: sync.syncs, checked: sync.lastChecked }).toEqual({ syncs: 542, checked: 3 });
    // Read-only transactions after it: the new current segment is flushed while its mtime is
    // recent (see RECENT_NS), then only looked at.
    age(601, 5);
    await sync.flush();
    expect({ syncs: sync.syncs, checked: sync.lastChecked }).toEqual({ syncs: 543, checked: 2 });
    await sync.flush();
    expect({ syncs: sync.syncs, checked: sync.lastChecked }).toEqual({ syncs: 543, checked: 2 });
    // Only the first flush listed pg_wal: the others went from segment to segment by name.
    expect(sync.listings).toBe(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("with writes reported, looks at the files only after a write, and waits for a flush still running", async () => {
    const { dir, write } = walDir();
    write(1, "x");
    const sync = new WalSync(dir);
    const written = sync.reportWrites();
    await sync.flush(); // Nothing reported yet: the first flush still looks.
    expect({ passes: sync.passes, syncs: sync.syncs }).toEqual({ passes: 1, syncs: 1 });
    await sync.flush();
    expect(sync.passes).toBe(1);
    write(1, "more");
    written();
    // A commit arriving while that flush runs, with nothing written since it started, shares it.
    const running = sync.flush();
    expect(sync.flush()).toBe(running);
    await running;
    expect({ passes: sync.passes, syncs: sync.syncs }).toEqual({ passes: 2, syncs: 2 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("follows WAL from the last segment of a log id into the next one", async () => {
    const { dir, write, age } = walDir();
    write(4094, "old");
    age(4094, 3600);
    write(4095, "current");
    age(4095, 5);
    const sync = new WalSync(dir);
    await sync.flush();
    await sync.flush();
    const before = sync.syncs;
    write(4095, "commit");
    write(4096, "commit"); // 000000010000000100000000
    await sync.flush();
    expect({ synced: sync.syncs - before, checked: sync.lastChecked, listings: sync.listings }).toEqual({
      synced: 2,
      checked: 2,
      listings: 1,
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("segment names and sizes", () => {
    expect(segmentsPerId(1n << 20n)).toBe(4096);
    expect(segmentsPerId(16n << 20n)).toBe(256);
    expect(segmentsPerId(3n)).toBeUndefined();
    expect(segmentsPerId((1n << 20n) + 6n)).toBeUndefined();
    expect(nextSegment("000000010000000000000FFE", 4096)).toBe("000000010000000000000FFF");
    expect(nextSegment("000000010000000000000FFF", 4096)).toBe("000000010000000100000000");
    expect(nextSegment("0000000200000003000000FF", 256)).toBe("000000020000000400000000");
  });
});
