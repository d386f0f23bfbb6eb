import { isIP } from "node:net";
import { PROTOCOLS, type Protocol } from "../encode/encoder.ts";

/** Options of `send` (CLI flags in brackets). */
export interface SendConfig {
  /** Collector address, host:port or [v6]:port (--target). Required. */
  target: { host: string; port: number };
  /** Export protocol (--protocol). Default "v9". */
  protocol: Protocol;
  /** Number of flows to send (--count). Default 1000. */
  count: number;
  /** Flows per second (--rate). Default 1000. */
  rate: number;
  /** PRNG seed (--seed). Default 1. */
  seed: number;
  /** Share of IPv6 flows (--ipv6-share). Default 0.3; always 0 for v5, which cannot carry IPv6. */
  ipv6Share: number;
  /** Number of exporters (--exporters): consecutive source addresses from exporterBase. Default 1. */
  exporters: number;
  /** First exporter address (--exporter-base). Default 127.0.0.1; further exporters are 127.0.0.2... */
  exporterBase: string;
  /** 1-in-N sampling rate announced by every exporter (--sampling-rate). Default 1. */
  samplingRate: number;
  /** Time of the first flow, ms since epoch (--start, ISO time). Default: now. */
  startMs: number;
  /** v9/IPFIX: resend templates and sampling options every N datagrams (--template-refresh). Default 20. */
  templateRefreshPackets: number;
  /** Per-flow JSON lines log file (--log). Default none. */
  logPath: string | null;
  /**
   * Longest time (of the flow schedule) a flow waits in a partly filled
   * datagram before it is sent. Default 100 ms.
   */
  maxBatchDelayMs: number;
}

export function defaultSendConfig(): SendConfig {
  return {
    target: { host: "127.0.0.1", port: 2055 },
    protocol: "v9",
    count: 1000,
    rate: 1000,
    seed: 1,
    ipv6Share: 0.3,
    exporters: 1,
    exporterBase: "127.0.0.1",
    samplingRate: 1,
    startMs: Date.now(),
    templateRefreshPackets: 20,
    logPath: null,
    maxBatchDelayMs: 100,
  };
}

export function parseTarget(text: string): { host: string; port: number } {
  const match = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--target must be host:port or [ipv6]:port, got "${text}"`);
  }
  return { host, port };
}

export function validateSendConfig(config: SendConfig): SendConfig {
  const problems: string[] = [];
  if (!PROTOCOLS.includes(config.protocol)) problems.push(`protocol must be one of ${PROTOCOLS.join(", ")}`);
  if (!Number.isInteger(config.count) || config.count < 0) problems.push(`count must be an integer >= 0`);
  if (!(config.rate > 0)) problems.push(`rate must be > 0`);
  if (!Number.isInteger(config.exporters) || config.exporters < 1 || config.exporters > 250) {
    problems.push("exporters must be an integer in 1..250");
  }
  if (isIP(config.exporterBase) === 0) problems.push(`exporter base "${config.exporterBase}" is not an IP address`);
  if (isIP(config.exporterBase) === 6 && config.exporters > 1)
    problems.push("several exporters need an IPv4 exporter base");
  if (config.protocol === "v5" && config.samplingRate > 0x3fff)
    problems.push("NetFlow v5 sampling rate is at most 16383");
  if (!Number.isInteger(config.templateRefreshPackets) || config.templateRefreshPackets < 1) {
    problems.push("templateRefreshPackets must be an integer >= 1");
  }
  if (!(config.maxBatchDelayMs >= 0)) problems.push("maxBatchDelayMs must be >= 0");
  if (problems.length > 0) throw new Error(`invalid send config: ${problems.join("; ")}`);
  return config;
}

/** exporterBase, exporterBase+1, ... as IPv4 addresses (or the single IPv6 base). */
export function exporterAddresses(config: Pick<SendConfig, "exporterBase" | "exporters">): string[] {
  if (isIP(config.exporterBase) === 6) return [config.exporterBase];
  const octets = config.exporterBase.split(".").map(Number);
  const base = (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
  return Array.from({ length: config.exporters }, (_, i) => {
    const n = (base + i) >>> 0;
    return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
  });
}
