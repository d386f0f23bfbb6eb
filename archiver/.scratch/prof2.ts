import { backfill } from "@netflow/generator";
import { compressChunk, listHotChunks } from "../src/hot/chunks.ts";
import { startTestEnv } from "../src/testing/env.ts";
import { FLOW_COLUMNS } from "@netflow/schema";
const DAY = 86_400_000;
const env = await startTestEnv();
try {
  const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
  await backfill({ pgUrl: env.superUrl, fromMs: day, toMs: day + DAY, flowsPerDay: 100000, seed: 1, batchRows: 50_000 });
  const chunk = (await listHotChunks(env.pool))[0]!;
  await compressChunk(env.pool, chunk.relation);
  const rel = chunk.relation;
  const t = async (name: string, sql: string, values: unknown[] = []) => {
    const t0 = performance.now();
    const r = await env.pool.query({ text: sql, values, rowMode: "array", types: { getTypeParser: () => (v: string) => v } } as never);
    console.log(name, Math.round(performance.now() - t0), "ms", (r as { rows: unknown[] }).rows.length);
  };
  const { pgRowHashExpr } = await import("../src/hash/row-hash.ts");
  const hashExpr = pgRowHashExpr();
  const canon = hashExpr.replace(/^\('x' \|\| substr\(md5\(/, "").replace(/\), 1, 16\)\)::bit\(64\)::bigint$/, "");
  const lo = String(BigInt(chunk.rangeStart.getTime()) * 1000n), hi = String(BigInt(chunk.rangeEnd.getTime()) * 1000n);
  const where = `WHERE ts >= 'epoch'::timestamptz + $1::bigint * interval '1 microsecond' AND ts < 'epoch'::timestamptz + $2::bigint * interval '1 microsecond'`;
  await t("canon only", `SELECT ${canon} FROM ${rel}`);
  await t("canon + hash of canon", `SELECT c, ('x' || substr(md5(c), 1, 16))::bit(64)::bigint FROM (SELECT ${canon} AS c FROM ${rel}) s`);
  await t("canon + hash, where", `SELECT c, ('x' || substr(md5(c), 1, 16))::bit(64)::bigint FROM (SELECT ${canon} AS c FROM ${rel} ${where}) s`, [lo, hi]);
  await t("select * where", `SELECT * FROM ${rel} ${where}`, [lo, hi]);
  await t("select * where tstz literal", `SELECT * FROM ${rel} WHERE ts >= $1::timestamptz AND ts < $2::timestamptz`, [chunk.rangeStart.toISOString(), chunk.rangeEnd.toISOString()]);
  await t("canon+hash where 1/4", `SELECT c, ('x' || substr(md5(c), 1, 16))::bit(64)::bigint FROM (SELECT ${canon} AS c FROM ${rel} ${where}) s`, [lo, String(BigInt(lo) + (BigInt(hi)-BigInt(lo))/4n)]);
  await t("row text", `SELECT f::text FROM ${rel} f`);
  console.log(FLOW_COLUMNS.length);
} finally { await env.stop(); }
