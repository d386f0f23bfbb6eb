import { describe, expect, it } from "vitest";
import { type DatagramRecord, type ExportProtocol, SequenceTracker } from "./sequence.ts";

const d = (protocol: ExportProtocol, seq: number, records: number, exporter = "192.0.2.1", sourceId = 0): DatagramRecord => ({
  exporter,
  protocol,
  sourceId,
  seq,
  records,
});

describe("SequenceTracker", () => {
  const cases: Array<{ name: string; batches: DatagramRecord[][]; gap: number; resets: number; flows: number; datagrams: number }> = [
    { name: "v5 in order (seq counts flows)", batches: [[d("netflow-v5", 0, 30), d("netflow-v5", 30, 30), d("netflow-v5", 60, 5)]], gap: 0, resets: 0, flows: 65, datagrams: 3 },
    { name: "v5 one datagram of 30 lost", batches: [[d("netflow-v5", 0, 30), d("netflow-v5", 60, 30)]], gap: 30, resets: 0, flows: 60, datagrams: 2 },
    { name: "ipfix out of order inside a batch", batches: [[d("ipfix", 20, 10), d("ipfix", 0, 10), d("ipfix", 10, 10)]], gap: 0, resets: 0, flows: 30, datagrams: 3 },
    { name: "v9 counts datagrams", batches: [[d("netflow-v9", 7, 20), d("netflow-v9", 8, 20), d("netflow-v9", 10, 20)]], gap: 1, resets: 0, flows: 60, datagrams: 3 },
    { name: "sflow across batches", batches: [[d("sflow-v5", 1, 3)], [d("sflow-v5", 2, 3)], [d("sflow-v5", 5, 1)]], gap: 2, resets: 0, flows: 7, datagrams: 3 },
    { name: "wrap past 2^32", batches: [[d("netflow-v5", 2 ** 32 - 30, 30), d("netflow-v5", 0, 30)]], gap: 0, resets: 0, flows: 60, datagrams: 2 },
    { name: "exporter restart", batches: [[d("netflow-v9", 5_000_000, 1)], [d("netflow-v9", 1, 1), d("netflow-v9", 2, 1)]], gap: 0, resets: 1, flows: 3, datagrams: 3 },
    { name: "late datagram fills its gap", batches: [[d("netflow-v9", 1, 1), d("netflow-v9", 3, 1)], [d("netflow-v9", 2, 1)]], gap: 0, resets: 0, flows: 3, datagrams: 3 },
    { name: "datagram split across two purges", batches: [[d("netflow-v5", 0, 10)], [d("netflow-v5", 0, 20), d("netflow-v5", 30, 30)]], gap: 0, resets: 0, flows: 60, datagrams: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const tracker = new SequenceTracker();
      c.batches.forEach((batch, i) => tracker.addBatch(batch, 1000 * i));
      const [stream, ...others] = tracker.snapshot();
      expect(others).toHaveLength(0);
      expect(stream).toMatchObject({ gap: c.gap, resets: c.resets, flows: c.flows, datagrams: c.datagrams });
    });
  }

  it("keeps exporters and source ids apart", () => {
    const tracker = new SequenceTracker();
    tracker.addBatch(
      [d("netflow-v9", 1, 5, "192.0.2.1", 1), d("netflow-v9", 1, 5, "192.0.2.1", 2), d("netflow-v9", 9, 5, "192.0.2.2", 1)],
      0,
    );
    tracker.addBatch([d("netflow-v9", 2, 5, "192.0.2.1", 1), d("netflow-v9", 4, 5, "192.0.2.1", 2)], 1);
    expect(tracker.snapshot().map((s) => [s.exporter, s.sourceId, s.gap, s.flows])).toEqual([
      ["192.0.2.1", 1, 0, 10],
      ["192.0.2.1", 2, 2, 10],
      ["192.0.2.2", 1, 0, 5],
    ]);
  });
});
