"""Reads netflow.flows with DuckDB through the REST catalog (ATTACH … TYPE iceberg).

DuckDB is the pinned 1.5.5 with its avro, httpfs and iceberg extension wheels, installed in
$DUCKDB_PYDEPS (see iceberg/test-py/pinned_duckdb.py); extensions load from those files, no network.

argv[1]: JSON {"uri": "<catalog endpoint>", "token": "...", "s3": {"endpoint", "access_key",
"secret_key"}}; prints {"version", "rows", "bytes", "min_ts", "max_ts"} or {"error": "..."}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../iceberg/test-py"))
from pinned_duckdb import connect_iceberg  # noqa: E402  (first: puts the pinned duckdb on sys.path)
import duckdb  # noqa: E402


def main():
    args = json.loads(sys.argv[1])
    con = connect_iceberg()
    s3 = args["s3"]
    # The data files are read with this secret; its values are the ones the catalog vended.
    con.execute(
        "CREATE SECRET s3_vended (TYPE s3, KEY_ID ?, SECRET ?, ENDPOINT ?, URL_STYLE 'path', USE_SSL false, REGION ?)",
        [s3["access_key"], s3["secret_key"], s3["endpoint"].replace("http://", ""), s3["region"]],
    )
    con.execute("CREATE SECRET gw (TYPE iceberg, TOKEN ?)", [args["token"]])
    out = {"version": duckdb.__version__}
    try:
        con.execute(f"ATTACH 'netflow' AS cat (TYPE iceberg, ENDPOINT '{args['uri']}', SECRET gw)")
        n, total, lo, hi = con.execute(
            "SELECT count(*), sum(bytes)::BIGINT, epoch_us(min(ts)), epoch_us(max(ts)) FROM cat.netflow.flows"
        ).fetchone()
        out.update({"rows": n, "bytes": total, "min_ts": lo, "max_ts": hi})
    except duckdb.Error as e:
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))


main()
