import { describe, expect, it } from "vitest";
import type { BoundPartitionField } from "../spec/partition.ts";
import { applyTransform, parseTransform } from "../spec/transforms.ts";
import type { Column } from "./columns.ts";
import { groupByPartition } from "./partitioner.ts";

const DAY = 86_400_000_000n;

function field(kind: "day" | "hour"): BoundPartitionField {
  return {
    sourceId: 1,
    fieldId: 1000,
    name: `ts_${kind}`,
    transform: parseTransform(kind),
    sourceType: "timestamptz",
    resultType: "int",
  };
}

function column(values: bigint[]): Column {
  return {
    type: "timestamptz",
    length: values.length,
    stride: 1,
    valid: null,
    values: BigInt64Array.from(values),
    offsets: null,
    bytes: null,
  };
}

/** The grouping by the spec's transform, row by row: the reference. */
function reference(kind: "day" | "hour", values: bigint[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  values.forEach((v, i) => {
    const q = applyTransform(parseTransform(kind), "timestamptz", v) as number;
    out.set(q, [...(out.get(q) ?? []), i]);
  });
  return out;
}

describe("groupByPartition on time buckets", () => {
  it("groups like the spec's transform, one bucket or several, either side of boundaries and 1970", () => {
    let seed = 11n;
    const next = (): bigint => {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 63n;
      return seed;
    };
    const cases: bigint[][] = [];
    for (const base of [0n, -DAY, 20_000n * DAY, -719_162n * DAY, 104_000n * DAY]) {
      cases.push(Array.from({ length: 500 }, () => base + (next() % (DAY - 1n))));
      cases.push(Array.from({ length: 500 }, () => base + (next() % (3n * DAY)) - DAY));
      cases.push([base - 1n, base, base + DAY - 1n]);
      cases.push([base, base + DAY - 1n, base + 1n]);
      cases.push([base + 3_600_000_000n - 1n, base + 3_600_000_000n]);
    }
    cases.push([2n ** 53n + 5n, 2n ** 53n + 7n]);
    for (const values of cases)
      for (const kind of ["day", "hour"] as const) {
        const groups = groupByPartition([field(kind)], [column(values)], values.length);
        const got = new Map(groups.map((g) => [g.values[0] as number, [...g.rows]]));
        expect(got, `${kind} of ${values.slice(0, 3).join(",")}…`).toEqual(reference(kind, values));
      }
  });
});
