import type { StreamStats } from "./health/sequence.ts";
import type { Daemon } from "./render.ts";

/** Health of one pmacct daemon. */
export interface DaemonStatus {
  daemon: Daemon;
  port: number;
  running: boolean;
  pid: number | null;
  restarts: number;
  lastError: string | null;
  /** Kernel receive-buffer drops on the daemon's UDP port since the collector started. */
  udpDrops: number;
  rxQueueBytes: number;
}

/** What the collector knows about itself; also written to status.json for the status command. */
export interface CollectorStatus {
  updatedAt: string;
  daemons: DaemonStatus[];
  exporters: StreamStats[];
}

function labels(pairs: Record<string, string | number>): string {
  const body = Object.entries(pairs)
    .map(([k, v]) => `${k}="${String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");
  return `{${body}}`;
}

/** Prometheus text exposition (format 0.0.4) of the collector's metrics. */
export function renderPrometheus(status: CollectorStatus): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter", help: string, rows: Array<[string, number]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of rows) out.push(`${name}${l} ${v}`);
  };
  const d = status.daemons;
  const dl = (s: DaemonStatus): string => labels({ daemon: s.daemon, port: s.port });
  family(
    "netflow_collector_up",
    "gauge",
    "1 while the pmacct daemon runs.",
    d.map((s) => [dl(s), s.running ? 1 : 0]),
  );
  family(
    "netflow_collector_restarts_total",
    "counter",
    "Daemon restarts after a crash.",
    d.map((s) => [dl(s), s.restarts]),
  );
  family(
    "netflow_collector_udp_drops_total",
    "counter",
    "Datagrams the kernel dropped on the collector socket (receive buffer full), from /proc/net/udp{,6}.",
    d.map((s) => [dl(s), s.udpDrops]),
  );
  family(
    "netflow_collector_udp_rx_queue_bytes",
    "gauge",
    "Bytes waiting in the collector socket's receive queue.",
    d.map((s) => [dl(s), s.rxQueueBytes]),
  );
  const el = (e: StreamStats): string => labels({ exporter: e.exporter, source_id: e.sourceId, protocol: e.protocols });
  const ex = status.exporters;
  family(
    "netflow_exporter_flows_total",
    "counter",
    "Flow records (sFlow: flow samples) received per exporter.",
    ex.map((e) => [el(e), e.flows]),
  );
  family(
    "netflow_exporter_datagrams_total",
    "counter",
    "Export datagrams with flows received per exporter.",
    ex.map((e) => [el(e), e.datagrams]),
  );
  family(
    "netflow_exporter_sequence_gap_total",
    "counter",
    "Missing sequence numbers per exporter, from the daemon's own check: records for NetFlow v5/IPFIX, datagrams for NetFlow v9/sFlow.",
    ex.map((e) => [el(e), e.gap]),
  );
  family(
    "netflow_exporter_sequence_resets_total",
    "counter",
    "Sequence restarts per exporter (exporter rebooted).",
    ex.map((e) => [el(e), e.resets]),
  );
  family(
    "netflow_exporter_sequence_reordered_total",
    "counter",
    "Datagrams that arrived after a later one (each also inflates the gap by one jump).",
    ex.map((e) => [el(e), e.reordered]),
  );
  family(
    "netflow_exporter_last_seen_seconds",
    "gauge",
    "Unix time the exporter was last seen.",
    ex.map((e) => [el(e), Math.floor(e.lastSeenMs / 1000)]),
  );
  return `${out.join("\n")}\n`;
}
