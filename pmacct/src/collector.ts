import { mkdir, rename, writeFile } from "node:fs/promises";
import pg from "pg";
import pino, { type Logger } from "pino";
import type { CollectorConfig } from "./config.ts";
import { DaemonProcess } from "./daemon.ts";
import { CollectorError } from "./errors.ts";
import { drainHealthFiles } from "./health/print-reader.ts";
import { SequenceTracker } from "./health/sequence.ts";
import { UdpDropCounter } from "./health/udp-drops.ts";
import { type CollectorStatus, type DaemonStatus, renderPrometheus } from "./metrics.ts";
import { checkBinary, checkUdpPortFree, sleep, waitForDatabase } from "./preflight.ts";
import { collectorPaths, type Daemon, renderDaemonConfig } from "./render.ts";

interface Slot {
  daemon: Daemon;
  port: number;
  binary: string;
  confPath: string;
  process: DaemonProcess | null;
  status: DaemonStatus;
  drops: UdpDropCounter;
  rowsWritten: number;
}

/** How often the staging table is vacuumed (see vacuumStaging). */
const VACUUM_EVERY_MS = 60_000;

/** A daemon that stayed up this long is healthy again: its restart backoff resets. */
const STABLE_AFTER_MS = 60_000;

/**
 * The flow collector: nfacctd (NetFlow v5/v9, IPFIX) and sfacctd (sFlow)
 * writing into the hot tier through the flows_ingest view, supervised
 * (restart with backoff), plus their health (kernel UDP drops, per-exporter
 * sequence gaps and flow counts). The constructor does no I/O.
 */
export class Collector {
  private readonly log: Logger;
  private readonly slots: Slot[];
  private readonly tracker = new SequenceTracker();
  private readonly paths: ReturnType<typeof collectorPaths>;
  private abort = new AbortController();
  private healthTimer: NodeJS.Timeout | null = null;
  private vacuumTimer: NodeJS.Timeout | null = null;
  private supervisors: Promise<void>[] = [];
  private started = false;
  private vacuumAllowed = true;
  private healthChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: CollectorConfig,
    options: { logger?: Logger } = {},
  ) {
    this.log = (options.logger ?? pino({ name: "collector" })).child({ component: "collector" });
    this.paths = collectorPaths(config.stateDir);
    const slot = (daemon: Daemon, port: number, binary: string, confPath: string): Slot => ({
      daemon,
      port,
      binary,
      confPath,
      process: null,
      drops: new UdpDropCounter(port),
      rowsWritten: 0,
      status: {
        daemon,
        port,
        running: false,
        pid: null,
        restarts: 0,
        lastError: null,
        udpDrops: 0,
        rxQueueBytes: 0,
      },
    });
    this.slots = [slot("nfacctd", config.netflowPort, config.nfacctdPath, this.paths.nfacctdConf)];
    if (config.sflowPort !== null) {
      this.slots.push(slot("sfacctd", config.sflowPort, config.sfacctdPath, this.paths.sfacctdConf));
    }
  }

  /**
   * Checks what can be checked up front (binaries, free ports), writes the
   * configs, waits for the database (retrying with backoff for dbWaitSeconds)
   * and starts the daemons; resolves once they listen.
   */
  async start(): Promise<void> {
    if (this.started) return;
    for (const s of this.slots) checkBinary(s.binary);
    for (const s of this.slots) {
      await checkUdpPortFree(this.config.listenIp, s.port, s.daemon === "nfacctd" ? "NETFLOW_PORT" : "SFLOW_PORT");
    }
    await mkdir(this.paths.healthDir, { recursive: true });
    for (const s of this.slots) await writeFile(s.confPath, renderDaemonConfig(this.config, s.daemon), { mode: 0o600 });
    this.abort = new AbortController();
    await waitForDatabase(this.config.database, this.config.table, {
      waitSeconds: this.config.dbWaitSeconds,
      signal: this.abort.signal,
      log: (message, fields) => this.log.warn(fields, message),
    });
    try {
      for (const s of this.slots) await this.spawn(s);
    } catch (error) {
      for (const s of this.slots) await s.process?.stop();
      throw error;
    }
    this.started = true;
    this.supervisors = this.slots.map((s) => this.supervise(s));
    this.healthTimer = setInterval(() => {
      this.refreshHealth().catch((error: unknown) =>
        this.log.warn({ err: (error as Error).message }, "health refresh failed"),
      );
    }, this.config.healthRefreshSeconds * 1000);
    // A first status.json at once, so `status` works right after start.
    await this.refreshHealth().catch((error: unknown) =>
      this.log.warn({ err: (error as Error).message }, "health refresh failed"),
    );
    this.vacuumTimer = setInterval(() => {
      this.vacuumStaging().catch(() => {});
    }, VACUUM_EVERY_MS);
    this.log.info(
      Object.fromEntries(this.slots.map((s) => [s.daemon, `${this.config.listenIp}:${s.port}/udp`])),
      "collector listening",
    );
  }

  /** Stops the daemons (they purge their caches to the database first) and the health loop. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.abort.abort();
    if (this.healthTimer !== null) clearInterval(this.healthTimer);
    if (this.vacuumTimer !== null) clearInterval(this.vacuumTimer);
    this.healthTimer = null;
    this.vacuumTimer = null;
    await Promise.all(this.slots.map((s) => s.process?.stop()));
    await Promise.all(this.supervisors);
    await this.refreshHealth().catch(() => {});
  }

  /** Current health (also written to status.json every healthRefreshSeconds). */
  status(): CollectorStatus {
    return {
      updatedAt: new Date().toISOString(),
      daemons: this.slots.map((s) => ({ ...s.status })),
      exporters: this.tracker.snapshot(),
    };
  }

  /** Prometheus text for the launcher's /metrics endpoint. */
  metricsText(): string {
    return renderPrometheus(this.status());
  }

  /** Reads the health plugin's files and the kernel counters now, and rewrites status.json. */
  refreshHealth(): Promise<CollectorStatus> {
    // Serialized: the timer and a caller must not interleave file draining or the status write.
    const next = this.healthChain.then(
      () => this.readHealth(),
      () => this.readHealth(),
    );
    this.healthChain = next;
    return next;
  }

  private async readHealth(): Promise<CollectorStatus> {
    for (const batch of await drainHealthFiles(this.paths.healthDir)) this.tracker.addBatch(batch.records, Date.now());
    for (const s of this.slots) {
      const udp = await s.drops.read();
      s.status.udpDrops = udp.drops;
      s.status.rxQueueBytes = udp.rxQueueBytes;
    }
    const status = this.status();
    const tmp = `${this.paths.statusFile}.tmp`;
    await writeFile(tmp, JSON.stringify(status, null, 2));
    await rename(tmp, this.paths.statusFile);
    return status;
  }

  /**
   * VACUUMs the staging table (timescale migration 0003): every flow passes
   * through it and leaves a dead row, and the embedded engine has no
   * autovacuum. Where the role may not (PostgreSQL < 17 has no MAINTAIN
   * privilege) autovacuum does it; the collector then stops trying.
   */
  async vacuumStaging(): Promise<void> {
    if (!this.vacuumAllowed) return;
    // The embedded engine admits one transaction at a time, so under a backfill
    // or an archive commit the connection waits; it runs once a minute, so wait
    // up to most of that rather than warn about a busy server.
    const client = new pg.Client({ ...this.config.database, connectionTimeoutMillis: 45_000 });
    try {
      await client.connect();
      await client.query(`VACUUM ${client.escapeIdentifier(this.config.table)}`);
    } catch (error) {
      if ((error as { code?: string }).code === "42501") {
        this.vacuumAllowed = false;
        this.log.info(
          { table: this.config.table },
          "no privilege to vacuum the staging table; leaving it to autovacuum",
        );
      } else {
        this.log.warn({ table: this.config.table, err: (error as Error).message }, "staging table vacuum failed");
      }
    } finally {
      await client.end().catch(() => {});
    }
  }

  private async spawn(s: Slot): Promise<void> {
    const proc = new DaemonProcess(s.daemon, s.binary, s.confPath, this.log, {
      onRowsWritten: (written) => {
        s.rowsWritten += written;
      },
      onWarning: (message) => {
        s.status.lastError = message;
      },
      onSequenceJump: (jump) => this.tracker.addJump(jump, Date.now()),
    });
    await proc.start();
    s.process = proc;
    s.status.running = true;
    s.status.pid = proc.pid;
  }

  /** Restarts a crashed daemon with exponential backoff, waiting for the database each time. */
  private async supervise(s: Slot): Promise<void> {
    let delayMs = this.config.restartBackoffMs.initial;
    while (this.started) {
      const proc = s.process;
      if (proc === null) return;
      const since = Date.now();
      const code = await proc.exited();
      s.status.running = false;
      s.status.pid = null;
      if (!this.started) return;
      if (Date.now() - since > STABLE_AFTER_MS) delayMs = this.config.restartBackoffMs.initial;
      s.status.restarts += 1;
      this.log.error({ daemon: s.daemon, code, restartInS: delayMs / 1000 }, "daemon exited, restarting");
      await proc.stop();
      while (this.started) {
        await sleep(delayMs, this.abort.signal);
        delayMs = Math.min(delayMs * 2, this.config.restartBackoffMs.max);
        if (!this.started) return;
        try {
          await waitForDatabase(this.config.database, this.config.table, {
            waitSeconds: 0,
            signal: this.abort.signal,
            log: (message, fields) => this.log.warn(fields, message),
          });
          if (!this.started) return;
          await this.spawn(s);
          break;
        } catch (error) {
          s.status.lastError = (error as Error).message;
          const retryable = error instanceof CollectorError ? error.retryable : true;
          this.log.error({ daemon: s.daemon, reason: (error as Error).message, retryable }, "daemon restart failed");
          if (!retryable) return;
        }
      }
    }
  }
}
