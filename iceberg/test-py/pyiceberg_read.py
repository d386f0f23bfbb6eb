"""Reads an Iceberg table with PyIceberg and prints {columns, rows, snapshots} as JSON.

usage: pyiceberg_read.py '<json args>'
args: {"catalog_uri": "postgresql+psycopg2://...", "catalog_name": "...", "table": "ns.name",
       "snapshot_id": "<optional>", "s3": {"endpoint","access_key","secret_key"} (optional),
       "metadata_location": "<optional: read via StaticTable instead of the catalog>"}
"""
import json
import sys

from normalize import table_rows
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import StaticTable


def fileio_props(args):
    s3 = args.get("s3")
    if not s3:
        return {}
    return {
        "s3.endpoint": s3["endpoint"],
        "s3.access-key-id": s3["access_key"],
        "s3.secret-access-key": s3["secret_key"],
        "s3.region": "us-east-1",
        "s3.force-virtual-addressing": "false",
    }


def main():
    args = json.loads(sys.argv[1])
    props = fileio_props(args)
    if args.get("metadata_location"):
        table = StaticTable.from_metadata(args["metadata_location"], properties=props)
    else:
        cat = SqlCatalog(args["catalog_name"], uri=args["catalog_uri"], **props)
        table = cat.load_table(args["table"])
    snap = args.get("snapshot_id")
    scan = table.scan(snapshot_id=int(snap)) if snap else table.scan()
    row_filter = args.get("row_filter")
    if row_filter:
        scan = scan.filter(row_filter)
    arrow = scan.to_arrow()
    names, rows = table_rows(arrow)
    out = {
        "columns": names,
        "rows": rows,
        "snapshots": [str(s.snapshot_id) for s in table.metadata.snapshots],
        "current_snapshot_id": str(table.metadata.current_snapshot_id) if table.metadata.current_snapshot_id else None,
        "files": len(list(scan.plan_files())),
        "schema": str(table.schema()),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
