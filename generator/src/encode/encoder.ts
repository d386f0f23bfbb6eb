import type { Flow } from "../flow.ts";

export const PROTOCOLS = ["v5", "v9", "ipfix", "sflow"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Every datagram stays below this size (no IP fragmentation on a 1500-byte MTU path with tunnels). */
export const MAX_DATAGRAM_BYTES = 1400;

export interface EncoderOptions {
  /** The exporter's own address (sFlow agent address). */
  exporter: string;
  /** The exporter's boot time (ms since epoch): sysUptime and v5/v9 flow times count from it. */
  bootMs: number;
  /** 1-in-N sampling rate announced (v5 header, v9/IPFIX options, sFlow samples). */
  samplingRate: number;
  /** NetFlow v9 source id / IPFIX observation domain id / sFlow sub-agent id. */
  sourceId: number;
  /** v9/IPFIX: (re)send templates and sampling options every this many datagrams. */
  templateRefreshPackets: number;
}

/**
 * Turns flows into export datagrams for one exporter. Encoders are stateful
 * (sequence numbers, template refresh), so one instance serves one exporter.
 */
export interface Encoder {
  readonly protocol: Protocol;
  /** How many flows usually fit one datagram; the sender batches this many. */
  readonly flowsPerDatagram: number;
  /**
   * Encodes the flows, in as many datagrams as needed (each under
   * MAX_DATAGRAM_BYTES), stamped with the export time exportMs (which must
   * not precede any flow's end).
   */
  encode(flows: readonly Flow[], exportMs: number): Buffer[];
}

/** Export time in whole seconds, rounded up so that it never precedes a flow end. */
export function exportSeconds(exportMs: number): number {
  return Math.ceil(exportMs / 1000);
}

/** Milliseconds since the exporter booted, as a 32-bit sysUptime. */
export function uptimeMs(atMs: number, bootMs: number): number {
  const uptime = atMs - bootMs;
  if (uptime < 0 || uptime > 0xffffffff) {
    throw new Error(`time ${new Date(atMs).toISOString()} is outside the exporter's 32-bit uptime window`);
  }
  return uptime;
}
