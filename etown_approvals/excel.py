"""Reading ``.xlsx`` workbooks with openpyxl into the same raw table as CSV files.

Cells become text the date reader understands: dates and date-times as ISO
8601, whole numbers without a trailing ``.0`` (permit numbers stay as written).
Row numbers are the sheet's own row numbers.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from typing import Any

import pyarrow as pa

from .errors import DataError, UnreadableInputError
from .rawtable import RawTable


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_excel(data: bytes, *, source: str, sheet: str | int | None = None) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableInputError(
            f"is not a readable Excel workbook ({error})", source=source
        ) from None
    names = workbook.sheetnames
    if sheet is None:
        chosen = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise DataError(
                f"no sheet number {sheet} (sheets, from 0: {', '.join(names)})", source=source
            )
        chosen = names[sheet]
    elif sheet in names:
        chosen = sheet
    else:
        raise DataError(f"no sheet named {sheet!r} (sheets: {', '.join(names)})", source=source)

    rows = workbook[chosen].iter_rows(values_only=True)
    header_row = next(rows, None)
    if header_row is None or all(v is None for v in header_row):
        raise UnreadableInputError(f"sheet {chosen!r} is empty", source=source)
    headers = [(_text(v) or "").strip() or f"column {i + 1}" for i, v in enumerate(header_row)]
    width = len(headers)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in rows:
        cells = list(row[:width]) + [None] * (width - len(row))
        for column, value in zip(columns, cells, strict=False):
            column.append(_text(value))
    workbook.close()
    table = pa.table(
        {
            f"c{i}": pa.array(values, pa.string()).dictionary_encode()
            for i, values in enumerate(columns)
        }
    )
    return RawTable(source=f"{source}[{chosen}]", headers=headers, table=table)
