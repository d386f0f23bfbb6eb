// The upload read-ahead: bytes arrive complete and in order, the buffer stays
// bounded while the consumer is slow, the producer works while the consumer
// waits, and failures on either side surface. The round trip goes through the
// real file store.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileObjectStore } from "@netflow/iceberg";
import { afterAll, describe, expect, it } from "vitest";
import { PipelinedStore, readAhead } from "./upload-pipe.ts";

const dir = mkdtempSync(join(tmpdir(), "upload-pipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** 40 chunks of 1000 bytes, chunk i filled with i; records how far the producer got. */
function producer(progress: { produced: number }, failAt?: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let i = 0; i < 40; i++) {
      if (i === failAt) throw new Error("encoder failed");
      progress.produced = i + 1;
      yield new Uint8Array(1000).fill(i);
    }
  })();
}

describe("readAhead", () => {
  it("delivers every chunk in order and holds at most aheadBytes (+1 chunk) unconsumed", async () => {
    const progress = { produced: 0 };
    let consumed = 0;
    let maxAhead = 0;
    for await (const chunk of readAhead(producer(progress), 5000)) {
      expect(chunk[0]).toBe(consumed);
      consumed++;
      await sleep(2);
      maxAhead = Math.max(maxAhead, progress.produced - consumed);
    }
    expect(consumed).toBe(40);
    expect(maxAhead).toBeGreaterThanOrEqual(4);
    expect(maxAhead).toBeLessThanOrEqual(6);
  });

  it("passes the producer's failure to the consumer", async () => {
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of readAhead(producer({ produced: 0 }, 7), 3000)) got.push(chunk[0]!);
      })(),
    ).rejects.toThrow("encoder failed");
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("stops the producer when the consumer stops early", async () => {
    const progress = { produced: 0 };
    for await (const chunk of readAhead(producer(progress), 2000)) if (chunk[0] === 3) break;
    await sleep(20);
    expect(progress.produced).toBeLessThanOrEqual(7);
  });
});

describe("PipelinedStore", () => {
  it("stores the streamed bytes exactly and counts them", async () => {
    const store = new PipelinedStore(new FileObjectStore(), 4000);
    const location = pathToFileURL(join(dir, "a.bin")).href;
    const r = await store.put(location, producer({ produced: 0 }));
    expect(r.size).toBe(40_000);
    expect(store.stats.bytes).toBe(40_000);
    const data = readFileSync(join(dir, "a.bin"));
    for (let i = 0; i < 40; i++) expect(data[i * 1000]).toBe(i);
    expect(store.stats.uploadMs).toBeGreaterThanOrEqual(0);
  });
});
