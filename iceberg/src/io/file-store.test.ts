import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { FileObjectStore } from "./file-store.ts";
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
