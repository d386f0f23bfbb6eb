import { readFile } from "node:fs/promises";
import type { CollectorStatus } from "./metrics.ts";

export async function readStatusFile(path: string): Promise<CollectorStatus | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as CollectorStatus;
  } catch {
    return null;
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The human-readable status: daemons, then one line per exporter stream. */
export function renderStatusTable(status: CollectorStatus, nowMs = Date.now()): string {
  const age = Math.round((nowMs - Date.parse(status.updatedAt)) / 1000);
  const daemons = table(
    ["daemon", "port", "state", "pid", "restarts", "udp drops", "rx queue", "last error"],
    status.daemons.map((d) => [
      d.daemon,
      String(d.port),
      d.running ? "running" : "down",
      d.pid === null ? "-" : String(d.pid),
      String(d.restarts),
      String(d.udpDrops),
      `${d.rxQueueBytes} B`,
      d.lastError ?? "",
    ]),
  );
  const exporters =
    status.exporters.length === 0
      ? "no exporter has sent flows yet"
      : table(
          ["exporter", "source id", "protocol", "flows", "datagrams", "seq gap", "reordered", "resets", "last seen"],
          status.exporters.map((e) => [
            e.exporter,
            String(e.sourceId),
            e.protocols,
            String(e.flows),
            String(e.datagrams),
            String(e.gap),
            String(e.reordered),
            String(e.resets),
            `${Math.round((nowMs - e.lastSeenMs) / 1000)} s ago`,
          ]),
        );
  return [
    `collector status (snapshot ${age} s old)`,
    "",
    daemons,
    "",
    exporters,
    "",
    "seq gap: sequence numbers the exporter used that never arrived: records (NetFlow v5, IPFIX) or datagrams",
    "(NetFlow v9, sFlow). udp drops: datagrams the kernel dropped at the collector (receive buffer full).",
  ].join("\n");
}
