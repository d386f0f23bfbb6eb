import { Collector, type CollectorConfig, collectorPaths, readStatusFile } from "@netflow/pmacct";
import type { Logger } from "pino";
import { assertUdpPortFree } from "../ports.ts";
import type { EndpointLine, Health, Service } from "../service.ts";

/** How old the collector's status.json may be before `status` calls it stale (it is rewritten every few seconds). */
const STALE_STATUS_MS = 30_000;

/**
 * The flow collector (pmacct nfacctd, and sfacctd for sFlow) from
 * @netflow/pmacct. It supervises its own daemons; this adapts it to the stack.
 */
export class FlowCollector implements Service {
  readonly name = "collector";
  readonly config: CollectorConfig;
  readonly collector: Collector;

  constructor(config: CollectorConfig, log: Logger) {
    this.config = config;
    this.collector = new Collector(config, { logger: log });
  }

  async preflight(): Promise<void> {
    await assertUdpPortFree(this.config.listenIp, this.config.netflowPort, "NETFLOW_PORT");
    if (this.config.sflowPort !== null)
      await assertUdpPortFree(this.config.listenIp, this.config.sflowPort, "SFLOW_PORT");
  }

  start(): Promise<void> {
    return this.collector.start();
  }

  stop(): Promise<void> {
    return this.collector.stop();
  }

  endpoints(): EndpointLine[] {
    const lines: EndpointLine[] = [
      {
        service: this.name,
        label: "NetFlow v5/v9, IPFIX (nfacctd)",
        value: `udp ${this.config.listenIp}:${this.config.netflowPort}`,
      },
    ];
    if (this.config.sflowPort !== null) {
      lines.push({
        service: this.name,
        label: "sFlow (sfacctd)",
        value: `udp ${this.config.listenIp}:${this.config.sflowPort}`,
      });
    }
    lines.push({ service: this.name, label: "health", value: collectorPaths(this.config.stateDir).statusFile });
    return lines;
  }

  /** Read from the status file the running collector keeps, so it works from another process. */
  async check(): Promise<Health> {
    const status = await readStatusFile(collectorPaths(this.config.stateDir).statusFile);
    if (status === null) return { service: this.name, ok: false, detail: "no status file (never started?)" };
    const age = Date.now() - Date.parse(status.updatedAt);
    const down = status.daemons.filter((daemon) => !daemon.running).map((daemon) => daemon.daemon);
    const ok = age < STALE_STATUS_MS && down.length === 0;
    const detail =
      age >= STALE_STATUS_MS
        ? `status is ${Math.round(age / 1000)} s old (collector not running)`
        : down.length > 0
          ? `${down.join(", ")} down`
          : `${status.daemons.map((d) => `${d.daemon} udp/${d.port}`).join(", ")} running, ${status.exporters.length} exporter(s)`;
    return { service: this.name, ok, detail };
  }
}
