import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { drainHealthFiles, isCompleteCsv } from "./print-reader.ts";

const HEADER = "PEER_SRC_IP,EXPORT_PROTO_SEQNO,EXPORT_PROTO_VERSION,EXPORT_PROTO_SYSID,PACKETS,BYTES\n";
const LINES = "127.0.4.1,1,5,1,9,5028\n127.0.4.1,2,5,1,9,8110\n";

describe("health print files", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dirWith = (name: string, text: string, ageMs: number): string => {
    const dir = mkdtempSync(join(tmpdir(), "health-"));
    dirs.push(dir);
    writeFileSync(join(dir, name), text);
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(join(dir, name), t, t);
    return dir;
  };

  it("tells a completely written CSV from one cut mid-line or mid-field", () => {
    expect(isCompleteCsv(HEADER + LINES)).toBe(true);
    expect(isCompleteCsv(HEADER)).toBe(true);
    expect(isCompleteCsv("")).toBe(false);
    expect(isCompleteCsv(HEADER + LINES.slice(0, -1))).toBe(false);
    expect(isCompleteCsv(`${HEADER}127.0.4.1,3,5,1\n`)).toBe(false);
  });

  it("leaves a half-written file in place until pmacct finishes it, then counts it once", async () => {
    const half = HEADER + LINES.slice(0, 30);
    const dir = dirWith("sfacctd-100.csv", half, 5_000);
    expect(await drainHealthFiles(dir)).toEqual([]);
    writeFileSync(join(dir, "sfacctd-100.csv"), HEADER + LINES);
    const t = (Date.now() - 5_000) / 1000;
    utimesSync(join(dir, "sfacctd-100.csv"), t, t);
    const batches = await drainHealthFiles(dir);
    expect(batches.flatMap((b) => b.records).reduce((n, r) => n + r.records, 0)).toBe(18);
    expect(await drainHealthFiles(dir)).toEqual([]);
  });

  it("gives up waiting on a file that stays malformed, and skips files still settling", async () => {
    const broken = dirWith("sfacctd-200.csv", `${HEADER}127.0.4.1,3,5`, 60_000);
    expect((await drainHealthFiles(broken)).length).toBe(1);
    const fresh = dirWith("nfacctd-300.csv", HEADER + LINES, 0);
    expect(await drainHealthFiles(fresh)).toEqual([]);
  });
});
