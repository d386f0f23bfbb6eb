/**
 * What the scheduler does each tick: compress chunks past compress_after
 * (where no Timescale policy runs), and list the chunks past archive_after,
 * oldest first, as archive jobs. Job ids come from the system identifier and
 * the chunk id — never the time range, since a chunk of late flows can cover
 * an archived range again and must become a further append.
 */
import type pg from "pg";
import type { Logger } from "pino";
import type { ArchiverConfig } from "../config.ts";
import { compressChunk, type HotChunk, isFullyCompressed, listHotChunks, systemIdentifier } from "../hot/chunks.ts";
import type { ArchiverMetrics } from "../metrics.ts";

export function archiveJobId(sysId: string, chunkId: number): string {
  return `archive:${sysId}:${chunkId}`;
}

export interface ScanResult {
  readonly sysId: string;
  readonly eligible: HotChunk[];
  readonly compressed: number;
}

export async function scanHotTier(
  pool: pg.Pool,
  config: Pick<ArchiverConfig, "archiveAfter" | "compressAfter" | "hotSizeWarnBytes">,
  log: Logger,
  metrics?: ArchiverMetrics,
  before?: Date,
): Promise<ScanResult> {
  const sysId = await systemIdentifier(pool);
  const cut = await pool.query<{ archive: Date; compress: Date; now: Date }>(
    "SELECT now() - $1::interval AS archive, now() - $2::interval AS compress, now() AS now",
    [config.archiveAfter, config.compressAfter],
  );
  const { archive, compress, now } = cut.rows[0]!;
  const archiveCutoff = before ?? archive;
  const chunks = await listHotChunks(pool);
  const eligible = chunks.filter((c) => c.rangeEnd.getTime() <= archiveCutoff.getTime());
  let compressed = 0;
  for (const c of chunks) {
    if (eligible.includes(c) || isFullyCompressed(c.status) || c.rangeEnd.getTime() > compress.getTime()) continue;
    await compressChunk(pool, c.relation);
    compressed++;
    log.info({ chunk: c.relation }, "chunk compressed");
  }
  const hotBytes = chunks.reduce((s, c) => s + c.bytes, 0);
  if (hotBytes > config.hotSizeWarnBytes)
    log.warn({ hotBytes, limit: config.hotSizeWarnBytes }, "hot tier is larger than the warning size");
  if (metrics) {
    metrics.hotBytes = hotBytes;
    metrics.hotChunks = chunks.length;
    metrics.hotSizeWarning = hotBytes > config.hotSizeWarnBytes ? 1 : 0;
    const oldest = eligible[0];
    metrics.lagSeconds = oldest
      ? Math.max(0, (now.getTime() - oldest.rangeEnd.getTime()) / 1000 - intervalSeconds(config.archiveAfter))
      : 0;
  }
  return { sysId, eligible, compressed };
}

const UNIT_SECONDS: Record<string, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 604_800,
  month: 2_592_000,
  year: 31_536_000,
};

/** "7 days" → seconds (the config validator allows only this form). */
export function intervalSeconds(interval: string): number {
  const m = /^(\d+)\s*([a-z]+?)s?$/i.exec(interval.trim());
  return m ? Number(m[1]) * (UNIT_SECONDS[m[2]!.toLowerCase()] ?? 0) : 0;
}
