import * as A from "apache-arrow";
import { ParquetSink } from "../src/write/parquet-sink.ts";
import { FileObjectStore } from "../src/io/file-store.ts";
import { arrowSchema } from "../src/write/arrow-schema.ts";
const schema = arrowSchema({ schemaId: 0, fields: [{ id: 1, name: "ts", required: true, type: "timestamptz" }, { id: 7, name: "s", required: false, type: "string" }] });
const sink = new ParquetSink(new FileObjectStore(), "/tmp/sinktry/a.parquet", { rowGroupRows: 1000, createdBy: "x" });
for (let g = 0; g < 3; g++) {
  const n = 1000;
  const ts = A.makeData({ type: new A.TimestampMicrosecond("UTC"), length: n, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(g * n + i) * 1000000n) });
  const s = A.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 ? `v${i}` : null)), new A.Utf8()).data[0]!;
  const batch = new A.RecordBatch(schema, A.makeData({ type: new A.Struct(schema.fields), length: n, children: [ts, s] }));
  await sink.writeRowGroup(batch);
  console.log("rg", g, sink.bytesWritten);
}
const r = await sink.finish();
console.log(r.size, r.footer);
