/**
 * Test helpers: run the independent Python readers (PyIceberg, DuckDB's iceberg extension) in
 * a chosen working directory (fixture tables store relative paths), and bring our rows into
 * the same normalized JSON form as iceberg/test-py/normalize.py.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "vitest";
import { type JsonValue, parseJson, stringifyJson } from "../json/exact-json.ts";
import { decimalParams, type IcebergType, isPrimitive, type Schema } from "../spec/types.ts";
import { TEST_PY_DIR } from "../testing/python.ts";
import type { ReadableTable } from "./open.ts";
import type { RowValue } from "./parquet.ts";
import { planRead } from "./plan.ts";
import { decimalText } from "./render.ts";
import { type Row, readRows } from "./rows.ts";

const run = promisify(execFile);

/** Runs a test-py script with `cwd`; returns its last stdout line parsed exactly. */
export async function runPy(script: string, args: JsonValue, cwd: string = TEST_PY_DIR): Promise<JsonValue> {
  try {
    const { stdout } = await run("python3", [`${TEST_PY_DIR}${script}`, stringifyJson(args)], {
      cwd,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONWARNINGS: "ignore" },
    });
    const lines = stdout.trim().split("\n");
    return parseJson(lines[lines.length - 1] ?? "null");
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${err.message}\n${err.stderr ?? ""}`);
  }
}

function norm(type: IcebergType, v: RowValue): JsonValue {
  if (v === null) return null;
  if (isPrimitive(type)) {
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    const d = decimalParams(type);
    if (d) return decimalText(v as bigint, d.scale);
    if (type === "float" || type === "double") {
      const n = v as number;
      return Number.isNaN(n) ? "NaN" : String(type === "float" ? Math.fround(n) : n);
    }
    return v as JsonValue;
  }
  if (type.type === "list") return (v as RowValue[]).map((x) => norm(type.element, x));
  if (type.type === "map")
    return [...(v as Map<RowValue, RowValue>)].map(([k, x]) => [norm(type.key, k), norm(type.value, x)]);
  const rec = v as { [k: string]: RowValue };
  const out: { [k: string]: JsonValue } = {};
  for (const f of type.fields) out[f.name] = norm(f.type, rec[f.name] ?? null);
  return out;
}

/** Sorts rows canonically (no reader defines an order) after an exact JSON round trip. */
export function canonical(rows: JsonValue[]): string[] {
  return rows.map((r) => stringifyJson(parseJson(stringifyJson(r)))).sort();
}

/** Our rows in the reference form, columns in schema order. */
export function normalized(schema: Schema, rows: readonly Row[]): string[] {
  return canonical(rows.map((r) => schema.fields.map((f) => norm(f.type, r[f.name] ?? null))));
}

export interface Limit {
  /** The reference reader's own error message. */
  readonly error: RegExp;
  /** The snapshots it concerns (default: all). */
  readonly snapshots?: readonly bigint[];
}

export type RefOutput = { results: ({ columns: JsonValue; rows: JsonValue[] } | { error: string })[] };

async function ours(t: ReadableTable, snapshotId: bigint, snapshotSchema: boolean) {
  const plan = await planRead(t, { snapshotId, snapshotSchema });
  const rows: Row[] = [];
  for await (const r of readRows(t, { snapshotId, snapshotSchema })) rows.push(r);
  return { columns: plan.schema.fields.map((f) => f.name), rows: normalized(plan.schema, rows) };
}

/**
 * Our rows under whichever schema the reference reader projected on: readers differ on time
 * travel (PyIceberg uses the snapshot's schema, DuckDB the current one), so the current schema
 * is tried first and the snapshot's schema second.
 */
async function oursLike(t: ReadableTable, snapshotId: bigint, columns: JsonValue, rows: string[]) {
  const current = await ours(t, snapshotId, false);
  if (
    JSON.stringify(current.columns) === JSON.stringify(columns) &&
    JSON.stringify(current.rows) === JSON.stringify(rows)
  )
    return current;
  return await ours(t, snapshotId, true);
}

/**
 * Compares our rows with a reference reader's output, snapshot by snapshot (same order).
 * `rows` per snapshot, when given, is the documented count. Where `limit` names the reader's
 * error, that exact error is expected instead (and our reader must still read the snapshot).
 */
export async function compareWithReference(
  t: ReadableTable,
  snapshots: readonly { readonly id: bigint; readonly rows?: number }[],
  out: RefOutput,
  limit: Limit | undefined,
): Promise<void> {
  for (const [i, s] of snapshots.entries()) {
    const ref = out.results[i]!;
    if (limit && (limit.snapshots === undefined || limit.snapshots.includes(s.id))) {
      expect("error" in ref ? ref.error : "read fine").toMatch(limit.error);
      const mine = await ours(t, s.id, false);
      if (s.rows !== undefined) expect(mine.rows).toHaveLength(s.rows);
      continue;
    }
    if ("error" in ref) throw new Error(`reference reader failed at snapshot ${s.id}: ${ref.error}`);
    const want = canonical(ref.rows);
    const mine = await oursLike(t, s.id, ref.columns, want);
    expect(mine.columns).toEqual(ref.columns);
    if (s.rows !== undefined) expect(mine.rows).toHaveLength(s.rows);
    expect(mine.rows).toEqual(want);
  }
}
