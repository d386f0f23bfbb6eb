"""Cold-tier checksum by PyIceberg: loads netflow.flows through the SQL catalog
(the same Postgres tables the archiver commits to), scans the current snapshot
with PyIceberg's own reader, and hashes every row with the independent hashlib
reference (../hash/row_hash_reference.py).

usage: pyiceberg_checksum.py '{"catalog_uri": "postgresql+psycopg2://...", "columns": [...], "s3": {...}?}'
prints {"n": "...", "s": "...", "snapshot_id": "...", "files": N}
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hash"))

from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402
from row_hash_reference import checksum  # noqa: E402


def main():
    args = json.loads(sys.argv[1])
    props = {}
    s3 = args.get("s3")
    if s3:
        props = {
            "s3.endpoint": s3["endpoint"],
            "s3.access-key-id": s3["access_key"],
            "s3.secret-access-key": s3["secret_key"],
            "s3.region": "us-east-1",
            "s3.force-virtual-addressing": "false",
        }
    cat = SqlCatalog("netflow", uri=args["catalog_uri"], **props)
    table = cat.load_table("netflow.flows")
    snap = table.current_snapshot()
    if snap is None:
        print(json.dumps({"n": "0", "s": "0", "snapshot_id": None, "files": 0}))
        return
    scan = table.scan()
    files = len(list(scan.plan_files()))
    t = scan.to_arrow()
    columns = args["columns"]
    import pyarrow as pa

    cols = []
    for c in columns:
        col = t.column(c["name"])
        if c["kind"] == "timestamptz":
            col = col.cast(pa.int64())
        cols.append(col.to_pylist())
    rows = ([col[i] for col in cols] for i in range(t.num_rows))
    out = checksum(columns, rows)
    out["snapshot_id"] = str(snap.snapshot_id)
    out["files"] = files
    print(json.dumps(out))


if __name__ == "__main__":
    main()
