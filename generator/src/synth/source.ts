import type { Flow } from "../flow.ts";
import { type SynthConfig, validateSynthConfig } from "./config.ts";
import { exponential, paretoInt, Weighted, Zipf } from "./distributions.ts";
import { type Host, HostPool } from "./hosts.ts";
import { Prng } from "./prng.ts";

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/** The AS number NetFlow v5 exporters report for 4-byte ASNs (RFC 6793). */
export const AS_TRANS = 23456;

/** Largest flow, in packets: keeps v5's 32-bit byte counter from wrapping (2e6 * 1500 < 2^32). */
const MAX_PACKETS = 2_000_000;

/** Service ports in popularity order (Zipf over the list). */
const TCP_SERVICES = [443, 80, 22, 993, 8080, 25, 3389, 445, 587, 8443, 5432, 3306, 179, 6443, 9200];
const UDP_SERVICES = [53, 443, 123, 161, 514, 500, 4500, 1194, 5353, 3478, 67, 69];

/** Cumulative TCP flags of a multi-packet flow (FIN=1 SYN=2 RST=4 PSH=8 ACK=16). */
const TCP_FLAGS_MULTI = new Weighted<number>([
  [0x1b, 50],
  [0x1a, 15],
  [0x18, 12],
  [0x10, 8],
  [0x12, 4],
  [0x1e, 4],
  [0x19, 3],
  [0x14, 2],
  [0x1f, 1],
  [0xda, 1],
]);
/** Flags of a single packet (one-packet flows, sFlow samples). */
const TCP_FLAGS_SINGLE = new Weighted<number>([
  [0x10, 45],
  [0x18, 25],
  [0x02, 12],
  [0x12, 5],
  [0x11, 5],
  [0x04, 4],
  [0x14, 4],
]);
/** IP ToS: mostly best effort, some DSCP marks (AF11, AF21, AF31, AF41, EF, CS1, CS6), a little ECN. */
const TOS = new Weighted<number>([
  [0, 85],
  [10 << 2, 2],
  [18 << 2, 3],
  [26 << 2, 2],
  [34 << 2, 2],
  [46 << 2, 3],
  [8 << 2, 1],
  [48 << 2, 1],
  [2, 1],
]);
const PROTOCOLS = new Weighted<"tcp" | "udp" | "icmp">([
  ["tcp", 80],
  ["udp", 18],
  ["icmp", 2],
]);
/** Exporter interfaces: two uplinks and a few LAN-facing ports. */
const UPLINKS = [1, 2];
const LAN_IFS = [10, 11, 12, 13, 20, 21];

/**
 * A deterministic stream of synthetic flows. Each flow draws from one PRNG
 * stream in a fixed order, so a seed and a config give the same flows
 * whatever the consumer does with them (encoders, pacing, backfill).
 */
export class FlowSource {
  readonly config: SynthConfig;
  private readonly rng: Prng;
  private readonly hosts: HostPool;
  private readonly internalZipf: Zipf;
  private readonly externalZipf: Zipf;
  private readonly tcpZipf = new Zipf(TCP_SERVICES.length, 1.3);
  private readonly udpZipf = new Zipf(UDP_SERVICES.length, 1.3);
  private index = 0;

  constructor(config: SynthConfig) {
    this.config = validateSynthConfig(config);
    const root = new Prng(config.seed);
    this.hosts = new HostPool(root.fork(), {
      internalHosts: config.internalHosts,
      externalHosts: config.externalHosts,
      ipv6Share: config.ipv6Share,
    });
    this.internalZipf = new Zipf(config.internalHosts, 1.1);
    this.externalZipf = new Zipf(config.externalHosts, 1.0);
    this.rng = root.fork();
  }

  /** How many flows have been produced so far. */
  get produced(): number {
    return this.index;
  }

  /** The scheduled time (ms) of flow i. */
  scheduledMs(i: number): number {
    return this.config.startMs + Math.floor((i * 1000) / this.config.flowsPerSecond);
  }

  next(): Flow {
    const rng = this.rng;
    const config = this.config;
    const scheduled = this.scheduledMs(this.index);
    this.index++;

    const exporter = config.exporters.length === 1 ? config.exporters[0]! : rng.pick(config.exporters);
    const ipv6 = rng.chance(config.ipv6Share);
    const protoKind = PROTOCOLS.sample(rng);
    const proto = protoKind === "tcp" ? PROTO_TCP : protoKind === "udp" ? PROTO_UDP : ipv6 ? PROTO_ICMPV6 : PROTO_ICMP;

    // Most traffic crosses the edge (internal <-> external); some stays inside.
    const client = this.pickHost(ipv6, true);
    const server = rng.chance(0.9) ? this.pickHost(ipv6, false) : this.pickHost(ipv6, true);
    let servicePort = 0;
    let clientPort = 0;
    if (proto === PROTO_TCP) servicePort = TCP_SERVICES[this.tcpZipf.sample(rng)]!;
    else if (proto === PROTO_UDP) servicePort = UDP_SERVICES[this.udpZipf.sample(rng)]!;
    if (proto === PROTO_TCP || proto === PROTO_UDP) clientPort = rng.int(32768, 60999);
    // Half the flows are the request direction, half the response direction.
    const request = rng.chance(0.5);
    const src = request ? client : server;
    const dst = request ? server : client;
    const srcPort = request ? clientPort : servicePort;
    const dstPort = request ? servicePort : clientPort;
    const inbound = !src.internal;
    const uplink = rng.pick(UPLINKS);
    const lan = rng.pick(LAN_IFS);
    const inIf = inbound ? uplink : lan;
    const outIf = inbound ? lan : dst.internal ? rng.pick(LAN_IFS.filter((i) => i !== lan)) : uplink;

    const minPacket = minPacketSize(ipv6, proto);
    let packets: number;
    let bytes: number;
    let tcpFlags = 0;
    if (config.singlePacket) {
      packets = 1;
      // sFlow reports the sampled frame's length and collectors count it as the
      // flow's bytes: IP length plus the 14-byte Ethernet header (frames <= 1500).
      const ipLength = rng.chance(0.45) ? rng.int(minPacket, 100) : rng.int(500, 1500 - ETHERNET_HEADER_BYTES);
      bytes = ipLength + ETHERNET_HEADER_BYTES;
      if (proto === PROTO_TCP) tcpFlags = TCP_FLAGS_SINGLE.sample(rng);
    } else {
      packets = paretoInt(rng, 1, 1.1, MAX_PACKETS);
      // Small-packet flows (ACK streams, DNS) versus bulk transfers.
      const meanSize = rng.chance(0.4) ? rng.int(minPacket, 120) : rng.int(400, 1500);
      bytes = Math.min(packets * 1500, Math.max(packets * minPacket, Math.round(packets * meanSize)));
      if (proto === PROTO_TCP) tcpFlags = packets === 1 ? TCP_FLAGS_SINGLE.sample(rng) : TCP_FLAGS_MULTI.sample(rng);
    }
    let tos = TOS.sample(rng);
    // pmacct 1.7.7's sFlow decoder reports an IPv6 traffic class shifted right
    // by 4 bits; sampled IPv6 packets carry class 0 so what lands is what was sent.
    if (config.singlePacket && ipv6) tos = 0;

    // Duration grows with the flow size, capped at a 120 s active timeout.
    const durationMs =
      packets === 1 ? 0 : Math.min(120_000, Math.round(exponential(rng, 2000) + Math.min(packets, 60_000) * 2));
    // A live exporter sends a flow some time after it ended (inactive timeout, export batching).
    const exportLagMs = rng.int(0, 999);

    let ts: number;
    let tsEnd: number | null;
    const resolution = config.timeResolutionMs;
    if (config.singlePacket) {
      ts = scheduled;
      tsEnd = null;
    } else if (config.timeAnchor === "end") {
      tsEnd = floorTo(scheduled - exportLagMs, resolution);
      ts = tsEnd - floorTo(durationMs, resolution);
    } else {
      ts = floorTo(scheduled, resolution);
      tsEnd = ts + floorTo(durationMs, resolution);
    }

    const asn = (host: Host): number => {
      if (config.singlePacket) return 0;
      return config.legacy16bit && host.asn > 0xffff ? AS_TRANS : host.asn;
    };

    return {
      ts,
      ts_end: tsEnd,
      exporter,
      in_if: inIf,
      out_if: outIf,
      src_addr: src.address,
      dst_addr: dst.address,
      src_port: srcPort,
      dst_port: dstPort,
      proto,
      tos,
      tcp_flags: tcpFlags,
      packets,
      bytes,
      src_as: asn(src),
      dst_as: asn(dst),
      sampling_rate: config.samplingRate,
    };
  }

  private pickHost(ipv6: boolean, internal: boolean): Host {
    const list = internal
      ? ipv6
        ? this.hosts.internalV6
        : this.hosts.internalV4
      : ipv6
        ? this.hosts.externalV6
        : this.hosts.externalV4;
    const rank = (internal ? this.internalZipf : this.externalZipf).sample(this.rng);
    return list[rank]!;
  }
}

function floorTo(ms: number, resolution: number): number {
  return Math.floor(ms / resolution) * resolution;
}

/** Ethernet header bytes counted in an sFlow sample's frame length. */
export const ETHERNET_HEADER_BYTES = 14;

/**
 * The smallest packet of a family/protocol (IP + transport header), never
 * below 40 bytes, so every flow satisfies bytes >= packets * 40.
 */
export function minPacketSize(ipv6: boolean, proto: number): number {
  const ip = ipv6 ? 40 : 20;
  const l4 = proto === PROTO_TCP ? 20 : 8;
  return Math.max(40, ip + l4);
}
