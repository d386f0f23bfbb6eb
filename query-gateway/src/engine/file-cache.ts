/**
 * A bounded local copy of remote data files, because the DuckDB engine runs
 * with external access off and without httpfs: it reads only local files in
 * allowed directories. Least recently used files are evicted once the total
 * size passes the limit, but never a file a running query holds (pinned).
 * Concurrent requests for one file share one download. Files are written to a
 * temporary name and renamed, so DuckDB never sees a partial file. Data files
 * are immutable in Iceberg, so a cached copy never goes stale.
 */
import { createHash } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ObjectStore } from "@netflow/iceberg";
import { QueryError } from "./errors.ts";

export interface FileCacheConfig {
  readonly dir: string;
  readonly maxBytes: number;
  readonly store: ObjectStore;
  /** Download piece size. Default 8 MiB: memory per download stays bounded. */
  readonly chunkBytes?: number;
}

interface Entry {
  readonly path: string;
  size: number;
  pins: number;
  ready: Promise<void>;
  failed: boolean;
}

export interface CacheStats {
  readonly bytes: number;
  readonly files: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/** Files pinned for one query; release() when the query is done. */
export interface PinnedFiles {
  readonly paths: readonly string[];
  release(): void;
}

export class FileCache {
  /** Map order is recency order: a touched entry is re-inserted at the end. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private seq = 0;

  constructor(private readonly config: FileCacheConfig) {}

  async start(): Promise<void> {
    // The cache does not survive restarts: a fresh directory avoids trusting half-written leftovers.
    await rm(this.config.dir, { recursive: true, force: true });
    await mkdir(this.config.dir, { recursive: true });
  }

  async stop(): Promise<void> {
    this.entries.clear();
    this.bytes = 0;
  }

  stats(): CacheStats {
    return {
      bytes: this.bytes,
      files: this.entries.size,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
    };
  }

  /**
   * Makes every location available locally and pins it until release().
   * `expectedBytes` (the files' sizes from the manifests) is checked against
   * the limit first: a query that needs more than the whole cache fails.
   */
  async acquire(locations: readonly string[], expectedBytes: number): Promise<PinnedFiles> {
    if (expectedBytes > this.config.maxBytes) {
      throw new QueryError("limit", "the query needs more cold data than the gateway's file cache holds", {
        detail: `narrow the time range or raise GATEWAY_CACHE_BYTES (needs ${expectedBytes} bytes, cache holds ${this.config.maxBytes})`,
      });
    }
    const pinned: Entry[] = [];
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const e of pinned) e.pins--;
      this.evict();
    };
    try {
      for (const location of locations) {
        const entry = this.pin(location);
        pinned.push(entry);
      }
      await Promise.all(pinned.map((e) => e.ready));
    } catch (error) {
      release();
      throw error;
    }
    this.evict();
    return { paths: pinned.map((e) => e.path), release };
  }

  private pin(location: string): Entry {
    const existing = this.entries.get(location);
    if (existing !== undefined && !existing.failed) {
      this.hits++;
      this.entries.delete(location);
      this.entries.set(location, existing);
      existing.pins++;
      return existing;
    }
    this.misses++;
    const name = createHash("sha256").update(location).digest("hex");
    const entry: Entry = {
      path: join(this.config.dir, `${name}.parquet`),
      size: 0,
      pins: 1,
      ready: Promise.resolve(),
      failed: false,
    };
    entry.ready = this.download(location, entry).catch((error: unknown) => {
      entry.failed = true;
      if (this.entries.get(location) === entry) this.entries.delete(location);
      throw new QueryError("unavailable", "a cold data file could not be fetched from the object store", {
        cause: error,
      });
    });
    this.entries.set(location, entry);
    return entry;
  }

  private async download(location: string, entry: Entry): Promise<void> {
    const chunk = this.config.chunkBytes ?? 8 * 1024 * 1024;
    const tmp = `${entry.path}.tmp-${this.seq++}`;
    const fh = await open(tmp, "w");
    let offset = 0;
    try {
      for (;;) {
        const piece = await this.config.store.getRange(location, offset, chunk);
        if (piece.length > 0) await fh.write(piece, 0, piece.length, offset);
        offset += piece.length;
        if (piece.length < chunk) break;
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, entry.path);
    entry.size = offset;
    this.bytes += offset;
  }

  /** Drops least recently used, unpinned, downloaded files until the cache fits its limit. */
  private evict(): void {
    for (const [location, entry] of this.entries) {
      if (this.bytes <= this.config.maxBytes) return;
      if (entry.pins > 0 || entry.size === 0) continue;
      this.entries.delete(location);
      this.bytes -= entry.size;
      this.evictions++;
      void rm(entry.path, { force: true });
    }
  }
}
