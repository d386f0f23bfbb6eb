/**
 * Generator flows → Arrow record batches of the Iceberg flows schema, for the
 * `--cold-via writer` dataset path. The rows are exactly what the archiver
 * would export after a backfill of the same flows: timestamps in microseconds,
 * addresses in the cold tier's 16-byte encoding, `ts_clamped` false.
 * Addresses come from small host pools, so their encodings are cached.
 */

import type { Flow } from "@netflow/generator";
import { arrowSchema, encodeAddress, flowTableSchema } from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import * as A from "apache-arrow";

const SCHEMA = arrowSchema(flowTableSchema());

export class FlowBatchBuilder {
  private readonly addresses = new Map<string, Uint8Array>();

  /** One record batch holding `flows` in order. */
  build(flows: readonly Flow[]): A.RecordBatch {
    const n = flows.length;
    const children = FLOW_COLUMNS.map((column, i) => {
      const field = SCHEMA.fields[i];
      if (field === undefined) throw new Error(`arrow schema has no field for ${column.name}`);
      const name = column.name as keyof Flow | "ts_clamped";
      switch (column.icebergType) {
        case "timestamptz": {
          const values = new BigInt64Array(n);
          const valid = new Uint8Array((n + 7) >> 3);
          let nulls = 0;
          for (let r = 0; r < n; r++) {
            const ms = (flows[r] as Flow)[name as "ts" | "ts_end"];
            if (ms === null) nulls++;
            else {
              values[r] = BigInt(ms) * 1000n;
              valid[r >> 3]! |= 1 << (r & 7);
            }
          }
          const type = field.type as A.TimestampMicrosecond;
          return nulls === 0
            ? A.makeData({ type, length: n, nullCount: 0, data: values as unknown as Int32Array })
            : A.makeData({
                type,
                length: n,
                nullCount: nulls,
                nullBitmap: valid,
                data: values as unknown as Int32Array,
              });
        }
        case "long": {
          const values = new BigInt64Array(n);
          for (let r = 0; r < n; r++) values[r] = BigInt((flows[r] as Flow)[name as "bytes"]);
          return A.makeData({
            type: field.type as A.Int64,
            length: n,
            nullCount: 0,
            data: values as unknown as Int32Array,
          });
        }
        case "int": {
          const values = new Int32Array(n);
          for (let r = 0; r < n; r++) values[r] = (flows[r] as Flow)[name as "proto"];
          return A.makeData({ type: field.type as A.Int32, length: n, nullCount: 0, data: values });
        }
        case "boolean":
          // ts_clamped: backfilled times are exact, as the backfill's COPY writes them.
          return A.makeData({
            type: field.type as A.Bool,
            length: n,
            nullCount: 0,
            data: new Uint8Array((n + 7) >> 3),
          });
        case "binary": {
          const bytes = new Uint8Array(n * 16);
          const offsets = new Int32Array(n + 1);
          for (let r = 0; r < n; r++) {
            bytes.set(this.address((flows[r] as Flow)[name as "src_addr"]), r * 16);
            offsets[r + 1] = (r + 1) * 16;
          }
          return A.makeData({
            type: field.type as A.Binary,
            length: n,
            nullCount: 0,
            valueOffsets: offsets,
            data: bytes,
          });
        }
        default:
          throw new Error(`flow column ${column.name} has an unexpected iceberg type ${column.icebergType}`);
      }
    });
    return new A.RecordBatch(
      SCHEMA,
      A.makeData({ type: new A.Struct(SCHEMA.fields), length: n, nullCount: 0, children }),
    );
  }

  private address(text: string): Uint8Array {
    let encoded = this.addresses.get(text);
    if (encoded === undefined) {
      encoded = encodeAddress(text);
      this.addresses.set(text, encoded);
    }
    return encoded;
  }
}
