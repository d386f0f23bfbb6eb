/**
 * The archiver component, wired by hand: a pg pool (archiver role), the
 * warehouse's object store and SQL catalog, the BullMQ queue + worker, and a
 * Prometheus endpoint. The constructor does no I/O; `start()` connects and
 * installs the scheduler, `stop()` drains and disconnects.
 */
import { createServer, type Server } from "node:http";
import { chooseEncoder, type EncoderChoice, type ObjectStore } from "@netflow/iceberg";
import pg from "pg";
import type { Logger } from "pino";
import type { ArchiveDeps } from "./archive/job.ts";
import type { ArchiverConfig } from "./config.ts";
import { ArchiverMetrics } from "./metrics.ts";
import { ArchiveQueue } from "./queue/archive-queue.ts";
import { ArchiveWorker } from "./queue/worker.ts";
import { objectStoreFor, pgQuery, tableContext } from "./warehouse/warehouse.ts";

export class Archiver {
  /** The Parquet encoder data files are written with (logged at start). */
  private encoder: EncoderChoice | undefined;
  readonly metrics = new ArchiverMetrics();
  readonly queue: ArchiveQueue;
  private pool: pg.Pool | undefined;
  private store: ObjectStore | undefined;
  private worker: ArchiveWorker | undefined;
  private http: Server | undefined;

  constructor(
    private readonly config: ArchiverConfig,
    private readonly log: Logger,
  ) {
    this.queue = new ArchiveQueue(config, log);
  }

  /** Pool, store and table context (no queue): enough for one-off commands. */
  deps(): ArchiveDeps {
    if (!this.pool) {
      // Short statements only; a stuck one must not hold the embedded engine for long.
      this.pool = new pg.Pool({ connectionString: this.config.pgUrl, max: 3, statement_timeout: 600_000 });
      this.pool.on("error", (err) => this.log.warn({ err: err.message }, "idle database connection failed"));
    }
    this.store ??= objectStoreFor(this.config);
    return { pool: this.pool, ctx: tableContext(this.store, pgQuery(this.pool)), config: this.config, log: this.log };
  }

  /** Starts the queue, the scheduler, the worker and the metrics endpoint. */
  async start(): Promise<void> {
    // Before any job: ICEBERG_PARQUET_ENCODER=native without the built encoder fails here, with the fix.
    this.encoder = chooseEncoder();
    const deps = this.deps();
    this.queue.start();
    await this.queue.schedule();
    this.worker = new ArchiveWorker(this.config, deps, this.queue, this.metrics, this.log);
    this.worker.start();
    if (this.config.metricsPort > 0) {
      this.http = createServer((req, res) => {
        if (req.url === "/metrics") {
          res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
          res.end(this.metrics.render());
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) =>
        this.http!.listen(this.config.metricsPort, this.config.metricsHost, resolve),
      );
    }
    this.log.info(
      { queue: this.config.queueName, everyMs: this.config.scheduleEveryMs, parquetEncoder: this.encoder },
      "archiver started",
    );
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    await this.queue.stop();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    await this.pool?.end();
    this.pool = undefined;
    this.worker = undefined;
    this.http = undefined;
  }
}
