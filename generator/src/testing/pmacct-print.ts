import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FlowLogLine } from "../flow.ts";

/**
 * nfacctd or sfacctd (Debian pmacct) with the print plugin writing JSON
 * lines: a second independent decoder, and the collector the project uses,
 * so tests see exactly what pmacct makes of the generator's datagrams.
 * Test support only.
 */
export class PmacctPrint {
  private child: ChildProcess | null = null;
  private log = "";
  readonly outFile: string;
  port = 0;

  constructor(
    private readonly daemon: "nfacctd" | "sfacctd",
    private readonly dir: string,
  ) {
    this.outFile = join(dir, `${daemon}.json`);
  }

  async start(): Promise<void> {
    this.port = await freeUdpPort();
    const prefix = this.daemon === "nfacctd" ? "nfacctd" : "sfacctd";
    const config = [
      "daemonize: false",
      `${prefix}_ip: 127.0.0.1`,
      `${prefix}_port: ${this.port}`,
      `${prefix}_as: ${this.daemon === "nfacctd" ? "netflow" : "sflow"}`,
      `${prefix}_net: ${this.daemon === "nfacctd" ? "netflow" : "sflow"}`,
      "plugins: print",
      "print_output: json",
      `print_output_file: ${this.outFile}`,
      "print_output_file_append: true",
      "print_refresh_time: 1",
      "aggregate: timestamp_start, timestamp_end, peer_src_ip, in_iface, out_iface, src_host, dst_host, src_port, dst_port, proto, tos, tcpflags, src_as, dst_as, sampling_rate",
    ].join("\n");
    const configFile = join(this.dir, `${this.daemon}.conf`);
    writeFileSync(configFile, `${config}\n`);
    const child = spawn(this.daemon, ["-f", configFile], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    this.child = child;
    child.stdout?.on("data", (chunk: Buffer) => {
      this.log += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.log += chunk.toString();
    });
    const deadline = Date.now() + 15_000;
    while (!this.log.includes("waiting for") && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.daemon} exited: ${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!this.log.includes("waiting for")) throw new Error(`${this.daemon} did not start: ${this.log}`);
  }

  /** The JSON records printed so far (complete lines only). */
  records(): Record<string, string | number>[] {
    if (!existsSync(this.outFile)) return [];
    return readFileSync(this.outFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{") && l.endsWith("}"))
      .map((l) => JSON.parse(l) as Record<string, string | number>);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // The core forks its plugins into the same process group: signal the group.
    process.kill(-child.pid, "SIGINT");
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
}

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, "ipv6-icmp": 58, icmp6: 58 };

/** A pmacct print record in the flow log's shape (times as ISO strings, null when pmacct has none). */
export function pmacctToLog(r: Record<string, string | number>): Omit<FlowLogLine, "ts" | "ts_end"> & {
  ts: string | null;
  ts_end: string | null;
} {
  const time = (value: string | number | undefined): string | null => {
    if (typeof value !== "string" || value.startsWith("0000")) return null;
    const [date, clock] = value.split(" ");
    return new Date(`${date}T${clock?.slice(0, 12)}Z`).toISOString();
  };
  const proto = r.ip_proto;
  return {
    ts: time(r.timestamp_start),
    ts_end: time(r.timestamp_end),
    exporter: String(r.peer_ip_src),
    in_if: Number(r.iface_in),
    out_if: Number(r.iface_out),
    src_addr: String(r.ip_src),
    dst_addr: String(r.ip_dst),
    src_port: Number(r.port_src),
    dst_port: Number(r.port_dst),
    proto: typeof proto === "string" && proto in PROTOCOL_NUMBERS ? PROTOCOL_NUMBERS[proto]! : Number(proto),
    tos: Number(r.tos),
    tcp_flags: Number(r.tcp_flags),
    packets: Number(r.packets),
    bytes: Number(r.bytes),
    src_as: Number(r.as_src),
    dst_as: Number(r.as_dst),
    // An unsampled v5 exporter reports interval 0, which pmacct passes on and the hot tier stores as 1.
    sampling_rate: Number(r.sampling_rate) === 0 ? 1 : Number(r.sampling_rate),
  };
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.bind({ address: "127.0.0.1", port: 0 }, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
