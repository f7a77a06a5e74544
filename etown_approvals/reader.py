"""Step 1: file -> raw table of text cells.

Reads a CSV/TSV (or Excel) file, or standard input, into a pyarrow table whose
columns are all dictionary-encoded strings. Nothing is interpreted here beyond
decoding, the delimiter and the header; every record is kept, and records the
CSV parser cannot split into the right number of fields are kept aside with
their line numbers so that they can be reported.
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .errors import EncodingError, UnreadableInputError
from .rawtable import MalformedRecord, RawTable
from .sources import COLUMNAR, WORKBOOKS, Progress, open_source

DELIMITERS = (",", ";", "\t", "|")
_TEXT = pa.dictionary(pa.int32(), pa.string())
_SNIFF_BYTES = 64 * 1024
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))


class FileBytes:
    """An input's bytes, memory-mapped (files, spooled input) or in memory (decoded text).

    Mapping instead of reading saves a copy of the whole file; the few
    operations the reader needs work on both, from ``start`` on (past a
    byte-order mark).
    """

    _CHUNK = 1 << 24

    def __init__(self, data: bytes | mmap.mmap, start: int = 0) -> None:
        self.data = data
        self.start = start

    def __len__(self) -> int:
        return len(self.data) - self.start

    def head(self, size: int) -> bytes:
        return self.data[self.start : self.start + size]

    def find(self, sub: bytes, offset: int = 0) -> int:
        found = self.data.find(sub, self.start + offset)
        return -1 if found == -1 else found - self.start

    def chunks(self, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) pieces, so that big files are never copied whole."""
        stop = len(self.data) if end is None else self.start + end
        for at in range(self.start, stop, self._CHUNK):
            yield at - self.start, self.data[at : min(at + self._CHUNK, stop)]

    def count(self, sub: bytes, end: int | None = None) -> int:
        return sum(piece.count(sub) for _, piece in self.chunks(end))

    def buffer(self) -> pa.Buffer:
        return pa.py_buffer(memoryview(self.data)[self.start :])

    def all(self) -> bytes:
        return bytes(self.data[self.start :])


def open_bytes(path: str | Path, stdin: BinaryIO | None = None) -> FileBytes:
    """The bytes of ``path`` (or of standard input for ``-``, or of a URL), decompressed."""
    return FileBytes(open_source(path, stdin=stdin).data)


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
) -> RawTable:
    """Read ``path`` (a file, ``-`` for standard input, or a URL) into a :class:`RawTable`.

    What the input holds is told by its bytes, not its name: CSV/TSV text,
    a workbook (.xlsx, .xls, .ods; ``sheet`` chooses), Parquet or Arrow,
    each possibly compressed (gzip, bzip2, xz, zstd) or the one file in a zip.
    ``encoding`` and ``delimiter`` apply to text only, ``sheet`` to workbooks only.
    ``progress`` is called as a download or decompression advances.
    """
    source = open_source(path, stdin=stdin, progress=progress)
    if source.kind in WORKBOOKS:
        from .excel import read_excel

        raw = read_excel(source.data, source=source.name, sheet=sheet)
    elif source.kind in COLUMNAR:
        from .columnar import read_columnar

        raw = read_columnar(source.data, source=source.name, kind=source.kind)
    else:
        raw = parse_csv_bytes(
            FileBytes(source.data), source=source.name, encoding=encoding, delimiter=delimiter
        )
    raw.notes[:0] = source.notes
    raw.arguments = [str(path), *raw.arguments]
    return raw


def parse_csv_bytes(
    data: bytes | FileBytes,
    *,
    source: str,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> RawTable:
    notes: list[str] = []
    text = _prepare(data if isinstance(data, FileBytes) else FileBytes(data), source, encoding)
    if _first_invalid_utf8(text, end=_SNIFF_BYTES) is not None:
        text = _require_utf8(text, source, encoding, notes)
    head = text.head(_SNIFF_BYTES).decode("utf-8", errors="replace").lstrip()
    if not head.strip():
        raise UnreadableInputError("the file is empty", source=source)
    if head[0] in "{[":
        raise UnreadableInputError("looks like JSON, not a CSV table", source=source)
    delimiter = delimiter or sniff_delimiter(head)
    headers = _read_header(head, delimiter)
    if not any(h.strip() for h in headers):
        raise UnreadableInputError("the header row is empty", source=source)
    headers = [h.strip() or f"column {i + 1}" for i, h in enumerate(headers)]
    # Allowing newlines in values costs time, and only quoted values can hold them.
    quoted = _has_quoted_values(text)
    try:  # pyarrow checks the rest of the UTF-8 as it converts, at no extra cost
        table, malformed = _parse(text, source, delimiter, len(headers), quoted)
    except _NotUtf8:
        text = _require_utf8(text, source, encoding, notes)
        quoted = _has_quoted_values(text)
        table, malformed = _parse(text, source, delimiter, len(headers), quoted)
    # Without quoted values, records are lines.
    newlines = text.count(b"\n") if quoted else None
    header_lines = _header_lines(head, delimiter)
    return RawTable(
        source=source,
        headers=headers,
        table=table,
        delimiter=delimiter,
        malformed=malformed,
        notes=notes,
        locate=lambda: _line_numbers(newlines, table, malformed, header_lines),
    )


class _NotUtf8(Exception):
    """pyarrow found bytes that are not UTF-8."""


def _prepare(data: FileBytes, source: str, encoding: str | None) -> FileBytes:
    """``data`` in UTF-8 (if another encoding is named or marked), past any byte-order mark."""
    if encoding and codecs.lookup(encoding).name != "utf-8":
        try:
            return FileBytes(data.all().decode(encoding).lstrip("\ufeff").encode("utf-8"))
        except UnicodeDecodeError as error:
            raise EncodingError(
                f"cannot be decoded as {encoding} (byte {error.start})", source=source
            ) from None
    if data.head(3) == codecs.BOM_UTF8:
        data = FileBytes(data.data, data.start + len(codecs.BOM_UTF8))
    elif data.head(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and not encoding:
        try:
            return FileBytes(data.all().decode("utf-16").encode("utf-8"))
        except UnicodeDecodeError:
            raise EncodingError("has a UTF-16 mark but does not decode", source=source) from None
    if data.find(b"\x00") != -1:
        raise UnreadableInputError(
            "contains NUL bytes: binary data, not a text table", source=source
        )
    return data


def _require_utf8(
    data: FileBytes, source: str, encoding: str | None, notes: list[str]
) -> FileBytes:
    """``data`` if it is UTF-8, else GB18030 text that is clearly Chinese, else an error."""
    bad = _first_invalid_utf8(data)
    if bad is None:
        return data
    line = data.count(b"\n", bad) + 1
    if encoding:  # the user said UTF-8
        raise EncodingError(
            f"is not valid UTF-8 (line {line}); for Chinese exports try --encoding gb18030",
            source=source,
        )
    text = _decode_gb18030(data.all())
    if text is None:
        raise EncodingError(
            f"is not valid UTF-8 (line {line}); give its encoding, e.g. --encoding gb18030",
            source=source,
        )
    notes.append(f"{source}: not UTF-8; read as GB18030 (give --encoding to choose)")
    return FileBytes(text.encode("utf-8"))


def _first_invalid_utf8(data: FileBytes, end: int | None = None) -> int | None:
    """Offset of the first byte (before ``end``) that is not valid UTF-8, piece by piece.

    A character cut by ``end`` is not counted as invalid.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    total = len(data) if end is None else min(end, len(data))
    final_piece = end is None or end >= len(data)
    for offset, piece in data.chunks(total):
        if piece.isascii() and not decoder.getstate()[0]:  # the common case, at memory speed
            continue
        try:
            decoder.decode(piece, final=final_piece and offset + len(piece) >= total)
        except UnicodeDecodeError as error:
            return offset + error.start
    return None


def _decode_gb18030(data: bytes) -> str | None:
    """Decode ``data`` as GB18030 if that is clearly what it is.

    GB18030 maps almost any byte string to some text, so decoding alone proves
    nothing: the file must also be mostly CJK ideographs where it is not ASCII.
    """
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return None
    cjk = sum(1 for c in non_ascii if any(lo <= ord(c) <= hi for lo, hi in _CJK_RANGES))
    return text if cjk / len(non_ascii) >= 0.9 else None


def sniff_delimiter(head: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    first_line = head.splitlines()[0] if head else ""
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _read_header(head: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(head), delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


def _header_lines(head: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    try:
        next(reader)
    except (StopIteration, csv.Error):
        return 1
    return max(reader.line_num, 1)


def _parse(
    data: FileBytes, source: str, delimiter: str, width: int, quoted: bool
) -> tuple[pa.Table, list[MalformedRecord]]:
    names = [f"c{i}" for i in range(width)]
    malformed: list[MalformedRecord] = []

    def keep_aside(row: pa_csv.InvalidRow) -> str:
        malformed.append(
            MalformedRecord(row.number, row.text, row.expected_columns, row.actual_columns)
        )
        return "skip"

    def attempt(use_threads: bool, block_size: int) -> pa.Table:
        malformed.clear()
        return pa_csv.read_csv(
            data.buffer(),
            read_options=pa_csv.ReadOptions(
                use_threads=use_threads,
                block_size=block_size,
                column_names=names,
                skip_rows=1,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=quoted,
                ignore_empty_lines=False,
                invalid_row_handler=keep_aside,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: _TEXT for n in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )

    block_size = 1 << 22
    while True:
        try:
            table = attempt(True, block_size)
            if malformed:  # only a single-threaded read knows their line numbers
                table = attempt(False, block_size)
            break
        except pa.ArrowInvalid as error:
            message = str(error)
            if "invalid UTF8" in message:
                raise _NotUtf8 from None
            if "straddling" in message and block_size < len(data) + 1:
                block_size = min(block_size * 8, len(data) + 1)
                continue
            raise UnreadableInputError(
                "is not a readable CSV table: " + message.splitlines()[0].strip(),
                source=source,
            ) from None
    return table.unify_dictionaries().combine_chunks(), malformed


def _has_quoted_values(data: FileBytes) -> bool:
    """Whether any quote comes after the header line (quoted headers are common and harmless)."""
    return data.find(b'"', data.find(b"\n") + 1) != -1


def _line_numbers(
    newlines: int | None, table: pa.Table, malformed: list[MalformedRecord], header_lines: int
) -> np.ndarray:
    """Line numbers of the records, filling in those of the malformed records too.

    pyarrow numbers a malformed record by its position among all records
    (header = 1); a line number also counts the newlines inside quoted values.
    """
    n = table.num_rows
    ordinals = np.arange(2, n + 2, dtype=np.int64)
    for record in sorted(malformed, key=lambda m: m.ordinal or 0):
        if record.ordinal is not None:
            ordinals[np.searchsorted(ordinals, record.ordinal) :] += 1
    extra_header = header_lines - 1
    expected = header_lines + n + sum(1 + m.text.count("\n") for m in malformed)
    if newlines is None or newlines <= expected:
        for record in malformed:
            record.line = None if record.ordinal is None else record.ordinal + extra_header
        return ordinals + extra_header
    # Quoted values span lines: shift each record by the newlines inside those before it.
    inside = np.zeros(n, dtype=np.int64)
    for column in table.columns:
        array = column.chunk(0)
        per_value = pc.count_substring(array.dictionary, "\n").to_numpy(zero_copy_only=False)
        if len(per_value) == 0 or not per_value.any():
            continue
        indices = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        inside += np.append(per_value, 0)[indices]
    all_ordinals = np.concatenate([ordinals, [m.ordinal or 0 for m in malformed]]).astype(np.int64)
    all_inside = np.concatenate([inside, [m.text.count("\n") for m in malformed]]).astype(np.int64)
    order = np.argsort(all_ordinals, kind="stable")
    before = np.zeros(len(order), dtype=np.int64)
    before[order] = np.concatenate([[0], np.cumsum(all_inside[order])[:-1]])
    lines = all_ordinals + extra_header + before
    for i, record in enumerate(malformed):
        record.line = None if record.ordinal is None else int(lines[n + i])
    return lines[:n]
