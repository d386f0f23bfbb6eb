import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileObjectStore, fileLocationToPath } from "./file-store.ts";
import { objectStoreSuite } from "./object-store.suite.ts";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "filestore-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

objectStoreSuite("file:// URIs", () => ({ store: new FileObjectStore(), base: `${pathToFileURL(dir).href}/uri/` }));
objectStoreSuite("plain paths", () => ({ store: new FileObjectStore(), base: `${dir}/plain/` }));

describe("file locations", () => {
  it("map to paths literally, as PyIceberg's and Hadoop's file IO do", async () => {
    expect(fileLocationToPath("file:///wh/t/s=a%2Fb/f.parquet")).toBe("/wh/t/s=a%2Fb/f.parquet");
    expect(fileLocationToPath("file:/wh/x")).toBe("/wh/x");
    expect(fileLocationToPath("file://localhost/wh/x")).toBe("/wh/x");
    expect(fileLocationToPath("/wh/x")).toBe("/wh/x");
    expect(() => fileLocationToPath("file://host/wh/x")).toThrow(/not a local file location/);
    expect(() => fileLocationToPath("s3://b/k")).toThrow(/not a local file location/);
    const store = new FileObjectStore();
    await store.put(`file://${dir}/lit/s=a%2Fb/f.bin`, Uint8Array.of(1));
    expect(await readdir(join(dir, "lit"))).toEqual(["s=a%2Fb"]);
  });
});
