/** A data file as recorded in a manifest (spec "Manifests" → data_file struct). */
import type { PrimitiveValue } from "../spec/types.ts";

export interface DataFile {
  /** 0 = data (this library writes data files only). */
  readonly content: 0;
  readonly filePath: string;
  readonly fileFormat: "PARQUET";
  /** The partition spec the file was written for. */
  readonly specId: number;
  /** Partition values, one per field of the spec, in spec order (null for a null value). */
  readonly partition: readonly (PrimitiveValue | null)[];
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  /** Maps keyed by field id. */
  readonly columnSizes: ReadonlyMap<number, number>;
  readonly valueCounts: ReadonlyMap<number, number>;
  readonly nullValueCounts: ReadonlyMap<number, number>;
  readonly nanValueCounts: ReadonlyMap<number, number>;
  /** Single-value binary encoded bounds. */
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>;
  readonly upperBounds: ReadonlyMap<number, Uint8Array>;
  readonly splitOffsets?: readonly number[];
  /** Set when every row of the file is in this sort order. */
  readonly sortOrderId?: number;
}
