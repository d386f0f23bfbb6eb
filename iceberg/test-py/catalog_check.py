"""Lists what PyIceberg's SqlCatalog sees in a catalog database: namespaces, tables and
their metadata locations, as JSON. usage: catalog_check.py '{"catalog_uri", "catalog_name"}'"""
import json
import sys

from pyiceberg.catalog.sql import SqlCatalog


def main():
    args = json.loads(sys.argv[1])
    cat = SqlCatalog(args["catalog_name"], uri=args["catalog_uri"])
    out = {"namespaces": [list(ns) for ns in cat.list_namespaces()], "tables": {}}
    for ns in cat.list_namespaces():
        for ident in cat.list_tables(ns):
            name = ".".join(ident)
            with cat.engine.connect() as conn:
                from sqlalchemy import text

                row = conn.execute(
                    text(
                        "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = :c "
                        "AND table_namespace = :n AND table_name = :t"
                    ),
                    {"c": args["catalog_name"], "n": ".".join(ident[:-1]), "t": ident[-1]},
                ).fetchone()
            out["tables"][name] = row[0] if row else None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
