"""Creates a table with PyIceberg (SqlCatalog) and appends rows, so the tests can append
to a table another implementation wrote.

usage: pyiceberg_write.py '<json args>'
args: {"catalog_uri", "catalog_name", "table": "ns.name", "location", "s3": {...},
       "rows": [{"id": int, "s": str|null, "ts": micros}]}
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform
from pyiceberg.types import LongType, NestedField, StringType, TimestamptzType

from pyiceberg_read import fileio_props

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def main():
    args = json.loads(sys.argv[1])
    cat = SqlCatalog(args["catalog_name"], uri=args["catalog_uri"], **fileio_props(args))
    ns = args["table"].rsplit(".", 1)[0]
    if (ns,) not in cat.list_namespaces():
        cat.create_namespace(ns)
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "s", StringType(), required=False),
        NestedField(3, "ts", TimestamptzType(), required=True),
    )
    spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day"))
    table = cat.create_table(args["table"], schema=schema, partition_spec=spec, location=args["location"])
    arrow_schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("s", pa.string(), nullable=True),
            pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        ]
    )
    rows = args["rows"]
    data = pa.table(
        {
            "id": [r["id"] for r in rows],
            "s": [r["s"] for r in rows],
            "ts": [EPOCH + timedelta(microseconds=r["ts"]) for r in rows],
        },
        schema=arrow_schema,
    )
    table.append(data)
    print(json.dumps({"metadata_location": table.metadata_location}))


if __name__ == "__main__":
    main()
