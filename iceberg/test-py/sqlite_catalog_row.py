"""Prints the iceberg_tables rows of a PyIceberg SqlCatalog SQLite file as JSON (read with the
standard library only, not with PyIceberg). usage: sqlite_catalog_row.py '{"db": "path"}'"""
import json
import sqlite3
import sys


def main():
    db = json.loads(sys.argv[1])["db"]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location FROM iceberg_tables"
    ).fetchall()
    print(json.dumps([dict(zip(["catalog", "namespace", "table", "metadata_location", "previous"], r)) for r in rows]))


if __name__ == "__main__":
    main()
