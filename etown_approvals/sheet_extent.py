"""How far a workbook sheet's filled cells reach, read from the file's own bytes before
the workbook reader builds the sheet.

python-calamine (Rust) turns a sheet into one dense grid, from its first filled cell
to its last. A 5 KB workbook with a value in ``A1`` and another in ``XFD1048576``
asks it for 17 billion cells: the allocation fails and the process aborts, which no
Python code can catch; a value at ``AAA100000`` costs gigabytes, and so does an
``.ods`` cell repeated across 16,384 columns. So the filled cells are counted, and
their extent found, first: in an ``.xlsx``/``.xlsm`` sheet's XML, an ``.xlsb``
sheet's records, an ``.ods`` table's XML and an ``.xls`` sheet's BIFF records,
streamed in pieces. Empty cells (a format, no value) are left out, as the reader
leaves them out. :func:`check` refuses a sheet whose grid is far larger than its
cells, or too large for the input limit.
"""

from __future__ import annotations

import html
import io
import mmap
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

from .errors import UnreadableInputError
from .i18n import gettext as _
from .options import MAX_INPUT_SIZE_VARIABLE, InputLimits, describe_size

#: A grid this many times larger than its filled cells is too sparse to build ...
SPARSE_FACTOR = 10
#: ... once it has more cells than this (a small sheet costs little however sparse).
SMALL_GRID = 1_000_000
#: What one cell of the grid costs the reader and Python, in bytes (measured: about
#: 135 for a grid of 33 million cells), so that the input limit bounds the memory.
CELL_BYTES = 160
_PIECE = 1 << 20
#: What a damaged file makes the scans below raise.
_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    KeyError,
    ValueError,
    IndexError,
    struct.error,
    SyntaxError,  # (xml.etree's ParseError)
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Extent:
    """The filled cells of a sheet: how many (repeats counted), and the rows and
    columns (from 1) of the first and the last."""

    cells: int = 0
    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = 0

    @property
    def rows(self) -> int:
        """The rows from the first filled one to the last (0 when none is filled)."""
        return self.last_row - self.first_row + 1 if self.cells else 0

    @property
    def columns(self) -> int:
        """The columns from the first filled one to the last (0 when none is filled)."""
        return self.last_column - self.first_column + 1 if self.cells else 0

    @property
    def grid(self) -> int:
        """Cells of the grid the reader makes (from the first filled cell to the last)."""
        return self.rows * self.columns


class _Bounds:
    """The extent, gathered cell by cell (or run by run)."""

    def __init__(self) -> None:
        self.cells = 0
        self.rows = [1 << 62, 0]
        self.columns = [1 << 62, 0]

    def add(self, row: int, column: int, rows: int = 1, columns: int = 1) -> None:
        self.cells += rows * columns
        self.rows = [min(self.rows[0], row), max(self.rows[1], row + rows - 1)]
        self.columns = [min(self.columns[0], column), max(self.columns[1], column + columns - 1)]

    def extent(self) -> Extent:
        if not self.cells:
            return Extent()
        return Extent(self.cells, self.rows[0], self.rows[1], self.columns[0], self.columns[1])


def workbook_extents(
    data: bytes | mmap.mmap, limits: InputLimits, *, source: str
) -> dict[str, Extent]:
    """Sheet name -> extent, for the workbooks the reader reads whole when it opens them
    (``.xls`` and ``.ods``: every sheet is built at once); empty for the others."""
    try:
        if data[:8] == _OLE2:
            return _xls(data)
        with _zip(data) as book:
            if "content.xml" in book.namelist() and "xl/workbook.xml" not in book.namelist():
                return _ods(book, limits)
    except _TooLarge as error:
        raise UnreadableInputError(str(error), source=source) from None
    except _DAMAGE:  # the reader says what is wrong
        return {}
    return {}


def sheet_extent(
    data: bytes | mmap.mmap, sheet: str, limits: InputLimits, *, source: str
) -> Extent | None:
    """The extent of sheet ``sheet`` of an ``.xlsx``, ``.xlsm`` or ``.xlsb`` workbook (whose
    sheets the reader builds one at a time, when asked); None for other workbooks, or
    when the file's layout is not one this module reads (the reader then says what is
    wrong)."""
    try:
        if data[:8] == _OLE2:
            return None
        with _zip(data) as book:
            names = set(book.namelist())
            if "xl/workbook.xml" in names:
                return _xlsx(book, sheet, limits)
            if "xl/workbook.bin" in names:
                return _xlsb(book, sheet, limits)
    except _TooLarge as error:
        raise UnreadableInputError(str(error), source=source) from None
    except _DAMAGE:  # the reader says what is wrong
        return None
    return None


def _zip(data: bytes | mmap.mmap) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else _view(data))


def _view(data: mmap.mmap) -> IO[bytes]:
    from .sources import reader_of

    return reader_of(data)


def check(extent: Extent, *, sheet: str, source: str, limits: InputLimits) -> None:
    """Refuse (exit 3) a sheet whose grid is far larger than its filled cells, or whose
    grid would take more memory than the input limit allows."""
    grid = extent.grid
    if grid > SMALL_GRID and grid > SPARSE_FACTOR * extent.cells:
        raise UnreadableInputError(
            _(
                "sheet {sheet} spans {rows} rows and {columns} columns ({grid} cells) but "
                "has {cells} filled: a stray value far from the table (row {last_row} or "
                "column {last_column})? Delete it, or save the table as CSV"
            ).format(
                sheet=repr(sheet),
                rows=f"{extent.rows:,}",
                columns=f"{extent.columns:,}",
                grid=f"{grid:,}",
                cells=f"{extent.cells:,}",
                last_row=f"{extent.last_row:,}",
                last_column=column_name(extent.last_column),
            ),
            source=source,
        )
    if grid * CELL_BYTES > limits.max_input_size:
        raise UnreadableInputError(
            _(
                "sheet {sheet} has {grid} cells, more than the input limit of {size} "
                "allows (--max-input-size or {variable} raise it)"
            ).format(
                sheet=repr(sheet),
                grid=f"{grid:,}",
                size=describe_size(limits.max_input_size),
                variable=MAX_INPUT_SIZE_VARIABLE,
            ),
            source=source,
        )


def column_name(number: int) -> str:
    """Column 1 is ``A``, 27 ``AA``, 16384 ``XFD``."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _TooLarge(Exception):
    """A part of the workbook unzips to more than the input limit."""


def _capped(stream: IO[bytes], limits: InputLimits, part: str) -> Iterator[bytes]:
    """The pieces of a workbook part as it is decompressed, at most the input limit."""
    done = 0
    while piece := stream.read(_PIECE):
        done += len(piece)
        if done > limits.max_input_size:
            raise _TooLarge(
                _(
                    "{part} in the workbook unzips to more than {size}, the limit "
                    "(--max-input-size or {variable} raise it)"
                ).format(
                    part=part,
                    size=describe_size(limits.max_input_size),
                    variable=MAX_INPUT_SIZE_VARIABLE,
                )
            )
        yield piece


def _part(book: zipfile.ZipFile, name: str, limits: InputLimits) -> bytes:
    with book.open(name) as stream:
        return b"".join(_capped(stream, limits, name))


# -- xlsx / xlsm: the sheet's XML -------------------------------------------------------

_ATTRIBUTES = re.compile(rb'([\w.:-]+)\s*=\s*"([^"]*)"')
_SHEET = re.compile(rb"<(?:[\w.-]+:)?sheet\b([^>]*)>")
_RELATIONSHIP = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)>")
#: The start of a cell: what comes before it in a piece is whole.
_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c\b")
#: A cell with a value: its start tag (not self-closing), a formula perhaps, then the
#: value (``<v>``) or inline text (``<is>``).
_FILLED_CELL = re.compile(
    rb"<(?:[\w.-]+:)?c\b([^>]*?)(?<!/)>"
    rb"(?:<(?:[\w.-]+:)?f\b[^>]*?(?:/>|>[^<]*</(?:[\w.-]+:)?f>))?"
    rb"<(?:[\w.-]+:)?(?:v|is)\b"
)
#: A cell's start tag, filled or not.
_ANY_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*)>")
_CELL_REFERENCE = re.compile(rb'\br\s*=\s*"\$?([A-Z]{1,3})\$?([0-9]{1,7})"')
_ROW_REFERENCE = re.compile(rb'<(?:[\w.-]+:)?row\b[^>]*?\br\s*=\s*"([0-9]{1,7})"')


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        key.decode(errors="replace"): html.unescape(value.decode(errors="replace"))
        for key, value in _ATTRIBUTES.findall(tag)
    }


def _sheet_parts(book: zipfile.ZipFile, workbook: str, limits: InputLimits) -> dict[str, str]:
    """Sheet name -> the part holding it, from the workbook's relationships."""
    folder = posixpath.dirname(workbook)
    rels = f"{folder}/_rels/{posixpath.basename(workbook)}.rels"
    targets = {}
    for tag in _RELATIONSHIP.findall(_part(book, rels, limits)):
        found = _attributes(tag)
        if "Id" in found and "Target" in found:
            target = found["Target"]
            path = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}"
            targets[found["Id"]] = posixpath.normpath(path)
    return targets


def _xlsx(book: zipfile.ZipFile, sheet: str, limits: InputLimits) -> Extent | None:
    targets = _sheet_parts(book, "xl/workbook.xml", limits)
    part = None
    for tag in _SHEET.findall(_part(book, "xl/workbook.xml", limits)):
        found = _attributes(tag)
        relation = next((v for k, v in found.items() if k.endswith(":id")), None)
        if found.get("name") == sheet and relation in targets:
            part = targets[relation]
    if part is None:
        return None
    # Every cell first, fast: enough when even that grid passes the checks. Else the
    # filled cells only (styled empty cells far away are common, and the reader leaves
    # them out), which takes longer.
    coarse = _xlsx_cells(book, part, limits, filled_only=False)
    if not _too_large(coarse, limits):
        return coarse
    return _xlsx_cells(book, part, limits, filled_only=True)


def _too_large(extent: Extent, limits: InputLimits) -> bool:
    grid = extent.grid
    sparse = grid > SMALL_GRID and grid > SPARSE_FACTOR * extent.cells
    return sparse or grid * CELL_BYTES > limits.max_input_size


def _xlsx_cells(
    book: zipfile.ZipFile, part: str, limits: InputLimits, *, filled_only: bool
) -> Extent:
    """The extent of the cells of a sheet's XML (``filled_only``: those with a value)."""
    bounds, unplaced, rows_seen, last_row = _Bounds(), 0, 0, 0
    tail = b""
    with book.open(part) as stream:
        for piece in _with_end(_capped(stream, limits, part)):
            text = tail + (piece or b"")
            if piece is not None:  # keep the last cell, which may go on in the next piece
                cut = _last_cell_start(text, max(0, len(tail) - 64))
                if cut is None:
                    cut = max(0, len(text) - 64)
                text, tail = text[:cut], text[cut:]
            if not filled_only and _simple_cells(text, bounds):
                continue
            for row in _ROW_REFERENCE.findall(text):
                rows_seen += 1
                last_row = max(last_row, int(row))
            pattern = _FILLED_CELL if filled_only else _ANY_CELL
            for attributes in pattern.findall(text):
                reference = _CELL_REFERENCE.search(attributes)
                if reference is None:
                    unplaced += 1
                    continue
                bounds.add(int(reference[2]), _column_number(reference[1]))
    extent = bounds.extent()
    if unplaced:  # cells placed by their order: at most as far as every row and cell
        rows = max(extent.last_row, last_row, rows_seen)
        columns = max(extent.last_column, unplaced)
        extent = Extent(extent.cells + unplaced, 1, rows, 1, columns)
    return extent


def _last_cell_start(text: bytes, low: int) -> int | None:
    """Where the last cell of ``text`` starts (not before ``low``), looked for from the end."""
    window = 4096
    while True:
        start = max(low, len(text) - window)
        found = None
        for match in _CELL_START.finditer(text, start):
            found = match.start()
        if found is not None or start == low:
            return found
        window *= 4


def _simple_cells(text: bytes, bounds: _Bounds) -> bool:
    """Add the cells of ``text`` to ``bounds`` at numpy's speed if every cell is written
    the common way (``<c r="B12"...``); False (nothing added) if any is not."""
    codes = np.frombuffer(text, dtype=np.uint8)
    room = codes.size - 16  # (a reference is at most 10 characters and a quote)
    if room <= 0:
        return b"<c" not in text and b":c" not in text
    # Tags start at "<" (a few per cell): look only there.
    tags = np.flatnonzero(codes[:room] == 0x3C)
    after = codes[tags + 2]
    starts = (codes[tags + 1] == 0x63) & ((after == 0x20) | (after == 0x3E) | (after == 0x2F))
    colons = np.flatnonzero(codes[:room] == 0x3A)  # a prefixed cell (<x:c ...>)?
    if ((codes[colons + 1] == 0x63) & np.isin(codes[colons + 2], (0x20, 0x3E, 0x2F))).any():
        return False
    at = tags[starts]
    simple = (after[starts] == 0x20) & (codes[at + 3] == 0x72) & (codes[at + 4] == 0x3D)
    simple &= codes[at + 5] == 0x22
    if not simple.all():
        return False  # a cell written another way: the slow way reads it
    if at.size == 0:
        return True
    at = at + 6  # the first letter of each reference
    letters = [codes[at + i].astype(np.int64) - 64 for i in range(3)]
    is_letter = [(x >= 1) & (x <= 26) for x in letters]
    two, three = is_letter[1], is_letter[1] & is_letter[2]
    column = np.where(two, letters[0] * 26 + letters[1], letters[0])
    column = np.where(three, column * 26 + letters[2], column)
    digits = at + 1 + two + three
    row = np.zeros(at.size, dtype=np.int64)
    going = np.ones(at.size, dtype=bool)
    count = np.zeros(at.size, dtype=np.int64)
    for i in range(8):
        digit = codes[digits + i].astype(np.int64) - 48
        going &= (digit >= 0) & (digit <= 9)
        row = np.where(going, row * 10 + digit, row)
        count += going
    quoted = codes[digits + np.minimum(count, 7)] == 0x22
    if not (is_letter[0].all() and (row > 0).all() and quoted.all()):
        return False  # something unusual: the slow way says what
    bounds.add(int(row.min()), int(column.min()))
    bounds.add(int(row.max()), int(column.max()))
    bounds.cells += at.size - 2
    return True


def _with_end(pieces: Iterator[bytes]) -> Iterator[bytes | None]:
    """The pieces, then None for the end."""
    yield from pieces
    yield None


# -- xlsb: the sheet's records ----------------------------------------------------------

#: BIFF12 record types: a row header, cells with their column, cells after the last.
_ROW_HEADER = 0
_CELLS = frozenset(range(2, 12))  # 1 is an empty cell
_SHORT_CELLS = frozenset(range(13, 19))  # 12 is an empty one
_BUNDLE_SHEET = 156


def _biff12_records(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(type, where its data starts, its size) of each record."""
    at, end = 0, len(data)
    while at < end:
        kind = data[at]
        at += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | (data[at] & 0x7F) << 7
            at += 1
        size = 0
        for shift in (0, 7, 14, 21):
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        yield kind, at, size
        at += size


def _wide_string(data: bytes, at: int) -> tuple[str | None, int]:
    (count,) = struct.unpack_from("<I", data, at)
    if count == 0xFFFFFFFF:
        return None, at + 4
    end = at + 4 + 2 * count
    return data[at + 4 : end].decode("utf-16-le", errors="replace"), end


def _xlsb(book: zipfile.ZipFile, sheet: str, limits: InputLimits) -> Extent | None:
    targets = _sheet_parts(book, "xl/workbook.bin", limits)
    part = None
    workbook = _part(book, "xl/workbook.bin", limits)
    for kind, at, _size in _biff12_records(workbook):
        if kind == _BUNDLE_SHEET:
            relation, after = _wide_string(workbook, at + 8)
            name, _end = _wide_string(workbook, after)
            if name == sheet and relation in targets:
                part = targets[relation]
    if part is None:
        return None
    data = _part(book, part, limits)
    bounds, row, column = _Bounds(), 0, 0
    for kind, at, _size in _biff12_records(data):
        if kind == _ROW_HEADER:
            (row,) = struct.unpack_from("<I", data, at)
        elif kind in _CELLS:
            (column,) = struct.unpack_from("<I", data, at)
            bounds.add(row + 1, column + 1)
        elif kind in _SHORT_CELLS:
            column += 1
            bounds.add(row + 1, column + 1)
        elif kind in (1, 12):  # empty cells still move the column on
            column = struct.unpack_from("<I", data, at)[0] if kind == 1 else column + 1
    return bounds.extent()


# -- ods: the table's XML ---------------------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELL_TAGS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")


def _repeat(element: Element, name: str) -> int:
    value = element.get(f"{_TABLE}{name}", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _ods(book: zipfile.ZipFile, limits: InputLimits) -> dict[str, Extent]:
    from xml.etree.ElementTree import XMLPullParser

    parser: XMLPullParser = XMLPullParser(events=("start", "end"))
    extents: dict[str, Extent] = {}
    bounds, stack, name = _Bounds(), [], None
    row, column, rows_repeated = 0, 0, 1
    with book.open("content.xml") as stream:
        for piece in _capped(stream, limits, "content.xml"):
            parser.feed(piece)
            for event, element in cast("Iterator[tuple[str, Element]]", parser.read_events()):
                tag = element.tag
                if event == "start":
                    stack.append(element)
                    if tag == f"{_TABLE}table":
                        name, bounds, row = element.get(f"{_TABLE}name", ""), _Bounds(), 0
                    elif tag == f"{_TABLE}table-row":
                        rows_repeated = _repeat(element, "number-rows-repeated")
                        column = 0
                    continue
                stack.pop()
                if tag in _CELL_TAGS:
                    columns = _repeat(element, "number-columns-repeated")
                    if len(element) or element.get(f"{_OFFICE}value-type") is not None:
                        bounds.add(row + 1, column + 1, rows_repeated, columns)
                    column += columns
                elif tag == f"{_TABLE}table-row":
                    row += rows_repeated
                elif tag == f"{_TABLE}table" and name is not None:
                    extents[name] = bounds.extent()
                # The tree is never kept: each element goes once read (a cell keeps its
                # own until it ends, which tells whether it holds anything).
                if stack and stack[-1].tag not in _CELL_TAGS:
                    stack[-1].remove(element)
    return extents


# -- xls: the sheet's BIFF records ------------------------------------------------------

_BOF, _EOF, _BOUND_SHEET = 0x0809, 0x000A, 0x0085
#: Records of one cell: row, then column.
_XLS_CELLS = frozenset({0x0203, 0x0204, 0x00FD, 0x027E, 0x0006, 0x0205, 0x00D6})
_MULRK = 0x00BD


def _xls(data: bytes | mmap.mmap) -> dict[str, Extent]:
    import olefile

    with olefile.OleFileIO(bytes(data)) as document:
        stream_name = next((n for n in ("Workbook", "Book") if document.exists(n)), None)
        if stream_name is None:
            return {}
        workbook = document.openstream(stream_name).read()
    at, sheets = 0, {}
    while at + 4 <= len(workbook):
        kind, size = struct.unpack_from("<HH", workbook, at)
        body = at + 4
        if kind == _BOUND_SHEET and size >= 8:
            position, count, flags = struct.unpack_from("<IxxBB", workbook, body)
            characters = workbook[body + 8 : body + 8 + count * (2 if flags & 1 else 1)]
            name = characters.decode("utf-16-le" if flags & 1 else "latin-1", errors="replace")
            sheets[name] = position
        elif kind == _EOF:
            break
        at = body + size
    return {name: _xls_sheet(workbook, offset) for name, offset in sheets.items()}


def _xls_sheet(workbook: bytes, at: int) -> Extent:
    bounds = _Bounds()
    while at + 4 <= len(workbook):
        kind, size = struct.unpack_from("<HH", workbook, at)
        body = at + 4
        if kind in _XLS_CELLS and size >= 4:
            row, column = struct.unpack_from("<HH", workbook, body)
            bounds.add(row + 1, column + 1)
        elif kind == _MULRK and size >= 6:
            row, first = struct.unpack_from("<HH", workbook, body)
            (last,) = struct.unpack_from("<H", workbook, body + size - 2)
            if last >= first:
                bounds.add(row + 1, first + 1, 1, last - first + 1)
        elif kind == _EOF:
            break
        at = body + size
    return bounds.extent()
