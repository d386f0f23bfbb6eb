import { readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Daemon } from "../render.ts";
import { type DatagramRecord, protocolOf } from "./sequence.ts";

/**
 * Parses one CSV file of the health print plugin (render.ts): a header line
 * naming the columns, then one line per (exporter, protocol version, source
 * id, sequence number). nfacctd reports a FLOWS counter; sfacctd has none, and
 * there each flow sample counts one packet (counters are not renormalized).
 */
export function parseHealthCsv(text: string, daemon: Daemon): DatagramRecord[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines.shift()?.split(",") ?? [];
  const col = (name: string): number => header.indexOf(name);
  const iExporter = col("PEER_SRC_IP");
  const iSeq = col("EXPORT_PROTO_SEQNO");
  const iVersion = col("EXPORT_PROTO_VERSION");
  const iSysId = col("EXPORT_PROTO_SYSID");
  const iCount = col("FLOWS") >= 0 ? col("FLOWS") : col("PACKETS");
  if ([iExporter, iSeq, iVersion, iCount].some((i) => i < 0)) return [];
  const out: DatagramRecord[] = [];
  for (const line of lines) {
    const f = line.split(",");
    const protocol = protocolOf(daemon, Number(f[iVersion]));
    if (protocol === null) continue;
    out.push({
      exporter: f[iExporter] ?? "",
      protocol,
      sourceId: iSysId >= 0 ? Number(f[iSysId] ?? 0) : 0,
      seq: Number(f[iSeq]),
      records: Number(f[iCount]),
    });
  }
  return out;
}

/**
 * Whether a CSV file looks completely written: it ends with a newline and
 * every line has the header's number of fields. pmacct's writer process
 * writes through stdio buffers, so on a loaded machine a file can sit
 * half-written for longer than the settle time; reading it then and deleting
 * it would lose the rest.
 */
export function isCompleteCsv(text: string): boolean {
  if (text === "" || !text.endsWith("\n")) return false;
  const lines = text.slice(0, -1).split("\n");
  const fields = lines[0]?.split(",").length ?? 0;
  return lines.every((l) => l.split(",").length === fields);
}

/**
 * Collects the files the print plugin wrote since the last call, oldest
 * first, and deletes them. A file younger than settleMs, or one that looks
 * half-written and is younger than giveUpMs, may still be being written by
 * pmacct's writer process and is left for the next call.
 */
export async function drainHealthFiles(
  dir: string,
  settleMs = 1000,
  nowMs = Date.now(),
  giveUpMs = 30_000,
): Promise<Array<{ daemon: Daemon; records: DatagramRecord[] }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const files = names
    .map((name) => /^(nfacctd|sfacctd)-(\d+)\.csv$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[2]) - Number(b[2]));
  const batches: Array<{ daemon: Daemon; records: DatagramRecord[] }> = [];
  for (const m of files) {
    const path = join(dir, m[0]);
    try {
      const age = nowMs - (await stat(path)).mtimeMs;
      if (age < settleMs) continue;
      const text = await readFile(path, "utf8");
      if (!isCompleteCsv(text) && age < giveUpMs) continue;
      await unlink(path);
      batches.push({ daemon: m[1] as Daemon, records: parseHealthCsv(text, m[1] as Daemon) });
    } catch {
      // Vanished or unreadable: nothing to count.
    }
  }
  return batches;
}
