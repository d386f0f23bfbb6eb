/** The flows table's Iceberg schema, partition spec and sort order, derived from the flow-column catalog. */
import { FLOW_COLUMNS, TIME_COLUMN } from "@netflow/schema";
import { IcebergError } from "../errors.ts";
import type { PartitionSpec, SortOrder } from "../spec/partition.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Schema } from "../spec/types.ts";

export function flowTableSchema(): Schema {
  return {
    schemaId: 0,
    fields: FLOW_COLUMNS.map((c) => ({
      id: c.fieldId,
      name: c.name,
      required: !c.nullable,
      type: c.icebergType,
      doc: c.doc,
    })),
  };
}

function timeFieldId(): number {
  const c = FLOW_COLUMNS.find((x) => x.name === TIME_COLUMN);
  if (!c) throw new IcebergError("invalid-schema", `time column ${TIME_COLUMN} is not in the flow catalog`);
  return c.fieldId;
}

/** `transform(ts)`, default day — the architecture's default partitioning. */
export function flowPartitionSpec(transform = "day"): PartitionSpec {
  return {
    specId: 0,
    fields: [
      {
        sourceId: timeFieldId(),
        fieldId: 1000,
        name: `${TIME_COLUMN}_${transform}`,
        transform: parseTransform(transform),
      },
    ],
  };
}

/**
 * Columns the writer groups flows by within each second (rows tying on the sort key; see
 * DataFileWriterOptions.clusterTiesBy): a second holds flows of every exporter and interface in
 * arrival order, so these low-cardinality columns change every row and their dictionary
 * indices do not compress. Grouped, files are ~8 % smaller (bench/iceberg-write: 12.25 → 11.23
 * bytes a flow) for ~10 % more encoding time.
 */
export const FLOW_TIE_COLUMNS: readonly string[] = ["exporter", "in_if"];

/** Files sorted by flow time. */
export function flowSortOrder(): SortOrder {
  return {
    orderId: 1,
    fields: [
      { sourceId: timeFieldId(), transform: parseTransform("identity"), direction: "asc", nullOrder: "nulls-first" },
    ],
  };
}
