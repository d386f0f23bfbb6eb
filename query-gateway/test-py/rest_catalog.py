"""Loads netflow.flows through the gateway's Iceberg REST catalog and through the SQL catalog.

argv[1]: JSON {"uri": "...", "token": "...", "sql_uri": "postgresql+psycopg2://...", "bad_token": "..."}
Prints one JSON line with both views of the table and what a wrong token got.
"""
import json
import sys

import pyarrow.compute as pc
from pyiceberg.catalog import load_catalog


def summary(table):
    data = table.scan().to_arrow()
    return {
        "rows": data.num_rows,
        "bytes": pc.sum(data["bytes"]).as_py(),
        "min_ts": str(pc.min(data["ts"]).as_py()),
        "max_ts": str(pc.max(data["ts"]).as_py()),
        "snapshot_id": str(table.current_snapshot().snapshot_id),
        "metadata_location": table.metadata_location,
    }


def main():
    args = json.loads(sys.argv[1])
    rest = load_catalog("gw", type="rest", uri=args["uri"], token=args["token"])
    out = {
        "namespaces": [list(ns) for ns in rest.list_namespaces()],
        "tables": [list(t) for t in rest.list_tables("netflow")],
        "exists": rest.table_exists("netflow.flows"),
        "missing": rest.table_exists("netflow.nope"),
        "rest": summary(rest.load_table("netflow.flows")),
    }
    # The SQL catalog's name is the catalog_name column: "netflow".
    sql = load_catalog("netflow", type="sql", uri=args["sql_uri"], init_catalog_tables="false")
    out["sql"] = summary(sql.load_table("netflow.flows"))
    try:
        load_catalog("bad", type="rest", uri=args["uri"], token=args["bad_token"]).load_table("netflow.flows")
        out["bad_token"] = "accepted"
    except Exception as e:  # noqa: BLE001 - any refusal is fine, its type is reported
        out["bad_token"] = type(e).__name__
    print(json.dumps(out))


main()
