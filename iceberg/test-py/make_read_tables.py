"""Creates the tables the read-side tests need with PyIceberg (SqlCatalog on SQLite, file
warehouse in a temp folder) and prints their metadata locations and snapshot ids as JSON.

- v1.events: format-version 1, partitioned by identity(kind) and day(ts); two appends, a
  copy-on-write delete, then schema evolution (add `score`, rename `name` -> `label`) and a
  third append.
- v2.mapped: Parquet files written by pyarrow WITHOUT field ids, added with add_files, so
  PyIceberg sets schema.name-mapping.default; the column order in the file differs from the table.
- v2.unmapped: the same kind of file, then the name mapping property removed (unreadable by design).
- v2.nested: struct, list and map columns; a struct field renamed and one added between appends.

usage: make_read_tables.py '{"dir": "/tmp/..."}'
"""
import json
import os
import sys
from datetime import date, datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, IdentityTransform
from pyiceberg.types import (
    DateType,
    DecimalType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    NestedField,
    StringType,
    StructType,
    TimestamptzType,
)


def ts(s):
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


def main():
    d = json.loads(sys.argv[1])["dir"]
    cat = SqlCatalog("tests", uri=f"sqlite:///{d}/catalog.db", warehouse=f"file://{d}/warehouse")
    out = {}

    cat.create_namespace("v1")
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "name", StringType(), required=False),
        NestedField(3, "kind", StringType(), required=False),
        NestedField(4, "ts", TimestamptzType(), required=False),
        NestedField(5, "amount", DecimalType(10, 2), required=False),
        NestedField(6, "day", DateType(), required=False),
    )
    spec = PartitionSpec(
        PartitionField(source_id=3, field_id=1000, transform=IdentityTransform(), name="kind"),
        PartitionField(source_id=4, field_id=1001, transform=DayTransform(), name="ts_day"),
    )
    t = cat.create_table("v1.events", schema=schema, partition_spec=spec, properties={"format-version": "1"})
    arrow = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("ts", pa.timestamp("us", tz="UTC")),
            pa.field("amount", pa.decimal128(10, 2)),
            pa.field("day", pa.date32()),
        ]
    )

    def batch(ids):
        return pa.table(
            {
                "id": ids,
                "name": [None if i % 4 == 0 else f"n{i}" for i in ids],
                "kind": [["a", "b", None][i % 3] for i in ids],
                "ts": [ts(f"2024-03-{1 + i % 3:02d}T{i % 24:02d}:30:00.123456") for i in ids],
                "amount": [Decimal(i * 137) / 100 - Decimal("5.5") for i in ids],
                "day": [date(2024, 1, 1 + i % 28) for i in ids],
            },
            schema=arrow,
        )

    t.append(batch(list(range(0, 6))))
    t.append(batch(list(range(6, 12))))
    t = cat.load_table("v1.events")
    t.delete("id < 3")
    t = cat.load_table("v1.events")
    with t.update_schema() as u:
        u.add_column("score", IntegerType())
        u.rename_column("name", "label")
    t = cat.load_table("v1.events")
    b = batch(list(range(12, 16)))
    b = b.rename_columns(["id", "label", "kind", "ts", "amount", "day"]).append_column(
        pa.field("score", pa.int32()), pa.array([1, None, 3, 4], pa.int32())
    )
    t.append(b)
    t = cat.load_table("v1.events")
    out["v1"] = {
        "metadata_location": t.metadata_location,
        "format_version": t.metadata.format_version,
        "snapshots": [str(s.snapshot_id) for s in t.metadata.snapshots],
    }

    cat.create_namespace("v2")
    mschema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "city", StringType(), required=False),
        NestedField(3, "temp", DecimalType(5, 1), required=False),
    )
    data = os.path.join(d, "raw")
    os.makedirs(data, exist_ok=True)
    for name, table in [("mapped", "v2.mapped"), ("unmapped", "v2.unmapped")]:
        t = cat.create_table(table, schema=mschema)
        paths = []
        for k in range(2):
            p = os.path.join(data, f"{name}-{k}.parquet")
            # Columns in another order than the table, and no field ids at all.
            pq.write_table(
                pa.table(
                    {
                        "temp": pa.array([Decimal("21.5") + k, None, Decimal("-3.0")], pa.decimal128(5, 1)),
                        "city": [f"c{k}a", f"c{k}b", None],
                        "id": pa.array([k * 10 + 1, k * 10 + 2, k * 10 + 3], pa.int64()),
                    }
                ),
                p,
            )
            paths.append(p)
        t.add_files(paths)
        t = cat.load_table(table)
        if name == "unmapped":
            with t.transaction() as tx:
                tx.remove_properties("schema.name-mapping.default")
            t = cat.load_table(table)
        out[name] = {
            "metadata_location": t.metadata_location,
            "snapshots": [str(s.snapshot_id) for s in t.metadata.snapshots],
            "name_mapping": t.metadata.properties.get("schema.name-mapping.default"),
        }
    nschema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(
            2,
            "info",
            StructType(NestedField(3, "a", IntegerType(), required=False), NestedField(4, "b", StringType(), required=False)),
            required=False,
        ),
        NestedField(5, "tags", ListType(6, LongType(), element_required=False), required=False),
        NestedField(7, "attrs", MapType(8, StringType(), 9, IntegerType(), value_required=False), required=False),
    )
    t = cat.create_table("v2.nested", schema=nschema)
    t.append(
        pa.Table.from_pylist(
            [
                {"id": 1, "info": {"a": 1, "b": "x"}, "tags": [1, 2], "attrs": [("k", 1), ("j", None)]},
                {"id": 2, "info": None, "tags": None, "attrs": None},
                {"id": 3, "info": {"a": None, "b": "z"}, "tags": [], "attrs": []},
            ],
            schema=t.schema().as_arrow(),
        )
    )
    t = cat.load_table("v2.nested")
    with t.update_schema() as u:
        u.rename_column("info.b", "bee")
        u.add_column(("info", "c"), LongType())
    t = cat.load_table("v2.nested")
    t.append(
        pa.Table.from_pylist(
            [{"id": 4, "info": {"a": 4, "bee": "w", "c": 40}, "tags": [None, 4], "attrs": [("q", 4)]}],
            schema=t.schema().as_arrow(),
        )
    )
    t = cat.load_table("v2.nested")
    out["nested"] = {
        "metadata_location": t.metadata_location,
        "snapshots": [str(s.snapshot_id) for s in t.metadata.snapshots],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
