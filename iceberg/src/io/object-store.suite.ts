/**
 * The one test suite every ObjectStore implementation must pass. Each
 * implementation's test file calls `objectStoreSuite` with a factory that
 * returns a store and a base location that is empty.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "./object-store.ts";

export interface SuiteTarget {
  readonly store: ObjectStore;
  /** A location prefix ending in "/" under which the suite may create objects. */
  readonly base: string;
}

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export function objectStoreSuite(name: string, target: () => SuiteTarget): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it("put/get/head round trip, replace, delete", async () => {
      const { store, base } = target();
      const loc = `${base}rt/a.bin`;
      const data = randomBytes(1000);
      expect(await store.put(loc, data)).toEqual({ size: 1000 });
      expect(sha(await store.get(loc))).toBe(sha(data));
      expect((await store.head(loc))?.size).toBe(1000);
      await store.put(loc, Uint8Array.of(1, 2, 3));
      expect([...(await store.get(loc))]).toEqual([1, 2, 3]);
      await store.delete(loc);
      expect(await store.head(loc)).toBeUndefined();
      await store.delete(loc); // deleting twice is fine
    });

    it("getRange reads exact slices and clamps at the end", async () => {
      const { store, base } = target();
      const loc = `${base}range/r.bin`;
      const data = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.put(loc, data);
      expect([...(await store.getRange(loc, 10, 5))]).toEqual([10, 11, 12, 13, 14]);
      expect([...(await store.getRange(loc, 250, 100))]).toEqual([250, 251, 252, 253, 254, 255]);
      expect((await store.getRange(loc, 248, 8)).length).toBe(8);
    });

    it("missing objects are typed missing-file errors naming the location", async () => {
      const { store, base } = target();
      const loc = `${base}nope/missing.json`;
      await expect(store.get(loc)).rejects.toMatchObject({ kind: "missing-file", file: loc });
      await expect(store.getRange(loc, 0, 4)).rejects.toBeInstanceOf(IcebergError);
      expect(await store.head(loc)).toBeUndefined();
    });

    it("keys with percent-escapes are literal: a partition path s=a%2Fb stays one object", async () => {
      // Partition directories carry URL-encoded values (Iceberg, Java and
      // PyIceberg take the location string literally), so "a/b" is "a%2Fb".
      const { store, base } = target();
      const loc = `${base}esc/s=a%2Fb/t=x%20y/f.bin`;
      await store.put(loc, Uint8Array.of(9));
      expect([...(await store.get(loc))]).toEqual([9]);
      expect((await store.list(`${base}esc/`)).map((o) => o.location)).toEqual([loc]);
      expect(await store.head(`${base}esc/s=a/b/t=x y/f.bin`)).toBeUndefined();
    });

    it("list returns every object under a prefix, recursively, and nothing else", async () => {
      const { store, base } = target();
      for (const k of ["ls/x/1", "ls/x/2", "ls/x/y/3", "ls/z/4", "lsx/5"])
        await store.put(`${base}${k}`, Uint8Array.of(7));
      const got = (await store.list(`${base}ls/x/`)).map((o) => o.location.slice(base.length));
      expect(got).toEqual(["ls/x/1", "ls/x/2", "ls/x/y/3"]);
      const all = (await store.list(`${base}ls/`)).map((o) => o.location.slice(base.length));
      expect(all).toEqual(["ls/x/1", "ls/x/2", "ls/x/y/3", "ls/z/4"]);
      expect((await store.list(`${base}ls/x/`))[0]?.size).toBe(1);
    });

    it("streams a large body in parts (multipart above the threshold)", async () => {
      const { store, base } = target();
      const loc = `${base}big/large.bin`;
      const chunk = randomBytes(1024 * 1024 + 7);
      const hash = createHash("sha256");
      async function* body(): AsyncIterable<Uint8Array> {
        for (let i = 0; i < 12; i++) {
          hash.update(chunk);
          yield chunk;
        }
      }
      const { size } = await store.put(loc, body());
      expect(size).toBe(12 * chunk.length);
      expect((await store.head(loc))?.size).toBe(size);
      const back = await store.get(loc);
      expect(sha(back)).toBe(hash.digest("hex"));
      const mid = await store.getRange(loc, 5 * 1024 * 1024 + 3, 10);
      expect([...mid]).toEqual([...back.subarray(5 * 1024 * 1024 + 3, 5 * 1024 * 1024 + 13)]);
    });
  });
}
