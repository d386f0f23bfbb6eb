/**
 * A directory served over HTTP on 127.0.0.1 (GET/HEAD with byte ranges), plus
 * an ObjectStore that writes into that directory under the served
 * `http://127.0.0.1:<port>/…` locations. Readers that only fetch URLs (icebird:
 * Node's fetch has no `file:` scheme and its S3 support is AWS-only) can then
 * read tables we write, through the locations recorded in the metadata.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { IcebergError } from "../errors.ts";
import { FileObjectStore } from "../io/file-store.ts";
import type { ObjectInfo, ObjectStore, PutBody } from "../io/object-store.ts";

export interface ServedDirectory {
  /** `http://127.0.0.1:<port>`; a location is this plus the path under `root`. */
  readonly baseUrl: string;
  readonly store: ObjectStore;
  /** Requests served so far (to show a reader really went through HTTP). */
  readonly requests: number;
  stop(): Promise<void>;
}

export async function serveDirectory(root: string): Promise<ServedDirectory> {
  const dir = root.replace(/\/+$/, "");
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    handle(dir, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    store: new HttpDirStore(baseUrl, dir),
    get requests() {
      return requests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(dir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405).end();
    return;
  }
  // Paths map to files literally, percent escapes included (see HttpDirStore).
  const pathname = new URL(req.url ?? "/", "http://x").pathname;
  const path = `${dir}${pathname}`;
  if (pathname.split("/").includes("..")) {
    res.writeHead(403).end();
    return;
  }
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    res.writeHead(404).end();
    return;
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  let start = 0;
  let end = info.size - 1;
  if (range) {
    if (range[1] === "") start = Math.max(0, info.size - Number(range[2]));
    else {
      start = Number(range[1]);
      if (range[2] !== "") end = Math.min(end, Number(range[2]));
    }
    if (start > end) {
      res.writeHead(416, { "content-range": `bytes */${info.size}` }).end();
      return;
    }
  }
  const headers = {
    "content-length": String(end - start + 1),
    "accept-ranges": "bytes",
    "content-type": "application/octet-stream",
    ...(range ? { "content-range": `bytes ${start}-${end}/${info.size}` } : {}),
  };
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === "HEAD" || info.size === 0) {
    res.end();
    return;
  }
  createReadStream(path, { start, end }).pipe(res);
}

/**
 * FileObjectStore under `root`, addressed by the served http:// locations. The
 * URL path is used as the file path literally, without percent-decoding, so
 * every location (partition values like `a%2Fb` included) has exactly one file
 * and the server finds it from the URL a reader sends.
 */
class HttpDirStore implements ObjectStore {
  private readonly files = new FileObjectStore();

  constructor(
    private readonly baseUrl: string,
    private readonly root: string,
  ) {}

  private toFile(location: string): string {
    if (!location.startsWith(`${this.baseUrl}/`))
      throw new IcebergError("io", `location is not under ${this.baseUrl}`, { file: location });
    return this.root + location.slice(this.baseUrl.length);
  }

  private fromFile(path: string): string {
    return this.baseUrl + path.slice(this.root.length);
  }

  get(location: string): Promise<Uint8Array> {
    return this.files.get(this.toFile(location));
  }

  getRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return this.files.getRange(this.toFile(location), offset, length);
  }

  put(location: string, body: PutBody): Promise<{ size: number }> {
    return this.files.put(this.toFile(location), body);
  }

  async head(location: string): Promise<ObjectInfo | undefined> {
    const info = await this.files.head(this.toFile(location));
    return info && { ...info, location };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found = await this.files.list(this.toFile(prefix));
    return found.map((o) => ({ ...o, location: this.fromFile(o.location) }));
  }

  delete(location: string): Promise<void> {
    return this.files.delete(this.toFile(location));
  }
}
