"""CSV: a header row and one row per record, safe to open in a spreadsheet.

One rule for every command (:mod:`etown_approvals.csvcells`): minimal quoting, lists
joined with ``;``, empty values as empty cells, booleans as ``true``/``false``, and a
text cell that a spreadsheet would run as a formula behind an apostrophe. With
``--bom`` (the default under ``--lang zh-CN``) the text starts with a UTF-8
byte-order mark, so that Excel reads Chinese names right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .._parallel import two_at_a_time
from ..csvcells import FORMULA_START, NUMBER, cell, csv_line, line_writer
from ..records import flat_columns
from . import group_text, records_of
from .json_format import PIECE_ROWS, _has_special_bytes, _large, _text_of, _write_utf8

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..results import Result
    from . import OutputOptions

__all__ = ["BOM", "cell", "csv_line", "render", "write_frame", "write_rows"]

#: The byte-order mark Excel looks for to read a CSV file as UTF-8.
BOM = "\ufeff"


def write_rows(
    records: Sequence[dict[str, Any]], out: TextIO, columns: list[str] | None = None
) -> None:
    """``records`` as CSV rows under a header of ``columns`` (default: every record's
    keys, in the order first seen), each cell by :func:`~etown_approvals.csvcells.cell`."""
    columns = columns or list(dict.fromkeys(key for record in records for key in record))
    line = line_writer()
    out.write(line([cell(c) for c in columns]) + "\n")
    out.writelines(line([cell(record.get(c)) for c in columns]) + "\n" for record in records)


def render(result: Result, out: TextIO, options: OutputOptions) -> None:
    """Write ``result``'s rows as CSV (a byte-order mark first with ``options.bom``)."""
    if options.bom:
        out.write(BOM)
    if result.bulk is not None:
        write_frame(flat_columns(result.bulk, result.attributes), out)
        return
    rows = [
        {**row, "group": group_text(row["group"])} if "group" in row else row
        for row in records_of(result, "csv")
    ]
    write_rows(rows, out)


def write_frame(frame: pd.DataFrame, out: TextIO) -> None:
    """The same text as :func:`write_rows` gives for the frame's rows, made column by
    column with pyarrow: each column's cells as text (formula guard, booleans as
    ``true``/``false``, missing values empty), quoted where a cell holds a comma, a
    quote or a line break, then each row joined from its columns' texts."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = []
    for name, column in frame.items():
        if name == "flags":  # the one column of tuples
            column = _joined_tuples(column)
        if pd.api.types.is_bool_dtype(column.dtype):
            values = pa.array(column.array, type=pa.bool_())
            texts.append(pc.if_else(values, _large("true"), _large("false")))
            continue
        if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(
            column.dtype
        ):
            texts.append(_safe_text(pa.array(column.array).cast(pa.large_string())))
            continue
        if not pd.api.types.is_numeric_dtype(column):
            text = column.astype("str")
            risky = (
                (text.str.startswith(FORMULA_START) & ~text.str.fullmatch(NUMBER))
                .fillna(False)
                .to_numpy(dtype=bool)
            )
            column = text.where(~risky, "'" + text)
        texts.append(pa.array(column).cast(pa.large_string()))
    header = csv_line([cell(str(name)) for name in frame.columns]) + "\n"
    out.write(header)
    if not len(frame):
        return
    quoted = [_quoted_where_needed(values) for values in texts]
    if len(quoted) == 1:  # an empty cell alone on its line is written "", as Python does
        only = quoted[0]
        empty = pc.fill_null(pc.equal(pc.binary_length(only), 0), True)
        quoted = [pc.if_else(empty, _large('""'), only)]

    def text_of_rows(start: int) -> pa.Array:
        piece = [values.slice(start, PIECE_ROWS) for values in quoted]
        joined = pc.binary_join_element_wise(
            *piece, _large(","), null_handling="replace", null_replacement=""
        )
        return pc.binary_join_element_wise(joined, _large("\n"), _large(""))

    # The next piece is written on a second core while this one goes out.
    for text in two_at_a_time(text_of_rows, range(0, len(frame), PIECE_ROWS)):
        _write_utf8(out, _text_of(text))


def _quoted_where_needed(values: pa.Array) -> pa.Array:
    """Cells holding a comma, a quote or a line break in quotes (quotes doubled), as
    Python's writer quotes them; the others as they are."""
    import pyarrow.compute as pc

    if not _has_special_bytes(values, b',"'):
        return values
    needs = pc.fill_null(pc.match_substring_regex(values, '[,"\r\n]'), False)
    quote = _large('"')
    doubled = pc.replace_substring(values, '"', '""')
    wrapped = pc.binary_join_element_wise(quote, doubled, quote, _large(""))
    return pc.if_else(needs, wrapped, values)


def _joined_tuples(column: pd.Series) -> pd.Series:
    """Tuples of names as "a;b" text: each distinct tuple joined once, then picked."""
    import pandas as pd

    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    joined = pd.array([";".join(v) for v in uniques], dtype="str")
    return pd.Series(joined.take(codes, allow_fill=True), dtype="str")


#: The formula starts as UTF-8 bytes (a string's start is compared byte by byte).
_FORMULA_BYTES = [start.encode("utf-8") for start in FORMULA_START]


def _safe_text(values: pa.Array) -> pa.Array:
    """Text cells with an apostrophe before a formula (see :func:`cell`); missing
    values stay missing. Each string's first bytes are looked at with numpy, and only
    the strings that start like a formula are matched against
    :data:`~etown_approvals.csvcells.NUMBER`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

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
    number = pc.match_substring_regex(values.take(pa.array(where)), f"^({NUMBER})$")
    formulas = where[~number.to_numpy(zero_copy_only=False)]
    if not len(formulas):
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[formulas] = True
    quote = pa.scalar("'", pa.large_string())
    prefixed = pc.binary_join_element_wise(quote, values, pa.scalar("", pa.large_string()))
    return pc.if_else(pa.array(mask), prefixed, values)
