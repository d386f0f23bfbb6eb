"""Reads one Iceberg table with DuckDB's iceberg extension (pinned 1.5.5, see pinned_duckdb.py),
once per requested snapshot, and prints {version, results: [{columns, rows} | {error}]} as JSON.
Run it with the working directory the table's relative paths are relative to.

usage: duckdb_read_fixture.py '<json args>'
args: {"metadata_location": "...", "snapshot_ids": ["<id>" | null, ...],
       "allow_moved_paths": bool (optional), "s3": {...} (optional)}
"""
import json
import sys

from pinned_duckdb import connect_iceberg  # first: puts the pinned duckdb on sys.path
import duckdb  # noqa: E402
from normalize import table_rows  # noqa: E402


def main():
    args = json.loads(sys.argv[1])
    con = connect_iceberg()
    con.execute("SET TimeZone = 'UTC'")
    s3 = args.get("s3")
    if s3:
        con.execute(
            "CREATE SECRET s (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')",
            [s3["access_key"], s3["secret_key"], s3["endpoint"].replace("http://", "")],
        )
    results = []
    for snap in args.get("snapshot_ids") or [None]:
        opts = ""
        if args.get("allow_moved_paths"):
            opts += ", allow_moved_paths = true"
        if snap is not None:
            opts += f", snapshot_from_id = {int(snap)}"
        try:
            rel = con.execute(f"SELECT * FROM iceberg_scan(?{opts})", [args["metadata_location"]])
            names, rows = table_rows(rel.to_arrow_table())
            results.append({"columns": names, "rows": rows})
        except Exception as e:  # the test names the limitation from this message
            results.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps({"version": duckdb.__version__, "results": results}))


if __name__ == "__main__":
    main()
