import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { FlowLogLine } from "../flow.ts";
import { UdpSink } from "../testing/udp-sink.ts";
import { sendFlows } from "./sender.ts";
import { TokenBucket } from "./token-bucket.ts";

const dir = mkdtempSync(join(tmpdir(), "generator-send-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readLog(path: string): FlowLogLine[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as FlowLogLine);
}

describe("sendFlows over UDP", () => {
  it("delivers every datagram from each exporter address, and the summary equals the log", async () => {
    const sink = new UdpSink();
    await sink.start();
    const logPath = join(dir, "live.jsonl");
    try {
      const summary = await sendFlows({
        target: { host: "127.0.0.1", port: sink.port },
        protocol: "ipfix",
        count: 5000,
        rate: 20_000,
        seed: 9,
        exporters: 3,
        logPath,
      });
      await sink.waitFor(summary.datagrams);
      expect(sink.received).toHaveLength(summary.datagrams);
      expect(summary.datagrams).toBeGreaterThan(5000 / 30);
      expect(new Set(sink.received.map((d) => d.srcAddress))).toEqual(new Set(["127.0.0.1", "127.0.0.2", "127.0.0.3"]));
      expect(sink.received.reduce((n, d) => Math.max(n, d.payload.length), 0)).toBeLessThanOrEqual(1400);

      const log = readLog(logPath);
      expect(summary.flows).toBe(5000);
      expect(log).toHaveLength(5000);
      expect(summary.bytes).toBe(log.reduce((n, f) => n + f.bytes, 0));
      expect(summary.packets).toBe(log.reduce((n, f) => n + f.packets, 0));
      for (const f of log) {
        expect(f.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(["127.0.0.1", "127.0.0.2", "127.0.0.3"]).toContain(f.exporter);
      }
      // Paced, not bursted: 5000 flows at 20k/s take about 0.25 s.
      expect(summary.elapsed_s).toBeGreaterThanOrEqual(0.2);
      expect(summary.elapsed_s).toBeLessThan(2);
    } finally {
      await sink.stop();
    }
  });

  it("is deterministic by seed (apart from sFlow arrival times) and honours --start", async () => {
    const run = async (name: string, seed: number) => {
      const sink = new UdpSink();
      await sink.start();
      try {
        const logPath = join(dir, name);
        await sendFlows({
          target: { host: "127.0.0.1", port: sink.port },
          protocol: "v9",
          count: 300,
          rate: 50_000,
          seed,
          startMs: Date.parse("2026-01-01T00:00:00Z"),
          logPath,
        });
        return { log: readLog(logPath), payloads: sink.received.map((d) => d.payload.toString("hex")) };
      } finally {
        await sink.stop();
      }
    };
    const a = await run("a.jsonl", 5);
    const b = await run("b.jsonl", 5);
    const c = await run("c.jsonl", 6);
    expect(b.log).toEqual(a.log);
    expect(b.payloads.sort()).toEqual(a.payloads.sort());
    expect(c.log).not.toEqual(a.log);
    for (const f of a.log) {
      expect(Date.parse(f.ts_end!)).toBeLessThanOrEqual(Date.parse("2026-01-01T00:00:00Z") + 300 / 50);
      expect(Date.parse(f.ts)).toBeGreaterThan(Date.parse("2025-12-31T23:57:00Z"));
    }
  });

  it("sustains 20k flows/s", async () => {
    const sink = new UdpSink();
    await sink.start();
    try {
      const summary = await sendFlows({
        target: { host: "127.0.0.1", port: sink.port },
        protocol: "v9",
        count: 40_000,
        rate: 20_000,
        seed: 1,
      });
      // The pacing target is 2 s; allow for a busy shared CI machine.
      expect(summary.elapsed_s).toBeGreaterThanOrEqual(1.9);
      expect(summary.elapsed_s).toBeLessThan(3);
    } finally {
      await sink.stop();
    }
  });
});

describe("TokenBucket", () => {
  it("paces to its rate without exceeding it", async () => {
    const bucket = new TokenBucket(2000, 100);
    const started = performance.now();
    for (let i = 0; i < 20; i++) await bucket.take(50);
    const elapsed = performance.now() - started;
    // 1000 tokens, 100 of them from the initial burst: at least 450 ms at 2000/s.
    expect(elapsed).toBeGreaterThanOrEqual(440);
    expect(elapsed).toBeLessThan(1500);
  });
});

describe("cli send", () => {
  it("prints exactly one JSON summary line", async () => {
    const sink = new UdpSink();
    await sink.start();
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "--import",
          "tsx",
          "generator/src/cli.ts",
          "send",
          "--target",
          `127.0.0.1:${sink.port}`,
          "--protocol",
          "v5",
          "--count",
          "100",
          "--rate",
          "10000",
          "--seed",
          "3",
          "--sampling-rate",
          "10",
        ],
        { cwd: join(import.meta.dirname, "../../.."), encoding: "utf8" },
      );
      const lines = stdout.trim().split("\n");
      expect(lines).toHaveLength(1);
      const summary = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(Object.keys(summary)).toEqual(["protocol", "flows", "datagrams", "bytes", "packets", "elapsed_s"]);
      expect(summary.protocol).toBe("v5");
      expect(summary.flows).toBe(100);
      expect(summary.datagrams).toBe(Math.ceil(100 / 28));
      await sink.waitFor(4);
      expect(sink.received).toHaveLength(4);
    } finally {
      await sink.stop();
    }
  });

  it("fails with a clear message on a bad protocol", async () => {
    await expect(
      promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "generator/src/cli.ts", "send", "--target", "127.0.0.1:9", "--protocol", "v7"],
        { cwd: join(import.meta.dirname, "../../..") },
      ),
    ).rejects.toMatchObject({ stderr: expect.stringMatching(/protocol must be one of v5, v9, ipfix, sflow/) });
  });
});
