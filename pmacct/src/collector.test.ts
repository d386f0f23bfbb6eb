import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { Collector } from "./collector.ts";
import { type CollectorConfig, collectorConfig } from "./config.ts";
import { CollectorError } from "./errors.ts";
import { freeUdpPort } from "./testing/harness.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function config(over: Partial<CollectorConfig>): Promise<CollectorConfig> {
  const stateDir = mkdtempSync(join(tmpdir(), "collector-unit-"));
  dirs.push(stateDir);
  return collectorConfig({
    stateDir,
    listenIp: "127.0.0.1",
    netflowPort: await freeUdpPort(),
    sflowPort: await freeUdpPort(),
    database: { host: "127.0.0.1", port: 1, database: "postgres", user: "netflow_collector", password: "x" },
    ...over,
  });
}

async function startError(collector: Collector): Promise<CollectorError> {
  try {
    await collector.start();
  } catch (error) {
    await collector.stop();
    expect(error).toBeInstanceOf(CollectorError);
    return error as CollectorError;
  }
  await collector.stop();
  throw new Error("start() succeeded");
}

describe("Collector start-up failures", () => {
  it("refuses a UDP port that is in use, naming it, before touching the database", async () => {
    const holder = createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(0, "127.0.0.1", () => resolve()));
    const port = holder.address().port;
    try {
      const error = await startError(
        new Collector(await config({ netflowPort: port }), { logger: pino({ level: "silent" }) }),
      );
      expect(error.kind).toBe("port-in-use");
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(error.message).toContain("NETFLOW_PORT");
    } finally {
      holder.close();
    }
  });

  it("waits for an unreachable database with backoff, then fails with one clear message", async () => {
    // A port with nothing listening: connections are refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const started = Date.now();
    const cfg = await config({
      dbWaitSeconds: 3,
      database: { host: "127.0.0.1", port, database: "postgres", user: "netflow_collector", password: "x" },
    });
    const error = await startError(new Collector(cfg, { logger }));
    expect(error.kind).toBe("db-unreachable");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const retries = lines.map((l) => JSON.parse(l) as { msg: string; reason?: string; stack?: string });
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const r of retries) {
      expect(r.msg).toBe("database not ready, retrying");
      expect(r.stack).toBeUndefined();
    }
    // Nothing was started: the ports are free again.
    const probe = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.bind(cfg.netflowPort, "127.0.0.1", () => resolve());
    });
    probe.close();
  });

  it("names a missing pmacct binary and what to install", async () => {
    const error = await startError(
      new Collector(await config({ nfacctdPath: "/nonexistent/nfacctd" }), { logger: pino({ level: "silent" }) }),
    );
    expect(error.kind).toBe("missing-binary");
    expect(error.message).toContain("apt-get install -y pmacct");
  });
});
