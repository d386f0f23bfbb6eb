/** ObjectStore on the local filesystem: `file://` URIs or plain absolute paths. */
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { IcebergError } from "../errors.ts";
import { type ObjectInfo, type ObjectStore, type PutBody, toChunks } from "./object-store.ts";

/**
 * `file:///a/b` → `/a/b`; plain absolute paths pass through. The path is taken
 * literally, without percent-decoding, as PyIceberg, Java's Hadoop FileIO and
 * DuckDB do: a partition directory `s=a%2Fb` (value "a/b") is named exactly
 * that on disk, so every engine finds the same file.
 */
export function fileLocationToPath(location: string): string {
  if (location.startsWith("file://localhost/")) return location.slice("file://localhost".length);
  if (location.startsWith("file:///")) return location.slice("file://".length);
  if (location.startsWith("file:/") && !location.startsWith("file://")) return location.slice("file:".length);
  if (location.startsWith("/")) return location;
  throw new IcebergError("io", `not a local file location: ${location}`, { file: location });
}

/** The inverse of fileLocationToPath for an absolute path. */
export function pathToFileLocation(path: string): string {
  return `file://${path}`;
}

export class FileObjectStore implements ObjectStore {
  private seq = 0;

  private path(location: string): string {
    return fileLocationToPath(location);
  }

  private fail(e: unknown, location: string): never {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new IcebergError("missing-file", "object does not exist", { file: location, cause: e });
    throw new IcebergError("io", `file store error ${code ?? String(e)}`, {
      file: location,
      cause: e,
      retryable: true,
    });
  }

  async get(location: string): Promise<Uint8Array> {
    try {
      const b = await readFile(this.path(location));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      return this.fail(e, location);
    }
  }

  async getRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    try {
      fh = await open(this.path(location), "r");
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    } catch (e) {
      return this.fail(e, location);
    } finally {
      await fh?.close();
    }
  }

  async put(location: string, body: PutBody): Promise<{ size: number }> {
    const path = this.path(location);
    // Write to a temp name and rename, so a reader never sees a half-written object.
    const tmp = `${path}.tmp-${process.pid}-${this.seq++}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      let size = 0;
      const ws = createWriteStream(tmp);
      const done = new Promise<void>((resolve, reject) => {
        ws.on("finish", resolve);
        ws.on("error", reject);
      });
      for await (const chunk of toChunks(body)) {
        size += chunk.byteLength;
        if (!ws.write(chunk)) await new Promise<void>((r) => ws.once("drain", r));
      }
      ws.end();
      await done;
      await rename(tmp, path);
      return { size };
    } catch (e) {
      await rm(tmp, { force: true });
      return this.fail(e, location);
    }
  }

  async head(location: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(location));
      return s.isFile() ? { location, size: s.size, lastModifiedMs: s.mtimeMs } : undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      return this.fail(e, location);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const useUrl = prefix.startsWith("file:");
    const path = this.path(prefix);
    // A prefix may end inside a file name; walk from its directory and filter.
    const root = path.endsWith("/") ? path : dirname(path);
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
        throw e;
      }
      for (const ent of entries) {
        const p = join(dir, ent.name);
        if (ent.isDirectory()) {
          if (`${p}/`.startsWith(path) || path.startsWith(`${p}/`)) await walk(p);
        } else if (ent.isFile() && p.startsWith(path) && !/\.tmp-\d+-\d+$/.test(p)) {
          const s = await stat(p);
          out.push({ location: useUrl ? pathToFileLocation(p) : p, size: s.size, lastModifiedMs: s.mtimeMs });
        }
      }
    };
    try {
      await walk(root);
    } catch (e) {
      return this.fail(e, prefix);
    }
    return out.sort((a, b) => (a.location < b.location ? -1 : 1));
  }

  async delete(location: string): Promise<void> {
    try {
      await rm(this.path(location), { force: true });
    } catch (e) {
      this.fail(e, location);
    }
  }
}
