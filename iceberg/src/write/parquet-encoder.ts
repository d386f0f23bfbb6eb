/**
 * Which Parquet encoder writes data files: arrow-rs's ArrowWriter either built
 * natively (iceberg/native, ~3× faster on flows: bench/iceberg-write) or as
 * parquet-wasm. Both are the same encoder, so files differ only in speed (and
 * in row order within ties when the native one groups them: clusterTiesBy).
 * ICEBERG_PARQUET_ENCODER: "native" (fail when it is not built), "wasm", or
 * unset for native when built, else wasm.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { IcebergError } from "../errors.ts";

export type EncoderChoice = "native" | "wasm";

/** Options of the native encoder (iceberg/native/src/lib.rs). */
export interface NativeEncoderOptions {
  readonly rowGroupRows: number;
  readonly createdBy: string;
  readonly statisticsColumns?: string[];
  readonly dataPageVersion?: number;
  readonly zstdLevel?: number;
  /** The sort column whose ties are grouped by `clusterBy` (both or neither). */
  readonly tieColumn?: string;
  readonly clusterBy?: string[];
}

/** One column of a record batch as Arrow buffers, offset 0 (iceberg/native/src/lib.rs `ColumnBuffers`). */
export interface NativeColumn {
  readonly length: number;
  readonly values: Uint8Array;
  readonly offsets?: Uint8Array;
  readonly validity?: Uint8Array;
}

export interface NativeEncoder {
  /** One row group from record batches given column by column; returns the bytes the file grew by. */
  writeColumns(batches: NativeColumn[][]): Buffer;
  finish(): Buffer;
}

export type NativeEncoderClass = new (schemaIpc: Uint8Array, options: NativeEncoderOptions) => NativeEncoder;

/** Where iceberg/native/build.sh puts the compiled module. */
export const NATIVE_MODULE_PATH = fileURLToPath(new URL("../../native/netflow_parquet.node", import.meta.url));

/** The interface version this code expects of the module (`abiVersion()` in lib.rs). */
const ABI_VERSION = 2;

let loaded: { Encoder: NativeEncoderClass | null; problem: string | null } | undefined;

function load(): { Encoder: NativeEncoderClass | null; problem: string | null } {
  if (loaded !== undefined) return loaded;
  if (!existsSync(NATIVE_MODULE_PATH)) {
    loaded = { Encoder: null, problem: `the native Parquet encoder is not built (${NATIVE_MODULE_PATH})` };
    return loaded;
  }
  const module = createRequire(import.meta.url)(NATIVE_MODULE_PATH) as {
    ParquetEncoder: NativeEncoderClass;
    abiVersion?: () => number;
  };
  const abi = module.abiVersion?.();
  loaded =
    abi === ABI_VERSION
      ? { Encoder: module.ParquetEncoder, problem: null }
      : {
          Encoder: null,
          problem: `the native Parquet encoder at ${NATIVE_MODULE_PATH} was built from other sources (interface ${abi ?? "unknown"}, expected ${ABI_VERSION})`,
        };
  return loaded;
}

/** The native encoder class, or null when it is not built (or built from other sources). */
export function nativeEncoder(): NativeEncoderClass | null {
  return load().Encoder;
}

/** The encoder to use: `requested`, else ICEBERG_PARQUET_ENCODER, else native when built. */
export function chooseEncoder(requested?: EncoderChoice, env: NodeJS.ProcessEnv = process.env): EncoderChoice {
  const wanted = requested ?? env.ICEBERG_PARQUET_ENCODER;
  if (wanted !== undefined && wanted !== "" && wanted !== "native" && wanted !== "wasm")
    throw new IcebergError("invalid-config", `ICEBERG_PARQUET_ENCODER must be native or wasm, got "${wanted}"`);
  if (wanted === "wasm") return "wasm";
  if (nativeEncoder() !== null) return "native";
  if (wanted === "native")
    throw new IcebergError("invalid-config", `${load().problem}; run: bash iceberg/native/build.sh`);
  return "wasm";
}
