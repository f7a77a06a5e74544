"""Strict JSON: one document, no NaN or Infinity, non-ASCII text kept as is."""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, TextIO

from .._parallel import two_at_a_time
from ..rows import Counts, Lists, Numbers, Picked, Rows, rounded

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ..results import Result
    from ..rows import Column
    from . import OutputOptions


def _plain(value: Any) -> Any:
    """What the standard encoder cannot write itself: rows kept as columns, as dicts."""
    if isinstance(value, Rows):
        return value.dicts()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODERS = {
    indent: json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=indent, default=_plain)
    for indent in (None, 2)
}
#: JSON lines: one compact object per line (``{"key":value,...}``), the one NDJSON style.
_LINE_ENCODER = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
)


def line(value: Any) -> str:
    """``value`` as one compact JSON line (without its newline): the NDJSON style of
    every command, as :func:`write_frame` writes a frame's rows."""
    return _LINE_ENCODER.encode(value)


_SCALARS = (str, int, float, bool, type(None))
_SCALAR_TYPES = frozenset(_SCALARS)


def dumps(value: Any, indent: int | None = 2) -> str:
    """Strict JSON text; the encoders are made once (json.dumps makes one per call).

    The same text as ``json.dumps(value, ensure_ascii=False, allow_nan=False,
    indent=indent)``. Indented, Python's encoder runs in Python; here containers
    are laid out in Python while every list of plain values (a summary's
    million project names) goes through the C encoder in one call, with the
    line break and indent as its item separator.
    """
    if indent is None:
        return _ENCODERS[None].encode(value)
    return _indented(value, indent, 0)


def _indented(value: Any, indent: int, depth: int) -> str:
    inner = "\n" + " " * (indent * (depth + 1))
    if isinstance(value, Rows):
        if value.materialized:  # the dicts are the rows now (one may have been changed)
            return _indented(value.dicts(), indent, depth)
        return _rows_text(value, indent, depth)
    if isinstance(value, dict):
        if not value:
            return "{}"
        if set(map(type, value.values())) <= _SCALAR_TYPES:
            # Only plain values: one call of the C encoder, as for lists below.
            text = _flat_encoder(inner)(value)
            return "{" + inner + text[1:-1] + inner[: -indent or None] + "}"
        items = [
            _key(key) + ": " + _indented(item, indent, depth + 1) for key, item in value.items()
        ]
        return "{" + inner + ("," + inner).join(items) + inner[: -indent or None] + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        # Exact types first (one pass in C); subclasses (a str enum) are checked one by one.
        if set(map(type, value)) <= _SCALAR_TYPES or all(
            isinstance(item, _SCALARS) for item in value
        ):
            text = _flat_encoder(inner)(list(value))
            return "[" + inner + text[1:-1] + inner[: -indent or None] + "]"
        # Non-empty mappings of plain values only (each test one pass in C).
        if (
            set(map(type, value)) == {dict}
            and all(map(len, value))
            and set(map(type, chain.from_iterable(map(dict.values, value)))) <= _SCALAR_TYPES
        ):
            return _flat_rows(value, indent, inner)
        items = [_indented(item, indent, depth + 1) for item in value]
        return "[" + inner + ("," + inner).join(items) + inner[: -indent or None] + "]"
    return _scalar(value)


def _flat_rows(rows: list[Any] | tuple[Any, ...], indent: int, outer: str) -> str:
    """A list of non-empty mappings of plain values (a trend's or a grouped summary's
    rows), laid out as :func:`_indented` lays out each: one call of the C encoder
    for all of them, with the keys' line break and indent after each comma, then
    each boundary between two mappings put on lines of its own. That boundary is
    the only place a brace, a comma and a line break follow each other: a string's
    line breaks are written as ``\n``."""
    inner = outer + " " * indent
    encode = _flat_encoder(inner)
    pieces = []
    for start in range(0, len(rows), _ROWS_AT_ONCE):  # a few MB of text at a time
        text = encode(list(rows[start : start + _ROWS_AT_ONCE]))  # [{"k": 1,<inner>"j": 2},...]
        body = text[2:-2].replace("}," + inner + "{", outer + "}," + outer + "{" + inner)
        pieces.append("{" + inner + body + outer + "}")
    return "[" + outer + ("," + outer).join(pieces) + outer[: -indent or None] + "]"


def _rows_text(rows: Rows, indent: int, depth: int) -> str:
    """Rows kept as columns (:class:`etown_approvals.rows.Rows`) as :func:`_indented`
    lays out the same list of dicts, a list at ``depth``: each column becomes JSON
    text at once with numpy and pyarrow, then each row's text is joined from its
    columns' texts and the keys between them."""
    import pyarrow.compute as pc

    if not len(rows):
        return "[]"

    def line(level: int) -> str:
        return "\n" + " " * (indent * level)

    row_level = depth + 1
    pieces: list[pa.Scalar | pa.Array] = []
    text = line(row_level) + "{"
    opened: list[str] = []  # the nested objects the next key is in
    written = [False]  # per open object: has it a key yet

    for path, column in rows.columns.items():
        parents = list(path[:-1])
        shared = 0
        while shared < min(len(opened), len(parents)) and opened[shared] == parents[shared]:
            shared += 1
        while len(opened) > shared:
            opened.pop()
            written.pop()
            text += line(row_level + len(opened) + 1) + "}"
        while len(opened) < len(parents):
            text += ("," if written[-1] else "") + line(row_level + len(opened) + 1)
            text += _key(parents[len(opened)]) + ": {"
            written[-1] = True
            opened.append(parents[len(opened)])
            written.append(False)
        level = row_level + len(opened) + 1
        text += ("," if written[-1] else "") + line(level) + _key(path[-1]) + ": "
        written[-1] = True
        pieces.extend([_large(text), _column_text(column, indent, level)])
        text = ""
    while opened:
        opened.pop()
        text += line(row_level + len(opened) + 1) + "}"
    pieces.append(_large(text + line(row_level) + "},"))
    joined = pc.binary_join_element_wise(*pieces, _large(""))
    body = str(_text_of(joined), "utf-8")[: -len(",")]
    return "[" + body + line(depth) + "]"


def _column_text(column: Column, indent: int, level: int) -> pa.Array:
    """Each row's value of ``column`` as JSON text (a value at ``level`` of indenting)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, Counts):
        return pa.array(np.asarray(column.values, dtype=np.int64)).cast(pa.large_string())
    if isinstance(column, Numbers):
        return _number_text(column)
    if isinstance(column, Picked):
        choices = list(column.choices)
        if set(map(type, choices)) <= _SCALAR_TYPES:
            texts = list(map(_scalar, choices))
        else:
            texts = [_indented(choice, indent, level) for choice in choices]
        return pa.array(texts, type=pa.large_string()).take(pa.array(column.codes))
    if isinstance(column, Lists):
        bounds = np.asarray(column.bounds, dtype=np.int64)
        items = _quoted(pa.array(column.items, type=pa.large_string()))
        lists = pa.LargeListArray.from_arrays(pa.array(bounds), items)
        inner, outer = "\n" + " " * (indent * (level + 1)), "\n" + " " * (indent * level)
        joined = pc.binary_join(lists, _large("," + inner))
        filled = pc.binary_join_element_wise(
            _large("[" + inner), joined, _large(outer + "]"), _large("")
        )
        return pc.if_else(pa.array(np.diff(bounds) > 0), filled, _large("[]"))
    raise TypeError(f"not a column of rows: {type(column).__name__}")


def _quoted(texts: pa.Array) -> pa.Array:
    """Texts as JSON strings, as the standard library's encoder writes them."""
    import pyarrow.compute as pc

    if _has_special_bytes(texts, b'"\\'):
        texts = _escaped(texts, _STRING_ESCAPES)
    quote = _large('"')
    return pc.binary_join_element_wise(quote, texts, quote, _large(""))


def _escaped(texts: pa.Array, escapes: list[tuple[str, str]]) -> pa.Array:
    """``texts`` with each ``(old, new)`` of ``escapes`` replaced, in order (the
    backslash first, so that no escape is escaped again)."""
    import pyarrow.compute as pc

    for old, new in escapes:
        texts = pc.replace_substring(texts, old, new)
    return texts


def _number_text(column: Numbers) -> pa.Array:
    """Rounded numbers as the standard library's encoder writes the values of
    :meth:`Numbers.python` (``float.__repr__``, ``int.__repr__``, ``null``).

    pyarrow writes a float with the fewest digits that read back as it, as Python
    does, but in its own notation outside 1e-4..1e9 and without ".0" on whole
    numbers: whole numbers are written as integers here (with ".0" where they are
    floats), and the few values outside that range by Python.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    result, finite = rounded(column.values, column.digits)
    size = np.abs(result)
    with np.errstate(invalid="ignore"):
        whole = finite & (result == np.floor(result))
        as_int = whole & (size < 2.0**53)
        as_float = finite & ~whole & (size >= 1e-4) & (size < 1e9)
    if column.floats:
        as_int &= ~np.signbit(result)  # -0.0 is written "-0.0", not "0.0"
    ints = pa.array(np.where(as_int, result, 0).astype(np.int64)).cast(pa.large_string())
    if column.floats:
        ints = pc.binary_join_element_wise(ints, _large(".0"), _large(""))
    floats = pa.array(np.where(as_float, result, 0.5)).cast(pa.large_string())
    text = pc.if_else(
        pa.array(as_int), ints, pc.if_else(pa.array(as_float), floats, _large("null"))
    )
    by_python = finite & ~as_int & ~as_float
    if by_python.any():
        values = column.python()
        replacements = [_scalar(values[at]) for at in np.flatnonzero(by_python).tolist()]
        text = pc.replace_with_mask(
            text, pa.array(by_python), pa.array(replacements, type=pa.large_string())
        )
    return text


#: Rows per call of the C encoder in :func:`_flat_rows`.
_ROWS_AT_ONCE = 10_000


#: The standard library's own string encoder (C), as its encoders use it.
_encode_text = json.encoder.encode_basestring  # type: ignore[attr-defined]
_INFINITY = float("inf")


def _scalar(value: Any) -> str:
    """One value as the standard library's encoder writes it (its rules, without the
    cost of an encoder call per value: a grouped summary has many thousands)."""
    if isinstance(value, str):
        return _encode_text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and -_INFINITY < value < _INFINITY:
        return float.__repr__(value)
    return _ENCODERS[None].encode(value)  # NaN, infinity, other types: its errors


def _key(key: Any) -> str:
    """A mapping key as Python's encoder writes it (numbers, booleans and None as text)."""
    if isinstance(key, str):
        return _encode_text(key)
    return _ENCODERS[None].encode({key: 0})[1:-4]


_FLAT: dict[str, Callable[[Any], str]] = {}


def _flat_encoder(separator: str) -> Callable[[Any], str]:
    """``encode(value)`` of a JSON encoder with ``separator`` after each item's comma,
    for a list or mapping of plain values (see :func:`_indented`).

    The standard library makes its C encoder anew on every ``encode`` call, which
    costs more than encoding a row of a dozen numbers (a grouped trend has a
    hundred thousand rows); so the C encoder it would make is made once here,
    with the same arguments, and called directly. Without the C encoder (another
    Python), ``encode`` itself.
    """
    if separator not in _FLAT:
        encoder = json.JSONEncoder(
            ensure_ascii=False, allow_nan=False, separators=("," + separator, ": ")
        )
        make = getattr(json.encoder, "c_make_encoder", None)
        if make is None:
            _FLAT[separator] = encoder.encode
        else:
            chunks = make(
                None,  # no circular check: a list or mapping of plain values has no cycle
                encoder.default,
                _encode_text,
                None,  # indent
                encoder.key_separator,
                encoder.item_separator,
                False,  # sort_keys
                False,  # skipkeys
                False,  # allow_nan
            )
            _FLAT[separator] = lambda value: "".join(chunks(value, 0))
    return _FLAT[separator]


#: An empty list or object as pandas indents it ("[\n\n    ]"). A newline inside a
#: string is written as "\n", so a raw newline is always between tokens.
_EMPTY_INDENTED = re.compile(r"(?<=[\[{])\n\s*(?=[\]}])")

#: Rows per piece when writing a frame, so that a million rows never sit in memory
#: as text. Small pieces (about 3 MB of text) are also faster: the allocator hands
#: the memory of a written piece to the next one, where 100,000-row pieces (30 MB)
#: took fresh memory each time, at a cost of 0.3-0.6 s per million projects here.
PIECE_ROWS = 10_000

#: What a JSON string cannot hold as it is (the backslash first).
_STRING_ESCAPES = [("\\", "\\\\"), ('"', '\\"')] + [
    (chr(code), json.dumps(chr(code))[1:-1]) for code in range(0x20)
]


@dataclass
class _Column:
    """One key's values, and how a piece of them becomes JSON text (null where the
    value is missing). ``quoted`` texts are string contents whose quotes the row
    text around them supplies. Only a piece of rows is ever text at once."""

    key: str
    values: pa.Array
    text: Callable[[pa.Array], pa.Array]
    quoted: bool = False

    def piece(self, start: int, rows: int) -> pa.Array:
        return self.text(self.values.slice(start, rows))


def write_frame(
    frame: pd.DataFrame,
    out: TextIO,
    *,
    lines: bool,
    attributes: pd.DataFrame | None = None,
    depth: int = 0,
) -> None:
    """A frame's rows as a JSON array (or JSON lines), with ``attributes`` (the file's
    own columns, same rows) nested in each object as ``attributes``.

    The array is laid out as ``json.dumps(rows, indent=2)`` lays it out at ``depth``
    (1: the value of a key of the document, whose opening bracket is already written,
    so that ``{"projects": [...]}`` reads as every other document); JSON lines are
    compact objects (:func:`line`). Missing values are null, non-ASCII text as is.
    Each column becomes JSON text at once with pyarrow and the rows are joined column
    by column, so a million projects take about a second; a frame with a column of a
    kind this does not know (floats, timestamps, other objects) is written by pandas.
    """
    if frame.empty:
        out.write("" if lines else "[]" + ("" if depth else "\n"))
        return
    import pyarrow.compute as pc

    item = 2 * (depth + 1)
    key_indent = None if lines else item + 2
    columns = _json_columns(frame, key_indent)
    nested = None
    if attributes is not None and "attributes" not in frame.columns:
        nested = _json_columns(attributes, None if lines else item + 4)
    if columns is None or (attributes is not None and nested is None):
        _write_frame_pandas(frame, out, lines=lines, attributes=attributes, depth=depth)
        return
    pieces = _row_pieces(columns, nested, lines=lines, item=item)

    def text_of_rows(start: int) -> pa.Array:
        arguments = [
            _large(piece) if isinstance(piece, str) else piece.piece(start, PIECE_ROWS)
            for piece in pieces
        ]
        return pc.binary_join_element_wise(
            *arguments, _large(""), null_handling="replace", null_replacement="null"
        )

    if not lines:
        out.write("[\n")
    starts = range(0, len(frame), PIECE_ROWS)
    for start, rows in zip(starts, two_at_a_time(text_of_rows, starts), strict=True):
        text = _text_of(rows)
        if lines or start + PIECE_ROWS < len(frame):
            _write_utf8(out, text)
        else:
            _write_utf8(out, text[: -len(",\n")])
            out.write("\n" + " " * (item - 2) + "]" + ("" if depth else "\n"))


def _row_pieces(
    columns: list[_Column], nested: list[_Column] | None, *, lines: bool, item: int = 2
) -> list[str | _Column]:
    """Literal text and value columns that, joined, are one object per row, followed
    by a newline (JSON lines) or by a comma and a newline (an array's items, each
    ``item`` spaces in)."""
    pieces: list[str | _Column] = []
    text = "{" if lines else " " * item + "{\n"
    separator = ":" if lines else ": "

    def add(position: int, column: _Column, indent: str) -> None:
        nonlocal text
        if position:
            text += "," if lines else ",\n"
        text += ("" if lines else indent) + column.key + separator
        text += '"' if column.quoted else ""
        pieces.extend([text, column])
        text = '"' if column.quoted else ""

    for position, column in enumerate(columns):
        add(position, column, " " * (item + 2))
    if nested is not None:
        text += ',"attributes":{' if lines else ",\n" + " " * (item + 2) + '"attributes": {'
        if nested and not lines:
            text += "\n"
        for position, column in enumerate(nested):
            add(position, column, " " * (item + 4))
        text += "}" if lines or not nested else "\n" + " " * (item + 2) + "}"
    pieces.append(text + ("}\n" if lines else "\n" + " " * item + "},\n"))
    return pieces


def _json_columns(frame: pd.DataFrame, key_indent: int | None) -> list[_Column] | None:
    """Each column as JSON text; None when one is of a kind this does not know."""
    if not frame.columns.is_unique or not all(isinstance(c, str) for c in frame.columns):
        return None
    out = []
    for name, column in frame.items():
        found = _json_values(_json_string(str(name)), column, key_indent)
        if found is None:
            return None
        out.append(found)
    return out


def _json_values(key: str, column: pd.Series, key_indent: int | None) -> _Column | None:
    """A column's values as JSON: strings escaped, integers in decimal, booleans as
    true/false, tuples or lists of strings as arrays (indented below a key at
    ``key_indent`` spaces, compact when None); None for any other kind of column."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return None
    if pd.api.types.is_bool_dtype(dtype):
        return _Column(
            key,
            pa.array(column.array, type=pa.bool_()),
            lambda piece: pc.if_else(piece, _large("true"), _large("false")),
        )
    if pd.api.types.is_integer_dtype(dtype):
        return _Column(key, pa.array(column.array), lambda piece: piece.cast(pa.large_string()))
    if pd.api.types.is_object_dtype(dtype):
        return _object_column(key, column, key_indent)
    if pd.api.types.is_string_dtype(dtype):
        return _string_column(key, pa.array(column.array).cast(pa.large_string()))
    return None


def _string_column(key: str, values: pa.Array) -> _Column:
    """Strings escaped as JSON strings; quoted here only when some are missing (null
    is written without quotes), else the quotes are in the row text around them."""
    import pyarrow.compute as pc

    special = _has_special_bytes(values)
    quote = _large('"')

    def text(piece: pa.Array) -> pa.Array:
        if special:
            piece = _escaped(piece, _STRING_ESCAPES)
        if values.null_count:
            return pc.binary_join_element_wise(quote, piece, quote, _large(""))
        return piece

    return _Column(key, values, text, quoted=not values.null_count)


def _object_column(key: str, column: pd.Series, key_indent: int | None) -> _Column | None:
    """A column of strings or of tuples or lists of strings (missing values allowed):
    each distinct value is written once, then picked per row."""
    import pandas as pd
    import pyarrow as pa

    try:
        codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    except TypeError:  # an unhashable value (a dict, a set)
        return None
    texts = []
    for value in uniques:
        if isinstance(value, str):
            texts.append(_json_string(value))
        elif isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
            texts.append(_json_list([_json_string(v) for v in value], key_indent))
        else:
            return None
    try:
        choices = pa.array(texts, type=pa.large_string())
    except (UnicodeEncodeError, pa.ArrowException):  # a lone surrogate
        return None
    return _Column(key, pa.array(codes, mask=codes < 0), choices.take)


def _json_list(items: list[str], key_indent: int | None) -> str:
    if not items:
        return "[]"
    if key_indent is None:
        return "[" + ",".join(items) + "]"
    inner = "\n" + " " * (key_indent + 2)
    return "[" + inner + ("," + inner).join(items) + "\n" + " " * key_indent + "]"


def _json_string(value: str) -> str:
    return _encode_text(value)


def _large(text: str) -> pa.Scalar:
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())


def _text_of(strings: pa.Array) -> memoryview:
    """The UTF-8 bytes of a large string array's values one after another (its data
    buffer, without copying); null values count as empty."""
    import numpy as np

    if not len(strings) or strings.buffers()[2] is None:
        return memoryview(b"")
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)
    first, last = offsets[strings.offset], offsets[strings.offset + len(strings)]
    return memoryview(strings.buffers()[2])[int(first) : int(last)]


def _has_special_bytes(strings: pa.Array, special: bytes = b'"\\') -> bool:
    """Whether any text has a control character or one of the ``special`` bytes."""
    import numpy as np

    data = np.frombuffer(_text_of(strings), dtype=np.uint8)
    # One comparison per kind of byte: a few passes that numpy makes at memory speed.
    return bool((data < 0x20).any()) or any(bool((data == b).any()) for b in special)


def _write_utf8(out: TextIO, text: memoryview) -> None:
    """UTF-8 text to ``out``: straight to its byte stream when it has one that takes
    UTF-8 and lines end in "\n" here, saving a decode and an encode of every byte."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if (
        buffer is not None
        and encoding is not None
        and codecs.lookup(encoding).name == "utf-8"
        and os.linesep == "\n"
    ):
        out.flush()
        buffer.write(text)
    else:
        out.write(str(text, "utf-8"))


def _write_frame_pandas(
    frame: pd.DataFrame,
    out: TextIO,
    *,
    lines: bool,
    attributes: pd.DataFrame | None = None,
    depth: int = 0,
) -> None:
    """:func:`write_frame` for columns it does not know: pandas makes each piece's
    JSON (its dates, floats and objects), laid out as :func:`write_frame` does."""
    from ..records import attribute_dicts

    if not lines:
        out.write("[")
    for start in range(0, len(frame), PIECE_ROWS):
        piece = frame.iloc[start : start + PIECE_ROWS]
        if attributes is not None:
            piece = piece.assign(
                attributes=attribute_dicts(attributes.iloc[start : start + PIECE_ROWS])
            )
        rows = json.loads(piece.to_json(orient="records", force_ascii=False))
        if lines:
            out.writelines(line(row) + "\n" for row in rows)
        else:
            indented = _indented(rows, 2, depth)
            out.write(("" if start == 0 else ",") + indented[1 : -(2 * depth + 2)])
    if not lines:
        out.write("\n" + " " * (2 * depth) + "]" + ("" if depth else "\n"))


def render(result: Result, out: TextIO, _options: OutputOptions) -> None:
    """Write ``result`` as one indented JSON document (a long list straight from its
    columns)."""
    content = result.content
    listed = isinstance(content, dict) and content.get("projects", 0) is None
    if result.bulk is not None and listed:
        head = dumps({k: v for k, v in content.items() if k != "projects"})
        out.write(head[:-2] + ",\n  " + _key("projects") + ": ")
        write_frame(result.bulk, out, lines=False, attributes=result.attributes, depth=1)
        out.write("\n}\n")
    else:  # lists kept as columns (Rows) are written from their columns
        out.write(dumps(result.document if listed else content) + "\n")
