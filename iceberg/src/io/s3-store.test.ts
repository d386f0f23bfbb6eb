// Runs the shared ObjectStore suite against a real SeaweedFS S3 gateway started by this test.
import { afterAll, beforeAll } from "vitest";
import { type SeaweedServer, startSeaweed } from "../testing/seaweed.ts";
import { objectStoreSuite } from "./object-store.suite.ts";
import { S3ObjectStore } from "./s3-store.ts";

let server: SeaweedServer | undefined;
let store: S3ObjectStore | undefined;
beforeAll(async () => {
  server = await startSeaweed({ buckets: ["suite"] });
  // Small multipart threshold/part size so the large-body case really uploads in parts.
  store = new S3ObjectStore({
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    multipartThresholdBytes: 5 * 1024 * 1024,
    partSizeBytes: 5 * 1024 * 1024,
  });
});
afterAll(async () => {
  store?.close();
  await server?.stop();
});

objectStoreSuite("s3 on SeaweedFS", () => ({ store: store!, base: "s3://suite/t/" }));
