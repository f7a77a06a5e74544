"""Excel workbooks: one sheet per list of the result, written with XlsxWriter.

XlsxWriter is a maintained, pure-Python writer of the xlsx format (no Excel, no
other dependency); in its constant-memory mode a million projects are written row
by row without holding the workbook. Cells are typed (numbers are numbers, ISO dates
stay text as in every other format), a text that a spreadsheet would run as a
formula is written as text, never as a formula, and names in any script are kept
as they are: Excel needs no byte-order mark here. The workbook is binary, so it is
written to ``--output FILE.xlsx`` or a pipe, never to a terminal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import UsageError
from ..rawtable import apart
from . import group_text

if TYPE_CHECKING:
    from ..results import Result
    from . import OutputOptions

#: Excel's limits: rows per sheet, and characters in a cell and a sheet name.
MAX_ROWS = 1_048_576
MAX_CELL = 32_767
MAX_SHEET_NAME = 31


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    """Write ``result`` as a workbook to ``out``'s byte stream."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        raise UsageError("an xlsx workbook is binary: write it with --output FILE.xlsx")
    if out.isatty():
        raise UsageError("an xlsx workbook is binary, not for a terminal: give --output FILE.xlsx")
    data = workbook_bytes(result)
    out.flush()
    buffer.write(data)


def workbook_bytes(result: Result) -> bytes:
    """The workbook of ``result``: one sheet per list (:meth:`Result.sheets`)."""
    import xlsxwriter

    sheets = result.sheets()
    for name, rows in sheets.items():
        if len(rows) + 1 > MAX_ROWS:
            raise UsageError(
                f"{len(rows):,} {name} rows do not fit in one Excel sheet "
                f"({MAX_ROWS - 1:,} at most): use --format csv"
            )
    target = io.BytesIO()
    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "nan_inf_to_errors": False,
        },
    )
    bold = book.add_format({"bold": True})
    for name, rows in sheets.items():
        _sheet(book, name[:MAX_SHEET_NAME], rows, bold)
    book.close()
    return target.getvalue()


def _sheet(book: Any, name: str, rows: Sequence[dict[str, Any]], bold: Any) -> None:
    sheet = book.add_worksheet(name)
    columns = list(dict.fromkeys(key for row in rows for key in _flat(row)))
    for position, column in enumerate(columns):
        sheet.write_string(0, position, column, bold)
    for number, row in enumerate(rows, start=1):
        cells = _flat(row)
        for position, column in enumerate(columns):
            _write(sheet, number, position, cells.get(column))
    if columns:
        sheet.freeze_panes(1, 0)


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A record as cells: the file's own columns beside the computed ones, a group of
    several columns as its values joined with " / "."""
    cells = {k: v for k, v in row.items() if k != "attributes"}
    if "group" in cells:
        cells["group"] = group_text(cells["group"])
    attributes = row.get("attributes") or {}
    names = apart([str(key) for key in attributes], set(cells))
    cells.update(zip(names, attributes.values(), strict=True))
    return cells


def _write(sheet: Any, row: int, column: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    else:
        if isinstance(value, list | tuple):
            value = ";".join(str(v) for v in value)
        sheet.write_string(row, column, str(value)[:MAX_CELL])
