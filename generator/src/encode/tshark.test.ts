import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FlowLogLine } from "../flow.ts";
import { writePcap } from "../pcap/pcap-writer.ts";
import { sendFlows } from "../send/sender.ts";
import { type DecodedPacket, tsharkDecode } from "../testing/tshark.ts";
import { UdpSink } from "../testing/udp-sink.ts";
import { MAX_DATAGRAM_BYTES, type Protocol } from "./encoder.ts";

/**
 * The decisive check of the encoders: what the generator puts on the wire,
 * captured by a real UDP socket and decoded by tshark (an independent
 * decoder), equals the generator's per-flow log, field by field, for every
 * flow; plus the header bookkeeping (sequence numbers, sizes).
 */

const dir = mkdtempSync(join(tmpdir(), "generator-tshark-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Comparable {
  [key: string]: string | number | null;
}

function fromLog(line: FlowLogLine, protocol: Protocol): Comparable {
  return {
    ...line,
    ts: protocol === "sflow" ? null : Date.parse(line.ts),
    ts_end: line.ts_end === null ? null : Date.parse(line.ts_end),
  };
}

function fromDecode(packets: DecodedPacket[], protocol: Protocol): Comparable[] {
  return packets.flatMap((p) => p.flows.map((f) => ({ ...f, ts: protocol === "sflow" ? null : f.ts })));
}

const byKey = (rows: Comparable[]): Comparable[] =>
  [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

async function capture(protocol: Protocol, count: number, extra: { samplingRate: number; exporters: number }) {
  const sink = new UdpSink();
  await sink.start();
  const logPath = join(dir, `${protocol}.jsonl`);
  try {
    const summary = await sendFlows({
      target: { host: "127.0.0.1", port: sink.port },
      protocol,
      count,
      rate: 20_000,
      seed: 42,
      ipv6Share: protocol === "v5" ? 0 : 0.3,
      logPath,
      exporters: extra.exporters,
      samplingRate: extra.samplingRate,
      templateRefreshPackets: 5,
    });
    await sink.waitFor(summary.datagrams);
    const pcapPath = join(dir, `${protocol}.pcap`);
    writePcap(pcapPath, sink.received);
    const packets = tsharkDecode(pcapPath, sink.port, protocol === "sflow" ? "sflow" : "cflow");
    const log = readFileSync(logPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as FlowLogLine);
    return { summary, packets, log, received: sink.received.length };
  } finally {
    await sink.stop();
  }
}

describe("tshark decodes exactly what the generator logged", () => {
  const cases: { protocol: Protocol; samplingRate: number; exporters: number }[] = [
    { protocol: "v5", samplingRate: 100, exporters: 2 },
    { protocol: "v9", samplingRate: 1, exporters: 2 },
    { protocol: "ipfix", samplingRate: 512, exporters: 2 },
    { protocol: "sflow", samplingRate: 1000, exporters: 2 },
  ];
  for (const c of cases) {
    it(`${c.protocol}: every flow, every field`, async () => {
      const { summary, packets, log, received } = await capture(c.protocol, 1200, c);
      expect(received).toBe(summary.datagrams);
      expect(packets).toHaveLength(summary.datagrams);
      expect(log).toHaveLength(1200);
      const decoded = fromDecode(packets, c.protocol);
      expect(decoded).toHaveLength(1200);
      expect(byKey(decoded)).toEqual(byKey(log.map((l) => fromLog(l, c.protocol))));

      // Both exporters were used and each datagram came from its exporter's address.
      expect(new Set(packets.map((p) => p.source))).toEqual(new Set(["127.0.0.1", "127.0.0.2"]));
      for (const p of packets) {
        expect(p.udpLength).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
        for (const f of p.flows) expect(f.exporter).toBe(p.source);
      }
      // Summary sums equal the log's sums.
      expect(summary.flows).toBe(log.length);
      expect(summary.bytes).toBe(log.reduce((n, f) => n + f.bytes, 0));
      expect(summary.packets).toBe(log.reduce((n, f) => n + f.packets, 0));
      checkSequences(c.protocol, packets);
    });
  }
});

/** Per-exporter header sequence numbers follow each protocol's definition. */
function checkSequences(protocol: Protocol, packets: DecodedPacket[]): void {
  const bySource = new Map<string, DecodedPacket[]>();
  for (const p of packets) bySource.set(p.source, [...(bySource.get(p.source) ?? []), p]);
  for (const list of bySource.values()) {
    let expected = protocol === "sflow" ? 1 : 0;
    for (const p of list) {
      const field = protocol === "sflow" ? "sflow_245.sequence_number" : "cflow.sequence";
      expect(Number(p.header[field])).toBe(expected);
      if (protocol === "v5") {
        expect(p.flows.length).toBeLessThanOrEqual(30);
        expected += p.flows.length; // v5: flows seen before this datagram
      } else if (protocol === "ipfix") {
        // IPFIX: data records (sampling options records included) sent before this message.
        const options = JSON.stringify(p.header).includes("cflow.sampling_packet_interval") ? 1 : 0;
        expected += p.flows.length + options;
      } else {
        expected += 1; // v9 and sFlow: datagrams
      }
    }
  }
}
