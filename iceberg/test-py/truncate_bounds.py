"""Computes manifest lower/upper bounds the way PyIceberg's writer does (StatsAggregator with
metrics mode truncate(N): TruncateTransform for the lower bound, truncate_upper_bound_* for the
upper bound, then single-value serialization) and prints them as JSON.

usage: truncate_bounds.py '<json args>'
args: {"cases": [{"type": "string" | "binary", "values": ["<hex of UTF-8 or raw bytes>", ...],
                  "length": N}, ...]}
prints: {"results": [{"lower": hex | null, "upper": hex | null, "error": str | null,
                      "upper_code_points": [int, ...] | null}, ...]}
"upper_code_points" is the raw result of truncate_upper_bound_text_string for strings (before
UTF-8 encoding), so a result that cannot be encoded is still visible.
"""
import json
import sys

from pyiceberg.io.pyarrow import StatsAggregator
from pyiceberg.types import BinaryType, StringType
from pyiceberg.utils.truncate import truncate_upper_bound_text_string


def run(case):
    is_string = case["type"] == "string"
    values = [bytes.fromhex(v) for v in case["values"]]
    if is_string:
        values = [v.decode("utf-8") for v in values]
    agg = StatsAggregator(StringType() if is_string else BinaryType(), "BYTE_ARRAY", case["length"])
    for v in values:
        agg.update_min(v)
        agg.update_max(v)
    out = {"lower": None, "upper": None, "error": None, "upper_code_points": None}
    if is_string:
        raw = truncate_upper_bound_text_string(agg.current_max, case["length"])
        out["upper_code_points"] = None if raw is None else [ord(c) for c in raw]
    try:
        lo = agg.min_as_bytes()
        hi = agg.max_as_bytes()
        out["lower"] = None if lo is None else lo.hex()
        out["upper"] = None if hi is None else hi.hex()
    except Exception as e:  # noqa: BLE001 - the test names the failure
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def main():
    args = json.loads(sys.argv[1])
    print(json.dumps({"results": [run(c) for c in args["cases"]]}))


if __name__ == "__main__":
    main()
