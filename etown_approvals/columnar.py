"""Reading Parquet and Arrow (IPC file, stream, Feather) tables into a raw table.

Each column becomes dictionary-encoded text, as a CSV column is, and each
distinct value is formatted once: dates as ISO 8601; timestamps as local
date-times (the wall-clock time of their time zone, the date part being what
counts) or, at midnight, as dates; numbers as pyarrow writes them (``1.0`` as
``1``); nested values as JSON. So a Parquet file gives the same results as the
CSV of the same data. An unnamed index that pandas stored (``__index_level_0__``)
is left out, as ``to_csv(index=False)`` would. Row numbers count the header as
row 1, as in that CSV.
"""

from __future__ import annotations

import json
import mmap
import re
import warnings
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import UnreadableInputError
from .i18n import N_
from .i18n import gettext as _
from .rawtable import RawTable
from .sources import Kind

_LABELS = {
    Kind.PARQUET: N_("is not a readable Parquet file ({reason})"),
    Kind.ARROW: N_("is not a readable Arrow (Feather) file ({reason})"),
    Kind.ARROW_STREAM: N_("is not a readable Arrow stream ({reason})"),
    Kind.FEATHER_V1: N_("is not a readable Feather file ({reason})"),
}


def read_columnar(data: bytes | mmap.mmap, *, source: str, kind: Kind) -> RawTable:
    """The table in ``data`` (``kind`` says which format) as text cells."""
    table = _read(pa.py_buffer(data), source, kind)
    table = table.drop_columns(_unnamed_index_columns(table))
    if table.num_columns == 0:
        raise UnreadableInputError("has no columns", source=source)
    headers = [name.strip() or f"column {i + 1}" for i, name in enumerate(table.column_names)]
    columns = {
        f"c{i}": _as_text(table.column(i), headers[i], source) for i in range(table.num_columns)
    }
    return RawTable(source=source, headers=headers, table=pa.table(columns))


def _unnamed_index_columns(table: pa.Table) -> list[str]:
    """Columns pandas added for an unnamed index (``__index_level_0__``): not the data's."""
    metadata = table.schema.pandas_metadata or {}
    return [
        name
        for name in metadata.get("index_columns", [])
        if isinstance(name, str)
        and re.fullmatch(r"__index_level_\d+__", name)
        and name in table.column_names
    ]


def _read(buffer: pa.Buffer, source: str, kind: Kind) -> pa.Table:
    try:
        if kind is Kind.PARQUET:
            import pyarrow.parquet as pq

            # The file's own reader, not the datasets one (pq.read_table), which cannot
            # tell two columns of one name apart: the raw table renames the second.
            return pq.ParquetFile(pa.BufferReader(buffer)).read()
        if kind is Kind.ARROW:
            return pa.ipc.open_file(buffer).read_all()
        if kind is Kind.ARROW_STREAM:
            return pa.ipc.open_stream(buffer).read_all()
        import pyarrow.feather as feather

        with warnings.catch_warnings():  # version 1 is deprecated, but its files are still met
            warnings.simplefilter("ignore", DeprecationWarning)
            return feather.read_table(pa.BufferReader(buffer))
    except (pa.ArrowException, OSError, ValueError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise UnreadableInputError(_(_LABELS[kind]).format(reason=reason), source=source) from None


def _as_text(column: pa.ChunkedArray, header: str, source: str) -> pa.DictionaryArray:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return text_column(array, header=header, source=source)


def text_column(array: pa.Array, *, header: str, source: str) -> pa.DictionaryArray:
    """``array`` as dictionary-encoded strings, formatting each distinct value once."""
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    if not pa.types.is_dictionary(array.type):
        if pa.types.is_null(array.type):
            return pa.DictionaryArray.from_arrays(
                pa.nulls(len(array), pa.int32()), pa.array([], pa.string())
            )
        array = pc.dictionary_encode(array) if _hashable(array.type) else _encode_slowly(array)
    values = _format(array.dictionary, header, source)
    indices = array.indices.cast(pa.int32())
    encoded = pa.DictionaryArray.from_arrays(indices, values)
    if pc.count_distinct(values, mode="all").as_py() < len(values):
        # Formatting joined distinct values (instants within one second): encode again.
        encoded = pc.dictionary_encode(encoded.cast(pa.string()))
    return encoded


def _hashable(kind: pa.DataType) -> bool:
    return not (
        pa.types.is_nested(kind)
        or pa.types.is_dictionary(kind)
        or isinstance(kind, pa.ExtensionType)
    )


def _encode_slowly(array: pa.Array) -> pa.DictionaryArray:
    """Nested values (lists, structs, maps) as one JSON string per row, dictionary-encoded."""
    texts = [
        None if value is None else json.dumps(value, ensure_ascii=False, default=str)
        for value in array.to_pylist()
    ]
    return pc.dictionary_encode(pa.array(texts, pa.string()))


def _format(values: pa.Array, header: str, source: str) -> pa.Array:
    """Distinct values as text the date reader and the loader understand."""
    kind = values.type
    if pa.types.is_string(kind):
        return values
    if pa.types.is_timestamp(kind):
        return _timestamps(values)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        try:
            return values.cast(pa.string())
        except pa.ArrowInvalid:
            raise UnreadableInputError(
                f"column {header!r} holds binary data, not text", source=source
            ) from None
    if pa.types.is_floating(kind):
        return _floats(values)
    if pa.types.is_duration(kind) or pa.types.is_time(kind):
        return pa.array([_python_text(v) for v in values.to_pylist()], pa.string())
    try:
        return values.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([_python_text(v) for v in values.to_pylist()], pa.string())


def _floats(values: pa.Array) -> pa.Array:
    """Numbers as pyarrow writes them, but whole numbers with every digit: pyarrow
    writes 123456789012345.0 as 1.23456789012345e+14, and a permit number is text."""
    text = values.cast(pa.string())
    whole = pc.and_(pc.is_finite(values), pc.equal(pc.floor(values), values))
    spelled = pc.and_(whole, pc.match_substring(text, "e"))
    at = np.flatnonzero(pc.fill_null(spelled, False).to_numpy(zero_copy_only=False))
    if at.size == 0:
        return text
    texts = text.to_pylist()
    for i in at:
        texts[i] = str(int(values[int(i)].as_py()))
    return pa.array(texts, pa.string())


def _timestamps(values: pa.Array) -> pa.Array:
    """Wall-clock date-times in the values' own time zone; dates alone at midnight."""
    local = pc.local_timestamp(values) if values.type.tz else values
    seconds = local.cast(pa.timestamp("s"), safe=False)
    day = pc.floor_temporal(local, unit="day")
    midnight = pc.equal(day, local)
    dates = day.cast(pa.timestamp("s")).cast(pa.date32()).cast(pa.string())
    full = pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S")
    return pc.if_else(midnight, dates, full)


def _python_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
