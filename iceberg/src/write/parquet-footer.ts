/**
 * Reads the parts of a Parquet footer (Thrift compact protocol FileMetaData)
 * the manifest needs: per-column compressed sizes keyed by Iceberg field id,
 * row-group start offsets (split offsets), the row count and each column
 * chunk's statistics (footer-metrics.ts turns those into Iceberg metrics). Reading the
 * footer we just wrote — rather than trusting the writer's bookkeeping —
 * keeps `column_sizes` exact whichever library produced the bytes, and it
 * proves the field ids are in the file.
 */
import { IcebergError } from "../errors.ts";

type TValue = boolean | number | bigint | Uint8Array | TValue[] | TStruct | Map<TValue, TValue>;
type TStruct = Map<number, TValue>;

class CompactReader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  private byte(): number {
    if (this.pos >= this.b.length) throw new RangeError("thrift: read past end");
    return this.b[this.pos++]!;
  }
  varint(): bigint {
    let shift = 0n;
    let out = 0n;
    for (;;) {
      const x = this.byte();
      out |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return out;
      shift += 7n;
    }
  }
  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }
  value(type: number): TValue {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3: {
        const x = this.byte();
        return x > 127 ? x - 256 : x;
      }
      case 4:
      case 5:
        return Number(this.zigzag());
      case 6:
        return this.zigzag();
      case 7:
        this.pos += 8;
        return 0;
      case 8: {
        const n = Number(this.varint());
        const out = this.b.subarray(this.pos, this.pos + n);
        this.pos += n;
        return out;
      }
      case 9:
      case 10: {
        const h = this.byte();
        let n = h >> 4;
        const et = h & 0x0f;
        if (n === 15) n = Number(this.varint());
        const out: TValue[] = [];
        // Booleans inside containers are one byte each (1 = true).
        for (let i = 0; i < n; i++) out.push(et === 1 || et === 2 ? this.byte() === 1 : this.value(et));
        return out;
      }
      case 11: {
        const n = Number(this.varint());
        const out = new Map<TValue, TValue>();
        if (n === 0) return out;
        const kv = this.byte();
        for (let i = 0; i < n; i++) out.set(this.value(kv >> 4), this.value(kv & 0x0f));
        return out;
      }
      case 12:
        return this.struct();
      default:
        throw new RangeError(`thrift: unknown type ${type}`);
    }
  }
  struct(): TStruct {
    const out: TStruct = new Map();
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return out;
      const type = h & 0x0f;
      const delta = h >> 4;
      const id = delta === 0 ? Number(this.zigzag()) : last + delta;
      last = id;
      out.set(id, this.value(type));
    }
  }
}

export interface ParquetFooter {
  readonly numRows: number;
  /** Compressed bytes per leaf column, keyed by its Parquet field id. */
  readonly columnSizes: Map<number, number>;
  /** Byte offset of each row group's first page, ascending. */
  readonly splitOffsets: number[];
  /** Field ids of the leaf columns in schema order (missing id = undefined). */
  readonly leafFieldIds: (number | undefined)[];
  /** Statistics of each row group's chunk of a leaf column, keyed by field id (absent: none written). */
  readonly chunkStats: Map<number, ChunkStats[]>;
}

/** A column chunk's Statistics (min_value/max_value: plain-encoded, the column order's min and max). */
export interface ChunkStats {
  readonly nullCount: number | undefined;
  readonly min: Uint8Array | undefined;
  readonly max: Uint8Array | undefined;
}

const utf8 = new TextDecoder();

/** Footer length from the last 8 bytes ("<len LE u32>PAR1"). */
export function footerLength(tail8: Uint8Array, file: string): number {
  if (tail8.length < 8 || utf8.decode(tail8.subarray(tail8.length - 4)) !== "PAR1")
    throw new IcebergError("corrupt-metadata", "not a parquet file (no PAR1 magic at the end)", { file });
  const dv = new DataView(tail8.buffer, tail8.byteOffset + tail8.length - 8, 4);
  return dv.getUint32(0, true);
}

/** Parses FileMetaData from the footer bytes (without the trailing length and magic). */
export function parseFooter(footer: Uint8Array, file: string): ParquetFooter {
  let meta: TStruct;
  try {
    meta = new CompactReader(footer).struct();
  } catch (e) {
    throw new IcebergError("corrupt-metadata", `unreadable parquet footer: ${String(e)}`, { file, cause: e });
  }
  const schema = (meta.get(2) as TStruct[] | undefined) ?? [];
  // Walk the flattened schema tree to map each leaf path to its field id.
  const leafByPath = new Map<string, number | undefined>();
  const leafFieldIds: (number | undefined)[] = [];
  let i = 1; // element 0 is the root
  const walk = (prefix: string[]): void => {
    const el = schema[i++];
    if (!el) throw new IcebergError("corrupt-metadata", "parquet schema is truncated", { file });
    const name = utf8.decode(el.get(4) as Uint8Array);
    const children = (el.get(5) as number | undefined) ?? 0;
    const path = [...prefix, name];
    if (children === 0) {
      const id = el.get(9) as number | undefined;
      leafByPath.set(path.join("\u0000"), id);
      leafFieldIds.push(id);
    } else for (let c = 0; c < children; c++) walk(path);
  };
  const rootChildren = (schema[0]?.get(5) as number | undefined) ?? 0;
  for (let c = 0; c < rootChildren; c++) walk([]);

  const columnSizes = new Map<number, number>();
  const chunkStats = new Map<number, ChunkStats[]>();
  const splitOffsets: number[] = [];
  for (const rg of (meta.get(4) as TStruct[] | undefined) ?? []) {
    let first: number | undefined;
    for (const cc of (rg.get(1) as TStruct[] | undefined) ?? []) {
      const md = cc.get(3) as TStruct | undefined;
      if (!md) continue;
      const path = ((md.get(3) as Uint8Array[] | undefined) ?? []).map((p) => utf8.decode(p)).join("\u0000");
      const id = leafByPath.get(path);
      const size = Number(md.get(7) as bigint);
      if (id !== undefined) columnSizes.set(id, (columnSizes.get(id) ?? 0) + size);
      const st = md.get(12) as TStruct | undefined;
      if (id !== undefined && st !== undefined) {
        const nulls = st.get(3) as bigint | undefined;
        const list = chunkStats.get(id) ?? [];
        list.push({
          nullCount: nulls === undefined ? undefined : Number(nulls),
          max: st.get(5) as Uint8Array | undefined,
          min: st.get(6) as Uint8Array | undefined,
        });
        chunkStats.set(id, list);
      }
      const dataOff = Number(md.get(9) as bigint);
      const dictOff = md.get(11) === undefined ? dataOff : Number(md.get(11) as bigint);
      const off = Math.min(dataOff, dictOff);
      if (first === undefined || off < first) first = off;
    }
    if (first !== undefined) splitOffsets.push(first);
  }
  return {
    numRows: Number(meta.get(3) as bigint),
    columnSizes,
    splitOffsets: splitOffsets.sort((a, b) => a - b),
    leafFieldIds,
    chunkStats,
  };
}
