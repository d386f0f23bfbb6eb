/**
 * Per-exporter sequence tracking. Each export datagram carries a sequence
 * number; what it counts depends on the protocol:
 *   NetFlow v5 and IPFIX: flow (data) records sent before this datagram, so the
 *     next datagram should carry seq + records;
 *   NetFlow v9 and sFlow: datagrams, so the next should carry seq + 1.
 * A jump forward is a gap (datagrams lost between exporter and collector, in
 * the unit above); a jump far backwards is an exporter restart.
 *
 * Caveat, documented in the status output: the collector sees only datagrams
 * that carry flows (pmacct's print plugin reports flows, not templates), so a
 * v9 exporter's template-only datagrams, an sFlow agent's counter-only
 * datagrams and IPFIX option records count as gaps too. v5 is exact.
 */

export type ExportProtocol = "netflow-v5" | "netflow-v9" | "ipfix" | "sflow-v5";

/** One export datagram as the health plugin reports it. */
export interface DatagramRecord {
  exporter: string;
  protocol: ExportProtocol;
  /** Observation domain / source id / engine id / sFlow sub-agent. */
  sourceId: number;
  seq: number;
  /** Flow records (NetFlow/IPFIX) or flow samples (sFlow) in the datagram. */
  records: number;
}

export interface StreamStats {
  exporter: string;
  protocol: ExportProtocol;
  sourceId: number;
  flows: number;
  datagrams: number;
  /** Missing sequence units: flows for v5/IPFIX, datagrams for v9/sFlow. */
  gap: number;
  resets: number;
  lastSeq: number;
  /** Unix ms of the batch that last reported this stream. */
  lastSeenMs: number;
}

const MOD = 2 ** 32;
/** A backwards jump larger than this (in sequence units) is a restart, smaller is reordering. */
const RESTART_THRESHOLD = 1_000_000;

export function countsRecords(protocol: ExportProtocol): boolean {
  return protocol === "netflow-v5" || protocol === "ipfix";
}

/** Maps pmacct's export_proto_version to a protocol; sfacctd reports sFlow's own version (5). */
export function protocolOf(daemon: "nfacctd" | "sfacctd", version: number): ExportProtocol | null {
  if (daemon === "sfacctd") return version === 5 ? "sflow-v5" : null;
  if (version === 5) return "netflow-v5";
  if (version === 9) return "netflow-v9";
  if (version === 10) return "ipfix";
  return null;
}

interface StreamState extends StreamStats {
  expected: number;
}

export class SequenceTracker {
  private readonly streams = new Map<string, StreamState>();

  /** Feeds one batch (one purge of the health plugin); order within it does not matter. */
  addBatch(records: readonly DatagramRecord[], nowMs: number): void {
    const byStream = new Map<string, DatagramRecord[]>();
    for (const r of records) {
      const key = `${r.exporter}|${r.protocol}|${r.sourceId}`;
      const list = byStream.get(key) ?? [];
      list.push(r);
      byStream.set(key, list);
    }
    for (const [key, list] of byStream) {
      let state = this.streams.get(key);
      // Sort by distance from the last sequence number seen, so a batch that
      // wraps past 2^32 stays in order and the rest of a datagram split
      // across two purges comes first.
      const base = state?.lastSeq ?? list.reduce((m, r) => Math.min(m, r.seq), Number.POSITIVE_INFINITY);
      list.sort((a, b) => mod(a.seq - base) - mod(b.seq - base));
      for (const r of list) {
        if (state === undefined) {
          state = {
            exporter: r.exporter,
            protocol: r.protocol,
            sourceId: r.sourceId,
            flows: 0,
            datagrams: 0,
            gap: 0,
            resets: 0,
            lastSeq: r.seq,
            lastSeenMs: nowMs,
            expected: r.seq,
          };
          this.streams.set(key, state);
        }
        this.observe(state, r, nowMs);
      }
    }
  }

  private observe(state: StreamState, r: DatagramRecord, nowMs: number): void {
    const step = countsRecords(r.protocol) ? r.records : 1;
    state.flows += r.records;
    state.lastSeenMs = nowMs;
    if (r.seq === state.lastSeq && state.datagrams > 0) {
      // The same datagram split across two purges: only its record count grows.
      if (countsRecords(r.protocol)) state.expected = mod(state.expected + r.records);
      return;
    }
    state.datagrams += 1;
    const ahead = mod(r.seq - state.expected);
    if (ahead === 0) {
      // In order.
    } else if (ahead < MOD / 2) {
      state.gap += ahead;
    } else if (MOD - ahead > RESTART_THRESHOLD) {
      state.resets += 1;
    } else {
      // Late (reordered) datagram: it filled part of a gap counted earlier.
      state.gap = Math.max(0, state.gap - step);
      return;
    }
    state.lastSeq = r.seq;
    state.expected = mod(r.seq + step);
  }

  snapshot(): StreamStats[] {
    return [...this.streams.values()]
      .map(({ expected: _expected, ...stats }) => stats)
      .sort((a, b) => a.exporter.localeCompare(b.exporter) || a.protocol.localeCompare(b.protocol) || a.sourceId - b.sourceId);
  }
}

function mod(n: number): number {
  return ((n % MOD) + MOD) % MOD;
}
