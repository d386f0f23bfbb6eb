/**
 * The worker: runs `scan` jobs (compress what is due, enqueue what is
 * eligible) and `archive` jobs (archiveChunk). Retryable failures go back to
 * BullMQ's exponential backoff; permanent ones (schema mismatch, a verify
 * mismatch) are thrown as UnrecoverableError, so they fail at once and show
 * in `status` with their reason.
 */
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import type { Logger } from "pino";
import { type ArchiveDeps, archiveChunk } from "../archive/job.ts";
import type { ArchiverConfig } from "../config.ts";
import { toArchiverError } from "../errors.ts";
import { runColdMaintenance } from "../maintenance/cold.ts";
import type { ArchiverMetrics } from "../metrics.ts";
import { type ArchiveJobData, type ArchiveQueue, redisConnection } from "./archive-queue.ts";
import { scanHotTier } from "./scan.ts";

export class ArchiveWorker {
  private worker: Worker | undefined;
  private connection: Redis | undefined;

  constructor(
    private readonly config: ArchiverConfig,
    private readonly deps: ArchiveDeps & { pool: pg.Pool },
    private readonly queue: ArchiveQueue,
    private readonly metrics: ArchiverMetrics,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.connection = redisConnection(this.config.redisUrl, this.log);
    this.worker = new Worker(this.config.queueName, (job) => this.process(job), {
      connection: this.connection,
      concurrency: this.config.concurrency,
      // Renewed every half of it while the job runs; a job whose worker died is re-run after it.
      lockDuration: this.config.lockMs,
      stalledInterval: this.config.lockMs,
    });
    this.worker.on("failed", (job, err) => {
      this.log.warn({ job: job?.id, attempts: job?.attemptsMade, err: err.message }, "job failed");
    });
    this.worker.on("error", (err) => this.log.error({ err: err.message }, "worker error"));
  }

  private async process(job: Job): Promise<unknown> {
    if (job.name === "scan") {
      const r = await scanHotTier(this.deps.pool, this.config, this.log, this.metrics);
      await this.queue.enqueue(r.sysId, r.eligible);
      return { eligible: r.eligible.length, compressed: r.compressed };
    }
    if (job.name === "maintain") {
      const r = await runColdMaintenance(this.deps.ctx, this.config.maintenance);
      this.log.info(r, "cold maintenance done");
      return r;
    }
    if (job.name !== "archive") throw new UnrecoverableError(`unknown job ${job.name}`);
    const data = job.data as ArchiveJobData;
    const t0 = performance.now();
    try {
      const r = await archiveChunk(
        { ...this.deps, onProgress: (rows) => void job.updateProgress({ rows }).catch(() => {}) },
        data.chunkId,
      );
      this.metrics.observeJob(
        (performance.now() - t0) / 1000,
        r.outcome === "archived" ? r.rows : 0,
        r.bytesWritten,
        r.timings.commitTx,
      );
      return { outcome: r.outcome, rows: r.rows, snapshotId: r.snapshotId ?? null, timings: r.timings };
    } catch (e) {
      const err = toArchiverError(e);
      this.metrics.jobsFailedTotal++;
      if (err.kind === "chunk-changed") this.metrics.chunkChangedTotal++;
      this.log.warn(
        { chunkId: data.chunkId, kind: err.kind, retryable: err.retryable, err: err.message },
        "archive attempt failed",
      );
      if (!err.retryable) throw new UnrecoverableError(`unrecoverable: ${err.kind}: ${err.message}`);
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    this.connection?.disconnect();
    this.worker = undefined;
    this.connection = undefined;
  }
}
