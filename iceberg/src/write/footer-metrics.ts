/**
 * Iceberg column metrics from the Parquet footer instead of the rows: the
 * encoder computes chunk statistics anyway, and for these types a Parquet
 * min_value/max_value (plain encoding, the type's column order) holds exactly
 * the bytes of an Iceberg single-value bound. Reading them saves the writer a
 * pass over every value of those columns. Floats (NaN counts, ±0), decimals
 * and fixed-width types keep their metrics computed from the rows.
 *
 * arrow-rs truncates string/binary statistics longer than 64 bytes (the lower
 * bound to a prefix, the upper bound to a prefix incremented): still valid
 * bounds, and the Iceberg bounds cut to 16 are then valid too.
 */
import { IcebergError } from "../errors.ts";
import { compareValues, fromBytes } from "../spec/conversions.ts";
import type { PrimitiveType, PrimitiveValue } from "../spec/types.ts";
import type { ChunkStats } from "./parquet-footer.ts";

const FROM_FOOTER = new Set<PrimitiveType>([
  "boolean",
  "int",
  "long",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "string",
  "binary",
]);

/** Whether a column of this type takes its metrics from the footer (when it has chunk statistics). */
export function footerMetricsUsable(type: PrimitiveType): boolean {
  return FROM_FOOTER.has(type);
}

/** Null count and min/max of a column over its chunks' statistics. */
export function metricsFromFooter(
  type: PrimitiveType,
  chunks: readonly ChunkStats[],
  rowGroups: number,
  context: { readonly file: string; readonly column: string },
): { nullCount: number; min: PrimitiveValue | undefined; max: PrimitiveValue | undefined } {
  if (chunks.length !== rowGroups)
    throw new IcebergError(
      "io",
      `column ${context.column}: statistics in ${chunks.length} of ${rowGroups} row groups`,
      {
        file: context.file,
      },
    );
  let nullCount = 0;
  let min: PrimitiveValue | undefined;
  let max: PrimitiveValue | undefined;
  for (const c of chunks) {
    if (c.nullCount === undefined)
      throw new IcebergError("io", `column ${context.column}: a row group's statistics have no null count`, {
        file: context.file,
      });
    nullCount += c.nullCount;
    if (c.min !== undefined) {
      const v = fromBytes(type, c.min);
      if (min === undefined || compareValues(v, min) < 0) min = v;
    }
    if (c.max !== undefined) {
      const v = fromBytes(type, c.max);
      if (max === undefined || compareValues(v, max) > 0) max = v;
    }
  }
  return { nullCount, min, max };
}
