"""The pinned DuckDB with its iceberg extension, loaded offline: one place for every test script.

DuckDB is pinned to 1.5.5, the last release with extension wheels on PyPI; it is installed with
`pip install --target <dir> -r requirements-duckdb.txt` (default dir below, or $DUCKDB_PYDEPS) so it
does not replace the system duckdb. Extensions load from those wheels' files: no network.
Import this module before `import duckdb` anywhere else.
"""
import glob
import os
import sys

PYDEPS = os.environ.get("DUCKDB_PYDEPS", os.path.expanduser("~/.cache/netflow-analyzer/pydeps-duckdb-1.5.5"))
sys.path.insert(0, PYDEPS)

import duckdb  # noqa: E402


def ext_path(name):
    hits = glob.glob(os.path.join(PYDEPS, "**", f"{name}.duckdb_extension"), recursive=True)
    if not hits:
        raise SystemExit(f"extension {name} not found under {PYDEPS}; pip install --target {PYDEPS} -r requirements-duckdb.txt")
    return hits[0]


def connect_iceberg():
    """A connection with avro, httpfs and iceberg loaded from the pinned wheels, autoload off."""
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    for name in ("avro", "httpfs", "iceberg"):
        con.execute(f"LOAD '{ext_path(name)}'")
    return con
