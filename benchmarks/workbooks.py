"""Time reading one 50,000-row sheet: python-calamine (what etown uses) against
openpyxl's read-only mode (what it used before), and etown's whole read per format.

    python benchmarks/workbooks.py              # 50,000 rows, best of 3
    python benchmarks/workbooks.py --rows 5000 --runs 1

Needs the test extras (openpyxl, xlwt, odfpy) to write the workbooks.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

EVENTS = ["land", "project approval", "planning permit", "construction permit"]


def best(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def write(folder: Path, rows: int) -> dict[str, Path]:
    import pandas as pd
    import xlwt

    rng = random.Random(1)
    frame = pd.DataFrame(
        {
            "project": [f"P{i // 4}" for i in range(rows)],
            "event": [EVENTS[i % 4] for i in range(rows)],
            "date": [date(2020, 1, 1) + timedelta(days=rng.randrange(1500)) for _ in range(rows)],
            "zone": [f"Z{i % 7}" for i in range(rows)],
            "company": [f"Company {i % 997}" for i in range(rows)],
        }
    )
    paths = {ext: folder / f"events.{ext}" for ext in ("xlsx", "xls", "ods")}
    frame.to_excel(paths["xlsx"], index=False, sheet_name="data")
    frame.to_excel(paths["ods"], index=False, sheet_name="data", engine="odf")
    book = xlwt.Workbook()
    sheet = book.add_sheet("data")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for j, name in enumerate(frame.columns):
        sheet.write(0, j, name)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            sheet.write(i, j, value, dated) if j == 2 else sheet.write(i, j, value)
    book.save(str(paths["xls"]))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import openpyxl
    import python_calamine

    from etown_approvals.reader import read_table

    with tempfile.TemporaryDirectory() as folder:
        paths = write(Path(folder), args.rows)

        def with_openpyxl() -> int:
            book = openpyxl.load_workbook(paths["xlsx"], read_only=True, data_only=True)
            sheet = book["data"]
            sheet.reset_dimensions()  # read what the sheet holds, as etown does
            return sum(1 for _ in sheet.iter_rows(values_only=True))

        def with_calamine() -> int:
            book = python_calamine.CalamineWorkbook.from_path(str(paths["xlsx"]))
            return len(book.get_sheet_by_name("data").to_python())

        print(f"{args.rows:,} rows, 5 columns, best of {args.runs}")
        print(f"  openpyxl read-only, cells only   {best(with_openpyxl, args.runs):6.2f} s")
        print(f"  python-calamine, cells only      {best(with_calamine, args.runs):6.2f} s")
        for ext, path in paths.items():
            seconds = best(lambda path=path: read_table(path), args.runs)
            print(f"  etown read_table .{ext:<4}           {seconds:6.2f} s")


if __name__ == "__main__":
    main()
