"""Runs queries over the gateway's Postgres wire protocol with psycopg2, SQLAlchemy and pandas.

argv[1]: JSON {"dsn": "...", "url": "postgresql+psycopg2://...", "queries": ["..."]}
Prints one JSON line: {"psycopg2": [rows...], "pandas": [rows...], "server_version": "..."}
Values: numbers stay numbers (Decimal -> float), timestamps -> ISO 8601 UTC, rest -> str.
"""
import datetime
import decimal
import json
import sys

import pandas as pd
import psycopg2
import sqlalchemy


def plain(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, float) and v != v:  # pandas turns NULL into NaN
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime.datetime):
        return v.astimezone(datetime.timezone.utc).isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return str(v)


def main():
    args = json.loads(sys.argv[1])
    out = {"psycopg2": [], "pandas": []}
    conn = psycopg2.connect(args["dsn"])
    try:
        cur = conn.cursor()
        for q in args["queries"]:
            cur.execute(q)
            out["psycopg2"].append([[plain(v) for v in row] for row in cur.fetchall()])
        # A parameterized query: psycopg2 binds client-side, the server sees literals.
        cur.execute("SELECT count(*) FROM flows WHERE dst_port = %s", (443,))
        out["psycopg2_param"] = cur.fetchone()[0]
        conn.rollback()
    finally:
        conn.close()
    engine = sqlalchemy.create_engine(args["url"])
    with engine.connect() as c:
        out["server_version"] = str(c.dialect.server_version_info)
        out["has_flows"] = sqlalchemy.inspect(c).has_table("flows")
        for q in args["queries"]:
            frame = pd.read_sql(sqlalchemy.text(q), c)
            out["pandas"].append([[plain(v) for v in row] for row in frame.itertuples(index=False)])
    engine.dispose()
    print(json.dumps(out))


main()
