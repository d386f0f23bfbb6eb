"""Reads an Iceberg table with DuckDB's own iceberg extension (iceberg_scan on a metadata
file) and prints {columns, rows} as JSON. DuckDB is the pinned 1.5.5 (pinned_duckdb.py).

usage: duckdb_read.py '<json args>'
args: {"metadata_location" | "metadata_locations": [...], "s3": {...} optional}
"""
import json
import sys

from pinned_duckdb import connect_iceberg  # first: puts the pinned duckdb on sys.path
import duckdb  # noqa: E402
from normalize import table_rows  # noqa: E402


def main():
    args = json.loads(sys.argv[1])
    con = connect_iceberg()
    s3 = args.get("s3")
    if s3:
        endpoint = s3["endpoint"].replace("http://", "")
        con.execute(
            "CREATE SECRET s (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')",
            [s3["access_key"], s3["secret_key"], endpoint],
        )
    def scan(location):
        names, rows = table_rows(con.execute("SELECT * FROM iceberg_scan(?)", [location]).fetch_arrow_table())
        return {"version": duckdb.__version__, "columns": names, "rows": rows}

    if "metadata_locations" in args:
        print(json.dumps({"tables": [scan(loc) for loc in args["metadata_locations"]]}))
    else:
        print(json.dumps(scan(args["metadata_location"])))


if __name__ == "__main__":
    main()
