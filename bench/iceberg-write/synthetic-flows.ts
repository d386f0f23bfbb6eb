/**
 * The project generator's synthetic flows (@netflow/generator FlowSource, the
 * source `backfill` uses) as Arrow record batches in the flows table's schema,
 * for the write benchmark. The parameters are fixed here and committed with the
 * benchmark: second-resolution flow times anchored at the flow start, so rows
 * arrive sorted by time (as the archiver exports them, ORDER BY ts), 8
 * exporters, the generator's default host pools, Zipf-like hosts and service
 * ports, heavy-tailed packet counts with correlated bytes, flags and durations.
 */

import { defaultSynthConfig, exporterAddresses, FlowSource, type SynthConfig } from "@netflow/generator";
import { arrowSchema, encodeAddress, flowTableSchema } from "@netflow/iceberg";
import * as A from "apache-arrow";

export const GENERATOR = {
  seed: 1,
  flowsPerSecond: 1000,
  start: "2026-01-01T00:00:00Z",
  exporters: 8,
  exporterBase: "192.0.2.1",
  ipv6Share: 0.3,
  samplingRate: 1,
  timeResolutionMs: 1000,
  timeAnchor: "start",
  internalHosts: 500,
  externalHosts: 5000,
} as const;

export function synthConfig(): SynthConfig {
  const g = GENERATOR;
  return {
    ...defaultSynthConfig(),
    seed: g.seed,
    flowsPerSecond: g.flowsPerSecond,
    startMs: Date.parse(g.start),
    exporters: exporterAddresses({ exporterBase: g.exporterBase, exporters: g.exporters }),
    ipv6Share: g.ipv6Share,
    samplingRate: g.samplingRate,
    timeResolutionMs: g.timeResolutionMs,
    timeAnchor: g.timeAnchor,
    internalHosts: g.internalHosts,
    externalHosts: g.externalHosts,
  };
}

export function* syntheticFlowBatches(rows: number, batchSize: number): Generator<A.RecordBatch> {
  const source = new FlowSource(synthConfig());
  // Host pools are finite: parse each address text once.
  const encoded = new Map<string, Uint8Array>();
  const addr = (text: string): Uint8Array => {
    let a = encoded.get(text);
    if (!a) {
      a = encodeAddress(text);
      encoded.set(text, a);
    }
    return a;
  };
  const schema = flowTableSchema();
  const aSchema = arrowSchema(schema);
  const typeOf = (name: string): A.DataType => {
    const f = aSchema.fields.find((x) => x.name === name);
    if (!f) throw new Error(`flows schema has no column ${name}`);
    return f.type;
  };
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const ts = new BigInt64Array(n);
    const tsEnd = new BigInt64Array(n);
    const tsEndValid = new Uint8Array(Math.ceil(n / 8));
    let tsEndNulls = 0;
    const exporter = new Uint8Array(n * 16);
    const inIf = new BigInt64Array(n);
    const outIf = new BigInt64Array(n);
    const src = new Uint8Array(n * 16);
    const dst = new Uint8Array(n * 16);
    const srcPort = new Int32Array(n);
    const dstPort = new Int32Array(n);
    const proto = new Int32Array(n);
    const tos = new Int32Array(n);
    const flags = new Int32Array(n);
    const packets = new BigInt64Array(n);
    const bytes = new BigInt64Array(n);
    const srcAs = new BigInt64Array(n);
    const dstAs = new BigInt64Array(n);
    const sampling = new BigInt64Array(n);
    const clamped = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) {
      const f = source.next();
      ts[i] = BigInt(f.ts) * 1000n;
      if (f.ts_end === null) tsEndNulls++;
      else {
        tsEnd[i] = BigInt(f.ts_end) * 1000n;
        tsEndValid[i >> 3]! |= 1 << (i & 7);
      }
      exporter.set(addr(f.exporter), i * 16);
      inIf[i] = BigInt(f.in_if);
      outIf[i] = BigInt(f.out_if);
      src.set(addr(f.src_addr), i * 16);
      dst.set(addr(f.dst_addr), i * 16);
      srcPort[i] = f.src_port;
      dstPort[i] = f.dst_port;
      proto[i] = f.proto;
      tos[i] = f.tos;
      flags[i] = f.tcp_flags;
      packets[i] = BigInt(f.packets);
      bytes[i] = BigInt(f.bytes);
      srcAs[i] = BigInt(f.src_as);
      dstAs[i] = BigInt(f.dst_as);
      sampling[i] = BigInt(f.sampling_rate);
    }
    const i64 = (data: BigInt64Array): A.Data => A.makeData({ type: new A.Int64(), length: n, data });
    const i32 = (data: Int32Array): A.Data => A.makeData({ type: new A.Int32(), length: n, data });
    const time = typeOf("ts") as A.TimestampMicrosecond;
    const cols: Record<string, A.Data> = {
      ts: A.makeData({ type: time, length: n, data: ts }),
      ts_end: A.makeData({
        type: time,
        length: n,
        data: tsEnd,
        nullCount: tsEndNulls,
        ...(tsEndNulls > 0 ? { nullBitmap: tsEndValid } : {}),
      }),
      exporter: fixedAsBinary(exporter, n),
      in_if: i64(inIf),
      out_if: i64(outIf),
      src_addr: fixedAsBinary(src, n),
      dst_addr: fixedAsBinary(dst, n),
      src_port: i32(srcPort),
      dst_port: i32(dstPort),
      proto: i32(proto),
      tos: i32(tos),
      tcp_flags: i32(flags),
      packets: i64(packets),
      bytes: i64(bytes),
      src_as: i64(srcAs),
      dst_as: i64(dstAs),
      sampling_rate: i64(sampling),
      ts_clamped: A.makeData({ type: new A.Bool(), length: n, data: clamped }),
    };
    const children = schema.fields.map((f) => {
      const c = cols[f.name];
      if (!c) throw new Error(`generator has no column ${f.name}`);
      return c;
    });
    yield new A.RecordBatch(
      aSchema,
      A.makeData({ type: new A.Struct(aSchema.fields), length: n, nullCount: 0, children }),
    );
  }
}

function fixedAsBinary(bytes: Uint8Array, n: number): A.Data {
  const offsets = Int32Array.from({ length: n + 1 }, (_, i) => i * 16);
  return A.makeData({ type: new A.Binary(), length: n, valueOffsets: offsets, data: bytes });
}
