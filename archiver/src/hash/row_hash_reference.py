"""Independent reference for the canonical row hash (see row-hash.ts).

Computes (count, sum of md5-64 row hashes) with hashlib, over
  - rows read from Postgres by psycopg2 (`pg_dsn` + `pg_sql`), and/or
  - Parquet files read by pyarrow (`parquet_files`),
so neither Postgres' nor DuckDB's SQL expression vouches for itself.

usage: row_hash_reference.py '<json args>'
args: {"columns": [{"name", "kind": "timestamptz"|"address"|"int"|"boolean"}],
       "pg_dsn": "...", "pg_sql": "...", "parquet_files": ["/abs/path.parquet", ...]}
prints {"pg": {"n": "...", "s": "..."}, "parquet": {...}} (decimal strings)
"""
import datetime
import hashlib
import ipaddress
import json
import sys

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
NULL = "\\N"


def addr_hex(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    ip = ipaddress.ip_interface(str(v)).ip
    if ip.version == 4:
        return (b"\x00" * 10 + b"\xff\xff" + ip.packed).hex()
    return ip.packed.hex()


def ts_micros(v):
    if isinstance(v, int):
        return v
    return (v - EPOCH) // datetime.timedelta(microseconds=1)


def text(kind, v):
    if v is None:
        return NULL
    if kind == "timestamptz":
        return str(ts_micros(v))
    if kind == "address":
        return addr_hex(v)
    if kind == "boolean":
        return "t" if v else "f"
    return str(int(v))


def row_hash(columns, row):
    s = "|".join(text(c["kind"], v) for c, v in zip(columns, row))
    return int.from_bytes(hashlib.md5(s.encode()).digest()[:8], "big", signed=True)


def checksum(columns, rows):
    n = 0
    total = 0
    for r in rows:
        n += 1
        total += row_hash(columns, r)
    return {"n": str(n), "s": str(total)}


def pg_rows(dsn, sql):
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute(sql)
            for r in cur:
                yield r
    finally:
        conn.close()


def parquet_rows(files, columns):
    import pyarrow.parquet as pq

    for f in files:
        t = pq.read_table(f)
        cols = []
        for c in columns:
            col = t.column(c["name"])
            if c["kind"] == "timestamptz":
                import pyarrow as pa

                col = col.cast(pa.int64())
            cols.append(col.to_pylist())
        for i in range(t.num_rows):
            yield [col[i] for col in cols]


def main():
    args = json.loads(sys.argv[1])
    columns = args["columns"]
    out = {}
    if args.get("pg_dsn"):
        out["pg"] = checksum(columns, pg_rows(args["pg_dsn"], args["pg_sql"]))
    if args.get("parquet_files") is not None:
        out["parquet"] = checksum(columns, parquet_rows(args["parquet_files"], columns))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
