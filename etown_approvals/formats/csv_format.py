"""CSV: a header row and one row per record, safe to open in a spreadsheet.

Lists are joined with ``;``; empty values are empty cells; a text cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any, TextIO

from . import records_of

if TYPE_CHECKING:
    from ..reports import Result
    from . import OutputOptions

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_rows(
    records: list[dict[str, Any]], out: TextIO, columns: list[str] | None = None
) -> None:
    columns = columns or (list(records[0]) if records else [])
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([cell(c) for c in columns])
    for record in records:
        writer.writerow([cell(record.get(c)) for c in columns])


def render(result: Result, out: TextIO, options: OutputOptions) -> None:
    records = records_of(result, "csv")
    write_rows(records, out, result.extras.get("columns"))
