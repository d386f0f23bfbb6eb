"""Reads netflow.flows with DuckDB through the REST catalog (ATTACH … TYPE iceberg).

DuckDB is the pinned 1.5.5 with its avro, httpfs and iceberg extension wheels, installed in
$DUCKDB_PYDEPS (default ~/.cache/netflow-analyzer/pydeps-duckdb-1.5.5, see
iceberg/test-py/duckdb_read.py); extensions load from those files, no network.

argv[1]: JSON {"uri": "<catalog endpoint>", "token": "...", "s3": {"endpoint", "access_key",
"secret_key"}}; prints {"version", "rows", "bytes", "min_ts", "max_ts"} or {"error": "..."}.
"""
import glob
import json
import os
import sys

PYDEPS = os.environ.get("DUCKDB_PYDEPS", os.path.expanduser("~/.cache/netflow-analyzer/pydeps-duckdb-1.5.5"))
sys.path.insert(0, PYDEPS)

import duckdb  # noqa: E402


def ext_path(name):
    hits = glob.glob(os.path.join(PYDEPS, "**", f"{name}.duckdb_extension"), recursive=True)
    if not hits:
        raise SystemExit(f"extension {name} not found under {PYDEPS}")
    return hits[0]


def main():
    args = json.loads(sys.argv[1])
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    for name in ("avro", "httpfs", "iceberg"):
        con.execute(f"LOAD '{ext_path(name)}'")
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
