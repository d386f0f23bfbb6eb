import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { createEncoder } from "../encode/create-encoder.ts";
import type { Encoder } from "../encode/encoder.ts";
import { type Flow, flowToLogLine } from "../flow.ts";
import { defaultSynthConfig } from "../synth/config.ts";
import { FlowSource } from "../synth/source.ts";
import { defaultSendConfig, exporterAddresses, type SendConfig, validateSendConfig } from "./config.ts";
import { TokenBucket } from "./token-bucket.ts";
import { ExporterSocket } from "./udp.ts";

/** What `send` prints at the end: exactly what went on the wire. */
export interface SendSummary {
  protocol: string;
  flows: number;
  datagrams: number;
  bytes: number;
  packets: number;
  elapsed_s: number;
}

export interface SendHooks {
  /** Called with every datagram right after it was sent, and its exporter address. */
  onDatagram?: (datagram: Buffer, exporter: string) => void;
  /** Called with every flow once the datagram carrying it was sent. */
  onFlow?: (flow: Flow) => void;
}

interface ExporterState {
  address: string;
  encoder: Encoder;
  socket: ExporterSocket;
  batch: Flow[];
  /** Schedule time of the batch's first flow. */
  batchStartMs: number;
}

/** How long before the first flow each exporter booted: sysUptime then stays far from 0 and from 2^32. */
const UPTIME_AT_START_MS = 2 * 86_400_000;

/** Builds the synthetic source exactly as `send` uses it (exposed so tests can replay the stream). */
export function sendSource(config: SendConfig): FlowSource {
  return new FlowSource({
    ...defaultSynthConfig(),
    seed: config.seed,
    ipv6Share: config.protocol === "v5" ? 0 : config.ipv6Share,
    exporters: exporterAddresses(config),
    samplingRate: config.samplingRate,
    startMs: config.startMs,
    flowsPerSecond: config.rate,
    timeAnchor: "end",
    legacy16bit: config.protocol === "v5",
    singlePacket: config.protocol === "sflow",
    timeResolutionMs: config.protocol === "v5" || config.protocol === "v9" ? 1000 : 1,
  });
}

/**
 * Sends `count` synthetic flows to the collector at `rate` flows/s, one UDP
 * socket per exporter address, and returns the sums of what was sent.
 */
export async function sendFlows(options: Partial<SendConfig>, hooks: SendHooks = {}): Promise<SendSummary> {
  const config = validateSendConfig({ ...defaultSendConfig(), ...options });
  const source = sendSource(config);
  const addresses = exporterAddresses(config);
  const exporters = new Map<string, ExporterState>();
  const log: WriteStream | null = config.logPath ? createWriteStream(config.logPath) : null;
  try {
    for (const [k, address] of addresses.entries()) {
      exporters.set(address, {
        address,
        encoder: createEncoder(config.protocol, {
          exporter: address,
          bootMs: config.startMs - UPTIME_AT_START_MS - k * 3_600_000,
          samplingRate: config.samplingRate,
          sourceId: k + 1,
          templateRefreshPackets: config.templateRefreshPackets,
        }),
        socket: await ExporterSocket.open(address),
        batch: [],
        batchStartMs: 0,
      });
    }
    const perDatagram = exporters.values().next().value?.encoder.flowsPerDatagram ?? 1;
    const bucket = new TokenBucket(config.rate, Math.max(perDatagram * 2, config.rate / 50));
    const summary: SendSummary = {
      protocol: config.protocol,
      flows: 0,
      datagrams: 0,
      bytes: 0,
      packets: 0,
      elapsed_s: 0,
    };
    const started = performance.now();

    const flush = async (state: ExporterState): Promise<void> => {
      const flows = state.batch;
      if (flows.length === 0) return;
      state.batch = [];
      await bucket.take(flows.length);
      let exportMs: number;
      if (config.protocol === "sflow") {
        // sFlow has no flow times: the flow time is the arrival time, i.e. now.
        exportMs = Date.now();
        for (const flow of flows) flow.ts = exportMs;
      } else {
        exportMs = Math.max(...flows.map((f) => f.ts_end ?? f.ts));
      }
      for (const datagram of state.encoder.encode(flows, exportMs)) {
        await state.socket.send(datagram, config.target.host, config.target.port);
        summary.datagrams++;
        hooks.onDatagram?.(datagram, state.address);
      }
      for (const flow of flows) {
        summary.flows++;
        summary.bytes += flow.bytes;
        summary.packets += flow.packets;
        hooks.onFlow?.(flow);
        if (log && !log.write(`${JSON.stringify(flowToLogLine(flow))}\n`)) await once(log, "drain");
      }
    };

    for (let i = 0; i < config.count; i++) {
      const scheduled = source.scheduledMs(i);
      // Flows wait at most maxBatchDelayMs (in schedule time) in a partly filled datagram.
      for (const state of exporters.values()) {
        if (state.batch.length > 0 && scheduled - state.batchStartMs >= config.maxBatchDelayMs) await flush(state);
      }
      const flow = source.next();
      const state = exporters.get(flow.exporter)!;
      if (state.batch.length === 0) state.batchStartMs = scheduled;
      state.batch.push(flow);
      if (state.batch.length >= state.encoder.flowsPerDatagram) await flush(state);
    }
    for (const state of exporters.values()) await flush(state);
    summary.elapsed_s = Math.round(performance.now() - started) / 1000;
    return summary;
  } finally {
    for (const state of exporters.values()) await state.socket.close();
    if (log) {
      log.end();
      await once(log, "close");
    }
  }
}
