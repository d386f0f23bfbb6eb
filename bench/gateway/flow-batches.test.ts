// The writer path's Arrow batches must hold exactly what the archiver path would write for
// the same generator flows: compared with the archiver's own text-row → Arrow conversion
// (rowsToRecordBatch, fed the values as Postgres would print them after a backfill).
import { backfillRows, backfillSource, defaultBackfillConfig, type Flow } from "@netflow/generator";
import { FLOW_COLUMNS } from "@netflow/schema";
import { describe, expect, it } from "vitest";
import { rowsToRecordBatch } from "../../archiver/src/archive/arrow-batch.ts";
import { DAY_MS, parseBenchArgs } from "./config.ts";
import { FlowBatchBuilder } from "./flow-batches.ts";

function asText(flow: Flow): (string | null)[] {
  return FLOW_COLUMNS.map((c) => {
    if (c.name === "ts_clamped") return "f";
    const v = flow[c.name as keyof Flow];
    if (v === null) return null;
    return c.icebergType === "timestamptz" ? String(BigInt(v) * 1000n) : String(v);
  });
}

describe("FlowBatchBuilder", () => {
  it("builds the same batch as the archiver's conversion of the backfilled rows", () => {
    const config = {
      ...defaultBackfillConfig(),
      exporters: 4,
      exporterBase: "192.0.2.1",
      pgUrl: "postgres://unused",
      fromMs: Date.parse("2026-05-01T00:00:00Z"),
      toMs: Date.parse("2026-05-01T00:00:00Z") + DAY_MS,
      flowsPerDay: 5000,
    };
    const source = backfillSource(config);
    const flows = Array.from({ length: backfillRows(config) }, () => source.next());
    expect(flows.some((f) => f.src_addr.includes(":"))).toBe(true);
    const ours = new FlowBatchBuilder().build(flows);
    const reference = rowsToRecordBatch(flows.map(asText));
    expect(ours.numRows).toBe(5000);
    expect(ours.schema.fields.map((f) => f.name)).toEqual(reference.schema.fields.map((f) => f.name));
    for (let c = 0; c < FLOW_COLUMNS.length; c++) {
      const a = ours.getChildAt(c);
      const b = reference.getChildAt(c);
      const column = (v: typeof a) => Array.from({ length: ours.numRows }, (_, r) => v?.get(r));
      expect(column(a), FLOW_COLUMNS[c]?.name).toEqual(column(b));
    }
  });
});

describe("parseBenchArgs", () => {
  it("defaults to a year of 100k flows/day with a week hot, built through the archiver", () => {
    const o = parseBenchArgs([], {});
    expect(o.dataset).toMatchObject({
      days: 365,
      flowsPerDay: 100_000,
      hotDays: 7,
      hotRows: 700_000,
      coldVia: "archiver",
    });
    expect(o.pgUrl).toBeUndefined();
  });

  it("reads flags, PG_URL and refuses unknown or invalid values", () => {
    const o = parseBenchArgs(["--days=30", "--hot-rows", "20_000_000", "--cold-via", "writer", "--rebuild"], {
      PG_URL: "postgres://u:p@127.0.0.1:5432/db",
    });
    expect(o.dataset).toMatchObject({ days: 30, hotRows: 20_000_000, coldVia: "writer" });
    expect(o.rebuild).toBe(true);
    expect(o.pgUrl).toBe("postgres://u:p@127.0.0.1:5432/db");
    expect(() => parseBenchArgs(["--cold-via", "magic"], {})).toThrow(/archiver or writer/);
    expect(() => parseBenchArgs(["--dayz", "3"], {})).toThrow(/unknown option/);
    expect(() => parseBenchArgs(["--end", "2026-11-01T12:00"], {})).toThrow(/--end/);
  });
});
