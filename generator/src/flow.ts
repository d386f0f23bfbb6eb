/**
 * The synthetic flow record. Its fields are exactly the flow-column names of
 * the `flows` hypertable (see @netflow/schema), minus `ts_clamped`, which the
 * ingest path computes. Times are integer milliseconds since the Unix epoch.
 */
export interface Flow {
  /** Flow start (ms since epoch). For sFlow, the datagram's send time. */
  ts: number;
  /** Flow end (ms since epoch); null for sFlow samples, which carry no flow times. */
  ts_end: number | null;
  /** Exporter address: the UDP source IP of the datagram (or sFlow agent address). */
  exporter: string;
  in_if: number;
  out_if: number;
  src_addr: string;
  dst_addr: string;
  src_port: number;
  dst_port: number;
  proto: number;
  tos: number;
  tcp_flags: number;
  packets: number;
  bytes: number;
  src_as: number;
  dst_as: number;
  sampling_rate: number;
}

/** Column order used for logs and COPY: the schema's column order. */
export const FLOW_FIELDS = [
  "ts",
  "ts_end",
  "exporter",
  "in_if",
  "out_if",
  "src_addr",
  "dst_addr",
  "src_port",
  "dst_port",
  "proto",
  "tos",
  "tcp_flags",
  "packets",
  "bytes",
  "src_as",
  "dst_as",
  "sampling_rate",
] as const satisfies readonly (keyof Flow)[];

/** One flow as a JSON-ready object, times as ISO strings with milliseconds and Z. */
export type FlowLogLine = Omit<Flow, "ts" | "ts_end"> & { ts: string; ts_end: string | null };

export function flowToLogLine(flow: Flow): FlowLogLine {
  return {
    ...flow,
    ts: new Date(flow.ts).toISOString(),
    ts_end: flow.ts_end === null ? null : new Date(flow.ts_end).toISOString(),
  };
}

export function isIpv6(address: string): boolean {
  return address.includes(":");
}
