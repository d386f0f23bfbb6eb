/**
 * Opening a table for reading from a metadata file or a table folder, on the
 * local disk or S3. A folder is resolved the ways real tables are found:
 * `metadata/version-hint.text` (a bare number → `v<N>.metadata.json`, or
 * `<N>-*.metadata.json`), else the highest-numbered metadata file.
 */
import { IcebergError } from "../errors.ts";
import { FileObjectStore } from "../io/file-store.ts";
import type { ObjectInfo, ObjectStore, PutBody } from "../io/object-store.ts";
import { S3ObjectStore } from "../io/s3-store.ts";
import { type LocationMapper, type LocationMapping, LocationMapper as Mapper } from "./location.ts";
import { type ParsedMetadata, parseAnyMetadata } from "./metadata-compat.ts";

export interface OpenOptions {
  /** Prefix replacements for stored paths (`--map-location FROM=TO`). Default none. */
  readonly mapLocations?: readonly LocationMapping[];
  /**
   * Where the table's files really are: the stored `location` prefix is replaced by this.
   * `"auto"` = the folder above the metadata file's `metadata/` folder. Default: none (use stored paths).
   */
  readonly tableRoot?: string;
  /** Relative locations resolve against this folder. Default: the working directory. */
  readonly baseDir?: string;
  /** The store for s3:// locations. Default: an S3ObjectStore from `s3FromEnv()`. */
  readonly s3Store?: ObjectStore;
}

export interface ReadableTable extends ParsedMetadata {
  /** The metadata file actually read (after resolution). */
  readonly metadataLocation: string;
  /** Maps a stored path to a location `store` can open. */
  readonly resolve: (stored: string) => string;
  /** Routes file paths and s3:// URIs to the right store; `close()` it when done. */
  readonly store: RoutingStore;
}

/** S3 settings from S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION. */
export function s3FromEnv(env: NodeJS.ProcessEnv = process.env): S3ObjectStore {
  const accessKeyId = env.S3_ACCESS_KEY_ID;
  const secretAccessKey = env.S3_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new IcebergError("io", "s3:// locations need S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY in the environment");
  return new S3ObjectStore({
    accessKeyId,
    secretAccessKey,
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    ...(env.S3_REGION ? { region: env.S3_REGION } : {}),
  });
}

/** One ObjectStore over local paths and s3:// URIs; the S3 client is created on first use. */
export class RoutingStore implements ObjectStore {
  private readonly file = new FileObjectStore();
  private s3: ObjectStore | undefined;
  /**
   * @param makeS3 creates the store for s3:// locations on first use.
   * @param owned whether `close()` releases that store (false when the caller passed it in).
   */
  constructor(
    private readonly makeS3: () => ObjectStore,
    private readonly owned = true,
  ) {}
  private pick(location: string): ObjectStore {
    if (!/^s3a?:\/\//.test(location)) return this.file;
    this.s3 ??= this.makeS3();
    return this.s3;
  }
  get(location: string): Promise<Uint8Array> {
    return this.pick(location).get(location);
  }
  getRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return this.pick(location).getRange(location, offset, length);
  }
  put(location: string, body: PutBody): Promise<{ size: number }> {
    return this.pick(location).put(location, body);
  }
  head(location: string): Promise<ObjectInfo | undefined> {
    return this.pick(location).head(location);
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.pick(prefix).list(prefix);
  }
  delete(location: string): Promise<void> {
    return this.pick(location).delete(location);
  }
  /** Releases the S3 client when this store created it. */
  close(): void {
    if (this.owned && this.s3 instanceof S3ObjectStore) this.s3.close();
  }
}

function metadataNumber(location: string): number {
  const name = location.slice(location.lastIndexOf("/") + 1);
  const m = /^v?(\d+)[-.]/.exec(name);
  return m ? Number(m[1]) : -1;
}

/** The current metadata file of a table folder (or the location itself when it is a metadata file). */
export async function findMetadataFile(store: ObjectStore, location: string): Promise<string> {
  if (location.endsWith(".metadata.json")) return location;
  const dir = `${location.replace(/\/+$/, "")}/metadata/`;
  const files = (await store.list(dir))
    .map((o) => o.location)
    .filter((l) => l.endsWith(".metadata.json") && !l.slice(dir.length).includes("/"));
  const hint = await store.head(`${dir}version-hint.text`);
  if (hint) {
    const text = new TextDecoder().decode(await store.get(`${dir}version-hint.text`)).trim();
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      const byHint = files.find((f) => metadataNumber(f) === n);
      if (byHint) return byHint;
    } else if (text.endsWith(".metadata.json")) return text.includes("/") ? text : `${dir}${text}`;
  }
  const best = files.sort((a, b) => metadataNumber(a) - metadataNumber(b) || (a < b ? -1 : 1)).at(-1);
  if (!best) throw new IcebergError("no-such-table", "no metadata file found", { file: dir });
  return best;
}

function parentOfMetadataDir(metadataLocation: string): string | undefined {
  const i = metadataLocation.lastIndexOf("/metadata/");
  return i < 0 ? undefined : metadataLocation.slice(0, i);
}

/** Opens a table from a metadata file, a table folder, a `file://` or an `s3://` location. */
export async function openTable(location: string, options: OpenOptions = {}): Promise<ReadableTable> {
  const external = options.s3Store;
  const store = external ? new RoutingStore(() => external, false) : new RoutingStore(() => s3FromEnv());
  let mapper: LocationMapper = new Mapper(options.mapLocations ?? [], options.baseDir);
  const metadataLocation = await findMetadataFile(store, mapper.toStoreLocation(location));
  const text = new TextDecoder().decode(await store.get(metadataLocation));
  const parsed = parseAnyMetadata(text, metadataLocation);
  if (options.tableRoot !== undefined) {
    const root = options.tableRoot === "auto" ? parentOfMetadataDir(metadataLocation) : options.tableRoot;
    if (root === undefined)
      throw new IcebergError("invalid-operation", "tableRoot auto needs a metadata file inside a metadata/ folder", {
        file: metadataLocation,
      });
    mapper = mapper.with({ from: parsed.metadata.location, to: root });
  }
  const m = mapper;
  return { ...parsed, metadataLocation, resolve: (stored) => m.map(stored), store };
}
