/**
 * The object-store interface the library writes and reads through. Locations
 * are full URIs as they appear in Iceberg metadata (`s3://bucket/key`,
 * `file:///abs/path`); each implementation accepts its own schemes.
 * A missing object is an `IcebergError` of kind `missing-file`; transport
 * failures are kind `io`, retryable.
 */
export interface ObjectInfo {
  readonly location: string;
  readonly size: number;
  readonly lastModifiedMs: number;
}

/** Bytes to store: all at once, or as a stream of chunks (uploaded in parts when large). */
export type PutBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface ObjectStore {
  /** Reads a whole object. */
  get(location: string): Promise<Uint8Array>;
  /** Reads `length` bytes from `offset`; a range past the end returns what exists. */
  getRange(location: string, offset: number, length: number): Promise<Uint8Array>;
  /** Writes an object (replacing it) and returns its size in bytes. */
  put(location: string, body: PutBody): Promise<{ size: number }>;
  /** Size and modification time, or undefined when the object does not exist. */
  head(location: string): Promise<ObjectInfo | undefined>;
  /** Every object whose location starts with `prefix` (recursive). */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes an object; deleting a missing object is not an error. */
  delete(location: string): Promise<void>;
}

export async function* toChunks(body: PutBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}
