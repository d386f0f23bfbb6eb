import { readdirSync } from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { FLOWS_VIEW_COLUMNS } from "./src/engine/duckdb.ts";

const dir = "/work/main/.data/bench-gateway-20m/warehouse/netflow/flows/data";
const day = "ts_day=2026-10-24";
const file = `${dir}/${day}/${readdirSync(`${dir}/${day}`)[0]}`;
const q = `SELECT src_addr, sum(bytes) AS bytes, count(*) AS flows FROM flows WHERE ts >= TIMESTAMPTZ '2026-10-24 00:00:00+00' AND ts < TIMESTAMPTZ '2026-10-25 00:00:00+00' GROUP BY src_addr ORDER BY bytes DESC, src_addr LIMIT 10`;
async function main() {
  for (const cache of [false, true]) {
    const inst = await DuckDBInstance.create(":memory:", { threads: "2", memory_limit: "1GB" });
    const direct = await inst.connect();
    await direct.run("LOAD parquet");
    await direct.run(`SET parquet_metadata_cache=${cache}`);
    await direct.run(`CREATE VIEW flows AS SELECT * FROM read_parquet('${dir}/*/*.parquet', hive_partitioning=false)`);
    const cols = FLOWS_VIEW_COLUMNS.map((c) => `CAST("${c.name}" AS ${c.duckType}) AS "${c.name}"`).join(", ");
    const t: Record<string, number[]> = {};
    const rec = (k: string, ms: number) => (t[k] ??= []).push(ms);
    for (let i = 0; i < 30; i++) {
      let s = performance.now();
      await direct.run("SET TimeZone='UTC'");
      (await direct.runAndReadAll(q)).getRows();
      rec("direct", performance.now() - s);
      for (const ubn of [true, false]) {
        s = performance.now();
        const c = await inst.connect();
        rec(`connect`, performance.now() - s);
        let s2 = performance.now();
        await c.run("SET SESSION TimeZone='UTC'");
        rec(`settz`, performance.now() - s2);
        s2 = performance.now();
        await c.run(`CREATE TEMP VIEW flows AS SELECT ${cols} FROM read_parquet(['${file}'], union_by_name=${ubn})`);
        rec(`view ubn=${ubn}`, performance.now() - s2);
        s2 = performance.now();
        (await c.runAndReadAll(q)).getRows();
        rec(`query ubn=${ubn}`, performance.now() - s2);
        c.closeSync();
        rec(`total ubn=${ubn}`, performance.now() - s);
      }
      s = performance.now();
      (
        await direct.runAndReadAll(
          q
            .replace(
              "FROM flows",
              "FROM " +
                `(SELECT ${cols} FROM read_parquet(['${file}'], union_by_name=true)) flows`.replace(" flows", ""),
            )
            .replace("FROM (SELECT", "FROM (SELECT"),
        )
      ).getRows();
      rec("inline subquery same conn", performance.now() - s);
    }
    const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(2);
    console.log(
      `metadata cache ${cache}:`,
      Object.entries(t)
        .map(([k, v]) => `${k}=${med(v)}`)
        .join("  "),
    );
    inst.closeSync();
  }
}
main();
