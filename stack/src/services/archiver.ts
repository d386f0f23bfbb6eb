import { join } from "node:path";
import type { Logger } from "pino";
import type { ArchiverTarget } from "../config.ts";
import { assertTcpPortFree } from "../ports.ts";
import { DEFAULT_RESTART, SupervisedProcess } from "../process.ts";
import type { EndpointLine, Health, Service, ServiceContext } from "../service.ts";
import { type S3Access, warehouseEnv } from "./warehouse-env.ts";

export const ARCHIVER_CLI = "archiver/src/cli.ts";

/** Where the archiver works: the hot store as netflow_archiver, Redis for its queue, the warehouse. */
export interface ArchiverWiring {
  /** Login URL of the `netflow_archiver` role. */
  pgUrl: string;
  /** Redis URL with its password. */
  redisUrl: string;
  warehouse: string;
  /** The read-write identity; undefined for a file:// warehouse. */
  s3: S3Access | undefined;
  /** The migrator's HOT_COMPRESS_AFTER: the archiver compresses where no policy job runs (the embedded engine). */
  compressAfter: string;
}

/**
 * The archiver worker (`node --import tsx archiver/src/cli.ts worker`: BullMQ
 * scheduler, worker and /metrics) as a supervised child. It is ready when its
 * metrics endpoint answers, which it opens after connecting to Redis and
 * installing the schedule.
 */
export class ArchiverWorker implements Service {
  readonly name = "archiver";
  readonly host = "127.0.0.1";
  readonly target: ArchiverTarget;
  readonly process: SupervisedProcess;

  constructor(target: ArchiverTarget, wiring: ArchiverWiring, context: ServiceContext, log: Logger) {
    this.target = target;
    this.process = new SupervisedProcess(
      {
        name: this.name,
        command: process.execPath,
        args: ["--import", "tsx", ARCHIVER_CLI, "worker"],
        cwd: context.repoRoot,
        env: {
          ...context.childEnv,
          ...warehouseEnv(wiring.warehouse, wiring.s3),
          PG_URL: wiring.pgUrl,
          REDIS_URL: wiring.redisUrl,
          ARCHIVE_AFTER: target.archiveAfter,
          HOT_COMPRESS_AFTER: wiring.compressAfter,
          COLD_RETENTION: target.coldRetention ?? "off",
          ARCHIVER_METRICS_HOST: this.host,
          ARCHIVER_METRICS_PORT: String(target.metricsPort),
        },
        logFile: join(context.logDir, "archiver.log"),
        pidFile: join(context.pidDir, "archiver.pid"),
        readiness: { kind: "probe", probe: () => this.#metricsAnswer(1000), intervalMs: 250 },
        // tsx compiles the archiver and its libraries on a cold start: seconds on a busy machine.
        readyTimeoutMs: 120_000,
        stopTimeoutMs: context.stopTimeoutMs,
        restart: DEFAULT_RESTART,
      },
      log,
    );
  }

  get metricsUrl(): string {
    return `http://${this.host}:${this.target.metricsPort}/metrics`;
  }

  async preflight(): Promise<void> {
    await this.process.reapLeftover();
    await assertTcpPortFree(this.host, this.target.metricsPort, "ARCHIVER_METRICS_PORT");
  }

  start(): Promise<void> {
    return this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  endpoints(): EndpointLine[] {
    const retention = this.target.coldRetention ?? "forever";
    return [
      { service: this.name, label: "archiver metrics", value: this.metricsUrl },
      {
        service: this.name,
        label: "policy",
        value: `archive after ${this.target.archiveAfter}, keep cold data ${retention}`,
      },
    ];
  }

  async check(): Promise<Health> {
    try {
      const response = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(3000) });
      return { service: this.name, ok: response.ok, detail: `HTTP ${response.status} from ${this.metricsUrl}` };
    } catch (error) {
      return { service: this.name, ok: false, detail: (error as Error).message };
    }
  }

  async #metricsAnswer(timeoutMs: number): Promise<boolean> {
    const response = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  }
}
