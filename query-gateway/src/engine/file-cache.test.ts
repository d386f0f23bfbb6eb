// The bounded file cache over a real object store (the filesystem one; the S3 path is covered
// by gateway.s3.test.ts): LRU eviction within the size limit, pinned files never evicted,
// one download per file under concurrency, clear errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileObjectStore, type ObjectStore } from "@netflow/iceberg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileCache } from "./file-cache.ts";

let remote: string;
let cacheRoot: string;
const KB = 1024;

/** The filesystem store, counting the ranged reads that reach it. */
class CountingStore extends FileObjectStore implements ObjectStore {
  reads = 0;
  override getRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    return super.getRange(location, offset, length);
  }
}

beforeAll(() => {
  remote = mkdtempSync(join(tmpdir(), "cache-remote-"));
  cacheRoot = mkdtempSync(join(tmpdir(), "cache-local-"));
  for (const [name, size] of [
    ["a", 10],
    ["b", 10],
    ["c", 10],
    ["big", 25],
  ] as const) {
    writeFileSync(join(remote, name), Buffer.alloc(size * KB, name));
  }
});

afterAll(() => {
  rmSync(remote, { recursive: true, force: true });
  rmSync(cacheRoot, { recursive: true, force: true });
});

const loc = (name: string) => `file://${join(remote, name)}`;

async function newCache(maxBytes: number, store: ObjectStore = new CountingStore()) {
  const cache = new FileCache({ dir: mkdtempSync(join(cacheRoot, "c-")), maxBytes, store, chunkBytes: 4 * KB });
  await cache.start();
  return cache;
}

describe("file cache", () => {
  it("copies files exactly, in pieces", async () => {
    const store = new CountingStore();
    const cache = await newCache(100 * KB, store);
    const pinned = await cache.acquire([loc("big")], 25 * KB);
    expect(readFileSync(pinned.paths[0] ?? "")).toEqual(readFileSync(join(remote, "big")));
    expect(store.reads).toBe(7); // 25 KiB in 4 KiB pieces, the last one short
    pinned.release();
  });

  it("evicts least recently used files to stay within its limit", async () => {
    const cache = await newCache(25 * KB);
    for (const name of ["a", "b", "a", "c"]) (await cache.acquire([loc(name)], 10 * KB)).release();
    // a was used after b, so b went when c came.
    expect(cache.stats()).toMatchObject({ files: 2, bytes: 20 * KB, misses: 3, hits: 1, evictions: 1 });
    (await cache.acquire([loc("a")], 10 * KB)).release();
    expect(cache.stats().hits).toBe(2);
  });

  it("never evicts a pinned file", async () => {
    const cache = await newCache(15 * KB);
    const held = await cache.acquire([loc("a")], 10 * KB);
    (await cache.acquire([loc("b")], 10 * KB)).release();
    // Over the limit while a is held: b (unpinned) goes, a stays readable.
    expect(cache.stats()).toMatchObject({ files: 1, bytes: 10 * KB });
    expect(readFileSync(held.paths[0] ?? "").length).toBe(10 * KB);
    held.release();
  });

  it("concurrent queries share one download per file", async () => {
    const store = new CountingStore();
    const cache = await newCache(100 * KB, store);
    const all = await Promise.all(Array.from({ length: 8 }, () => cache.acquire([loc("a"), loc("b")], 20 * KB)));
    expect(store.reads).toBe(2 * 3); // 10 KiB = three 4 KiB pieces, once per file
    expect(new Set(all.map((p) => p.paths.join()))).toHaveProperty("size", 1);
    for (const p of all) p.release();
    expect(cache.stats()).toMatchObject({ files: 2, misses: 2, hits: 14 });
  });

  it("refuses a query that needs more than the whole cache, and reports missing objects", async () => {
    const cache = await newCache(20 * KB);
    await expect(cache.acquire([loc("big")], 25 * KB)).rejects.toMatchObject({ kind: "limit" });
    await expect(cache.acquire([loc("nope")], 1)).rejects.toMatchObject({ kind: "unavailable" });
    // A failed download is not cached: the next try fetches again (and fails again here).
    await expect(cache.acquire([loc("nope")], 1)).rejects.toMatchObject({ kind: "unavailable" });
    expect(cache.stats().files).toBe(0);
  });
});
