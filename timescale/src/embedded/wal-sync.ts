// Makes commits durable against power loss, not only against a crash of this process.
// Measured: inside the WASM engine Postgres' fdatasync() of the WAL is a no-op and NODEFS
// has no fsync, so a commit reaches the kernel's page cache (it survives kill -9) but is
// never flushed to the disk; wal_sync_method cannot be changed (ALTER SYSTEM is ignored).
// So the layer flushes the WAL segments written since the last flush before it answers a
// transaction's final ReadyForQuery, and installs a real fsync for the engine's own fsync()
// calls (checkpoints flush data files before WAL is recycled).

import fs from "node:fs";
import path from "node:path";

interface EmscriptenStream {
  nfd?: number;
}

/** The engine module as far as fsync is concerned (PGlite's emscripten module, NODEFS mounted). */
export interface EngineModule {
  FS: { filesystems: { NODEFS: { stream_ops: { fsync?: (stream: EmscriptenStream) => number } } } };
}

/** Routes the engine's fsync() on NODEFS files to a real fsync of the host file. */
export function installRealFsync(module: EngineModule): void {
  module.FS.filesystems.NODEFS.stream_ops.fsync = (stream) => {
    if (typeof stream.nfd === "number") fs.fsyncSync(stream.nfd);
    return 0;
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
  syncs = 0;
  /** Segments the last flush looked at (stat calls). */
  lastChecked = 0;

  constructor(dataDir: string, onSync: () => void = () => undefined) {
    this.#walDir = path.join(dataDir, "pg_wal");
    this.#onSync = onSync;
  }

  /** Resolves once every WAL write made before the call is on disk. */
  flush(): Promise<void> {
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
    const startNs = BigInt(Date.now()) * 1_000_000n;
    const names = (await fs.promises.readdir(this.#walDir)).filter((n) => SEGMENT.test(n)).sort();
    const current = this.#current;
    let checked = 0;
    let newest: { name: string; mtime: bigint } | undefined;
    for (const name of names) {
      if (current !== undefined && name < current) continue;
      const file = path.join(this.#walDir, name);
      let mtime: bigint;
      try {
        mtime = (await fs.promises.stat(file, { bigint: true })).mtimeNs;
      } catch {
        continue; // Recycled meanwhile.
      }
      checked++;
      if (newest === undefined || mtime > newest.mtime) newest = { name, mtime };
      const known = this.#flushed.get(name);
      const unchanged =
        known === mtime || (known === undefined && current !== undefined && mtime < this.#previousStartNs - RECENT_NS);
      if (unchanged) {
        // Nothing wrote this segment since the previous flush, so nothing wrote a later one.
        if (current !== undefined && name > current) break;
        continue;
      }
      const handle = await fs.promises.open(file, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.#flushed.set(name, mtime < startNs - RECENT_NS ? mtime : RECHECK);
      if (current !== undefined) this.#current = name;
      this.syncs++;
      this.#onSync();
    }
    // The first flush looked at every segment: the one written last is where WAL goes on.
    if (current === undefined) this.#current = newest?.name;
    this.#previousStartNs = startNs;
    this.lastChecked = checked;
    if (this.#flushed.size > names.length + 64) {
      const present = new Set(names);
      for (const name of this.#flushed.keys()) if (!present.has(name)) this.#flushed.delete(name);
    }
  }
}
