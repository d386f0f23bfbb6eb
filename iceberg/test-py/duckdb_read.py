"""Reads an Iceberg table with DuckDB's own iceberg extension (iceberg_scan on a metadata
file) and prints {columns, rows} as JSON. DuckDB is pinned to 1.5.5, the last release with
extension wheels on PyPI; it is installed with `pip install --target <dir> -r
requirements-duckdb.txt` (default dir below, or $DUCKDB_PYDEPS) so it does not replace the
system duckdb. Extensions are loaded from those wheels' files: no network.

usage: duckdb_read.py '<json args>'
args: {"metadata_location" | "metadata_locations": [...], "s3": {...} optional}
"""
import glob
import json
import os
import sys

PYDEPS = os.environ.get("DUCKDB_PYDEPS", os.path.expanduser("~/.cache/netflow-analyzer/pydeps-duckdb-1.5.5"))
sys.path.insert(0, PYDEPS)

import duckdb  # noqa: E402
from normalize import table_rows  # noqa: E402


def ext_path(name):
    hits = glob.glob(os.path.join(PYDEPS, "**", f"{name}.duckdb_extension"), recursive=True)
    if not hits:
        raise SystemExit(f"extension {name} not found under {PYDEPS}; pip install --target {PYDEPS} -r requirements-duckdb.txt")
    return hits[0]


def main():
    args = json.loads(sys.argv[1])
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    for name in ("avro", "httpfs", "iceberg"):
        con.execute(f"LOAD '{ext_path(name)}'")
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
