"""Turns a pyarrow table into JSON-safe rows with exact values, the same encoding the
TypeScript tests produce from their own input: integers and timestamps as integers
(microseconds), dates as days, binary/fixed/uuid as hex, decimals as strings, floats
as their shortest repr, NaN/inf spelled like JavaScript."""
import math
import re
import uuid

UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

import pyarrow as pa
import pyarrow.compute as pc


def _float(v):
    if v is None:
        return None
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    r = repr(float(v))
    # JavaScript prints integral doubles without ".0" and uses e+NN exponents.
    if r.endswith(".0"):
        r = r[:-2]
    if "e" in r:
        mant, exp = r.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        r = f"{mant}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
    return r


def column_values(col: pa.ChunkedArray):
    t = col.type
    if pa.types.is_timestamp(t) or pa.types.is_time64(t):
        return pc.cast(col, pa.int64()).to_pylist()
    if pa.types.is_date32(t):
        return pc.cast(col, pa.int32()).to_pylist()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return [None if v is None else v.hex() for v in col.to_pylist()]
    if isinstance(t, pa.ExtensionType):
        return [None if v is None else (v.hex() if isinstance(v, bytes) else str(v).replace("-", "")) for v in col.to_pylist()]
    if pa.types.is_decimal(t):
        return [None if v is None else str(v) for v in col.to_pylist()]
    if pa.types.is_floating(t):
        return [_float(v) for v in col.to_pylist()]
    values = col.to_pylist()
    # DuckDB hands Iceberg uuid columns over as text; compare them as 16 bytes in hex.
    if pa.types.is_string(t) and values and all(v is None or UUID_TEXT.match(v) for v in values) and any(values):
        return [None if v is None else v.replace("-", "") for v in values]
    return values


def _plain(v):
    # Extension types (e.g. arrow.uuid) may surface as Python objects.
    if isinstance(v, uuid.UUID):
        return v.hex
    if isinstance(v, bytes):
        return v.hex()
    return v


def table_rows(table: pa.Table):
    names = table.column_names
    cols = [[_plain(v) for v in column_values(table.column(n))] for n in names]
    return names, [list(r) for r in zip(*cols)] if cols else []
