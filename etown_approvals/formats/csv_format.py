"""CSV: a header row and one row per record, safe to open in a spreadsheet.

Lists are joined with ``;``; empty values are empty cells; a text cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
their full-width forms, tab or carriage return) gets a leading apostrophe,
unless it is a plain number such as ``-122.33``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .._parallel import two_at_a_time
from . import records_of
from .json_format import PIECE_ROWS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..results import Result
    from . import OutputOptions


# Spreadsheets run a cell starting with these as a formula; full-width forms too
# (Excel and WPS read U+FF1D, U+FF0B, U+FF0D and U+FF20 as their ASCII twins).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A plain number such as -122.33 or +1e5 is data, not a formula: left alone. ASCII
# digits only, as spreadsheets read numbers (and so that Python's re, which takes
# \d for any script's digits, and pyarrow's RE2 agree on every cell).
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_IS_NUMBER = re.compile(_NUMBER)


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _IS_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_line(cells: Sequence[Any]) -> str:
    """One CSV row without its line ending; a cell holding a line break (``\r`` too)
    is quoted."""
    return _line_writer()(cells)


def _line_writer() -> Callable[[Sequence[Any]], str]:
    """``line(cells)``: :func:`csv_line` with one writer for many rows. Python's
    writer quotes only the characters of its own line ending: with ``"\n"``, a bare
    ``\r`` went out unquoted and split the row for every reader; so the writer ends
    rows with ``"\r\n"``, which is cut off."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()[: -len("\r\n")]

    return line


def write_rows(
    records: Sequence[dict[str, Any]], out: TextIO, columns: list[str] | None = None
) -> None:
    columns = columns or (list(records[0]) if records else [])
    line = _line_writer()
    out.write(line([cell(c) for c in columns]) + "\n")
    out.writelines(line([cell(record.get(c)) for c in columns]) + "\n" for record in records)


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    if result.frame is not None:
        from ..results import flat_columns

        write_frame(flat_columns(result.frame, result.attributes), out)
        return
    from . import group_text

    rows = [
        {**row, "group": group_text(row["group"])} if "group" in row else row
        for row in records_of(result, "csv")
    ]
    write_rows(rows, out)


def write_frame(frame: pd.DataFrame, out: TextIO) -> None:
    """The same cells as :func:`cell` gives, column by column, written by pyarrow."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from .json_format import _write_utf8

    safe = {}
    for name, column in frame.items():
        if name == "flags":  # the one column of tuples
            column = _joined_tuples(column)
        if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(
            column.dtype
        ):
            safe[cell(str(name))] = _safe_text(pa.array(column.array).cast(pa.large_string()))
            continue
        if not pd.api.types.is_numeric_dtype(column):
            text = column.astype("str")
            risky = (
                (text.str.startswith(_FORMULA_START) & ~text.str.fullmatch(_NUMBER))
                .fillna(False)
                .to_numpy(dtype=bool)
            )
            column = text.where(~risky, "'" + text)
        safe[cell(str(name))] = pa.array(column)
    table = pa.table(safe)

    def text_of_rows(start: int) -> pa.Buffer:
        buffer = pa.BufferOutputStream()  # pyarrow's own: it writes without the GIL
        options = pa_csv.WriteOptions(quoting_style="needed", include_header=start == 0)
        pa_csv.write_csv(table.slice(start, PIECE_ROWS), buffer, write_options=options)
        return buffer.getvalue()

    # The next piece is written on a second core while this one goes out.
    for text in two_at_a_time(text_of_rows, range(0, max(table.num_rows, 1), PIECE_ROWS)):
        _write_utf8(out, memoryview(text))


def _joined_tuples(column: pd.Series) -> pd.Series:
    """Tuples of names as "a;b" text: each distinct tuple joined once, then picked."""
    import pandas as pd

    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    joined = pd.array([";".join(v) for v in uniques], dtype="str")
    return pd.Series(joined.take(codes, allow_fill=True), dtype="str")


#: The formula starts as UTF-8 bytes (a string's start is compared byte by byte).
_FORMULA_BYTES = [start.encode("utf-8") for start in _FORMULA_START]


def _safe_text(values: pa.Array) -> pa.Array:
    """Text cells with an apostrophe before a formula (see :func:`cell`); missing
    values stay missing. Each string's first bytes are looked at with numpy, and only
    the strings that start like a formula are matched against :data:`_NUMBER`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from .json_format import _text_of

    if not len(values) or values.null_count == len(values):  # (many, in a file of many columns)
        return values
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)
    offsets = offsets[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(_text_of(values), dtype=np.uint8)
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    risky = np.zeros(len(values), dtype=bool)
    # Only strings whose first byte starts some formula are looked at further: one
    # gather of first bytes per column (dates and names start with none of them).
    first = np.zeros(len(values), dtype=np.uint8)
    filled = lengths > 0
    first[filled] = data[starts[filled]]
    leads = np.zeros(256, dtype=bool)
    leads[[prefix[0] for prefix in _FORMULA_BYTES]] = True
    leading = np.flatnonzero(leads[first] & filled)
    for prefix in _FORMULA_BYTES:
        candidates = leading[lengths[leading] >= len(prefix)]
        for position, byte in enumerate(prefix):
            candidates = candidates[data[starts[candidates] + position] == byte]
        risky[candidates] = True
    if values.null_count:  # a missing value's offsets are not its text
        risky &= values.is_valid().to_numpy(zero_copy_only=False)
    if not risky.any():
        return values
    where = np.flatnonzero(risky)
    number = pc.match_substring_regex(values.take(pa.array(where)), f"^({_NUMBER})$")
    formulas = where[~number.to_numpy(zero_copy_only=False)]
    if not len(formulas):
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[formulas] = True
    quote = pa.scalar("'", pa.large_string())
    prefixed = pc.binary_join_element_wise(quote, values, pa.scalar("", pa.large_string()))
    return pc.if_else(pa.array(mask), prefixed, values)
