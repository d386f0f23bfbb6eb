/**
 * Scan planning: which data files of a snapshot can hold rows matching a
 * filter. A pure function over already-loaded manifests (see load.ts), so it
 * is tested with tables of cases. A file is skipped when its partition values
 * (order-preserving transforms and bucket equality) or its column bounds and
 * null counts prove no row can match; otherwise it is kept. Never a false skip.
 */
import type { DataFile } from "../manifest/data-file.ts";
import { compareValues, fromBytes } from "../spec/conversions.ts";
import type { BoundPartitionField } from "../spec/partition.ts";
import { applyTransform } from "../spec/transforms.ts";
import { isPrimitive, type PrimitiveType, type PrimitiveValue, type Schema } from "../spec/types.ts";
import type { Filter } from "./filter.ts";

export interface ScanManifest {
  /** Partition fields of the manifest's spec. */
  readonly partitionFields: readonly BoundPartitionField[];
  /** Live data files of the manifest. */
  readonly files: readonly DataFile[];
}

export interface ScanPlan {
  readonly files: DataFile[];
  readonly totalFiles: number;
  readonly totalBytes: number;
  readonly skippedFiles: number;
  readonly skippedBytes: number;
  readonly totalRecords: number;
  readonly selectedRecords: number;
}

type Verdict = "skip" | "maybe";

export function planScan(schema: Schema, manifests: readonly ScanManifest[], filter: Filter): ScanPlan {
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const files: DataFile[] = [];
  let totalFiles = 0;
  let totalBytes = 0;
  let totalRecords = 0;
  let selectedRecords = 0;
  for (const m of manifests) {
    for (const f of m.files) {
      totalFiles++;
      totalBytes += f.fileSizeInBytes;
      totalRecords += f.recordCount;
      if (evaluate(filter, f, m.partitionFields, byName) === "maybe") {
        files.push(f);
        selectedRecords += f.recordCount;
      }
    }
  }
  const keptBytes = files.reduce((s, f) => s + f.fileSizeInBytes, 0);
  return {
    files,
    totalFiles,
    totalBytes,
    skippedFiles: totalFiles - files.length,
    skippedBytes: totalBytes - keptBytes,
    totalRecords,
    selectedRecords,
  };
}

type Fields = Map<string, { id: number; type: Schema["fields"][number]["type"] }>;

function evaluate(f: Filter, file: DataFile, parts: readonly BoundPartitionField[], fields: Fields): Verdict {
  switch (f.op) {
    case "true":
      return "maybe";
    case "and":
      return f.filters.some((x) => evaluate(x, file, parts, fields) === "skip") ? "skip" : "maybe";
    case "or":
      return f.filters.every((x) => evaluate(x, file, parts, fields) === "skip") ? "skip" : "maybe";
  }
  const field = fields.get(f.column);
  // Unknown or nested columns cannot be reasoned about: keep the file.
  if (!field || !isPrimitive(field.type)) return "maybe";
  const type = field.type;
  const valueCount = file.valueCounts.get(field.id);
  const nullCount = file.nullValueCounts.get(field.id);
  const allNull = valueCount !== undefined && nullCount !== undefined && nullCount === valueCount;
  if (f.op === "is-null") return nullCount === 0 ? "skip" : "maybe";
  if (allNull) return "skip"; // every remaining predicate needs a non-null value
  if (f.op === "not-null") return "maybe";
  const [min, max, maxExclusive] = f.op === "eq" ? [f.value, f.value, false] : [f.min, f.max, f.maxExclusive ?? false];
  if (boundsExclude(file, field.id, type, min, max, maxExclusive)) return "skip";
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.sourceId !== field.id) continue;
    const pv = file.partition[i];
    if (pv === undefined || pv === null) continue;
    if (partitionExcludes(p, pv, type, min, max, f.op === "eq")) return "skip";
  }
  return "maybe";
}

function boundsExclude(
  file: DataFile,
  id: number,
  type: PrimitiveType,
  min: PrimitiveValue | undefined,
  max: PrimitiveValue | undefined,
  maxExclusive: boolean,
): boolean {
  const lo = file.lowerBounds.get(id);
  const hi = file.upperBounds.get(id);
  if (max !== undefined && lo !== undefined) {
    const c = compareValues(fromBytes(type, lo), max);
    if (c > 0 || (maxExclusive && c === 0)) return true;
  }
  if (min !== undefined && hi !== undefined) {
    if (compareValues(fromBytes(type, hi), min) < 0) return true;
  }
  return false;
}

function partitionExcludes(
  p: BoundPartitionField,
  pv: PrimitiveValue,
  type: PrimitiveType,
  min: PrimitiveValue | undefined,
  max: PrimitiveValue | undefined,
  isEq: boolean,
): boolean {
  const t = p.transform;
  if (t.kind === "bucket") return isEq && min !== undefined && applyTransform(t, type, min) !== pv;
  if (t.kind === "void") return false;
  // Order-preserving transforms: t(min) ≤ t(v) ≤ t(max) for every matching v. With an
  // exclusive max, t(max) may still hold matching values (e.g. a day boundary), so stay inclusive.
  if (min !== undefined) {
    const tmin = applyTransform(t, type, min);
    if (tmin !== null && compareValues(pv, tmin) < 0) return true;
  }
  if (max !== undefined) {
    const tmax = applyTransform(t, type, max);
    if (tmax !== null && compareValues(pv, tmax) > 0) return true;
  }
  return false;
}
