/**
 * Per-exporter health, keyed by exporter address and source id (NetFlow v9
 * source id, IPFIX observation domain, v5 engine id, sFlow sub-agent).
 *
 * Two inputs, because neither pmacct output alone has everything:
 * - flows and datagrams come from the health print plugin (one row per export
 *   datagram that carried flows: see render.ts and print-reader.ts);
 * - sequence jumps come from the daemon's own check (nfacctd/sfacctd
 *   `*_disable_checks: false`), which runs in the core on every datagram,
 *   templates-only and sFlow counter-only ones included, and logs
 *   "expecting flow 'E' but received 'R' ... agent=IP:ID". The print plugin
 *   never sees datagrams without flows, so it cannot tell a lost datagram from
 *   a template refresh.
 *
 * What a sequence number counts depends on the protocol (v5 and IPFIX:
 * records; v9 and sFlow: datagrams), so the gap is in those units. A jump far
 * backwards is an exporter restart; a short one a reordered datagram (which
 * pmacct then reports as a second forward jump, so reordering inflates gap).
 */

export type ExportProtocol = "netflow-v5" | "netflow-v9" | "ipfix" | "sflow-v5";

/** One export datagram as the health plugin reports it. */
export interface DatagramRecord {
  exporter: string;
  protocol: ExportProtocol;
  sourceId: number;
  seq: number;
  /** Flow records (NetFlow/IPFIX) or flow samples (sFlow) in the datagram. */
  records: number;
}

/** A sequence discontinuity the daemon reported. */
export interface SequenceJump {
  exporter: string;
  sourceId: number;
  expected: number;
  received: number;
}

export interface StreamStats {
  exporter: string;
  sourceId: number;
  /** Protocols seen from this exporter and source id, comma-separated. */
  protocols: string;
  flows: number;
  datagrams: number;
  /** Missing sequence units: records for v5/IPFIX, datagrams for v9/sFlow. */
  gap: number;
  resets: number;
  reordered: number;
  /** Unix ms this stream was last reported. */
  lastSeenMs: number;
}

const MOD = 2 ** 32;
/** A backwards jump larger than this (in sequence units) is a restart, smaller is reordering. */
const RESTART_THRESHOLD = 1_000_000;

/** Maps pmacct's export_proto_version to a protocol; sfacctd reports sFlow's own version (5). */
export function protocolOf(daemon: "nfacctd" | "sfacctd", version: number): ExportProtocol | null {
  if (daemon === "sfacctd") return version === 5 ? "sflow-v5" : null;
  if (version === 5) return "netflow-v5";
  if (version === 9) return "netflow-v9";
  if (version === 10) return "ipfix";
  return null;
}

/** Parses the daemon's sequence check line; null for any other line. */
export function parseSequenceJump(message: string): SequenceJump | null {
  const m = /expecting flow '(\d+)' but received '(\d+)' collector=\S+ agent=(\S+)/.exec(message);
  if (m === null) return null;
  const agent = m[3] ?? "";
  const colon = agent.lastIndexOf(":");
  if (colon < 0) return null;
  return {
    exporter: agent.slice(0, colon),
    sourceId: Number(agent.slice(colon + 1)),
    expected: Number(m[1]),
    received: Number(m[2]),
  };
}

interface StreamState extends Omit<StreamStats, "protocols"> {
  protocols: Set<string>;
  lastSeq: number | null;
}

export class SequenceTracker {
  private readonly streams = new Map<string, StreamState>();

  private stream(exporter: string, sourceId: number, nowMs: number): StreamState {
    const key = `${exporter}|${sourceId}`;
    let state = this.streams.get(key);
    if (state === undefined) {
      state = {
        exporter,
        sourceId,
        protocols: new Set(),
        flows: 0,
        datagrams: 0,
        gap: 0,
        resets: 0,
        reordered: 0,
        lastSeenMs: nowMs,
        lastSeq: null,
      };
      this.streams.set(key, state);
    }
    return state;
  }

  /** Feeds one batch of the health plugin (one purge). */
  addBatch(records: readonly DatagramRecord[], nowMs: number): void {
    for (const r of records) {
      const state = this.stream(r.exporter, r.sourceId, nowMs);
      state.protocols.add(r.protocol);
      state.flows += r.records;
      // A datagram split across two purges shows up twice with the same number.
      if (r.seq !== state.lastSeq) state.datagrams += 1;
      state.lastSeq = r.seq;
      state.lastSeenMs = nowMs;
    }
  }

  /** Feeds one sequence discontinuity reported by the daemon. */
  addJump(jump: SequenceJump, nowMs: number): void {
    const state = this.stream(jump.exporter, jump.sourceId, nowMs);
    const ahead = (((jump.received - jump.expected) % MOD) + MOD) % MOD;
    if (ahead < MOD / 2) state.gap += ahead;
    else if (MOD - ahead > RESTART_THRESHOLD) state.resets += 1;
    else state.reordered += 1;
  }

  snapshot(): StreamStats[] {
    return [...this.streams.values()]
      .map(({ lastSeq: _lastSeq, protocols, ...stats }) => ({ ...stats, protocols: [...protocols].sort().join(",") }))
      .sort((a, b) => a.exporter.localeCompare(b.exporter) || a.sourceId - b.sourceId);
  }
}
