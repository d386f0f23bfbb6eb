/**
 * The collector under bad input and failures, with real nfacctd/sfacctd and
 * the embedded TimescaleDB: malformed datagrams interleaved with valid ones,
 * NetFlow v9 templates surviving a collector restart, and a crashed daemon
 * being restarted by the supervisor.
 */
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEncoder } from "../generator/src/encode/create-encoder.ts";
import type { Flow } from "../generator/src/flow.ts";
import { defaultSendConfig } from "../generator/src/send/config.ts";
import { sendFlows, sendSource } from "../generator/src/send/sender.ts";
import { Collector } from "../pmacct/src/collector.ts";
import { collectorPaths } from "../pmacct/src/render.ts";
import { replayPayloads } from "../pmacct/src/replay/send.ts";
import { type IngestStack, startIngestStack, waitForCount } from "../pmacct/src/testing/harness.ts";

/** Datagrams that are not valid export packets, several of them shaped to trip a parser. */
function garbage(): Buffer[] {
  const v9 = (body: Buffer, count = 1): Buffer => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(9, 0);
    h.writeUInt16BE(count, 2);
    h.writeUInt32BE(1000, 4);
    h.writeUInt32BE(Math.floor(Date.now() / 1000), 8);
    h.writeUInt32BE(77, 12);
    h.writeUInt32BE(9999, 16); // source id no valid exporter uses
    return Buffer.concat([h, body]);
  };
  const set = (id: number, length: number, fill = 0): Buffer => {
    const b = Buffer.alloc(Math.max(4, Math.min(length, 64)), fill);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(length, 2);
    return b;
  };
  const ipfix = Buffer.alloc(16);
  ipfix.writeUInt16BE(10, 0);
  ipfix.writeUInt16BE(5000, 2); // length beyond the datagram
  const v5 = Buffer.alloc(24 + 2 * 48, 0xab);
  v5.writeUInt16BE(5, 0);
  v5.writeUInt16BE(30, 2); // claims 30 records, carries 2
  let seed = 12345;
  const random = Buffer.alloc(300);
  for (let i = 0; i < random.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    random[i] = seed & 0xff;
  }
  return [
    Buffer.alloc(0),
    Buffer.from([9]),
    random,
    v5,
    ipfix,
    v9(set(0, 0)), // template flowset of length 0: a parser must not loop on it
    v9(set(0, 8)), // template flowset with a template claiming fields it lacks
    v9(set(300, 40, 0xff)), // data for a template never announced
    v9(set(1, 0xffff)), // options template longer than the datagram
    v9(Buffer.alloc(0), 65535),
  ];
}

describe("collector under bad input and failures", () => {
  let stack: IngestStack;

  beforeAll(async () => {
    stack = await startIngestStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("malformed datagrams interleaved with valid ones do not stop ingestion", async () => {
    const bad = garbage();
    const junk = createSocket("udp4");
    await new Promise<void>((resolve) => junk.bind(0, "127.0.7.1", () => resolve()));
    let sentJunk = 0;
    const sendJunk = (port: number): void => {
      const datagram = bad[sentJunk % bad.length]!;
      sentJunk++;
      junk.send(datagram, port, "127.0.0.1");
      junk.send(datagram, stack.config.sflowPort ?? 0, "127.0.0.1");
    };
    const count = 2000;
    // The junk comes from the same address as the valid exporter, between its datagrams.
    const v9 = sendFlows(
      {
        target: { host: "127.0.0.1", port: stack.config.netflowPort },
        protocol: "v9",
        count,
        rate: 5000,
        seed: 7,
        exporterBase: "127.0.7.1",
      },
      { onDatagram: () => sendJunk(stack.config.netflowPort) },
    );
    const sflow = sendFlows(
      {
        target: { host: "127.0.0.1", port: stack.config.sflowPort ?? 0 },
        protocol: "sflow",
        count,
        rate: 5000,
        seed: 8,
        exporterBase: "127.0.7.2",
      },
      { onDatagram: () => sendJunk(stack.config.netflowPort) },
    );
    await Promise.all([v9, sflow]);
    junk.close();
    expect(sentJunk).toBeGreaterThan(50);
    for (const exporter of ["127.0.7.1", "127.0.7.2"]) {
      const n = await waitForCount(
        stack.pool,
        "SELECT count(*) AS n FROM flows WHERE exporter = $1",
        [exporter],
        count,
      );
      expect(n, exporter).toBe(count);
    }
    const status = await stack.collector.refreshHealth();
    for (const d of status.daemons) {
      expect(d.running, d.daemon).toBe(true);
      expect(d.restarts, d.daemon).toBe(0);
    }
  });

  it("NetFlow v9 templates persist across a collector restart", async () => {
    const exporter = "127.0.8.1";
    const config = { ...defaultSendConfig(), seed: 9, exporterBase: exporter, protocol: "v9" as const, rate: 1000 };
    const source = sendSource(config);
    const encoder = createEncoder("v9", {
      exporter,
      bootMs: Date.now() - 86_400_000,
      samplingRate: 1,
      sourceId: 3,
      templateRefreshPackets: 1_000_000, // templates in the very first datagram only
    });
    const batch = (n: number): { flows: Flow[]; datagrams: Buffer[] } => {
      const flows = Array.from({ length: n }, () => source.next());
      const exportMs = Math.max(...flows.map((f) => f.ts_end ?? f.ts), Date.now());
      return { flows, datagrams: encoder.encode(flows, exportMs) };
    };
    const before = batch(100);
    await replayPayloads(before.datagrams, {
      host: "127.0.0.1",
      port: stack.config.netflowPort,
      sourceAddress: exporter,
    });
    expect(await waitForCount(stack.pool, "SELECT count(*) AS n FROM flows WHERE exporter = $1", [exporter], 100)).toBe(
      100,
    );
    expect(existsSync(collectorPaths(stack.config.stateDir).templatesFile)).toBe(true);

    await stack.collector.stop();
    stack.collector = new Collector(stack.config, { logger: pino({ level: "warn" }) });
    await stack.collector.start();

    const after = batch(100);
    // No datagram after the restart carries a template flowset (id 0).
    for (const d of after.datagrams) {
      for (let off = 20; off + 4 <= d.length; off += d.readUInt16BE(off + 2)) {
        expect(d.readUInt16BE(off)).not.toBe(0);
        if (d.readUInt16BE(off + 2) === 0) break;
      }
    }
    await replayPayloads(after.datagrams, {
      host: "127.0.0.1",
      port: stack.config.netflowPort,
      sourceAddress: exporter,
    });
    expect(await waitForCount(stack.pool, "SELECT count(*) AS n FROM flows WHERE exporter = $1", [exporter], 200)).toBe(
      200,
    );
  });

  it("lost datagrams show up as sequence gaps of the right exporter, in the protocol's unit", async () => {
    const cases = [
      { protocol: "v5", exporter: "127.0.11.1", port: stack.config.netflowPort, unit: "records" },
      { protocol: "v9", exporter: "127.0.11.2", port: stack.config.netflowPort, unit: "datagrams" },
      { protocol: "ipfix", exporter: "127.0.11.3", port: stack.config.netflowPort, unit: "records" },
      { protocol: "sflow", exporter: "127.0.11.4", port: stack.config.sflowPort ?? 0, unit: "datagrams" },
    ] as const;
    const expectedGap = new Map<string, number>();
    for (const c of cases) {
      const source = sendSource({ ...defaultSendConfig(), seed: 11, exporterBase: c.exporter, protocol: c.protocol });
      const encoder = createEncoder(c.protocol, {
        exporter: c.exporter,
        bootMs: Date.now() - 86_400_000,
        samplingRate: 1,
        sourceId: 5,
        templateRefreshPackets: 1_000_000,
      });
      const datagrams: Buffer[] = [];
      const records: number[] = [];
      for (let i = 0; i < 8; i++) {
        const flows = Array.from({ length: 10 }, () => source.next());
        const exportMs = Math.max(...flows.map((f) => f.ts_end ?? f.ts), Date.now());
        for (const datagram of encoder.encode(flows, exportMs)) {
          datagrams.push(datagram);
          records.push(flows.length);
        }
      }
      // Lose the 3rd and 4th datagrams (never the first: it carries the templates).
      expectedGap.set(c.exporter, c.unit === "records" ? (records[2] ?? 0) + (records[3] ?? 0) : 2);
      const kept = datagrams.filter((_, i) => i !== 2 && i !== 3);
      await replayPayloads(kept, { host: "127.0.0.1", port: c.port, sourceAddress: c.exporter });
    }
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = await stack.collector.refreshHealth();
      const gaps = cases.map((c) =>
        status.exporters.filter((e) => e.exporter === c.exporter).reduce((n, e) => n + e.gap, 0),
      );
      if (cases.every((c, i) => gaps[i] === expectedGap.get(c.exporter)) || Date.now() > deadline) {
        expect(Object.fromEntries(cases.map((c, i) => [c.protocol, gaps[i]]))).toEqual(
          Object.fromEntries(cases.map((c) => [c.protocol, expectedGap.get(c.exporter)])),
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  it("a crashed daemon is restarted and ingests again", async () => {
    const pid = stack.collector.status().daemons.find((d) => d.daemon === "nfacctd")?.pid;
    expect(pid).toBeTypeOf("number");
    process.kill(pid!, "SIGKILL");
    const deadline = Date.now() + 30_000;
    for (;;) {
      const d = stack.collector.status().daemons.find((s) => s.daemon === "nfacctd");
      if ((d?.restarts ?? 0) >= 1 && d?.running && d.pid !== pid) break;
      if (Date.now() > deadline) throw new Error(`nfacctd was not restarted: ${JSON.stringify(d)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const exporter = "127.0.9.1";
    await sendFlows({
      target: { host: "127.0.0.1", port: stack.config.netflowPort },
      protocol: "ipfix",
      count: 500,
      rate: 5000,
      seed: 10,
      exporterBase: exporter,
    });
    expect(await waitForCount(stack.pool, "SELECT count(*) AS n FROM flows WHERE exporter = $1", [exporter], 500)).toBe(
      500,
    );
  });
});
