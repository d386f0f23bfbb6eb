/**
 * npx tsx archiver/src/cli.ts <command>
 *   status                 hot chunks (size, compression), archived chunks, watermark, queue depth, failed jobs
 *   archive --before <t>   archive every hot chunk whose range ends at or before <t> now, oldest first
 *   archive --chunk <id>   archive one chunk now
 *   retry                  move failed jobs back to the queue
 *   maintain               run cold retention, compaction, snapshot expiry and orphan removal once
 *   worker                 run the scheduler + worker (+ /metrics) until SIGTERM
 * Configuration: environment variables, see config.ts.
 */
import pino from "pino";
import { archiveChunk } from "./archive/job.ts";
import { Archiver } from "./archiver.ts";
import { archiverConfigFromEnv } from "./config.ts";
import { toArchiverError } from "./errors.ts";
import { archiveLog, isFullyCompressed, listHotChunks } from "./hot/chunks.ts";
import { runColdMaintenance } from "./maintenance/cold.ts";
import { scanHotTier } from "./queue/scan.ts";

const log = pino({ level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = archiverConfigFromEnv();
  const archiver = new Archiver(config, log);
  try {
    switch (command) {
      case "status":
        return await status(archiver);
      case "archive": {
        const deps = archiver.deps();
        const chunk = flag(args, "--chunk");
        const beforeText = flag(args, "--before");
        let ids: number[];
        if (chunk !== undefined) ids = [Number(chunk)];
        else if (beforeText !== undefined) {
          const before = new Date(beforeText);
          if (Number.isNaN(before.getTime())) throw new Error(`--before: not a time: ${beforeText}`);
          ids = (await scanHotTier(deps.pool, config, log, undefined, before)).eligible.map((c) => c.chunkId);
        } else throw new Error("archive needs --before <time> or --chunk <id>");
        for (const id of ids) {
          let last = 0;
          const r = await archiveChunk(
            {
              ...deps,
              onProgress: (rows) => {
                if (rows - last >= 100_000) {
                  last = rows;
                  process.stderr.write(`chunk ${id}: ${rows} rows exported\n`);
                }
              },
            },
            id,
          );
          process.stdout.write(
            `${JSON.stringify({ chunkId: id, outcome: r.outcome, rows: r.rows, bytes: r.bytesWritten, snapshotId: r.snapshotId, timings: r.timings })}\n`,
          );
        }
        return 0;
      }
      case "maintain": {
        const r = await runColdMaintenance(archiver.deps().ctx, config.maintenance);
        process.stdout.write(`${JSON.stringify(r)}\n`);
        return 0;
      }
      case "retry": {
        archiver.queue.start();
        process.stdout.write(`${await archiver.queue.retryFailed()} failed jobs queued again\n`);
        return 0;
      }
      case "worker": {
        await archiver.start();
        await new Promise<void>((resolve) => {
          process.once("SIGTERM", resolve);
          process.once("SIGINT", resolve);
        });
        return 0;
      }
      default:
        process.stderr.write(
          "usage: cli.ts status | archive --before <time> | archive --chunk <id> | retry | maintain | worker\n",
        );
        return 2;
    }
  } finally {
    await archiver.stop();
  }
}

async function status(archiver: Archiver): Promise<number> {
  const deps = archiver.deps();
  const chunks = await listHotChunks(deps.pool);
  const log = await archiveLog(deps.pool);
  const out: Record<string, unknown> = {
    hot: chunks.map((c) => ({
      chunkId: c.chunkId,
      chunk: c.relation,
      range: [c.rangeStart.toISOString(), c.rangeEnd.toISOString()],
      bytes: c.bytes,
      compressed: isFullyCompressed(c.status) ? "yes" : c.status & 1 ? "partial" : "no",
    })),
    hotBytes: chunks.reduce((s, c) => s + c.bytes, 0),
    archived: log.map((l) => ({
      chunkId: l.chunkId,
      range: [l.rangeStart.toISOString(), l.rangeEnd.toISOString()],
      rows: l.rowCount,
      snapshotId: l.snapshotId,
      archivedAt: l.archivedAt.toISOString(),
    })),
    // Everything before this instant that is not in a hot chunk is archived.
    watermark: log.length > 0 ? new Date(Math.max(...log.map((l) => l.rangeEnd.getTime()))).toISOString() : null,
  };
  try {
    archiver.queue.start();
    out.queue = await Promise.race([
      archiver.queue.status(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("redis did not answer within 5 s")), 5000)),
    ]);
  } catch (e) {
    out.queue = { error: (e as Error).message };
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = toArchiverError(e);
    log.error({ kind: err.kind, retryable: err.retryable, err: err.message }, "command failed");
    process.exit(1);
  },
);
