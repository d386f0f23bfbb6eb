import * as PW from "parquet-wasm";
import * as A from "apache-arrow";
import { syntheticFlowBatches } from "../../bench/iceberg-write/synthetic-flows.ts";
const table = new A.Table([...syntheticFlowBatches(500_000, 65536)]);
const ipc = A.tableToIPC(table, "stream");
for (const [name, mk] of [
  ["zstd", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD)],
  ["none", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.UNCOMPRESSED)],
  ["zstd nostats", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD).setStatisticsEnabled(PW.EnabledStatistics.None)],
  ["zstd nodict", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.ZSTD).setDictionaryEnabled(false)],
  ["snappy", () => new PW.WriterPropertiesBuilder().setCompression(PW.Compression.SNAPPY)],
] as const) {
  const wt = PW.Table.fromIPCStream(ipc);
  const t = performance.now();
  const bytes = PW.writeParquet(wt, mk().setMaxRowGroupSize(262144).build());
  const ms = performance.now() - t;
  console.log(name.padEnd(14), "rows/s", (500000 / (ms / 1000)).toFixed(0), "B/row", (bytes.length / 500000).toFixed(2));
}
