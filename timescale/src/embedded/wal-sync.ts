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

/**
 * Flushes WAL segments with fsync on the libuv thread pool, so the engine can run the next
 * client's transaction meanwhile; commits that arrive during a flush share the next one
 * (group commit).
 */
export class WalSync {
  readonly #walDir: string;
  readonly #onSync: () => void;
  /** Modification time (ns) of each segment when it was last flushed. */
  readonly #flushed = new Map<string, bigint>();
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  syncs = 0;

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
    for (const name of await fs.promises.readdir(this.#walDir)) {
      if (!/^[0-9A-F]{24}$/.test(name)) continue;
      const file = path.join(this.#walDir, name);
      let mtime: bigint;
      try {
        mtime = (await fs.promises.stat(file, { bigint: true })).mtimeNs;
      } catch {
        continue; // Recycled meanwhile.
      }
      if (this.#flushed.get(name) === mtime) continue;
      const handle = await fs.promises.open(file, "r");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.#flushed.set(name, mtime);
      this.syncs++;
      this.#onSync();
    }
  }
}
