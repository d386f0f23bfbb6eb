// Makes commits durable against power loss, not only against a crash of this process.
// Measured: inside the WASM engine Postgres' fdatasync() of the WAL is a no-op and NODEFS
// has no fsync, so a commit reaches the kernel's page cache (it survives kill -9) but is
// never flushed to the disk; wal_sync_method cannot be changed (ALTER SYSTEM is ignored).
// So the layer flushes the WAL segments written since the last flush before it answers a
// transaction's final ReadyForQuery, and installs a real fsync for the engine's own fsync()
// calls (checkpoints flush data files before WAL is recycled). It also watches the engine's
// writes to pg_wal: a transaction that wrote no WAL (a read-only one) is answered without
// looking at the files, as Postgres itself does not wait for a flush at such a commit.

import fs from "node:fs";
import path from "node:path";

interface EmscriptenStream {
  nfd?: number;
  /** The file's path in the engine's file system (the data directory is mounted in it). */
  path?: string;
}

type StreamWrite = (stream: EmscriptenStream, ...rest: unknown[]) => number;

/** The engine module as far as fsync is concerned (PGlite's emscripten module, NODEFS mounted). */
export interface EngineModule {
  FS: {
    filesystems: {
      NODEFS: { stream_ops: { fsync?: (stream: EmscriptenStream) => number; write?: StreamWrite } };
    };
  };
}

/** Routes the engine's fsync() on NODEFS files to a real fsync of the host file. */
export function installRealFsync(module: EngineModule): void {
  module.FS.filesystems.NODEFS.stream_ops.fsync = (stream) => {
    if (typeof stream.nfd === "number") fs.fsyncSync(stream.nfd);
    return 0;
  };
}

/**
 * Calls `onWrite` for every write the engine makes to a file in pg_wal. Postgres writes WAL
 * with pwrite() (segment contents, and the zeros of a new segment), which reaches NODEFS here.
 */
export function watchWalWrites(module: EngineModule, onWrite: () => void): void {
  const ops = module.FS.filesystems.NODEFS.stream_ops;
  const write = ops.write;
  if (write === undefined) throw new Error("the engine's file system has no write operation to watch");
  ops.write = (stream, ...rest) => {
    if (stream.path?.includes("/pg_wal/") === true) onWrite();
    return write(stream, ...rest);
  };
}

const SEGMENT = /^[0-9A-F]{24}$/;
/**
 * A segment modified this close to a flush's start (ns) may be written again within the same
 * tick of the file system's coarse clock without its mtime changing, so it is flushed again next
 * time rather than trusted as unchanged.
 */
const RECENT_NS = 100_000_000n;
/** Stored instead of an mtime to force the next flush of a segment. */
const RECHECK = -1n;
/** Flush records added between two clean-ups of those of removed segments. */
const FORGET_AFTER = 256;

/**
 * Flushes WAL segments with fsync on the libuv thread pool, so the engine can run the next
 * client's transaction meanwhile; commits that arrive during a flush share the next one
 * (group commit).
 *
 * Postgres writes WAL in order, so a flush looks only at the segment last written and the ones
 * after it, and stops at the first later one that nothing wrote since the previous flush
 * (a recycled segment waiting under a future name keeps its old mtime). Looking at every
 * segment cost 20–80 ms a transaction with a thousand segments in pg_wal (a 20M-row database).
 */
export class WalSync {
  readonly #walDir: string;
  readonly #onSync: () => void;
  /** Modification time (ns) of each segment when it was last flushed, or RECHECK. */
  readonly #flushed = new Map<string, bigint>();
  /** The segment WAL was last found written to; undefined until the first flush looked at all. */
  #current: string | undefined;
  /** Wall-clock start (ns) of the previous flush. */
  #previousStartNs = 0n;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** Whether writes are reported (see `reportWrites`); until then every flush looks at the files. */
  #reported = false;
  /** A write was reported since the last flush started (or that flush failed). */
  #written = true;
  syncs = 0;
  /** Flushes that looked at the files (the others had no write to flush). */
  passes = 0;
  /** Segments the last flush looked at (stat calls). */
  lastChecked = 0;
  /** Directory listings of pg_wal so far. */
  listings = 0;
  /** From the segment size, once a segment was looked at; until then every flush lists pg_wal. */
  #segmentsPerId: number | undefined;
  /** Records kept before those of removed segments are forgotten (a listing). */
  #forgetAt = FORGET_AFTER;

  constructor(dataDir: string, onSync: () => void = () => undefined) {
    this.#walDir = path.join(dataDir, "pg_wal");
    this.#onSync = onSync;
  }

  /**
   * From now on, flushes rely on the returned callback being called for every WAL write
   * (see watchWalWrites): without a write since the last flush started, there is nothing
   * that flush did not cover.
   */
  reportWrites(): () => void {
    this.#reported = true;
    return () => {
      this.#written = true;
    };
  }

  /** Resolves once every WAL write made before the call is on disk. */
  flush(): Promise<void> {
    // Every write before the running flush (or the last one) started is its business.
    if (this.#reported && !this.#written) return this.#running ?? Promise.resolve();
    if (!this.#running) {
      this.#running = this.#flushOnce().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    // The running flush may have looked at the files before this caller's write: one more.
    if (!this.#queued) {
      this.#queued = this.#running
        .catch(() => undefined)
        .then(() => {
          this.#queued = undefined;
          return this.flush();
        });
    }
    return this.#queued;
  }

  /** Flushes every segment modified since its last flush; cheap when nothing was written. */
  async #flushOnce(): Promise<void> {
    this.#written = false;
    this.passes++;
    try {
      await this.#flushFiles();
    } catch (error) {
      this.#written = true; // What it did not flush is still to be flushed.
      throw error;
    }
  }

  async #flushFiles(): Promise<void> {
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const current = this.#current;
    const pass: Pass = { startNs, current, checked: 0, newest: undefined };
    let listed: string[] | undefined;
    if (current === undefined || this.#segmentsPerId === undefined || !(await this.#walk(pass, current))) {
      listed = await this.#list();
      await this.#scan(pass, listed);
    }
    // The first flush looked at every segment: the one written last is where WAL goes on.
    if (current === undefined) this.#current = pass.newest?.name;
    this.#previousStartNs = startNs;
    this.lastChecked = pass.checked;
    if (this.#flushed.size > this.#forgetAt) {
      const present = new Set(listed ?? (await this.#list()));
      for (const name of this.#flushed.keys()) if (!present.has(name)) this.#flushed.delete(name);
      this.#forgetAt = this.#flushed.size + FORGET_AFTER;
    }
  }

  async #list(): Promise<string[]> {
    this.listings++;
    return (await fs.promises.readdir(this.#walDir)).filter((n) => SEGMENT.test(n)).sort();
  }

  /** Visits the listed segments from the current one on (all of them on the first flush). */
  async #scan(pass: Pass, names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (pass.current !== undefined && name < pass.current) continue;
      const seen = await this.#visit(pass, name);
      // Nothing wrote this segment since the previous flush, so nothing wrote a later one.
      if (seen === "unchanged" && pass.current !== undefined && name > pass.current) break;
    }
  }

  /**
   * Visits the current segment and the ones after it by name, without listing pg_wal (a
   * thousand entries at 20M rows: the listing was most of a read-only transaction's flush).
   * False when the current segment is gone, so the caller lists instead.
   */
  async #walk(pass: Pass, current: string): Promise<boolean> {
    const perId = this.#segmentsPerId;
    for (let name = current; perId !== undefined; name = nextSegment(name, perId)) {
      const seen = await this.#visit(pass, name);
      if (seen === "missing") return name !== current;
      if (seen === "unchanged" && name > current) return true;
    }
    return false;
  }

  /** Stats one segment and flushes it if it changed since its last flush. */
  async #visit(pass: Pass, name: string): Promise<"missing" | "unchanged" | "flushed"> {
    const file = path.join(this.#walDir, name);
    let stat: fs.BigIntStats;
    try {
      stat = await fs.promises.stat(file, { bigint: true });
    } catch {
      return "missing"; // Recycled meanwhile, or not created yet.
    }
    const mtime = stat.mtimeNs;
    pass.checked++;
    this.#segmentsPerId ??= segmentsPerId(stat.size);
    if (pass.newest === undefined || mtime > pass.newest.mtime) pass.newest = { name, mtime };
    const known = this.#flushed.get(name);
    const unchanged =
      known === mtime ||
      (known === undefined && pass.current !== undefined && mtime < this.#previousStartNs - RECENT_NS);
    if (unchanged) return "unchanged";
    const handle = await fs.promises.open(file, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.#flushed.set(name, mtime < pass.startNs - RECENT_NS ? mtime : RECHECK);
    if (pass.current !== undefined) this.#current = name;
    this.syncs++;
    this.#onSync();
    return "flushed";
  }
}

/** One flush's progress. */
interface Pass {
  readonly startNs: bigint;
  /** The segment WAL was last found written to when the flush started. */
  readonly current: string | undefined;
  checked: number;
  newest: { readonly name: string; readonly mtime: bigint } | undefined;
}

/**
 * Segments per "xlogid" (the middle 8 hex digits of a segment name) for a segment of `bytes`:
 * the last 8 digits count segments up to 2^32 / segment size, then the middle ones go up.
 * Undefined unless `bytes` is a valid WAL segment size (a power of two, 1 MB to 1 GB).
 */
export function segmentsPerId(bytes: bigint): number | undefined {
  if (bytes < 1n << 20n || bytes > 1n << 30n || (bytes & (bytes - 1n)) !== 0n) return undefined;
  return Number((1n << 32n) / bytes);
}

/** The name of the WAL segment after `name` (same timeline). */
export function nextSegment(name: string, perId: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
  const id = Number.parseInt(name.slice(8, 16), 16);
  const seg = Number.parseInt(name.slice(16, 24), 16);
  return seg + 1 >= perId ? `${name.slice(0, 8)}${hex(id + 1)}${hex(0)}` : `${name.slice(0, 16)}${hex(seg + 1)}`;
}
