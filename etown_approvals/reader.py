"""Step 1: file -> raw table of text cells.

Reads a CSV/TSV (or Excel) file, or standard input, into a pyarrow table whose
columns are all dictionary-encoded strings. Nothing is interpreted here beyond
decoding, the delimiter and the header; every record is kept, and records the
CSV parser cannot split into the right number of fields are kept aside with
their line numbers so that they can be reported.

Line numbers are those a text editor shows: blank lines before the header, a
header whose quoted names span lines, and quoted values that span lines are
all counted; ``\\n``, ``\\r\\n`` and a lone ``\\r`` (classic Mac) each end a line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import mmap
import os
import re
import stat
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from . import _lazy
from .errors import EncodingError, UnreadableInputError, UsageError
from .i18n import gettext as _
from .i18n import ngettext
from .options import InputLimits
from .rawtable import EmptyLines, MalformedRecord, RawTable, source_name
from .shape import SEARCH_ROWS, HeaderHint, SampleRow, choose_header, header_note, plain_header
from .sources import COLUMNAR, WORKBOOKS, Progress, is_plain_text, is_url, open_source

DELIMITERS = (",", ";", "\t", "|")
_TEXT = pa.dictionary(pa.int32(), pa.string())
_SNIFF_BYTES = 64 * 1024
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:\r\n|\r|\n))*")
_QUOTED_VALUE = re.compile(rb'"[^"]*(?:""[^"]*)*"')
#: C0 control characters other than tab, line feed, vertical tab, form feed,
#: carriage return and escape: text tables do not contain them, binary files do.
_CONTROL_BYTES = bytes([*range(1, 9), *range(14, 27), *range(28, 32)])
_JSON_START = re.compile(r'\s*(?:\{\s*(?:"|\})|\[\s*(?:[\[{"\]]|-?\d|true\b|false\b|null\b))')
#: Words and date spellings that only Chinese text has: a file decoded as
#: GB18030 must show one of them (or be recognised as Chinese by the detector).
_CHINESE_EVIDENCE = re.compile(
    r"项目|公司|有限|日期|许可|审批|建设|工程|土地|规划|施工|备案|立项|核准|拿地|摘牌|事项|办理"
    r"|\d\s*年\s*\d{1,2}\s*月"
)
_NOT_CJK = re.compile(r"[^\x00-\x7f\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\uff00-\uffef]")
_CHINESE_ENCODINGS = {"gb18030", "gbk", "gb2312", "hz"}
#: The encodings suggested for a file that is not UTF-8: those exports are
#: written in, so that the detector does not name rare code pages.
_COMMON_ENCODINGS = [
    "gb18030", "big5", "cp932", "euc_jp", "cp949", "cp1252", "iso8859_15", "cp1250",
    "iso8859_2", "cp1251", "koi8_r", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
    "cp874", "mac_roman", "cp437", "cp850",
]  # fmt: skip


class FileBytes:
    """An input's bytes, in memory or memory-mapped (a private spooled copy), from
    ``start`` on (past a byte-order mark or skipped lines).

    The few operations the reader needs work piece by piece where a whole
    copy of a large file would be wasteful.
    """

    _CHUNK = 1 << 24

    def __init__(self, data: bytes, start: int = 0) -> None:
        self.data = data
        self.start = start

    def __len__(self) -> int:
        return len(self.data) - self.start

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes."""
        return self.data[self.start : self.start + size]

    def find(self, sub: bytes, offset: int = 0) -> int:
        """Where ``sub`` first occurs from ``offset`` (-1: nowhere)."""
        found = self.data.find(sub, self.start + offset)
        return -1 if found == -1 else found - self.start

    def chunks(self, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) pieces, so that big files are never copied whole."""
        stop = len(self.data) if end is None else self.start + end
        for at in range(self.start, stop, self._CHUNK):
            yield at - self.start, self.data[at : min(at + self._CHUNK, stop)]

    def count(self, sub: bytes, end: int | None = None) -> int:
        """How often ``sub`` occurs before ``end``."""
        return sum(piece.count(sub) for _, piece in self.chunks(end))

    def buffer(self) -> pa.Buffer:
        """The bytes as a pyarrow buffer (no copy)."""
        return pa.py_buffer(memoryview(self.data)[self.start :])

    def all(self) -> bytes:
        """Every byte."""
        return self.data if self.start == 0 else self.data[self.start :]

    def skip(self, size: int) -> FileBytes:
        """The bytes after the first ``size``."""
        return FileBytes(self.data, self.start + size)


def open_bytes(path: str | Path, stdin: BinaryIO | None = None) -> FileBytes:
    """The bytes of ``path`` (or of standard input for ``-``, or of a URL), decompressed."""
    return FileBytes(_as_bytes(open_source(path, stdin=stdin).data))


def _as_bytes(data: bytes | mmap.mmap) -> bytes:
    """The text reader works on bytes; a spooled copy (standard input, a download,
    decompressed data) is mapped, so it is read into memory once here."""
    return data if isinstance(data, bytes) else data[:]


def check_encoding(encoding: str | None) -> str | None:
    """The codec name of a text encoding given by the user, or :class:`UsageError`.

    Python's codec registry also holds codecs that are not text encodings
    (``hex``, ``zlib``, ``rot13``); decoding bytes with them fails, so they are
    refused here like unknown names.
    """
    if encoding is None:
        return None
    try:
        name = codecs.lookup(encoding).name
        b"a".decode(encoding, errors="ignore")  # (empty bytes skip the codec check)
    except (LookupError, ValueError, TypeError):
        raise UsageError(
            f"encoding {encoding!r} is not a text encoding etown knows "
            "(e.g. utf-8, gb18030, cp1252, latin-1, shift_jis, utf-16)"
        ) from None
    return name


def check_delimiter(delimiter: str | None) -> str | None:
    """``delimiter`` if it can separate fields, else :class:`UsageError`.

    The CSV parser splits bytes, so a delimiter is one ASCII character; a line
    break or a quote would change how records and values are found.
    """
    if delimiter is None:
        return None
    if (
        len(delimiter) != 1
        or not delimiter.isascii()
        or delimiter in '\r\n"\x00'
        or not (delimiter.isprintable() or delimiter == "\t")
    ):
        raise UsageError(
            f"delimiter {delimiter!r}: give one ASCII character other than a quote or "
            "a line break (e.g. , ; | or tab)"
        )
    return delimiter


@dataclass(frozen=True)
class ColumnChoice:
    """The columns to parse now (the others only if asked for, :meth:`RawTable.column`)."""

    positions: Collection[int]
    #: Of those, columns read as plain text instead of dictionary-encoded: columns
    #: whose values are nearly all distinct (a wide export's timestamps), where a
    #: dictionary is only extra work. Readers that read the file whole ignore it.
    plain: Collection[int] = ()
    #: Of those, columns with many distinct values (project names) read as plain
    #: text and dictionary-encoded once afterwards: one hash pass instead of a
    #: dictionary per block of the file and their unification.
    encode_after: Collection[int] = ()


#: Given the header's column names, the columns to parse now (None: all, encoded).
Select = Callable[[list[str]], ColumnChoice | None]


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    select: Select | None = None,
    header: HeaderHint | None = None,
    limits: InputLimits | None = None,
) -> RawTable:
    """Read ``path`` (a file, ``-`` for standard input, or a URL) into a :class:`RawTable`.

    What the input holds is told by its bytes, not its name: CSV/TSV text,
    a workbook (.xlsx, .xls, .ods; ``sheet`` chooses), Parquet or Arrow,
    each possibly compressed (gzip, bzip2, xz, zstd) or the one file in a zip.
    ``encoding`` and ``delimiter`` apply to text only, ``sheet`` to workbooks only.
    ``progress`` is called as a download or decompression advances; ``limits``
    bound what a stream may bring (see :func:`~etown_approvals.sources.open_source`).

    ``select`` may name the columns to parse now: a plain UTF-8 text file is
    then parsed straight from disk, those columns only (the others when asked
    for), which is what makes wide exports fast. Every other input is read
    whole, as is a text file with something unusual in it (NUL bytes, bytes
    that are not UTF-8, a byte-order mark other than UTF-8's, values that span
    lines in columns not parsed).
    """
    if (
        PARSE_FROM_DISK
        and stdin is None
        and str(path) != "-"
        and not is_url(path)
        and encoding in _UTF8_NAMES
    ):
        fast = _read_plain_file(Path(path), source_name(path), delimiter, select, encoding, header)
        if fast is not None:
            fast.arguments = [str(path), *_reading_words(encoding, delimiter, header, limits)]
            return fast
    source = open_source(path, stdin=stdin, progress=progress, limits=limits)
    if source.kind in WORKBOOKS:
        from .excel import read_excel

        raw = read_excel(source.data, source=source.name, sheet=sheet, header=header, limits=limits)
    elif source.kind in COLUMNAR:
        from .columnar import read_columnar

        raw = read_columnar(source.data, source=source.name, kind=source.kind)
    else:
        raw = parse_csv_bytes(
            FileBytes(_as_bytes(source.data)),
            source=source.name,
            encoding=encoding,
            delimiter=delimiter,
            header=header,
        )
    raw.notes[:0] = source.notes
    raw.arguments = [
        str(path),
        *_reading_words(encoding, delimiter, header, limits),
        *raw.arguments,
    ]
    return raw


def _reading_words(
    encoding: str | None,
    delimiter: str | None,
    header: HeaderHint | None,
    limits: InputLimits | None,
) -> list[str]:
    """The options given that say how this file is read, for commands in hints (the
    sheet chosen is added by the workbook reader)."""
    from .options import reading_words

    return reading_words(
        encoding=encoding,
        delimiter=delimiter,
        header_row=header.row if header else None,
        limits=limits,
    )


#: Whether plain text files are parsed straight from disk (see :func:`read_table`);
#: the other way, which reads every file whole, gives the same table.
PARSE_FROM_DISK = True
_UTF8_NAMES = (None, "utf-8", "utf8", "utf-8-sig", "UTF-8")
_SCAN_CHUNK = 1 << 24


def _plain_head(path: Path) -> tuple[int, int, bytes] | None:
    """(size, start past a UTF-8 byte-order mark, first bytes) of a regular file whose
    first bytes are plain UTF-8 text; None if it needs the general reader.

    That is a file that is empty, compressed or not text, or that starts with a
    byte-order mark other than UTF-8's (those are dealt with, and explained, on
    the way that reads the file whole).
    """
    try:
        # Looked at before opening: opening a FIFO would take what its writer sends.
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
                return None
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return None  # the general reader says what is wrong
    start = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if (
        not is_plain_text(head)
        or head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        or _first_invalid_utf8(FileBytes(head, start), end=len(head)) is not None
    ):
        return None
    return info.st_size, start, head


@dataclass
class _Scan:
    """What one pass over a text file's bytes tells (None from :func:`_scan_body`:
    NUL bytes, or the file could not be read to its end)."""

    #: A quote character past the first ``_SNIFF_BYTES`` bytes.
    quote_past_head: bool
    #: Line breaks in the whole file (``\n``, ``\r\n`` and a lone ``\r`` each count once).
    line_breaks: int
    ends_with_break: bool


def _scan_body(path: Path) -> _Scan | None:
    """One pass over the file in pieces (never held in memory), beside the parse."""
    quote_past_head, breaks = False, 0
    previous_cr, last = False, b""
    try:
        with open(path, "rb") as handle:
            piece = handle.read(_SNIFF_BYTES)
            first = True
            while piece:
                if b"\x00" in piece:
                    return None
                quote_past_head = quote_past_head or (not first and b'"' in piece)
                codes = np.frombuffer(piece, dtype=np.uint8)
                breaks += int(np.count_nonzero(codes == 0x0A))
                if b"\r" in piece:  # \r\n counts once, a lone \r once
                    breaks += piece.count(b"\r") - piece.count(b"\r\n")
                if previous_cr and piece[:1] == b"\n":  # a \r\n cut between two pieces
                    breaks -= 1
                previous_cr = piece[-1:] == b"\r"
                last = piece[-1:]
                piece, first = handle.read(_SCAN_CHUNK), False
    except OSError:
        return None
    return _Scan(quote_past_head, breaks, last in (b"\n", b"\r"))


#: How far from the end of a file its last empty lines are looked for first.
_TAIL = 64 * 1024


def _file_empty_lines(
    path: Path, body_start: int, first_line: int, size: int, line_breaks: int, wanted: int
) -> EmptyLines | None:
    """The empty lines of a file from ``body_start`` (line ``first_line``) on, when the
    parse's records and the scan's ``line_breaks`` say ``wanted`` lines are missing.

    Looked for in the file's last bytes first (a file ending in a blank line is
    common), then in the whole body, a piece at a time; None if it cannot be read.
    """
    try:
        with open(path, "rb") as handle:
            start = max(body_start, size - _TAIL)
            handle.seek(start)
            tail = handle.read()
            # From a line's start: just past a line feed (a \r\n is never cut).
            cut = 0 if start == body_start else tail.find(b"\n") + 1
            if cut > 0:
                tail = tail[cut:]
                before = line_breaks - _count_line_breaks(tail)  # (the tail's first line)
                finder = _EmptyLineFinder(1 + before)
                finder.feed(tail)
                found = finder.found()
                if found.total == wanted:
                    return found
            handle.seek(body_start)
            finder = _EmptyLineFinder(first_line)
            while piece := handle.read(_SCAN_CHUNK):
                finder.feed(piece)
            return finder.found()
    except OSError:
        return None


#: The piece of text whose empty lines are found at once (its temporary arrays are
#: a few times its size).
_EMPTY_PIECE = 1 << 20


class _EmptyLineFinder:
    """Finds the empty lines of a text fed piece by piece, from line ``first_line``."""

    def __init__(self, first_line: int) -> None:
        self._previous = 0x0A  # the text starts a line
        self._line = first_line - 1  # the line of the last line start seen
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def feed(self, piece: bytes) -> None:
        """Look at the next ``piece`` of text."""
        if not piece:
            return
        codes = np.frombuffer(piece, dtype=np.uint8)
        line_feeds = codes == 0x0A
        previous, first, last = self._previous, piece[0], piece[-1]
        # Only a line break right after a line break starts an empty line: most text has
        # none, which its line feeds tell at once (text with \r is looked at in full).
        if (
            b"\r" in piece
            or (previous == 0x0A and first == 0x0A)
            or bool(np.any(line_feeds[1:] & line_feeds[:-1]))
        ):
            for at in range(0, len(piece), _EMPTY_PIECE):
                self._feed(codes[at : at + _EMPTY_PIECE])
            return
        # The lines that start in the piece: after each \n (the piece's last byte not
        # counted, the byte before it counted).
        self._line += int(np.count_nonzero(line_feeds)) - (last == 0x0A)
        self._line += previous == 0x0A or (previous == 0x0D and first != 0x0A)
        self._previous = last

    def _feed(self, codes: np.ndarray) -> None:
        previous = np.empty_like(codes)
        previous[0] = self._previous
        previous[1:] = codes[:-1]
        # A line starts after \n, and after a \r that no \n follows.
        starts = (previous == 0x0A) | ((previous == 0x0D) & (codes != 0x0A))
        empty = starts & ((codes == 0x0A) | (codes == 0x0D))
        if empty.any():
            self._runs.append(_runs(self._line + np.cumsum(starts, dtype=np.int64)[empty]))
        self._line += int(np.count_nonzero(starts))
        self._previous = int(codes[-1])

    def found(self) -> EmptyLines:
        if not self._runs:
            return EmptyLines()
        firsts = np.concatenate([f for f, _ in self._runs])
        counts = np.concatenate([c for _, c in self._runs])
        # Runs cut between two pieces are one run.
        starts = np.flatnonzero(np.append(True, firsts[1:] != firsts[:-1] + counts[:-1]))
        return EmptyLines(firsts[starts], np.add.reduceat(counts, starts))


def _runs(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending line numbers as runs of consecutive lines: (first lines, lengths)."""
    starts = np.flatnonzero(np.append(True, np.diff(lines) != 1))
    return lines[starts], np.diff(np.append(starts, lines.size))


def _in_background(function: Callable[[], _Scan | None]) -> Callable[[], _Scan | None]:
    """Run ``function`` in a thread now; the returned callable waits for its result.

    The scan reads and counts while pyarrow parses (both release the GIL), so
    on two cores it costs next to nothing.
    """
    result: list[_Scan | None] = [None]

    def run() -> None:
        result[0] = function()

    thread = threading.Thread(target=run, name="etown-scan", daemon=True)
    thread.start()

    def wait() -> _Scan | None:
        thread.join()
        return result[0]

    return wait


def _read_plain_file(
    path: Path,
    source: str,
    delimiter: str | None,
    select: Select | None,
    encoding: str | None = None,
    hint: HeaderHint | None = None,
) -> RawTable | None:
    """A plain UTF-8 text file parsed by pyarrow from disk, the selected columns only.

    None when the file needs the general reader (see :func:`read_table`); the
    general reader then reads it again and explains whatever is wrong.
    """
    delimiter = check_delimiter(delimiter)
    opened = _plain_head(path)
    if opened is None:
        return None
    size, start, head = opened
    skipped = _LEADING_BLANK_LINES.match(head, start)
    if size - (skipped.end() if skipped else start) <= _SNIFF_BYTES < size:
        return None  # small, but past the head: the general reader sees it all at once
    try:
        header = _whole_header(path, size, start, head, source, delimiter, hint)
    except (UnreadableInputError, UsageError, _NotUtf8, _BeyondHead):
        return None  # the general reader reads the file whole and says what is wrong
    if header is None:
        return None
    delimiter, header_end = header.delimiter, header.end
    first_data_line = header.first_data_line
    raw = RawTable(source=source, headers=header.names, table=pa.table({}), delimiter=delimiter)
    raw.notes.extend(header.notes)
    raw.header_row = header.row
    width = len(raw.headers)
    choice = select(list(raw.headers)) if select is not None else None
    positions = sorted(set(range(width) if choice is None else choice.positions)) or [0]
    plain = set(choice.plain) if choice is not None else set()
    encode_after = set(choice.encode_after) if choice is not None else set()
    # Allowing newlines in values costs time (pyarrow then finds where records end
    # on one thread), and only quoted values can hold them. So the file is parsed
    # with every line break ending a record, while the scan looks at every byte.
    # Within each piece pyarrow parses, a value over lines makes a record of
    # several lines, which the count of line breaks finds; with quotes in the
    # file, the lines where pieces are cut are read here too, and the file is
    # parsed again allowing newlines in values unless they end outside quotes.
    quoted = False
    blocks: list[int] = []
    scanned = _in_background(lambda: _scan_body(path))

    def parse(columns: list[int]) -> tuple[pa.Table, list[MalformedRecord]]:
        return _parse(
            _FileRange(path, header_end),
            source,
            delimiter,
            width,
            quoted,
            columns=columns,
            size=size - header_end,
            plain=plain,
            encode_after=encode_after,
            used_block_size=blocks,
            skip_empty=True,
        )

    try:
        table, found = parse(positions)
    except (_NotUtf8, UnreadableInputError):
        scanned()
        return None  # the general reader reads it again and says what is wrong
    facts = scanned()
    if facts is None:
        return None  # NUL bytes: the general reader drops them, and says so
    if b'"' in head[header_end:] or facts.quote_past_head:
        if not _lines_end_outside_quotes(path, header_end, size, [size], delimiter):
            return None  # perhaps a quote the end of the file closes: the general reader says
        # pyarrow cuts the file at the last line break of each piece it reads; a quote
        # open there is what a parse of a line per record cannot see by itself.
        cuts = range(header_end + blocks[-1], size, blocks[-1])
        if any(not m.blank for m in found) or not _lines_end_outside_quotes(
            path, header_end, size, cuts, delimiter
        ):
            quoted = True
            try:
                table, found = parse(positions)
            except (_NotUtf8, UnreadableInputError):
                return None
    blank = [m for m in found if m.blank]
    malformed = [m for m in found if not m.blank]
    records = table.num_rows + len(found)
    body_breaks = facts.line_breaks - (first_data_line - 1)
    # As many line breaks as records (and the empty lines the parse skipped): no value
    # holds one, each record is one line. Without empty lines the counts say so at
    # once; with some, they are found in the bytes, and must be the lines missing.
    empty = EmptyLines()
    missing = body_breaks - records + (0 if facts.ends_with_break or records == 0 else 1)
    if missing > 0:
        found_empty = _file_empty_lines(
            path, header_end, first_data_line, size, facts.line_breaks, missing
        )
        empty = found_empty if found_empty is not None else empty
    lines = records + empty.total
    one_line_each = body_breaks == lines - (0 if facts.ends_with_break or lines == 0 else 1)
    if not one_line_each:
        # Values span lines: the general reader checks their quotes, and sees the
        # line breaks in columns not parsed here.
        return None

    def parse_more(more: list[int]) -> pa.Table:
        try:
            extra, _ = parse(more)
        except _NotUtf8:
            raise _encoding_error(path, source, encoding) from None
        except OSError:  # gone, or no longer a file
            extra = None
        if extra is None or extra.num_rows != table.num_rows:
            raise UnreadableInputError("the file changed while it was read", source=source)
        return extra

    raw.table = table
    raw.malformed = malformed
    raw.blank_records = blank
    raw.empty_lines = empty
    raw.locate = lambda: _line_numbers(table, found, first_data_line, quoted=False, empty=empty)[0]
    raw.parse_more = parse_more
    return raw


def _whole_header(
    path: Path,
    size: int,
    start: int,
    head: bytes,
    source: str,
    delimiter: str | None,
    hint: HeaderHint | None,
) -> _Header | None:
    """The header of the file whose first bytes are ``head``, read further (four times
    as far each time) while the header goes on past them: a file of many columns has a
    header longer than the first bytes. None when the bytes read further are not UTF-8."""
    while True:
        whole = len(head) >= size
        try:
            header = _find_header(FileBytes(head, start), source, delimiter, whole=whole, hint=hint)
        except (_NotUtf8, _BeyondHead):  # the head ends inside a header that goes on
            if whole:
                raise
        else:
            if header.end < len(head) or whole:
                return header
        try:
            with open(path, "rb") as handle:
                head = handle.read(min(size, 4 * len(head)))
        except OSError:
            return None
        if _first_invalid_utf8(FileBytes(head, start), end=len(head)) is not None:
            return None


#: Columns converted in one parse (see ``_parse``).
_COLUMN_GROUP = 8192
#: How far back from the end of a piece its last line is looked for.
_CUT_WINDOW = 64 * 1024
#: The pieces pyarrow parses a file in (one thread each); grown for a record longer.
_BLOCK_SIZE = 1 << 22


def _lines_end_outside_quotes(
    path: Path, start: int, size: int, ends: Iterable[int], delimiter: str
) -> bool:
    """Whether the lines around each of ``ends`` read as whole RFC 4180 fields, so that
    they end outside quotes: a quote only opening a field, closing it or doubled
    inside it. ``start`` is where the first line starts.

    Two lines per offset of ``ends``: the last one ending before it, and the one it
    falls in (at ``size``, the file's last line). Anything else (a stray quote, a
    line longer than :data:`_CUT_WINDOW`, no line break in reach) answers no.
    """
    field = rb'(?:"(?:[^"]|"")*"|[^"' + re.escape(delimiter.encode()) + rb"\r\n]*)"
    whole = re.compile(field + rb"(?:" + re.escape(delimiter.encode()) + field + rb")*")
    try:
        with open(path, "rb") as handle:
            return all(_lines_whole(handle.fileno(), start, size, end, whole) for end in ends)
    except OSError:
        return False


def _lines_whole(
    descriptor: int, start: int, size: int, end: int, whole: re.Pattern[bytes]
) -> bool:
    """See :func:`_lines_end_outside_quotes`: the lines around offset ``end``."""
    low = max(start, end - _CUT_WINDOW)
    high = min(size, end + _CUT_WINDOW)
    window = os.pread(descriptor, high - low, low)
    at = end - low
    if end == size and not window.endswith((b"\n", b"\r")):
        cut = len(window)  # the last line has no line break
    else:
        cut = max(window.rfind(b"\n", 0, at), window.rfind(b"\r", 0, at))
    if cut < 0:
        return False
    following = cut + 1  # where the line ``end`` falls in starts
    if window[cut - 1 : cut + 1] == b"\r\n":
        cut -= 1
    line_start = max(window.rfind(b"\n", 0, cut), window.rfind(b"\r", 0, cut)) + 1
    if line_start == 0 and low > start:
        return False  # a line longer than the window
    if not whole.fullmatch(window, line_start, cut):
        return False
    if end >= size or following >= len(window):
        return True  # the end of the file: no line after it
    if window[following - 1 : following + 1] == b"\r\n":
        following += 1  # the \n of a \r\n
    breaks = [p for p in (window.find(b"\n", following), window.find(b"\r", following)) if p >= 0]
    if not breaks:
        return high == size and whole.fullmatch(window, following) is not None
    return whole.fullmatch(window, following, min(breaks)) is not None


def _encoding_error(path: Path, source: str, encoding: str | None) -> UnreadableInputError:
    """The error the general reader gives for a file with bytes that are not UTF-8.

    Found late, in a column parsed after the others: a file that would have been
    read as GB18030 cannot be any more, so that error names the encoding to give.
    """
    try:
        data = FileBytes(path.read_bytes())
    except OSError:
        return UnreadableInputError("the file changed while it was read", source=source)
    if data.head(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8:
        data = data.skip(len(codecs.BOM_UTF8))
    for said in (check_encoding(encoding), "utf-8"):
        try:
            _require_utf8(data, source, said, [])
        except EncodingError as error:
            return error
    return UnreadableInputError("the file changed while it was read", source=source)


@dataclass(frozen=True)
class _FileRange:
    """A file from ``offset`` on, as pyarrow reads it (in blocks, from disk)."""

    path: Path
    offset: int

    def open(self) -> pa.NativeFile:
        # As bytes: a file name need not be UTF-8 (os.fsencode undoes the escapes).
        stream = pa.OSFile(os.fsencode(self.path), "r")
        stream.seek(self.offset)
        return stream


def parse_csv_bytes(
    data: bytes | FileBytes,
    *,
    source: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    header: HeaderHint | None = None,
) -> RawTable:
    """Parse CSV text held in ``data`` into a raw table (decoding, header and delimiter as
    :func:`read_table`)."""
    delimiter = check_delimiter(delimiter)
    encoding = check_encoding(encoding)
    notes: list[str] = []
    text = _prepare(
        data if isinstance(data, FileBytes) else FileBytes(data), source, encoding, notes
    )
    if _first_invalid_utf8(text, end=_SNIFF_BYTES) is not None:
        text = _require_utf8(text, source, encoding, notes)
    try:  # pyarrow checks the rest of the UTF-8 as it converts, at no extra cost
        return _read(text, source, delimiter, notes, header)
    except _NotUtf8:
        text = _require_utf8(text, source, encoding, notes)
        return _read(text, source, delimiter, notes, header)


@dataclass(frozen=True)
class _Header:
    """The header row: column names, the delimiter, where the records start."""

    names: list[str]
    delimiter: str
    #: Offset (in the data) just past the header's line break.
    end: int
    first_data_line: int
    #: Notes on where the header was found (rows above it skipped, rows joined).
    notes: tuple[str, ...] = ()
    #: The header's line when it is not simply the first line with text.
    row: int | None = None


class _BeyondHead(Exception):
    """The header named by the user lies past the bytes looked at."""


def _find_header(
    text: FileBytes,
    source: str,
    delimiter: str | None,
    *,
    whole: bool = True,
    hint: HeaderHint | None = None,
) -> _Header:
    """The header of ``text`` (past blank lines), or the error that says why there is none.

    ``whole``: ``text`` holds the whole file (not only its first bytes), so a short
    text that parses as JSON is JSON. A first line that is a plain header (two or
    more distinct names, not numbers or dates, none blank) is the header, as the
    ``hint`` allows; otherwise the first records are looked at (:func:`_search_header`).
    """
    skipped = _LEADING_BLANK_LINES.match(text.data, text.start)
    header_line = 1 + _count_line_breaks(skipped.group()) if skipped else 1
    body = text.skip(skipped.end() - text.start if skipped else 0)
    head = body.head(_SNIFF_BYTES).decode("utf-8", errors="replace")
    if not head.strip():
        raise UnreadableInputError(
            _("the file has only blank lines")
            if text.head(_SNIFF_BYTES).strip() == b"" and len(text)
            else _("the file is empty"),
            source=source,
        )
    if _looks_like_json(head, complete=whole and len(body) <= _SNIFF_BYTES):
        raise UnreadableInputError(_("looks like JSON, not a CSV table"), source=source)
    given = delimiter
    delimiter = delimiter or sniff_delimiter(head)
    header_end, problem = _scan_record(text.data, body.start, delimiter)
    if problem is None:
        try:
            header_text = text.data[body.start : header_end].decode("utf-8")
        except UnicodeDecodeError:  # only possible past the first 64 KiB of a very long header
            raise _NotUtf8 from None
        headers = _read_header(header_text, delimiter)
        if _plain_header(headers, hint) and not _wider_below(text, header_end, headers, delimiter):
            return _Header(
                names=[h.strip() for h in headers],
                delimiter=delimiter,
                end=header_end,
                first_data_line=header_line
                + max(_count_line_breaks(text.data[body.start : header_end]), 1),
            )
    found = _search_header(text, body, header_line, head, source, given, hint, whole=whole)
    if found is not None:
        return found
    if problem is not None:
        raise _quote_error(text, source, problem)
    if not any(h.strip() for h in headers):
        raise UnreadableInputError("the header row is empty", source=source)
    return _Header(
        names=[h.strip() or f"column {i + 1}" for i, h in enumerate(headers)],
        delimiter=delimiter,
        end=header_end,
        first_data_line=header_line
        + max(_count_line_breaks(text.data[body.start : header_end]), 1),
    )


def _plain_header(headers: list[str], hint: HeaderHint | None) -> bool:
    """Whether the first record is the header without looking further: a plain
    header, or the one holding the columns the hint names."""
    if hint is not None and hint.row is not None:
        return False
    if hint is not None and hint.names_columns:
        return hint.held_by(headers)
    return plain_header([h.strip() for h in headers])


def _wider_below(text: FileBytes, header_end: int, headers: list[str], delimiter: str) -> bool:
    """Whether one of the next three records has more fields: the first is then a title
    (``Approvals report, Core Area``) above a wider table, not its header."""
    at, data, separator = header_end, text.data, delimiter.encode()
    for _attempt in range(3):
        if at >= len(data):
            return False
        found = _LINE_BREAK.search(data, at, at + _SNIFF_BYTES)
        end = found.end() if found else len(data)
        if b'"' not in data[at:end]:  # the common case: count the delimiters
            fields = data.count(separator, at, end) + 1
        else:
            end, problem = _scan_record(data, at, delimiter)
            if problem is not None:
                return False
            fields = len(_read_header(data[at:end].decode("utf-8", errors="replace"), delimiter))
        if fields > len(headers):
            return True
        at = end
    return False


@dataclass(frozen=True)
class _Record:
    start: int
    end: int
    line: int


def _search_header(
    text: FileBytes,
    body: FileBytes,
    first_line: int,
    head: str,
    source: str,
    delimiter: str | None,
    hint: HeaderHint | None,
    *,
    whole: bool,
) -> _Header | None:
    """The header among the first records (titles, banners and notes above it
    skipped; a header over several records joined), or None to read the first
    record as the header after all."""
    wanted = hint.row if hint is not None else None
    if delimiter is None:
        delimiter = sniff_delimiter(head)
        first = head.splitlines()[0] if head else ""
        if not any(_count_outside_quotes(first, d) for d in DELIMITERS):
            # A title line without a delimiter: the one that splits some line below the most.
            lines = head.splitlines()[:SEARCH_ROWS]
            counts = {d: max(_count_outside_quotes(line, d) for line in lines) for d in DELIMITERS}
            best = max(DELIMITERS, key=lambda d: counts[d])
            delimiter = best if counts[best] > 0 else delimiter
    limit = (
        len(text.data) if whole or wanted is not None else body.start + len(body.head(_SNIFF_BYTES))
    )
    records: list[_Record] = []
    at, line = body.start, first_line
    while at < len(text.data) and (
        len(records) < SEARCH_ROWS or (wanted is not None and line <= wanted)
    ):
        end, problem = _scan_record(text.data, at, delimiter)
        if problem is not None or (end > limit and not whole):
            break
        records.append(_Record(at, end, line))
        line += _count_line_breaks(text.data[at:end])
        at = end
    given = None
    if wanted is not None:
        given = next((i for i, r in enumerate(records) if r.line == wanted), None)
        if given is None:
            if not whole and at < len(text.data):
                raise _BeyondHead
            inside = [r.line for r in records if r.line < wanted]
            where = (
                f"line {wanted} is inside the record that starts on line {inside[-1]}"
                if inside and line > wanted
                else f"the file has {line - 1} lines"
            )
            raise UsageError(f"--header-row {wanted}: {where}", source=source)
    if not records:
        return None
    rows = [
        SampleRow.of_texts(
            _read_header(text.data[r.start : r.end].decode("utf-8", errors="replace"), delimiter)
        )
        for r in records
    ]
    choice = choose_header(rows, hint, given=given)
    block = records[choice.index : choice.index + choice.count]
    if choice.index == 0 and choice.count == 1 and given is None:
        return None  # the first record after all: read as before
    try:
        text.data[block[0].start : block[-1].end].decode("utf-8")
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    names = [name or f"column {i + 1}" for i, name in enumerate(choice.names)]
    if not any(choice.names):
        raise UnreadableInputError(f"line {block[0].line}, the header row, is empty", source=source)
    first_filled = next(i for i, row in enumerate(rows) if not row.blank)
    skipped = [
        (records[i].line, next(c for c in rows[i].cells if c))
        for i in range(choice.index)
        if not rows[i].blank
    ]
    note = header_note(
        source,
        "line",
        records[first_filled].line,
        choice,
        [r.line for r in block],
        skipped,
    )
    end = block[-1].end
    return _Header(
        names=names,
        delimiter=delimiter,
        end=end,
        first_data_line=block[0].line
        + max(_count_line_breaks(text.data[block[0].start : end]), len(block)),
        notes=(note,) if note else (),
        row=block[0].line if note else None,
    )


def _read(
    text: FileBytes,
    source: str,
    delimiter: str | None,
    notes: list[str],
    hint: HeaderHint | None = None,
) -> RawTable:
    header = _find_header(text, source, delimiter, hint=hint)
    headers, delimiter, header_end = header.names, header.delimiter, header.end
    first_data_line = header.first_data_line
    rows = text.skip(header_end - text.start)
    # Allowing newlines in values costs time, and only quoted values can hold them.
    quoted = rows.find(b'"') != -1
    # Without quotes every line break ends a line, so the empty lines are found in the
    # bytes and skipped by the parse; a quoted value may hold one (then each is a record).
    empty = None if quoted else _empty_lines(rows, first_data_line)
    table, found = _parse(
        rows, source, delimiter, len(headers), quoted, skip_empty=empty is not None
    )
    blank = [m for m in found if m.blank]
    malformed = [m for m in found if not m.blank]
    lines, spanning = _line_numbers(table, found, first_data_line, quoted, empty)
    if spanning.size:
        problem = _unclosed_quote(text, spanning, delimiter)
        if problem is not None:
            raise _quote_error(text, source, problem)
    raw = RawTable(
        source=source,
        headers=headers,
        table=table,
        delimiter=delimiter,
        malformed=malformed,
        blank_records=blank,
        empty_lines=empty or EmptyLines(),
        notes=[*notes, *header.notes],
        locate=lambda: lines,
    )
    raw.header_row = header.row
    return raw


def _empty_lines(text: FileBytes, first_line: int) -> EmptyLines:
    """The empty lines of ``text`` (its first line being ``first_line``)."""
    finder = _EmptyLineFinder(first_line)
    for _start, piece in text.chunks():
        finder.feed(piece)
    return finder.found()


class _NotUtf8(Exception):
    """pyarrow found bytes that are not UTF-8."""


# -- encodings ---------------------------------------------------------------


def _prepare(data: FileBytes, source: str, encoding: str | None, notes: list[str]) -> FileBytes:
    """``data`` in UTF-8 (if another encoding is named or marked), past any byte-order mark."""
    if encoding and encoding not in ("utf-8", "utf-8-sig"):
        raw = data.all()
        try:
            decoded = raw.decode(encoding)
        except UnicodeDecodeError as error:
            line = _count_line_breaks(raw[: error.start]) + 1
            raise EncodingError(
                f"cannot be decoded as {encoding} (line {line}, byte {error.start})",
                source=source,
            ) from None
        decoded = decoded.lstrip("\ufeff")
        try:
            data = FileBytes(decoded.encode("utf-8"))
        except UnicodeEncodeError as error:  # a lone surrogate ("\ud800" as unicode_escape)
            line = decoded.count("\n", 0, error.start) + 1
            raise EncodingError(
                f"decoded as {encoding}, holds a character that is not text"
                f" (U+{ord(decoded[error.start]):04X}, line {line})",
                source=source,
            ) from None
    elif not encoding and data.head(4) in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        data = _decode_marked(data, "utf-32", source)
    elif data.head(3) == codecs.BOM_UTF8:
        data = data.skip(len(codecs.BOM_UTF8))
    elif not encoding and data.head(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        data = _decode_marked(data, "utf-16", source)
    if data.find(b"\x00") != -1:
        data = _drop_nuls(data, source, notes)
    return data


def _decode_marked(data: FileBytes, encoding: str, source: str) -> FileBytes:
    try:
        return FileBytes(data.all().decode(encoding).encode("utf-8"))
    except UnicodeDecodeError:
        raise EncodingError(
            f"has a {encoding.upper()} byte-order mark but does not decode as {encoding.upper()}",
            source=source,
        ) from None


def _drop_nuls(data: FileBytes, source: str, notes: list[str]) -> FileBytes:
    """Text padded with NUL bytes, without them; UTF-16 and binary files are refused."""
    order = _utf16_without_mark(data.head(4096))
    if order:
        raise EncodingError(
            (
                _("looks like UTF-16 (little-endian) without a byte-order mark; use {option}")
                if order == "little-endian"
                else _("looks like UTF-16 (big-endian) without a byte-order mark; use {option}")
            ).format(option=f"--encoding utf-16-{'le' if order == 'little-endian' else 'be'}"),
            source=source,
        )
    raw = data.all()
    cleaned = raw.replace(b"\x00", b"")
    sample = cleaned[:_SNIFF_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if not cleaned.strip() or controls > len(sample) // 100:
        raise UnreadableInputError(
            _("contains NUL bytes: binary data, not a text table"), source=source
        )
    dropped = len(raw) - len(cleaned)
    notes.append(
        f"{source}: "
        + ngettext(
            "{count} NUL byte dropped (padding inside text fields)",
            "{count} NUL bytes dropped (padding inside text fields)",
            dropped,
        ).format(count=f"{dropped:,}")
    )
    return FileBytes(cleaned)


def _utf16_without_mark(head: bytes) -> str | None:
    """'little-endian' or 'big-endian' when NULs fall on every other byte, as in UTF-16 text."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if nul_odd >= 0.3 and nul_even <= 0.05:
        return "little-endian"
    if nul_even >= 0.3 and nul_odd <= 0.05:
        return "big-endian"
    return None


def _require_utf8(
    data: FileBytes, source: str, encoding: str | None, notes: list[str]
) -> FileBytes:
    """``data`` if it is UTF-8, else GB18030 text that is clearly Chinese, else an error.

    Other encodings are never decoded on a guess: the error names the likely
    one, as a hint for ``--encoding``.
    """
    bad = _first_invalid_utf8(data)
    if bad is None:
        return data
    line = _count_line_breaks(data.head(bad)) + 1
    if encoding:  # the user said UTF-8
        raise EncodingError(
            _(
                "is not valid UTF-8 (line {line}); give the file's encoding with --encoding "
                "(Chinese exports: --encoding gb18030)"
            ).format(line=line),
            source=source,
        )
    raw = data.all()
    text = _decode_chinese(raw, bad)
    if text is not None:
        notes.append(f"{source}: " + _("not UTF-8; read as GB18030 (give --encoding to choose)"))
        return FileBytes(text.encode("utf-8"))
    if _overlong_utf8(raw, bad):
        raise EncodingError(
            _(
                "is not valid UTF-8 (line {line}): an overlong UTF-8 sequence "
                "(a character spelled with more bytes than needed); fix the file's encoding"
            ).format(line=line),
            source=source,
        )
    guesses = _likely_encodings(raw, bad)
    hint = (
        _("its encoding may be {guesses}: give it with --encoding {first}").format(
            guesses=_(" or ").join(guesses), first=guesses[0]
        )
        if guesses
        else _("give its encoding with --encoding (e.g. gb18030, cp1252, shift_jis)")
    )
    raise EncodingError(
        _("is not valid UTF-8 (line {line}); {hint}").format(line=line, hint=hint), source=source
    )


def _overlong_utf8(raw: bytes, bad: int) -> bool:
    """Whether the first invalid byte starts an overlong UTF-8 sequence.

    Overlong forms start C0 or C1, E0 80-9F, or F0 80-8F.
    """
    lead, follow = raw[bad], raw[bad + 1] if bad + 1 < len(raw) else 0
    return (
        (lead in (0xC0, 0xC1) and 0x80 <= follow <= 0xBF)
        or (lead == 0xE0 and 0x80 <= follow <= 0x9F)
        or (lead == 0xF0 and 0x80 <= follow <= 0x8F)
    )


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


def _sample_around(raw: bytes, offset: int, size: int = 32 * 1024) -> bytes:
    start = max(raw.rfind(b"\n", 0, offset) + 1, offset - size // 2)
    return raw[start : start + size]


def _decode_chinese(raw: bytes, bad: int) -> str | None:
    """``raw`` decoded as GB18030 if that is clearly what it is.

    GB18030 maps almost any byte string to some text (German umlauts, Japanese
    kana and Korean hangul all become ideographs), so decoding alone proves
    nothing: the text must be almost only common Chinese characters where it
    is not ASCII, and show words or date spellings that only Chinese has (or
    be recognised as Chinese by charset-normalizer).
    """
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii == 0 or len(_NOT_CJK.findall(text)) > non_ascii // 10:
        return None
    sample = "".join(c for c in text[:200_000] if ord(c) > 127)
    common = len(sample.encode("gb2312", "ignore").decode("gb2312"))
    if common < 0.9 * len(sample):
        return None
    if _CHINESE_EVIDENCE.search(text):
        return text
    candidates = _detect(_sample_around(raw, bad))
    return text if candidates and candidates[0] in _CHINESE_ENCODINGS else None


def _detect(sample: bytes) -> list[str]:
    """charset-normalizer's candidate encodings for ``sample``, best first.

    On the short samples a CSV gives, the detector often cannot tell related
    code pages apart: it is a hint, never a reason to decode.
    """
    from charset_normalizer import from_bytes

    return [str(match.encoding) for match in from_bytes(sample, cp_isolation=_COMMON_ENCODINGS)]


def suggested_encodings(path: str | Path) -> list[str]:
    """The encodings a text file that is not UTF-8 may be in (charset-normalizer's
    candidates around its first byte that is not UTF-8), as errors suggest them."""
    data = open_bytes(path)
    bad = _first_invalid_utf8(data)
    return [] if bad is None else _likely_encodings(data.all(), bad)


def _likely_encodings(raw: bytes, bad: int) -> list[str]:
    """The three encodings ``raw`` most plausibly is in, most plausible first.

    charset-normalizer proposes them (and the Western European code pages are
    always weighed); they are ranked by how plausible the text each gives is
    (:func:`_implausible_text`), then in the detector's order.
    The detector alone often puts Windows-1250 first for Western text, turning
    ``Ørsted`` into ``Řrsted``: where the two read alike, Windows-1252 comes first.
    """
    sample = _sample_around(raw, bad)
    proposed = [name for name in _detect(sample) if not name.startswith("utf")]
    for name in _WESTERN:  # weighed even if the detector did not name them
        if name not in proposed:
            proposed.append(name)
    order = {name: float(i) for i, name in enumerate(proposed)}
    for central, western in (("cp1250", "cp1252"), ("iso8859_2", "iso8859_15")):
        # Text that reads alike in both is far more often Western European.
        order[central] = max(order[central], order[western] + 0.5)
    weighed = []
    for name in proposed:
        try:
            text = sample.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        weighed.append(((_implausible_text(text), order[name]), name))
    return [name for _, name in sorted(weighed)][:3]


#: Single-byte code pages of Western and Central European text, most used first.
_WESTERN = ("cp1252", "iso8859_15", "cp1250", "iso8859_2")
#: The letters (beyond ASCII) of the languages written in the Latin script that
#: exports come in: a word's letters fit one of them when decoded right.
_ALPHABETS = tuple(
    frozenset(letters)
    for letters in (
        "æøåé",  # Danish, Norwegian
        "åäöé",  # Swedish
        "äöåšž",  # Finnish
        "äöüß",  # German
        "àâæçéèêëîïôœùûüÿ",  # French
        "áéíñóúü",  # Spanish
        "áâãàçéêíóôõú",  # Portuguese
        "àèéìíîòóùú",  # Italian
        "áéëíïóöúü",  # Dutch
        "áðéíóúýþæö",  # Icelandic
        "àçéèíïòóúü",  # Catalan
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "ąćęłńóśźż",  # Polish
        "áéíóöőúüű",  # Hungarian
        "čćđšž",  # Croatian, Slovenian, Bosnian
        "ăâîșşțţ",  # Romanian
        "çğıöşüâîû",  # Turkish
        "ąčęėįšųūž",  # Lithuanian
        "āčēģīķļņšūž",  # Latvian
        "äöõüšž",  # Estonian
        "çë",  # Albanian
    )
)
#: Text punctuation that is at home anywhere (quotes, dashes, spaces, currency...).
_COMMON_PUNCTUATION = frozenset(
    # curly and angle quotes, no-break space, dashes, bullets, currency, marks, fractions
    "\xa0\u201c\u201d\u2018\u2019\u201e\u201a\xab\xbb\u2039\u203a\u2013\u2014\u2026\u2022\xb7\u20ac\xa3\xa5\xa2\xa9\xae\u2122\xb0\xa7\xb6\xb1\xd7\xf7\xbd\xbc\xbe\u2030\u2020\u2021\xa1\xbf"
)
#: Characters at home between two letters: spaces, apostrophes, dashes.
_BETWEEN_LETTERS = frozenset("\xa0\u2019\u2018\u2013\u2014\xb7")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _implausible_text(text: str) -> int:
    """How much of ``text`` could not be what an export holds: control and unassigned
    characters, symbols other than common punctuation inside a word (``z³o``), a word
    mixing alphabets (Latin and Cyrillic), and words whose letters no one language
    writes together (``Øíèany``: Danish, Spanish and French in one word)."""
    import unicodedata

    odd = 0
    for i, char in enumerate(text):
        if char.isascii() or char.isalpha() or char in _BETWEEN_LETTERS:
            continue
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            odd += 1
        elif 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha():
            odd += 1  # a symbol inside a word: z³o, £ód
        elif char not in _COMMON_PUNCTUATION:
            odd += category[0] != "P"  # a rare symbol (¤, ¦, ˇ) between words
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        scripts = {unicodedata.name(c, "?").split(" ")[0] for c in word if not c.isascii()}
        scripts |= {"LATIN"} if any(c.isascii() for c in word) else set()
        if len(scripts) > 1 and scripts & {"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW"}:
            odd += 1  # alphabets mixed in a word
        elif scripts == {"LATIN"}:
            letters = {
                low
                for c in word
                if not c.isascii()
                for low in c.lower()  # İ is i and a combining dot
                if not low.isascii() and unicodedata.category(low) != "Mn"
            }
            if not any(letters <= alphabet for alphabet in _ALPHABETS):
                odd += 1
    return odd


# -- header and records --------------------------------------------------------


def _looks_like_json(head: str, *, complete: bool) -> bool:
    """Whether ``head`` is JSON (or JSON lines).

    A CSV header may start with ``{`` or ``[`` too (``[id],date``): a complete
    small file must parse as JSON, a larger one must start like JSON does.
    """
    if head.lstrip()[:1] not in ("{", "["):
        return False
    if complete or "\n" in head:
        for candidate in (head, head.splitlines()[0]):
            try:
                return isinstance(json.loads(candidate), dict | list)
            except ValueError:
                continue
        if complete:
            return False
    return bool(_JSON_START.match(head))


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


def _read_header(header: str, delimiter: str) -> list[str]:
    try:
        # A name may be longer than the csv module's default limit (128 KiB).
        csv.field_size_limit(max(csv.field_size_limit(), len(header) + 1))
        return next(csv.reader(io.StringIO(header, newline=""), delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


def _count_line_breaks(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _scan_record(buf: bytes, pos: int, delimiter: str) -> tuple[int, tuple[int, int] | None]:
    """The end of the record starting at ``pos`` (past its line break), as the CSV parser reads it.

    Also returns (quote offset, end offset) when a quoted value that spans
    lines is never closed, or closed but followed by more text: an unclosed
    quote that swallowed the lines after it.
    """
    sep = ord(delimiter)
    unquoted = re.compile(b"[^" + re.escape(delimiter.encode()) + b"\r\n]*")
    n = len(buf)
    while True:
        if pos < n and buf[pos] == 0x22:
            match = _QUOTED_VALUE.match(buf, pos)
            if match is None:
                if _LINE_BREAK.search(buf, pos):
                    return n, (pos, n)
                return n, None
            after = match.end()
            if after < n and buf[after] not in (sep, 0x0D, 0x0A):
                if _LINE_BREAK.search(buf, pos, after):
                    return after, (pos, after)
                after = unquoted.match(buf, after).end()  # type: ignore[union-attr]
            pos = after
        else:
            pos = unquoted.match(buf, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return n, None
        if buf[pos] == sep:
            pos += 1
            continue
        if buf[pos] == 0x0D and pos + 1 < n and buf[pos + 1] == 0x0A:
            return pos + 2, None
        return pos + 1, None


def _line_starts(text: FileBytes) -> np.ndarray:
    """Offset (in ``text.data``) where each line starts; index 0 is line 1."""
    codes = np.frombuffer(text.data, dtype=np.uint8)[text.start :]
    lf = np.flatnonzero(codes == 0x0A)
    cr = np.flatnonzero(codes == 0x0D)
    lone_cr = cr[(cr + 1 >= codes.size) | (codes[np.minimum(cr + 1, codes.size - 1)] != 0x0A)]
    ends = np.sort(np.concatenate([lf, lone_cr])) + 1 + text.start
    return np.concatenate([[text.start], ends])


def _unclosed_quote(
    text: FileBytes, spanning_lines: np.ndarray, delimiter: str
) -> tuple[int, int] | None:
    """The first record among those that span lines whose quote is not properly closed."""
    starts = _line_starts(text)
    for line in np.sort(spanning_lines):
        if line - 1 >= starts.size:
            continue
        _, problem = _scan_record(text.data, int(starts[line - 1]), delimiter)
        if problem is not None:
            return problem
    return None


def _quote_error(text: FileBytes, source: str, problem: tuple[int, int]) -> UnreadableInputError:
    quote, end = problem
    opened = _count_line_breaks(text.data[text.start : quote]) + 1
    if end >= len(text.data):
        last = _count_line_breaks(text.data[text.start :].rstrip(b"\r\n")) + 1
        message = _(
            "unclosed quote: the quote opened on line {opened} is never closed, so lines "
            '{opened}-{last} would be one value (write a quote inside a quoted value as "")'
        ).format(opened=opened, last=last)
    else:
        closed = _count_line_breaks(text.data[text.start : end]) + 1
        message = _(
            "unclosed quote: the quote opened on line {opened} closes on line {closed} "
            "followed by more text, so lines {opened}-{closed} would be one value (write a "
            'quote inside a quoted value as "")'
        ).format(opened=opened, closed=closed)
    return UnreadableInputError(
        message,
        source=source,
        row=None,
    )


def _parse(
    data: FileBytes | _FileRange,
    source: str,
    delimiter: str,
    width: int,
    quoted: bool,
    *,
    columns: list[int] | None = None,
    size: int | None = None,
    plain: Collection[int] = (),
    encode_after: Collection[int] = (),
    used_block_size: list[int] | None = None,
    skip_empty: bool = False,
) -> tuple[pa.Table, list[MalformedRecord]]:
    """The records of ``data`` (the bytes after the header), ``columns`` only (None: all).

    Malformed records are kept aside with their ordinals: pyarrow checks the
    number of fields of every record, whichever columns it converts.
    ``used_block_size``, if given, receives the size of the pieces pyarrow read.
    ``skip_empty``: empty lines are no records (the caller knows where they are,
    :class:`EmptyLines`); else each is a record of empty cells.
    """
    names = [f"c{i}" for i in range(width)]
    include = names if columns is None else [names[i] for i in columns]
    as_text = {*plain, *encode_after}
    types = {n: pa.string() if int(n[1:]) in as_text else _TEXT for n in include}
    malformed: list[MalformedRecord] = []
    length = len(data) if isinstance(data, FileBytes) else (size or 0)
    if length == 0:  # a header and nothing else
        return pa.table({n: pa.array([], _TEXT) for n in include}), malformed

    def keep_aside(row: pa_csv.InvalidRow) -> str:
        malformed.append(
            MalformedRecord(
                row.number, row.text, row.expected_columns, row.actual_columns, delimiter=delimiter
            )
        )
        return "skip"

    def attempt(use_threads: bool, block_size: int) -> pa.Table:
        # pyarrow's reader takes some kilobytes a column while it converts: a file of
        # 100,000 columns is converted a group of columns at a time, which bounds that.
        groups = [include[at : at + _COLUMN_GROUP] for at in range(0, len(include), _COLUMN_GROUP)]
        parts = []
        for group in groups:
            malformed.clear()  # (every group's parse finds the same malformed records)
            parts.append(
                pa_csv.read_csv(
                    data.buffer() if isinstance(data, FileBytes) else data.open(),
                    read_options=pa_csv.ReadOptions(
                        use_threads=use_threads, block_size=block_size, column_names=names
                    ),
                    parse_options=pa_csv.ParseOptions(
                        delimiter=delimiter,
                        newlines_in_values=quoted,
                        ignore_empty_lines=skip_empty,
                        invalid_row_handler=keep_aside,
                    ),
                    convert_options=pa_csv.ConvertOptions(
                        include_columns=group,
                        column_types={name: types[name] for name in group},
                        strings_can_be_null=True,
                        quoted_strings_can_be_null=True,
                        null_values=[""],
                    ),
                )
            )
        if len(parts) == 1:
            return parts[0]
        columns = (zip(part.column_names, part.columns, strict=True) for part in parts)
        return pa.table({name: column for pairs in columns for name, column in pairs})

    # pyarrow turns a malformed record's bytes into text before calling the
    # handler; bytes that are not UTF-8 make that fail, which Python reports
    # as an "ignored" exception with a traceback on stderr. Catch it instead.
    not_utf8: list[BaseException] = []
    previous_hook = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, UnicodeDecodeError):
            not_utf8.append(unraisable.exc_value)
        else:
            previous_hook(unraisable)

    block_size = _BLOCK_SIZE
    sys.unraisablehook = hook
    try:
        while True:
            try:
                table = attempt(True, block_size)
                if malformed:  # only a single-threaded read knows their line numbers
                    table = attempt(False, block_size)
                if used_block_size is not None:
                    used_block_size.append(block_size)
                break
            except pa.ArrowInvalid as error:
                message = str(error)
                if "invalid UTF8" in message or not_utf8:
                    raise _NotUtf8 from None
                if "straddling" in message and block_size < length + 1:
                    block_size = min(block_size * 8, length + 1)
                    continue
                raise UnreadableInputError(
                    _("is not a readable CSV table: {reason}").format(
                        reason=message.splitlines()[0].strip()
                    ),
                    source=source,
                ) from None
    finally:
        sys.unraisablehook = previous_hook
    if not_utf8:
        raise _NotUtf8
    _lazy.parsed()  # both cores were pyarrow's; imports asked for may start now
    table = _joined(table, encode_after)
    # The parser's blocks are freed now; hand their pages back rather than keep them
    # in pyarrow's pool (numpy, which does the rest, allocates elsewhere).
    pa.default_memory_pool().release_unused()
    return table, malformed


def _joined(table: pa.Table, encode_after: Collection[int]) -> pa.Table:
    """The parsed blocks joined into one array per column, ``encode_after`` columns
    dictionary-encoded on the way.

    Those are encoded block by block, with one hash table for all blocks, so only
    their small indices are joined, never the text itself.
    """
    joined: dict[str, pa.Array] = {}
    for name in table.column_names:
        column = table.column(name)
        if int(name[1:]) in encode_after and table.num_rows:
            joined[name] = pc.dictionary_encode(column).combine_chunks().cast(_TEXT)
        else:
            joined[name] = column.unify_dictionaries().combine_chunks()
    return pa.table(joined)


def _line_numbers(
    table: pa.Table,
    records_aside: list[MalformedRecord],
    first_line: int,
    quoted: bool,
    empty: EmptyLines | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Line numbers of the records, and of the records kept aside (set on them).

    pyarrow numbers records from 1 (the first after the header); a record's
    line also counts the line breaks inside the quoted values before it, and
    the ``empty`` lines the parse skipped (only where no value spans lines).
    Returns the table's record lines and the lines of records that span lines.
    """
    n = table.num_rows
    if not quoted and not records_aside:  # one line per record, one after the other
        last = first_line + n + (0 if empty is None else empty.total)
        kind = np.int32 if last < np.iinfo(np.int32).max else np.int64
        lines = np.arange(first_line, first_line + n, dtype=kind)
        if empty is not None:
            lines = empty.real_lines(lines, first_line)
        return lines, np.zeros(0, dtype=np.int64)
    aside = [m for m in records_aside if m.ordinal is not None and m.ordinal > 0]
    total = n + len(aside)
    aside_ordinals = np.array([m.ordinal for m in aside], dtype=np.int64)
    is_aside = np.zeros(total + 1, dtype=bool)
    is_aside[np.minimum(aside_ordinals, total)] = True
    table_ordinals = np.flatnonzero(~is_aside[1:]) + 1
    table_ordinals = table_ordinals[:n]
    breaks = np.zeros(total + 1, dtype=np.int64)  # per ordinal: line breaks inside the record
    if quoted:
        inside = np.zeros(n, dtype=np.int64)
        for column in table.columns:
            array = column.chunk(0) if column.num_chunks else None
            if array is None or len(array.dictionary) == 0:
                continue
            per_value = pc.count_substring_regex(array.dictionary, r"\r\n|\r|\n")
            counts = per_value.to_numpy(zero_copy_only=False)
            if not counts.any():
                continue
            indices = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False)
            inside += np.append(counts, 0)[indices.astype(np.int64)]
        breaks[table_ordinals] = inside
        breaks[np.minimum(aside_ordinals, total)] = [
            _count_line_breaks(m.text.encode()) for m in aside
        ]
    before = np.concatenate([[0], np.cumsum(breaks)[:-1]])
    line_of = first_line - 1 + np.arange(total + 1, dtype=np.int64) + before
    if empty is not None:
        line_of = empty.real_lines(line_of, first_line)
    for record in records_aside:
        record.line = None
    for record, ordinal in zip(aside, aside_ordinals, strict=True):
        record.line = int(line_of[min(ordinal, total)])
    spanning = line_of[np.flatnonzero(breaks)] if quoted else np.zeros(0, dtype=np.int64)
    return line_of[table_ordinals], spanning
