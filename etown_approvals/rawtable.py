"""The raw table: an input's text cells with the line each record starts on.

Readers (CSV, Excel) produce a :class:`RawTable`; the loader reads it column by
column as :class:`TextColumn`. Nothing here interprets a value.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .i18n import gettext as _


def source_name(path: str | Path) -> str:
    """How an input is named in messages: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if str(path) == "-" else str(path)


#: The white space trimmed off every cell, as etown's reader and its SQL (``etown sql``)
#: trim it: Unicode white space as Python's ``str.isspace`` and pyarrow's
#: ``utf8_trim_whitespace`` know it (tabs, line breaks, vertical tab, the information
#: separators U+001C-U+001F, NEL, no-break, line and paragraph separators, the
#: typographic and ideographic spaces). Written as the characters themselves.
WHITE_SPACE = "".join(
    (
        "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680",
        "".join(chr(c) for c in range(0x2000, 0x200B)),
        "\u2028\u2029\u202f\u205f\u3000",
    )
)


@cache
def _white_space_set() -> pa.Array:
    # Made when first needed: pa.array from Python objects imports pandas, which
    # etown imports on a thread while the input is parsed (see _lazy).
    return pa.array(list(WHITE_SPACE), type=pa.string())


def trim(strings: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``strings`` without :data:`WHITE_SPACE` at either end."""
    return pc.utf8_trim(strings, characters=WHITE_SPACE)


#: Written before a file column's name where it would share one with a computed column.
ATTRIBUTE_PREFIX = "attribute:"


def apart(names: Sequence[str], taken: Collection[str]) -> list[str]:
    """The file's column ``names`` as written beside computed columns named ``taken``
    (a CSV of projects, the rejected rows): a name that is taken, or that already
    starts with :data:`ATTRIBUTE_PREFIX`, gets the prefix. The prefixed names are then
    neither taken nor any other column's (the prefix is added to every name that
    starts with it), so no file column can stand in for a computed one or another."""
    return [
        f"{ATTRIBUTE_PREFIX}{name}" if name in taken or name.startswith(ATTRIBUTE_PREFIX) else name
        for name in names
    ]


def is_empty(strings: pa.Array) -> np.ndarray:
    """Per string: it is the empty string."""
    return np.asarray(pc.equal(strings, "").to_numpy(zero_copy_only=False), dtype=bool)


@dataclass
class MalformedRecord:
    """A record the CSV parser could not split into one field per column."""

    #: Position among the records after the header, from 1 (as pyarrow counts).
    ordinal: int | None
    text: str
    expected: int
    actual: int
    #: Line in the file where it starts; set by :meth:`RawTable.line_numbers`.
    line: int | None = None
    #: The file's delimiter: a line of delimiters alone (``,``) holds no value either.
    delimiter: str = ","

    @property
    def blank(self) -> bool:
        """Only spaces, tabs, delimiters and quotes (a blank line, a lone ``,``): a
        blank row, not a record with too few fields."""
        return not self.text.strip(' \t\r\n"' + self.delimiter)


@dataclass(frozen=True)
class EmptyLines:
    """Runs of empty lines (a line break and nothing before it), which pyarrow's parse
    skips: a file of millions of blank lines costs no row in the table. A run is its
    first line and how many lines it has."""

    firsts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def total(self) -> int:
        """How many empty lines there are in all."""
        return int(self.counts.sum())

    def hold(self, lines: np.ndarray) -> np.ndarray:
        """Per line of ``lines``: it is one of these empty lines."""
        if self.firsts.size == 0:
            return np.zeros(len(lines), dtype=bool)
        run = np.searchsorted(self.firsts, lines, side="right") - 1
        inside = lines < (self.firsts + self.counts)[np.maximum(run, 0)]
        return (run >= 0) & inside

    def real_lines(self, lines: np.ndarray, first_line: int) -> np.ndarray:
        """``lines`` numbered as if no empty line were there (from ``first_line``), as
        they are in the file."""
        if self.firsts.size == 0:
            return lines
        before = np.cumsum(self.counts) - self.counts  # empty lines before each run
        # A line lies past a run when as many other lines as precede the run precede it.
        others_before = self.firsts - first_line - before
        runs_before = np.searchsorted(others_before, lines - first_line, side="right")
        shift = np.append(0, np.cumsum(self.counts))[runs_before]
        return lines + shift.astype(lines.dtype, copy=False)


@dataclass
class RawTable:
    """The text cells of one input table, before any interpretation.

    ``table`` has one dictionary-encoded string column per header, named
    ``c0``, ``c1``, ... (by position); ``headers`` holds the names as written in
    the file, except that a name used by an earlier column gets a suffix
    (``zone``, ``zone_2``), with a note, so that no column is hidden by another.

    A reader may parse only some columns at first (those a command needs):
    :meth:`column` parses any other one when it is asked for, through
    ``parse_more``, so every cell of the file stays within reach.
    """

    source: str
    headers: list[str]
    table: pa.Table
    delimiter: str = ","
    malformed: list[MalformedRecord] = field(default_factory=list)
    #: Lines of only spaces or tabs, which the CSV parser sees as too short:
    #: blank rows, not malformed ones.
    blank_records: list[MalformedRecord] = field(default_factory=list)
    #: Empty lines the parse skipped (blank rows too, counted and reported by runs).
    empty_lines: EmptyLines = field(default_factory=EmptyLines)
    notes: list[str] = field(default_factory=list)
    #: The workbook sheet the table comes from (None: a text file).
    sheet: str | None = None
    #: Computes the line where each record starts (and sets ``line`` on ``malformed``);
    #: None: one line per record, right after a one-line header.
    locate: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    _lines_cache: np.ndarray | None = field(default=None, repr=False)
    #: The command-line arguments that name this input again: its path (or URL),
    #: then ``--sheet NAME`` for a workbook sheet. ``source`` is for messages
    #: (``book.xlsx[data]``); hints that suggest a command use these.
    arguments: list[str] = field(default_factory=list)
    #: Parses the columns at the given positions (same records, same order) when
    #: ``table`` does not have them yet; None: ``table`` has every column.
    parse_more: Callable[[list[int]], pa.Table] | None = field(default=None, repr=False)
    #: The line (text) or sheet row (workbook) where the header starts, when it is
    #: not simply the first one with text (rows above it skipped, or named by the user).
    header_row: int | None = None
    _indexed: pa.Table | None = field(default=None, repr=False, compare=False)
    _positions: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def column(self, position: int) -> pa.ChunkedArray:
        """The text cells of the column at ``position``, parsed now if they were not yet."""
        at = self._index().get(position)
        if at is None:
            self.load_columns([position])
            at = self._index()[position]
        return self.table.column(at)

    def _index(self) -> dict[int, int]:
        """Position in the file -> index in ``table``, made once per ``table``: looking a
        column up by name scans every name, which a file of many columns cannot afford."""
        if self._indexed is not self.table:
            names = self.table.column_names
            self._positions = {int(name[1:]): i for i, name in enumerate(names)}
            self._indexed = self.table
        return self._positions

    def load_columns(self, positions: Iterable[int] | None = None) -> None:
        """Parse the columns at ``positions`` (None: every column) that are not parsed yet."""
        wanted = range(len(self.headers)) if positions is None else positions
        have = self._index()
        missing = sorted({i for i in wanted if i not in have})
        if not missing:
            return
        assert self.parse_more is not None, "a raw table without a parser misses columns"
        more = self.parse_more(missing)
        columns = dict(zip(self.table.column_names, self.table.columns, strict=True))
        columns.update(zip(more.column_names, more.columns, strict=True))
        order = sorted(columns, key=lambda name: int(name[1:]))
        self.table = pa.table({name: columns[name] for name in order})

    @property
    def complete(self) -> bool:
        """Whether every column is parsed."""
        return self.table.num_columns == len(self.headers)

    def full_table(self) -> pa.Table:
        """``table`` with every column (parsing the missing ones)."""
        self.load_columns()
        return self.table

    def command_arguments(self) -> str:
        """``arguments`` quoted for a shell, as hints print them (``source`` if unknown)."""
        return shlex.join(self.arguments or [self.source])

    def __post_init__(self) -> None:
        self.headers = _distinct_names(self.headers, self.source, self.notes)

    def __repr__(self) -> str:
        """A line with the table's size (never its cells)."""
        return (
            f"RawTable(source={self.source!r}, columns={len(self.headers):,}, "
            f"records={self.num_records:,})"
        )

    @property
    def num_records(self) -> int:
        """How many records the table holds."""
        return self.table.num_rows

    def line_numbers(self) -> np.ndarray:
        """The line in the file where each record starts (the header is line 1)."""
        if self._lines_cache is None:
            if self.locate is None:
                for record in (*self.malformed, *self.blank_records):
                    record.line = None if record.ordinal is None else record.ordinal + 1
                self._lines_cache = np.arange(2, self.num_records + 2, dtype=np.int64)
            else:
                self._lines_cache = self.locate()
        return self._lines_cache


def _distinct_names(headers: list[str], source: str, notes: list[str]) -> list[str]:
    """``headers`` with a suffix ``_2``, ``_3``, ... on names an earlier column already has.

    Names are compared as written (after trimming); the renamed column is said
    in a note, since a role (project, date, a stage) is taken by the first.
    """
    if len(set(headers)) == len(headers):
        return headers
    taken = set(headers)
    seen: set[str] = set()
    result = []
    for position, name in enumerate(headers):
        if name in seen:
            suffix = 2
            while f"{name}_{suffix}" in taken:
                suffix += 1
            renamed = f"{name}_{suffix}"
            taken.add(renamed)
            notes.append(
                f"{source}: "
                + _("column {position} is also named {name}; read as {renamed}").format(
                    position=position + 1, name=repr(name), renamed=repr(renamed)
                )
            )
            name = renamed
        seen.add(name)
        result.append(name)
    return result


@dataclass
class TextColumn:
    """A dictionary-encoded text column: distinct values and per-row indices."""

    header: str
    #: Whitespace-trimmed strings, distinct when read from a dictionary; one per
    #: row (never pointed at for a null cell) when the column was read as plain text.
    values: pa.Array
    indices: np.ndarray  # per row, -1 for null
    #: Whether trimming changed any value (so values may no longer be distinct).
    trimmed: bool = False

    @classmethod
    def of(cls, raw: RawTable, position: int) -> TextColumn:
        """The text column at ``position`` of ``raw``."""
        chunked = raw.column(position)
        array = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
        if not pa.types.is_dictionary(array.type):
            # Plain text (values nearly all distinct): each cell is its own value.
            distinct = array.cast(pa.string())
            indices = np.arange(len(array), dtype=np.int32)
            if array.null_count:
                indices[np.asarray(array.is_null().to_numpy(zero_copy_only=False))] = -1
        else:
            distinct = array.dictionary
            if array.null_count == 0:  # a view of the table's own buffer: no copy
                indices = array.indices.to_numpy(zero_copy_only=False)
            else:
                indices = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False)
        if len(distinct) == 0:  # an empty column (a file of many columns has many)
            return cls(raw.headers[position], distinct, indices, False)
        # Trimmed only if some value starts or ends with white space, which two
        # one-character slices tell without a copy of every value.
        edges = pc.or_(
            pc.is_in(pc.utf8_slice_codeunits(distinct, 0, 1), value_set=_white_space_set()),
            pc.is_in(pc.utf8_slice_codeunits(distinct, -1), value_set=_white_space_set()),
        )
        trimmed = pc.any(edges).as_py() is True
        values = trim(distinct) if trimmed else distinct
        return cls(raw.headers[position], values, indices, trimmed)

    def empty_values(self) -> np.ndarray:
        """Per distinct value: empty after trimming; one more entry (True) for index -1."""
        return np.append(is_empty(self.values), True)

    def blank(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Per row (all, or ``rows``): the cell is empty or only white space."""
        return self.empty_values()[self.indices if rows is None else self.indices[rows]]

    def text(self, rows: np.ndarray) -> list[str | None]:
        """The trimmed cell text of ``rows``."""
        picked = self.indices[rows]
        strings = self.values.to_numpy(zero_copy_only=False)
        return [None if i < 0 else strings[i] for i in picked]
