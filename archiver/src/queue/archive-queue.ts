/**
 * The BullMQ side: one queue holding a repeatable `scan` job (the scheduler)
 * and one `archive` job per eligible chunk. Job ids are deterministic
 * (`archive:<system identifier>:<chunk id>`), so enqueuing a chunk twice is a
 * no-op while its job exists; archive_log makes a re-run a no-op after that.
 */
import { type Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { ArchiverConfig } from "../config.ts";
import type { HotChunk } from "../hot/chunks.ts";
import { archiveJobId } from "./scan.ts";

export const SCAN_SCHEDULER_ID = "archive-scan";
export const MAINTAIN_SCHEDULER_ID = "cold-maintenance";

export interface ArchiveJobData {
  readonly chunkId: number;
  readonly relation: string;
  readonly rangeEnd: string;
}

export interface QueueStatus {
  readonly counts: Record<string, number>;
  readonly failed: {
    id: string;
    chunkId: number | undefined;
    attempts: number;
    reason: string;
    unrecoverable: boolean;
  }[];
  readonly schedulerEveryMs: number | undefined;
  /** Archive jobs not finished yet. */
  readonly pending: number;
}

export function redisConnection(url: string, log?: Logger): Redis {
  // BullMQ workers block on Redis commands; ioredis must not give up on them.
  const r = new Redis(url, { maxRetriesPerRequest: null });
  // ioredis reconnects by itself; an outage is logged, not an unhandled event.
  r.on("error", (err: Error) => log?.warn({ err: err.message }, "redis connection error"));
  return r;
}

export class ArchiveQueue {
  private queue: Queue | undefined;
  private connection: Redis | undefined;

  constructor(
    private readonly config: Pick<
      ArchiverConfig,
      "redisUrl" | "queueName" | "jobAttempts" | "backoffMs" | "scheduleEveryMs" | "maintainEveryMs"
    >,
    private readonly log?: Logger,
  ) {}

  start(): void {
    this.connection = redisConnection(this.config.redisUrl, this.log);
    this.queue = new Queue(this.config.queueName, { connection: this.connection });
  }

  private get q(): Queue {
    if (!this.queue) throw new Error("ArchiveQueue not started");
    return this.queue;
  }

  /** Installs (or updates) the repeatable scan and maintenance jobs. */
  async schedule(): Promise<void> {
    await this.q.upsertJobScheduler(
      SCAN_SCHEDULER_ID,
      { every: this.config.scheduleEveryMs },
      { name: "scan", opts: { removeOnComplete: 50, removeOnFail: 50 } },
    );
    await this.q.upsertJobScheduler(
      MAINTAIN_SCHEDULER_ID,
      { every: this.config.maintainEveryMs },
      { name: "maintain", opts: { removeOnComplete: 20, removeOnFail: 50 } },
    );
  }

  /** One archive job per chunk, in the given (oldest-first) order. */
  async enqueue(sysId: string, chunks: readonly HotChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.q.addBulk(
      chunks.map((c) => ({
        name: "archive",
        data: { chunkId: c.chunkId, relation: c.relation, rangeEnd: c.rangeEnd.toISOString() } satisfies ArchiveJobData,
        opts: {
          jobId: archiveJobId(sysId, c.chunkId),
          attempts: this.config.jobAttempts,
          backoff: { type: "exponential", delay: this.config.backoffMs },
          removeOnComplete: { age: 7 * 86_400 },
          removeOnFail: false,
        },
      })),
    );
  }

  async status(): Promise<QueueStatus> {
    const counts = await this.q.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized");
    const failedJobs = await this.q.getFailed(0, 99);
    const schedulers = await this.q.getJobSchedulers();
    const scan = schedulers.find((s) => s.key === SCAN_SCHEDULER_ID || s.id === SCAN_SCHEDULER_ID);
    return {
      counts,
      failed: failedJobs.map((j: Job) => ({
        id: String(j.id),
        chunkId: (j.data as Partial<ArchiveJobData>).chunkId,
        attempts: j.attemptsMade,
        reason: j.failedReason,
        unrecoverable: /^unrecoverable: /.test(j.failedReason ?? ""),
      })),
      schedulerEveryMs: scan?.every === undefined || scan.every === null ? undefined : Number(scan.every),
      pending: await this.pendingArchiveJobs(),
    };
  }

  /** Moves every failed job back to waiting; returns how many. */
  async retryFailed(): Promise<number> {
    const failed = await this.q.getFailed(0, -1);
    for (const j of failed) await j.retry("failed");
    return failed.length;
  }

  /** Archive jobs not finished yet (waiting, running or waiting for a retry); the queue depth of `status`. */
  async pendingArchiveJobs(): Promise<number> {
    const jobs = await this.q.getJobs(["waiting", "active", "delayed", "prioritized"]);
    return jobs.filter((j) => j?.name === "archive").length;
  }

  async stop(): Promise<void> {
    await this.queue?.close();
    this.connection?.disconnect();
    this.queue = undefined;
    this.connection = undefined;
  }
}
