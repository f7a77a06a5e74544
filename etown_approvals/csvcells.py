"""The CSV rule shared by readers and writers: how cells become one CSV line.

A neutral module, so that an input module (the workbook reader, which shows a
malformed record as the CSV line it would be) never imports an output module.
Quoting is minimal (a cell is quoted only when it holds the delimiter, a quote or a
line break); a text cell that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, their full-width forms, tab or carriage return) gets a
leading apostrophe, unless it is a plain number such as ``-122.33``; booleans are
written as JSON writes them (``true``, ``false``); lists are joined with ``;``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["FORMULA_START", "NUMBER", "cell", "csv_line", "line_writer"]

#: Spreadsheets run a cell starting with these as a formula; full-width forms too
#: (Excel and WPS read U+FF1D, U+FF0B, U+FF0D and U+FF20 as their ASCII twins).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: A plain number such as -122.33 or +1e5 is data, not a formula: left alone. ASCII
#: digits only, as spreadsheets read numbers (and so that Python's re, which takes
#: \d for any script's digits, and pyarrow's RE2 agree on every cell).
NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_IS_NUMBER = re.compile(NUMBER)


def cell(value: Any) -> Any:
    """``value`` as a CSV cell: None empty, a list joined with ``;``, a boolean as
    ``true``/``false``, a text that would run as a formula behind an apostrophe."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    formula = isinstance(value, str) and value.startswith(FORMULA_START)
    if formula and not _IS_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_line(cells: Sequence[Any]) -> str:
    """One CSV row without its line ending; a cell holding a line break (``\\r`` too)
    is quoted."""
    return line_writer()(cells)


def line_writer() -> Callable[[Sequence[Any]], str]:
    """``line(cells)``: :func:`csv_line` with one writer for many rows. Python's
    writer quotes only the characters of its own line ending: with ``"\\n"``, a bare
    ``\\r`` went out unquoted and split the row for every reader; so the writer ends
    rows with ``"\\r\\n"``, which is cut off."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()[: -len("\r\n")]

    return line
