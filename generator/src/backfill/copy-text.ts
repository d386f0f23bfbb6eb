import { FLOW_FIELDS, type Flow } from "../flow.ts";

/** The COPY column list: the flow columns plus ts_clamped (false: backfilled times are exact). */
export const COPY_COLUMNS = [...FLOW_FIELDS, "ts_clamped"] as const;

/**
 * Formats flows as lines of PostgreSQL COPY text format (tab-separated, \N
 * for NULL). No value needs escaping: numbers, addresses and ISO times only.
 * Backfilled flows come in time order, so the "YYYY-MM-DDTHH:MM:SS" part of
 * the last second is cached: toISOString() was a third of the work.
 */
export class CopyTextFormatter {
  private cachedSecond = Number.NaN;
  private cachedPrefix = "";

  line(flow: Flow): string {
    return `${this.time(flow.ts)}\t${flow.ts_end === null ? "\\N" : this.time(flow.ts_end)}\t${flow.exporter}\t${
      flow.in_if
    }\t${flow.out_if}\t${flow.src_addr}\t${flow.dst_addr}\t${flow.src_port}\t${flow.dst_port}\t${flow.proto}\t${
      flow.tos
    }\t${flow.tcp_flags}\t${flow.packets}\t${flow.bytes}\t${flow.src_as}\t${flow.dst_as}\t${flow.sampling_rate}\tf\n`;
  }

  /** ms since epoch -> "2025-01-01T00:00:00.123Z" */
  time(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.cachedSecond) {
      this.cachedSecond = second;
      this.cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    }
    const frac = ms - second * 1000;
    return `${this.cachedPrefix}.${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}Z`;
  }
}
