"""Reads one Iceberg table with PyIceberg's StaticTable, once per requested snapshot, and prints
{results: [{columns, rows} | {error}]} as JSON (an error is reported per snapshot, so a test can
name what PyIceberg cannot read). Run it with the working directory the table's relative paths
are relative to.

usage: pyiceberg_read_fixture.py '<json args>'
args: {"metadata_location": "...", "snapshot_ids": ["<id>" | null, ...], "s3": {...} (optional)}
"""
import json
import sys

from normalize import table_rows
from pyiceberg.table import StaticTable
from pyiceberg_read import fileio_props


def main():
    args = json.loads(sys.argv[1])
    table = StaticTable.from_metadata(args["metadata_location"], properties=fileio_props(args))
    results = []
    for snap in args.get("snapshot_ids") or [None]:
        try:
            scan = table.scan(snapshot_id=int(snap)) if snap is not None else table.scan()
            names, rows = table_rows(scan.to_arrow())
            results.append({"columns": names, "rows": rows})
        except Exception as e:  # the test names the limitation from this message
            results.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
