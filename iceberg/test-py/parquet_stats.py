"""Per-file facts about Parquet files as pyarrow (Arrow C++) reads them, to check the
metrics our writer reports. usage: parquet_stats.py '{"files": [paths]}'"""
import json
import os
import re
import sys

import pyarrow.compute as pc
import pyarrow.parquet as pq

from normalize import table_rows


def stat_value(v):
    if isinstance(v, bytes):
        return v.hex()
    if hasattr(v, "timestamp"):  # datetime: microseconds since epoch
        import datetime

        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - epoch
        return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
    if isinstance(v, str):
        return v
    return v


def main():
    args = json.loads(sys.argv[1])
    out = []
    for path in args["files"]:
        f = pq.ParquetFile(path)
        md = f.metadata
        # Field ids as the Parquet schema itself states them (not the embedded Arrow schema).
        ids = dict((m.group(2), int(m.group(1))) for m in re.finditer(r"field_id=(-?\d+) (\w+)", str(f.schema)))
        table = f.read()
        cols = {}
        for c in range(md.num_columns):
            name = md.schema.column(c).path
            field_id = ids.get(name)
            size = 0
            nulls = 0
            lo = hi = None
            for g in range(md.num_row_groups):
                cc = md.row_group(g).column(c)
                size += cc.total_compressed_size
                st = cc.statistics
                if st is not None and st.has_null_count:
                    nulls += st.null_count
                if st is not None and st.has_min_max:
                    mn, mx = stat_value(st.min), stat_value(st.max)
                    lo = mn if lo is None or mn < lo else lo
                    hi = mx if hi is None or mx > hi else hi
            # The column's min/max computed by Arrow C++ from the values, for columns whose
            # statistics pyarrow cannot use (floats under IEEE 754 total order, which arrow-rs
            # 60 declares and pyarrow 26 does not know).
            mm = pc.min_max(table.column(name)).as_py() if name in table.column_names else {}
            cols[name] = {
                "field_id": field_id,
                "size": size,
                "nulls": nulls,
                "min": lo,
                "max": hi,
                "data_min": stat_value(mm.get("min")),
                "data_max": stat_value(mm.get("max")),
            }
        offsets = []
        for g in range(md.num_row_groups):
            rg = md.row_group(g)
            cc = rg.column(0)
            first = cc.dictionary_page_offset if cc.has_dictionary_page else cc.data_page_offset
            offsets.append(first)
        names, rows = table_rows(table)
        out.append(
            {
                "path": path,
                "size": os.path.getsize(path),
                "rows": md.num_rows,
                "row_groups": md.num_row_groups,
                "columns": cols,
                "split_offsets": offsets,
                "compression": md.row_group(0).column(0).compression,
                "data": rows,
            }
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
