import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { exporterAddresses } from "../send/config.ts";
import { defaultSynthConfig } from "../synth/config.ts";
import { FlowSource } from "../synth/source.ts";
import { type BackfillConfig, backfillRows, defaultBackfillConfig, validateBackfillConfig } from "./config.ts";
import { COPY_COLUMNS, CopyTextFormatter } from "./copy-text.ts";
import { Progress } from "./progress.ts";

export interface BackfillSummary {
  rows: number;
  bytes: number;
  packets: number;
  elapsed_s: number;
  rows_per_s: number;
}

export interface BackfillHooks {
  /** Called after each committed batch with the rows written so far. */
  onProgress?: (rows: number, total: number) => void;
}

/** Lines per chunk handed to the COPY stream (bigger chunks, fewer stream writes). */
const LINES_PER_CHUNK = 2000;

/** The synthetic source exactly as backfill uses it: flows start on the schedule, in time order. */
export function backfillSource(config: BackfillConfig): FlowSource {
  return new FlowSource({
    ...defaultSynthConfig(),
    seed: config.seed,
    ipv6Share: config.ipv6Share,
    exporters: exporterAddresses({ exporterBase: config.exporterBase, exporters: config.exporters }),
    samplingRate: config.samplingRate,
    startMs: config.fromMs,
    flowsPerSecond: config.flowsPerDay / 86_400,
    timeAnchor: "start",
  });
}

/**
 * Writes synthetic history straight into the `flows` hypertable with
 * `COPY flows (...) FROM STDIN`, one COPY (one transaction) per batch, so a
 * failure loses at most one batch and memory stays bounded on both ends.
 */
export async function backfill(
  options: Pick<BackfillConfig, "pgUrl" | "fromMs" | "toMs"> & Partial<BackfillConfig>,
  hooks: BackfillHooks = {},
): Promise<BackfillSummary> {
  const config = validateBackfillConfig({ ...defaultBackfillConfig(), ...options });
  const total = backfillRows(config);
  const source = backfillSource(config);
  const started = performance.now();
  const summary: BackfillSummary = { rows: 0, bytes: 0, packets: 0, elapsed_s: 0, rows_per_s: 0 };
  const formatter = new CopyTextFormatter();
  const sql = `COPY flows (${COPY_COLUMNS.join(", ")}) FROM STDIN`;
  // Two connections take turns: while the server loads one batch (the
  // embedded server buffers a COPY and loads it at the end), this process
  // generates the next one on the other connection. Batches commit in order.
  const clients = [
    new pg.Client({ connectionString: config.pgUrl }),
    new pg.Client({ connectionString: config.pgUrl }),
  ];
  try {
    for (const client of clients) await client.connect();
    let generated = 0;
    // The previous batch: fully sent, being loaded and committed by the server.
    let loading: Promise<void> | null = null;
    let turn = 0;
    while (generated < total) {
      const batch = Math.min(config.batchRows, total - generated);
      generated += batch;
      const counts = { bytes: 0, packets: 0 };
      let markGenerated = (): void => {};
      const allGenerated = new Promise<void>((resolve) => {
        markGenerated = resolve;
      });
      async function* lines(): AsyncGenerator<string> {
        let chunk = "";
        for (let i = 0; i < batch; i++) {
          const flow = source.next();
          counts.bytes += flow.bytes;
          counts.packets += flow.packets;
          chunk += formatter.line(flow);
          if ((i + 1) % LINES_PER_CHUNK === 0) {
            yield chunk;
            chunk = "";
          }
        }
        if (chunk.length > 0) yield chunk;
        markGenerated();
      }
      const client = clients[turn++ % 2]!;
      const copy = pipeline(Readable.from(lines()), client.query(copyFrom(sql)));
      // Generate this whole batch (the source is shared: batches must not interleave)...
      await Promise.race([allGenerated, copy]);
      // ...then let the previous batch commit before generating the next one.
      if (loading) await loading;
      loading = copy.then(() => {
        summary.rows += batch;
        summary.bytes += counts.bytes;
        summary.packets += counts.packets;
        hooks.onProgress?.(summary.rows, total);
      });
      // Handled by the await above or below; keeps a failure from being reported as unhandled meanwhile.
      loading.catch(() => {});
    }
    if (loading) await loading;
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()));
  }
  summary.elapsed_s = Math.round(performance.now() - started) / 1000;
  summary.rows_per_s = summary.elapsed_s > 0 ? Math.round(summary.rows / summary.elapsed_s) : 0;
  return summary;
}

/** backfill() with a progress line on stderr (the CLI's behaviour). */
export async function backfillWithProgress(
  options: Pick<BackfillConfig, "pgUrl" | "fromMs" | "toMs"> & Partial<BackfillConfig>,
): Promise<BackfillSummary> {
  const total = backfillRows(validateBackfillConfig({ ...defaultBackfillConfig(), ...options }));
  const progress = new Progress(total);
  progress.update(0, true);
  const summary = await backfill(options, { onProgress: (rows) => progress.update(rows) });
  progress.done(summary.rows);
  return summary;
}
