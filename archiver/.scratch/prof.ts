import { backfill } from "@netflow/generator";
import { compressChunk, listHotChunks } from "../src/hot/chunks.ts";
import { startTestEnv } from "../src/testing/env.ts";
import { pgRowHashExpr } from "../src/hash/row-hash.ts";
import { exportQuery } from "../src/archive/export.ts";
const DAY = 86_400_000;
const env = await startTestEnv();
try {
  const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
  await backfill({ pgUrl: env.superUrl, fromMs: day, toMs: day + DAY, flowsPerDay: 100000, seed: 1, batchRows: 50_000 });
  const chunk = (await listHotChunks(env.pool))[0]!;
  await compressChunk(env.pool, chunk.relation);
  const rel = chunk.relation;
  const t = async (name: string, sql: string, opts: object = {}) => {
    const t0 = performance.now();
    const r = await env.pool.query({ text: sql, ...opts } as never);
    console.log(name, Math.round(performance.now() - t0), "ms", (r as { rows: unknown[] }).rows.length);
  };
  const raw = { rowMode: "array", types: { getTypeParser: () => (v: string) => v } };
  await t("count", `SELECT count(*) FROM ${rel}`);
  await t("select * raw", `SELECT * FROM ${rel}`, raw);
  await t("select ts only", `SELECT ts FROM ${rel}`, raw);
  await t("sum hash", `SELECT sum(${pgRowHashExpr()}) FROM ${rel}`);
  await t("md5 of ts text", `SELECT sum(('x'||substr(md5(ts::text),1,16))::bit(64)::bigint) FROM ${rel}`);
  await t("export 100k (no limit windows)", exportQuery(rel).replace("LIMIT $3", ""), { ...raw, values: [String(BigInt(chunk.rangeStart.getTime())*1000n), String(BigInt(chunk.rangeEnd.getTime())*1000n)] });
  await t("export minus hash", exportQuery(rel).replace(`, ${pgRowHashExpr()}`, "").replace("LIMIT $3", ""), { ...raw, values: [String(BigInt(chunk.rangeStart.getTime())*1000n), String(BigInt(chunk.rangeEnd.getTime())*1000n)] });
  await t("copy-like text *", `SELECT f::text FROM ${rel} f`, raw);
} finally { await env.stop(); }
