import { execFileSync } from "node:child_process";
import type { Flow } from "../flow.ts";

/**
 * Decodes a pcap with tshark (an independent NetFlow/IPFIX/sFlow decoder)
 * and turns every flow record into the generator's Flow shape, computing
 * absolute times the way the header defines them, so tests can compare the
 * decode with the generator's per-flow log. Test support only.
 */

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

export interface DecodedPacket {
  /** UDP source address of the datagram. */
  source: string;
  udpLength: number;
  header: Obj;
  flows: Flow[];
}

/** Decodes UDP traffic to `port` as NetFlow/IPFIX ("cflow") or sFlow. */
export function tsharkDecode(pcapPath: string, port: number, dissector: "cflow" | "sflow"): DecodedPacket[] {
  const out = execFileSync(
    "tshark",
    ["-r", pcapPath, "-d", `udp.port==${port},${dissector}`, "-T", "json", "--no-duplicate-keys"],
    { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] },
  ).toString("utf8");
  const packets = JSON.parse(out) as Obj[];
  // Sampling options seen so far, per exporter and source id (v9/IPFIX announce them out of band).
  const sampling = new Map<string, number>();
  return packets.map((packet) => {
    const layers = obj(obj(packet._source).layers);
    const ip = obj(layers.ip);
    const udp = obj(layers.udp);
    const source = str(ip["ip.src"]);
    const udpLength = Number(str(udp["udp.length"])) - 8;
    if (layers.cflow !== undefined) {
      const cflow = obj(layers.cflow);
      return { source, udpLength, header: cflow, flows: decodeCflow(cflow, source, sampling) };
    }
    const sflow = obj(layers.sflow);
    return { source, udpLength, header: sflow, flows: decodeSflow(sflow, source) };
  });
}

function decodeCflow(cflow: Obj, source: string, sampling: Map<string, number>): Flow[] {
  const version = Number(str(cflow["cflow.version"]));
  const domain = `${source}/${str(cflow["cflow.source_id"] ?? cflow["cflow.od_id"] ?? "0")}`;
  const unixMs = version === 10 ? 0 : Number(str(obj(cflow["cflow.timestamp_tree"])["cflow.unix_secs"])) * 1000;
  const uptimeMs = version === 10 ? 0 : secondsToMs(str(cflow["cflow.sysuptime"]));
  let v5Rate = 1;
  if (version === 5) {
    const mode = Number(str(cflow["cflow.samplingmode"]));
    const rate = Number(str(cflow["cflow.samplerate"]));
    v5Rate = mode === 0 || rate === 0 ? 1 : rate;
  }
  // Options records come before the data records of the same datagram.
  for (const record of findAll(cflow, (o) => "cflow.sampling_interval" in o || "cflow.sampling_packet_interval" in o)) {
    if ("cflow.sampling_interval" in record) sampling.set(domain, Number(str(record["cflow.sampling_interval"])));
    else {
      const interval = Number(str(record["cflow.sampling_packet_interval"]));
      const space = Number(str(record["cflow.sampling_packet_space"]));
      sampling.set(domain, (interval + space) / interval);
    }
  }
  return findAll(cflow, (o) => "cflow.srcaddr" in o || "cflow.srcaddrv6" in o).map((r) => {
    const times = obj(r["cflow.timedelta_tree"]);
    let ts: number;
    let tsEnd: number;
    if (version === 10) {
      ts = absoluteMs(str(times["cflow.abstimestart"]));
      tsEnd = absoluteMs(str(times["cflow.abstimeend"]));
    } else {
      // sysUptime-relative: absolute = export time - (sysUptime - switched).
      ts = unixMs - uptimeMs + secondsToMs(str(times["cflow.timestart"]));
      tsEnd = unixMs - uptimeMs + secondsToMs(str(times["cflow.timeend"]));
    }
    return {
      ts,
      ts_end: tsEnd,
      exporter: source,
      in_if: num(r["cflow.inputint"]),
      out_if: num(r["cflow.outputint"]),
      src_addr: str(r["cflow.srcaddr"] ?? r["cflow.srcaddrv6"]),
      dst_addr: str(r["cflow.dstaddr"] ?? r["cflow.dstaddrv6"]),
      src_port: num(r["cflow.srcport"]),
      dst_port: num(r["cflow.dstport"]),
      proto: num(r["cflow.protocol"]),
      tos: num(r["cflow.tos"]),
      tcp_flags: num(r["cflow.tcpflags"]),
      packets: num(r["cflow.packets"]),
      bytes: num(r["cflow.octets"]),
      src_as: num(r["cflow.srcas"]),
      dst_as: num(r["cflow.dstas"]),
      sampling_rate: version === 5 ? v5Rate : (sampling.get(domain) ?? Number.NaN),
    };
  });
}

function decodeSflow(sflow: Obj, source: string): Flow[] {
  const agent = str(sflow["sflow_245.agent"] ?? sflow["sflow_245.agent.v6"]);
  return findAll(sflow, (o) => "sflow.flow_sample.sampling_rate" in o).map((sample) => {
    const raw = obj(sample["Raw packet header"]);
    const tree = obj(raw["sflow_245.header_tree"]);
    const ip4 = tree.ip === undefined ? null : obj(tree.ip);
    const ip6 = tree.ipv6 === undefined ? null : obj(tree.ipv6);
    const tcp = tree.tcp === undefined ? null : obj(tree.tcp);
    const udp = tree.udp === undefined ? null : obj(tree.udp);
    const l4 = tcp ?? udp;
    const prefix = tcp ? "tcp" : "udp";
    const outTree = obj(sample["sflow.flow_sample.output_interface_tree"]);
    return {
      ts: Number.NaN, // sFlow carries no flow times: the collector uses the arrival time
      ts_end: null,
      exporter: agent === source ? source : `agent ${agent} != source ${source}`,
      in_if: num(sample["sflow.flow_sample.input_interface"]),
      out_if: num(outTree["sflow.flow_sample.output_interface_value"]),
      src_addr: str(ip4 ? ip4["ip.src"] : obj(ip6)["ipv6.src"]),
      dst_addr: str(ip4 ? ip4["ip.dst"] : obj(ip6)["ipv6.dst"]),
      src_port: l4 ? num(l4[`${prefix}.srcport`]) : 0,
      dst_port: l4 ? num(l4[`${prefix}.dstport`]) : 0,
      proto: ip4 ? num(ip4["ip.proto"]) : num(obj(ip6)["ipv6.nxt"]),
      tos: ip4 ? num(ip4["ip.dsfield"]) : num(obj(ip6)["ipv6.tclass"]),
      tcp_flags: tcp ? num(tcp["tcp.flags"]) : 0,
      packets: 1,
      bytes: num(raw["sflow_245.header.frame_length"]),
      src_as: 0,
      dst_as: 0,
      sampling_rate: num(sample["sflow.flow_sample.sampling_rate"]),
    };
  });
}

/** Every object in the tree (arrays of duplicates included) that satisfies the predicate, in document order. */
function findAll(node: Json, predicate: (o: Obj) => boolean, found: Obj[] = []): Obj[] {
  if (Array.isArray(node)) {
    for (const item of node) findAll(item, predicate, found);
  } else if (node !== null && typeof node === "object") {
    if (predicate(node)) found.push(node);
    else for (const value of Object.values(node)) findAll(value, predicate, found);
  }
  return found;
}

function obj(value: Json | undefined): Obj {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`expected an object in tshark output, got ${JSON.stringify(value)}`);
  }
  return value;
}

function str(value: Json | undefined): string {
  if (typeof value !== "string") throw new Error(`expected a string in tshark output, got ${JSON.stringify(value)}`);
  return value;
}

/** tshark prints numbers in decimal or 0x-hex. */
function num(value: Json | undefined): number {
  const text = str(value);
  const n = text.startsWith("0x") ? Number.parseInt(text, 16) : Number(text);
  if (!Number.isFinite(n)) throw new Error(`not a number in tshark output: ${text}`);
  return n;
}

/** "172798.653000000" seconds -> 172798653 ms, exactly (no float rounding). */
function secondsToMs(text: string): number {
  const [whole, frac = ""] = text.split(".");
  return Number(whole) * 1000 + Number(`${frac}000`.slice(0, 3));
}

/** "Nov 27, 2026 10:47:39.513000000 UTC" -> ms since epoch. */
function absoluteMs(text: string): number {
  const match = /^(\w+ \d+, \d+ \d+:\d+:\d+)\.(\d+) UTC$/.exec(text);
  if (!match) throw new Error(`unexpected tshark time: ${text}`);
  return Date.parse(`${match[1]} UTC`) + Number((match[2] ?? "").slice(0, 3));
}
