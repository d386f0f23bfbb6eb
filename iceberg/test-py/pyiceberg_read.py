"""Reads an Iceberg table with PyIceberg and prints {columns, rows, snapshots} as JSON.

usage: pyiceberg_read.py '<json args>'
args: {"catalog_uri": "postgresql+psycopg2://...", "catalog_name": "...", "table": "ns.name",
       "snapshot_id": "<optional>", "row_filter": "<optional>",
       "reads": [{"snapshot_id", "row_filter"}, ...] (optional; several scans in one run),
       "tables": [{"table", "reads"}, ...] (optional; several tables in one run), "s3": {"endpoint","access_key","secret_key"} (optional),
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


def read_table(args, props):
    if args.get("metadata_location"):
        table = StaticTable.from_metadata(args["metadata_location"], properties=props)
    else:
        cat = SqlCatalog(args["catalog_name"], uri=args["catalog_uri"], **props)
        table = cat.load_table(args["table"])
    # Several reads of one table in one process (Python start-up dominates otherwise).
    reads = args.get("reads") or [{"snapshot_id": args.get("snapshot_id"), "row_filter": args.get("row_filter")}]
    results = []
    for r in reads:
        snap = r.get("snapshot_id")
        scan = table.scan(snapshot_id=int(snap)) if snap else table.scan()
        if r.get("row_filter"):
            scan = scan.filter(r["row_filter"])
        names, rows = table_rows(scan.to_arrow())
        results.append({"columns": names, "rows": rows, "files": len(list(scan.plan_files()))})
    return {
        **results[0],
        "results": results,
        "snapshots": [str(s.snapshot_id) for s in table.metadata.snapshots],
        "current_snapshot_id": str(table.metadata.current_snapshot_id) if table.metadata.current_snapshot_id else None,
        "schema": str(table.schema()),
    }


def main():
    args = json.loads(sys.argv[1])
    props = fileio_props(args)
    if "tables" in args:
        # Several tables in one run: {"tables": [{"table", "reads"}...]} plus the shared catalog/s3 args.
        shared = {k: v for k, v in args.items() if k != "tables"}
        print(json.dumps({"tables": [read_table({**shared, **t}, props) for t in args["tables"]]}))
    else:
        print(json.dumps(read_table(args, props)))


if __name__ == "__main__":
    main()
