"""Reads netflow.flows through the REST catalog using only what the catalog vends (S3 keys included).

argv[1]: JSON {"uri": "...", "token": "..."}; prints {"rows": n, "bytes": sum, "write": "..."}.
"""
import json
import sys

import pyarrow.compute as pc
from pyiceberg.catalog import load_catalog


def main():
    args = json.loads(sys.argv[1])
    table = load_catalog("gw", type="rest", uri=args["uri"], token=args["token"]).load_table("netflow.flows")
    data = table.scan().to_arrow()
    out = {"rows": data.num_rows, "bytes": pc.sum(data["bytes"]).as_py()}
    # Writing through the table's FileIO uses the vended (read-only) key: it must be refused.
    try:
        with table.io.new_output(table.location() + "/data/evil.txt").create(overwrite=True) as f:
            f.write(b"x")
        out["write"] = "accepted"
    except Exception as e:  # noqa: BLE001 - the refusal's type is reported
        out["write"] = type(e).__name__ + ": " + str(e)[:200]
    print(json.dumps(out))


main()
