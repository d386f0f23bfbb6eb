import { describe, expect, it } from "vitest";
import { archiverConfigFromEnv } from "./config.ts";
import { ArchiverError } from "./errors.ts";
import { archiveJobId, intervalSeconds } from "./queue/scan.ts";

const base = { PG_URL: "postgres://netflow_archiver:x@127.0.0.1:5433/postgres", WAREHOUSE: "file:///tmp/wh" };

describe("archiver config", () => {
  it("has documented defaults", () => {
    const c = archiverConfigFromEnv(base);
    expect(c.archiveAfter).toBe("7 days");
    expect(c.batchRows).toBe(10_000);
    expect(c.maintenance.coldRetentionDays).toBeUndefined();
    expect(c.s3).toBeUndefined();
  });

  it.each([
    [{ ...base, PG_URL: "mysql://x" }, /PG_URL/],
    [{ ...base, WAREHOUSE: "/tmp/wh" }, /WAREHOUSE/],
    [{ ...base, WAREHOUSE: "s3://b/p" }, /S3_ACCESS_KEY_ID/],
    [{ ...base, ARCHIVE_AFTER: "soon" }, /ARCHIVE_AFTER/],
    [{ ...base, ARCHIVE_BATCH_ROWS: "-1" }, /ARCHIVE_BATCH_ROWS/],
    [{ ...base, COLD_RETENTION: "forever" }, /COLD_RETENTION/],
  ])("refuses %o", (env, message) => {
    expect(() => archiverConfigFromEnv(env)).toThrow(message);
    expect(() => archiverConfigFromEnv(env)).toThrow(ArchiverError);
  });

  it("reads S3 settings and retention", () => {
    const c = archiverConfigFromEnv({
      ...base,
      WAREHOUSE: "s3://b/p",
      S3_ACCESS_KEY_ID: "a",
      S3_SECRET_ACCESS_KEY: "s",
      COLD_RETENTION: "5 years",
    });
    expect(c.s3).toEqual({ endpoint: undefined, region: "us-east-1", accessKeyId: "a", secretAccessKey: "s" });
    expect(c.maintenance.coldRetentionDays).toBe(5 * 365);
  });
});

describe("job ids and intervals", () => {
  it("job ids come from the system identifier and the chunk id only", () => {
    expect(archiveJobId("7712807613095772202", 42)).toBe("archive:7712807613095772202:42");
  });
  it.each([
    ["7 days", 604_800],
    ["12 hours", 43_200],
    ["1 week", 604_800],
  ])("%s = %d s", (text, seconds) => {
    expect(intervalSeconds(text)).toBe(seconds);
  });
});
