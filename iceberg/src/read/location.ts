/**
 * Where the bytes of a table really are. Metadata stores absolute URIs in
 * theory, but real tables are moved (copied out of S3, checked into a repo)
 * or were written with relative locations (`./name`, `data/...`,
 * `file://relative`). A `LocationMapper` turns every stored path into a
 * location an ObjectStore can open:
 *
 * 1. drop a leading `./`;
 * 2. replace the first matching prefix (`from` → `to`, e.g. the table's stored
 *    `location` → the folder it was copied to);
 * 3. `s3://` / `s3a://` stay URIs; `file://` is stripped (never URL-decoded:
 *    directory names may contain a literal `%3A`); relative paths resolve
 *    against `baseDir`.
 *
 * Paths are never URL-decoded: the string stored in the metadata is the name
 * on disk or the object key.
 */
import { isAbsolute, resolve } from "node:path";
import { IcebergError } from "../errors.ts";

export interface LocationMapping {
  /** Stored prefix, e.g. `s3a://bucket/table` or `./lineitem_iceberg`. */
  readonly from: string;
  /** Where the files are: a folder, `file://` URI or `s3://` URI. */
  readonly to: string;
}

function dropDotSlash(s: string): string {
  let out = s;
  while (out.startsWith("./")) out = out.slice(2);
  return out;
}

function trimSlash(s: string): string {
  return s.length > 1 ? s.replace(/\/+$/, "") : s;
}

/** Parses `FROM=TO` (the CLI's `--map-location`). The first `=` splits, so `to` may contain `=`. */
export function parseMapping(text: string): LocationMapping {
  const i = text.indexOf("=");
  if (i <= 0 || i === text.length - 1)
    throw new IcebergError("invalid-operation", `location mapping must be FROM=TO, got ${JSON.stringify(text)}`);
  return { from: text.slice(0, i), to: text.slice(i + 1) };
}

export class LocationMapper {
  private readonly mappings: LocationMapping[];

  constructor(
    mappings: readonly LocationMapping[],
    /** Relative paths resolve against this folder. Default: the process's working directory. */
    private readonly baseDir: string = process.cwd(),
  ) {
    this.mappings = mappings.map((m) => ({ from: trimSlash(dropDotSlash(m.from)), to: trimSlash(m.to) }));
  }

  /** The same mapper with one more mapping tried after the existing ones. */
  with(extra: LocationMapping): LocationMapper {
    return new LocationMapper([...this.mappings, extra], this.baseDir);
  }

  /** A stored path (metadata, manifest or delete file) → a location for an ObjectStore. */
  map(stored: string): string {
    let s = dropDotSlash(stored);
    for (const m of this.mappings) {
      if (s === m.from || s.startsWith(`${m.from}/`)) {
        s = m.to + s.slice(m.from.length);
        break;
      }
    }
    return this.toStoreLocation(s);
  }

  /** A location typed by a user (no prefix mapping). */
  toStoreLocation(location: string): string {
    const s = dropDotSlash(location);
    if (/^s3a?:\/\//.test(s)) return s;
    if (s.startsWith("file://")) {
      const rest = s.slice("file://".length);
      // `file:///abs` → `/abs`; `file://relative/x` (seen in PyIceberg tables) → relative to baseDir.
      return rest.startsWith("/") ? rest : resolve(this.baseDir, dropDotSlash(rest));
    }
    if (s.startsWith("file:/")) return s.slice("file:".length);
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(s);
    if (scheme)
      throw new IcebergError("unsupported-feature", `storage scheme ${scheme[1]}:// is not supported (s3, file only)`, {
        file: location,
      });
    return isAbsolute(s) ? s : resolve(this.baseDir, s);
  }
}
