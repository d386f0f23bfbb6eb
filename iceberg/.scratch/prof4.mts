import { DataFileWriter, FileObjectStore, flowPartitionSpec, flowSortOrder, flowTableSchema } from "@netflow/iceberg";
import { syntheticFlowBatches } from "../../bench/iceberg-write/synthetic-flows.ts";
const batches = [...syntheticFlowBatches(1_000_000, 65536)];
for (let rep = 0; rep < 2; rep++) {
const t = performance.now();
const w = new DataFileWriter({ store: new FileObjectStore(), schema: flowTableSchema(), spec: flowPartitionSpec(), sortOrder: flowSortOrder(), dataLocation: "/tmp/prof-out", rowGroupRows: 262144 });
for (const b of batches) await w.write(b);
await w.close();
console.log("ours total ms", (performance.now() - t).toFixed(0));
}
