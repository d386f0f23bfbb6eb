import { describe, expect, it } from "vitest";
import { type DatagramRecord, parseSequenceJump, SequenceTracker } from "./sequence.ts";

const d = (seq: number, records: number, exporter = "192.0.2.1", sourceId = 0): DatagramRecord => ({
  exporter,
  protocol: "netflow-v9",
  sourceId,
  seq,
  records,
});

describe("sequence jump lines", () => {
  it("parse pmacct 1.7.7's check message, IPv4 and IPv6 agents", () => {
    expect(
      parseSequenceJump("expecting flow '824820' but received '842970' collector=127.0.0.1:29955 agent=127.0.0.1:104"),
    ).toEqual({ exporter: "127.0.0.1", sourceId: 104, expected: 824820, received: 842970 });
    expect(parseSequenceJump("expecting flow '2' but received '9' collector=[::]:6343 agent=30::1:1:1:0")).toEqual({
      exporter: "30::1:1:1",
      sourceId: 0,
      expected: 2,
      received: 9,
    });
    expect(parseSequenceJump("waiting for NetFlow/IPFIX data on 0.0.0.0:2055")).toBeNull();
  });
});

describe("SequenceTracker", () => {
  const jump = (expected: number, received: number) => ({ exporter: "192.0.2.1", sourceId: 0, expected, received });
  const cases = [
    { name: "forward jump: the missing units", jumps: [jump(30, 90)], gap: 60, resets: 0, reordered: 0 },
    { name: "jumps add up", jumps: [jump(2, 3), jump(10, 14)], gap: 5, resets: 0, reordered: 0 },
    { name: "wrap past 2^32", jumps: [jump(2 ** 32 - 2, 3)], gap: 5, resets: 0, reordered: 0 },
    { name: "exporter restart", jumps: [jump(5_000_000, 1)], gap: 0, resets: 1, reordered: 0 },
    { name: "reordered datagram", jumps: [jump(2, 3), jump(4, 2)], gap: 1, resets: 0, reordered: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const tracker = new SequenceTracker();
      for (const j of c.jumps) tracker.addJump(j, 0);
      expect(tracker.snapshot()).toMatchObject([{ gap: c.gap, resets: c.resets, reordered: c.reordered }]);
    });
  }

  it("counts flows and datagrams per exporter and source id, a datagram split across purges once", () => {
    const tracker = new SequenceTracker();
    tracker.addBatch(
      [d(1, 5, "192.0.2.1", 1), d(1, 5, "192.0.2.1", 2), d(9, 5, "192.0.2.2", 1), d(2, 3, "192.0.2.1", 1)],
      0,
    );
    tracker.addBatch([d(2, 4, "192.0.2.1", 1), { ...d(7, 2, "192.0.2.1", 2), protocol: "ipfix" }], 1000);
    tracker.addJump({ exporter: "192.0.2.1", sourceId: 2, expected: 2, received: 7 }, 1000);
    expect(tracker.snapshot().map((s) => [s.exporter, s.sourceId, s.protocols, s.flows, s.datagrams, s.gap])).toEqual([
      ["192.0.2.1", 1, "netflow-v9", 12, 2, 0],
      ["192.0.2.1", 2, "ipfix,netflow-v9", 7, 2, 5],
      ["192.0.2.2", 1, "netflow-v9", 5, 1, 0],
    ]);
  });
});
