import { FLOW_COLUMNS } from "@netflow/schema";
import { describe, expect, it } from "vitest";
import { FLOW_FIELDS, flowToLogLine } from "./flow.ts";

describe("flow record", () => {
  it("has exactly the schema's columns, in order, except the ingest-computed ts_clamped", () => {
    expect([...FLOW_FIELDS]).toEqual(FLOW_COLUMNS.map((c) => c.name).filter((n) => n !== "ts_clamped"));
  });

  it("logs times as ISO strings with milliseconds and Z", () => {
    const line = flowToLogLine({
      ts: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      ts_end: null,
      exporter: "127.0.0.1",
      in_if: 1,
      out_if: 2,
      src_addr: "10.0.0.1",
      dst_addr: "10.0.0.2",
      src_port: 1,
      dst_port: 2,
      proto: 17,
      tos: 0,
      tcp_flags: 0,
      packets: 1,
      bytes: 40,
      src_as: 0,
      dst_as: 0,
      sampling_rate: 1,
    });
    expect(line.ts).toBe("2026-01-02T03:04:05.006Z");
    expect(line.ts_end).toBeNull();
  });
});
