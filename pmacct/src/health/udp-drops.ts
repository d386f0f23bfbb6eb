import { readFile } from "node:fs/promises";

/** One UDP socket from /proc/net/udp{,6}. */
export interface UdpSocketStats {
  localPort: number;
  inode: number;
  /** Bytes waiting in the receive queue. */
  rxQueueBytes: number;
  /** Datagrams the kernel dropped because the receive buffer was full (or for checksum/filter reasons). */
  drops: number;
}

/**
 * Parses the text of /proc/net/udp or /proc/net/udp6. Columns: sl,
 * local_address (hex ip:port), rem_address, st, tx_queue:rx_queue, tr:tm->when,
 * retrnsmt, uid, timeout, inode, ref, pointer, drops.
 */
export function parseProcNetUdp(text: string): UdpSocketStats[] {
  const out: UdpSocketStats[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = Number.parseInt(f[1]?.split(":")[1] ?? "", 16);
    const rxQueue = Number.parseInt(f[4]?.split(":")[1] ?? "", 16);
    out.push({ localPort: port, inode: Number(f[9]), rxQueueBytes: rxQueue, drops: Number(f[12]) });
  }
  return out;
}

/** The sockets bound to a local UDP port, IPv4 and IPv6 tables together. */
export async function udpSocketsOnPort(port: number, procRoot = "/proc"): Promise<UdpSocketStats[]> {
  const tables = await Promise.all(
    ["net/udp", "net/udp6"].map((t) => readFile(`${procRoot}/${t}`, "utf8").catch(() => "")),
  );
  return tables.flatMap(parseProcNetUdp).filter((s) => s.localPort === port);
}

/**
 * Kernel drop counter for a collector port that survives daemon restarts: a
 * restarted daemon opens a new socket (new inode) whose counter starts at 0,
 * so counts of sockets that went away are kept in a base.
 */
export class UdpDropCounter {
  private base = 0;
  private last = new Map<number, number>();

  constructor(private readonly port: number) {}

  async read(procRoot = "/proc"): Promise<{ drops: number; rxQueueBytes: number; sockets: number }> {
    const sockets = await udpSocketsOnPort(this.port, procRoot);
    const current = new Map(sockets.map((s) => [s.inode, s.drops]));
    for (const [inode, drops] of this.last) if (!current.has(inode)) this.base += drops;
    this.last = current;
    const live = sockets.reduce((sum, s) => sum + s.drops, 0);
    return {
      drops: this.base + live,
      rxQueueBytes: sockets.reduce((sum, s) => sum + s.rxQueueBytes, 0),
      sockets: sockets.length,
    };
  }
}
