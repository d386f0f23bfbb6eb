/**
 * Deterministic synthetic flows as Arrow record batches, for the write benchmark.
 * Shape (fixed, committed with the benchmark): second-resolution timestamps in order,
 * `FLOWS_PER_SECOND` flows per second, 8 exporters, hosts and ports drawn from
 * Zipf-like distributions (a few talk a lot), bytes correlated with packets and
 * protocol, 20% IPv6. A simple LCG makes it reproducible across runs and machines.
 */

import { arrowSchema, encodeAddress, flowTableSchema } from "@netflow/iceberg";
import * as A from "apache-arrow";

export const GENERATOR = {
  seed: 42,
  flowsPerSecond: 2000,
  startMicros: 1_767_225_600_000_000n, // 2026-01-01T00:00:00Z
  hosts: 50_000,
  exporters: 8,
  ipv6Share: 0.2,
  zipfS: 1.1,
} as const;

class Lcg {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 4294967296;
  }
}

/** Inverse-CDF sampler for a Zipf-like rank distribution over n items. */
function zipf(n: number, s: number): (u: number) => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / (i + 1) ** s;
    cdf[i] = total;
  }
  for (let i = 0; i < n; i++) cdf[i]! /= total;
  return (u) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const WELL_KNOWN = [443, 80, 53, 123, 22, 25, 993, 8080, 3478, 5228, 1194, 853];

export function* syntheticFlowBatches(rows: number, batchSize: number): Generator<A.RecordBatch> {
  const g = GENERATOR;
  const rnd = new Lcg(g.seed);
  const host = zipf(g.hosts, g.zipfS);
  const port = zipf(WELL_KNOWN.length, 1.3);
  // Address pool: each host index maps to one fixed address (v4 or v6).
  const addrPool = new Uint8Array(g.hosts * 16);
  const poolRnd = new Lcg(g.seed + 1);
  for (let i = 0; i < g.hosts; i++) {
    const v6 = poolRnd.next() < g.ipv6Share;
    const a = v6
      ? encodeAddress(`2001:db8:${(i % 4096).toString(16)}::${((i * 2654435761) % 65536).toString(16)}`)
      : encodeAddress(`${10 + (i % 200)}.${(i >> 8) % 256}.${(i * 7) % 256}.${(i * 13) % 256}`);
    addrPool.set(a, i * 16);
  }
  const exporters = Array.from({ length: g.exporters }, (_, i) => encodeAddress(`192.0.2.${i + 1}`));
  const schema = flowTableSchema();
  const aSchema = arrowSchema(schema);
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const ts = new BigInt64Array(n);
    const tsEnd = new BigInt64Array(n);
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
      const row = start + i;
      const sec = BigInt(Math.floor(row / g.flowsPerSecond));
      ts[i] = g.startMicros + sec * 1_000_000n;
      const dur = Math.floor(rnd.next() * 60);
      tsEnd[i] = ts[i]! + BigInt(dur) * 1_000_000n;
      const e = Math.floor(rnd.next() ** 2 * g.exporters);
      exporter.set(exporters[e]!, i * 16);
      inIf[i] = BigInt(1 + e * 4 + Math.floor(rnd.next() * 4));
      outIf[i] = BigInt(1 + e * 4 + Math.floor(rnd.next() * 4));
      const s = host(rnd.next());
      const d = host(rnd.next());
      src.set(addrPool.subarray(s * 16, s * 16 + 16), i * 16);
      dst.set(addrPool.subarray(d * 16, d * 16 + 16), i * 16);
      const r = rnd.next();
      const p = r < 0.7 ? 6 : r < 0.97 ? 17 : 1;
      proto[i] = p;
      dstPort[i] = p === 1 ? 0 : WELL_KNOWN[port(rnd.next())]!;
      srcPort[i] = p === 1 ? 0 : 32768 + Math.floor(rnd.next() * 28232);
      tos[i] = rnd.next() < 0.9 ? 0 : 184;
      flags[i] = p === 6 ? (rnd.next() < 0.8 ? 27 : 2) : 0;
      const pk = 1 + Math.floor(-Math.log(1 - rnd.next()) * 20);
      packets[i] = BigInt(pk);
      bytes[i] = BigInt(pk * (p === 17 ? 120 + Math.floor(rnd.next() * 400) : 64 + Math.floor(rnd.next() * 1400)));
      srcAs[i] = BigInt(64512 + (s % 100));
      dstAs[i] = BigInt(64512 + (d % 100));
      sampling[i] = 1n;
    }
    const cols: Record<string, A.Data> = {
      ts: A.makeData({ type: aSchema.fields[0]!.type as A.TimestampMicrosecond, length: n, data: ts }),
      ts_end: A.makeData({ type: aSchema.fields[1]!.type as A.TimestampMicrosecond, length: n, data: tsEnd }),
      exporter: fixedAsBinary(exporter, n),
      in_if: A.makeData({ type: new A.Int64(), length: n, data: inIf }),
      out_if: A.makeData({ type: new A.Int64(), length: n, data: outIf }),
      src_addr: fixedAsBinary(src, n),
      dst_addr: fixedAsBinary(dst, n),
      src_port: A.makeData({ type: new A.Int32(), length: n, data: srcPort }),
      dst_port: A.makeData({ type: new A.Int32(), length: n, data: dstPort }),
      proto: A.makeData({ type: new A.Int32(), length: n, data: proto }),
      tos: A.makeData({ type: new A.Int32(), length: n, data: tos }),
      tcp_flags: A.makeData({ type: new A.Int32(), length: n, data: flags }),
      packets: A.makeData({ type: new A.Int64(), length: n, data: packets }),
      bytes: A.makeData({ type: new A.Int64(), length: n, data: bytes }),
      src_as: A.makeData({ type: new A.Int64(), length: n, data: srcAs }),
      dst_as: A.makeData({ type: new A.Int64(), length: n, data: dstAs }),
      sampling_rate: A.makeData({ type: new A.Int64(), length: n, data: sampling }),
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
