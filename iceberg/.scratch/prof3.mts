import * as PW from "parquet-wasm";
import * as A from "apache-arrow";
import { syntheticFlowBatches } from "../../bench/iceberg-write/synthetic-flows.ts";
const table = new A.Table([...syntheticFlowBatches(500_000, 65536)]);
const ipc = A.tableToIPC(table, "stream");
const cfgs = [
  ["zstd", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD)],
  ["zstd nostats", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD).setStatisticsEnabled(PW.EnabledStatistics.None)],
  ["zstd nobinstats", () => ["exporter","src_addr","dst_addr"].reduce((b, c) => b.setColumnStatisticsEnabled(c, PW.EnabledStatistics.None), new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD))],
  ["zstd chunkstats", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD).setStatisticsEnabled(PW.EnabledStatistics.Chunk)],
] as const;
for (let rep = 0; rep < 2; rep++) for (const [name, mk] of cfgs) {
  const wt = PW.Table.fromIPCStream(ipc);
  const t = performance.now();
  const bytes = PW.writeParquet(wt, mk().setMaxRowGroupSize(262144).build());
  const ms = performance.now() - t;
  console.log(rep, name.padEnd(16), "rows/s", (500000 / (ms / 1000)).toFixed(0), "B/row", (bytes.length / 500000).toFixed(2));
}
