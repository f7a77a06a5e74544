"""Time dates.scan_dates on the distinct date strings of the 1 M-row benchmark files.

Usage: python benchmarks/bench_scan_dates.py [SF_CSV] [LONG_CSV]
(defaults: /tmp/bench/sf_1000000.csv and /tmp/bench/long_1000000.csv).
Builds each file's union of distinct trimmed date strings the way the loader
does, then times scan_dates on it with the split path and with the
value-by-value path forced, and checks that both give the same DateScan.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv

from etown_approvals import dates

SF_COLUMNS = ["Filed Date", "Issued Date", "First Construction Document Date", "Completed Date"]


def distinct_dates(path: str, columns: list[str]) -> pa.Array:
    table = csv.read_csv(
        path,
        parse_options=csv.ParseOptions(newlines_in_values=True),
        convert_options=csv.ConvertOptions(
            include_columns=columns,
            column_types={name: pa.dictionary(pa.int32(), pa.string()) for name in columns},
        ),
    )
    parts = []
    for name in columns:
        column = table.column(name).unify_dictionaries()
        parts.append(pc.utf8_trim_whitespace(column.chunk(0).dictionary))
    return pc.unique(pa.concat_arrays(parts))


def best_of(runs: int, func):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    import pandas  # noqa: F401  (pyarrow's to_numpy imports it once; keep that out of the timings)

    sf = sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench/sf_1000000.csv"
    long = sys.argv[2] if len(sys.argv) > 2 else "/tmp/bench/long_1000000.csv"
    for label, path, columns in (("sf", sf, SF_COLUMNS), ("long", long, ["date"])):
        values = distinct_dates(path, columns)
        fast_time, fast = best_of(3, lambda v=values: dates.scan_dates(v))
        dates.SPLIT_THRESHOLD, threshold = 10**12, dates.SPLIT_THRESHOLD
        slow_time, slow = best_of(1, lambda v=values: dates.scan_dates(v))
        dates.SPLIT_THRESHOLD = threshold
        same = all(np.array_equal(getattr(fast, f), getattr(slow, f)) for f in dates.SCAN_FIELDS)
        print(
            f"{label}: {len(values):,} distinct strings; value-by-value path {slow_time:.2f} s, "
            f"split path {fast_time:.3f} s; identical: {same}"
        )


if __name__ == "__main__":
    main()
