"""Where the table is in a file: its header row, and the rows after it that are notes.

Agencies' exports often hold more than a table: a title and banner rows above the
header, a header split over two rows (``Queue`` / ``Pos.``), and counts, legends
and disclaimers below the last record. The readers hand the first rows of a file
or sheet to :func:`choose_header` as cell texts; the loader asks
:func:`trailing_notes` which of the last rows are notes once it knows the
project column. Nothing here reads a file.

The rules (documented in the README):

- **Header.** ``--header-row N`` (``[source] header_row``) names it. Otherwise,
  when the configuration or the options name columns, the header is the first row
  that holds them; else the first row that looks like a header: at least two
  filled cells over at least half the table's width, nearly all of them distinct
  text (not numbers or dates). Only rows that do not span the table (titles and
  notes: fewer than three filled cells, or fewer than half the table's width) are
  skipped to reach it; if a row that spans the table comes first, the first row
  with two filled cells is the header, as in a plain file. A title or banner that
  looks like a header (``Generating Facility`` over some of its columns) is passed
  over for a row below it, before the first row of data, that looks like a header
  too and fills half as many cells again (twice as many right below it: else it is
  the header's second row).
- **Header over several rows.** The rows right below the header that hold only
  text, the first of them filling a cell the header leaves blank (``Queue``
  above ``Pos.``, a blank above ``State``), and followed by a row of typed
  values, are part of it (at most five rows in all; in a workbook, also the rows
  its merged cells reach down to).
  Each column's name is its texts, top to bottom, joined by a space; a cell
  merged across columns names each of them.
- **Notes after the table.** The last rows are notes, not data, when none has
  an id-like project cell (see :func:`id_like`) or a date in a date column, and
  either they come after a blank row and each fills at most two cells, or every
  row above them has an id-like project cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .i18n import gettext as _
from .i18n import ngettext
from .stages import StageSet, normalize_name

if TYPE_CHECKING:
    from .rawtable import TextColumn

#: How many rows from the top are looked at for the header.
SEARCH_ROWS = 60
#: How many rows a header may span.
HEADER_ROWS = 5
#: How many rows at the end may be notes.
NOTE_ROWS = 500

_NUMBER = re.compile(r"[-+(]?[$€£¥]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?\)?")
_DATE = re.compile(
    r"\d{1,4}\s*[-/.年]\s*\d{1,2}"  # 2023-09-15, 15/09/2023, 2023年9月
    r"|\d{1,2}[ -][A-Za-z]{3,9}\.?[ -,]+\d{2,4}"  # 15 Sep 2023, 15-Dec-21
    r"|[A-Za-z]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{2,4}"  # Sep 15, 2023
)
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


def looks_typed(text: str) -> bool:
    """Whether a cell's text is a number or a date (a data cell, not a column name)."""
    if not _DIGIT.search(text):  # both have digits: most names are done here
        return False
    text = text.strip()
    return bool(_NUMBER.fullmatch(text) or _DATE.match(text))


@dataclass(frozen=True)
class SampleRow:
    """One row of the top of a file or sheet: each cell's trimmed text ('' when blank),
    and whether it is a typed value (a number, a date; a workbook's number cells)."""

    cells: tuple[str, ...]
    typed: tuple[bool, ...]

    @classmethod
    def of_texts(cls, texts: Sequence[str]) -> SampleRow:
        """A sample row of these cell texts."""
        cells = tuple(t.strip() for t in texts)
        return cls(cells, tuple(bool(c) and looks_typed(c) for c in cells))

    @property
    def filled(self) -> int:
        """How many cells are filled."""
        return sum(1 for c in self.cells if c)

    @property
    def blank(self) -> bool:
        """Whether no cell is filled."""
        return not any(self.cells)

    @property
    def has_typed(self) -> bool:
        """Whether some cell holds a number or a date."""
        return any(self.typed)


@dataclass(frozen=True)
class HeaderHint:
    """What the user said about the header: its row, or the columns it must hold."""

    #: The line (text) or sheet row (workbook) of the header, counting from 1.
    row: int | None = None
    #: Column names the header must hold (the project, event and date columns named).
    columns: tuple[str, ...] = ()
    #: A configured stage set: without named columns, a header holding its start and
    #: end stages' column names is the one.
    stages: StageSet | None = None

    @classmethod
    def of(cls, stages: StageSet, row: int | None = None) -> HeaderHint:
        """The hint a stage set gives (its named columns), with the header row if given."""
        named = tuple(
            c for c in (stages.project_column, stages.event_column, stages.date_column) if c
        )
        return cls(row=row, columns=named, stages=stages if stages.configured else None)

    @property
    def names_columns(self) -> bool:
        """Whether the hint names columns the header must hold."""
        return bool(self.columns) or self.stages is not None

    def held_by(self, names: Sequence[str]) -> bool:
        """Whether a header of ``names`` holds what the hint names."""
        if not self.names_columns:
            return False
        if self.columns and set(self.columns) <= set(names):
            return True  # as written: no need to fold every name
        folded = {normalize_name(n) for n in names if n}
        if self.columns:
            return all(normalize_name(c) in folded for c in self.columns)
        assert self.stages is not None
        found = {self.stages.stage_of_header(n) for n in names if n}
        return {self.stages.start, self.stages.end} <= found


@dataclass(frozen=True)
class HeaderChoice:
    """Where the header is among the rows looked at, and its column names."""

    #: Index of its first row among the rows given.
    index: int
    #: How many rows it spans.
    count: int
    #: One name per column ('' where no row names the column).
    names: list[str]


def choose_header(
    rows: Sequence[SampleRow],
    hint: HeaderHint | None = None,
    *,
    given: int | None = None,
    merged: Sequence[tuple[int, int, int, int]] = (),
) -> HeaderChoice:
    """The header among ``rows`` (the top of a file or sheet; see the module's rules).

    ``given``: the index of the row the user named. ``merged``: a workbook's merged
    cells as (first row, first column, last row, last column) indices into ``rows``.
    """
    hint = hint or HeaderHint()
    at = given if given is not None else _find_start(rows, hint)
    count = _header_extent(rows, at, merged)
    return HeaderChoice(at, count, _names(rows, at, count, merged))


def _find_start(rows: Sequence[SampleRow], hint: HeaderHint) -> int:
    filled = [i for i, row in enumerate(rows) if not row.blank]
    if not filled:
        return 0
    width = max(rows[i].filled for i in filled)
    found = _first_header_like(rows, filled, width, hint)
    if found is None:
        return next((i for i in filled if rows[i].filled >= 2), filled[0])
    # A title or banner that looks like a header ("Generating Facility" over some of
    # its columns) is passed over for a row below it, before the first row of data,
    # that looks like one too and fills half as many cells again.
    if hint.names_columns and (
        hint.held_by(rows[found].cells)
        or hint.held_by(_names(rows, found, _header_extent(rows, found, ()), ()))
    ):
        return found  # the row holding the columns named
    for i in filled:
        if i <= found:
            continue
        if rows[i].has_typed:
            break
        # Right below it, a row twice as full (else its second row, to be joined).
        more = 2 if i == found + 1 else 1.5
        if looks_like_header(rows[i], width) and rows[i].filled >= more * rows[found].filled:
            found = i
    return found


def _first_header_like(
    rows: Sequence[SampleRow], filled: list[int], width: int, hint: HeaderHint
) -> int | None:
    if hint.names_columns:  # a row holding the named columns, else a header over rows
        for i in filled:
            if hint.held_by(rows[i].cells):
                return i
        for i in filled:
            if looks_like_header(rows[i], width) and hint.held_by(
                _names(rows, i, _header_extent(rows, i, ()), ())
            ):
                return i
    for i in filled:
        row = rows[i]
        if looks_like_header(row, width):
            return i
        if row.filled >= 3 and 2 * row.filled >= width:
            break  # a row that spans the table: the table starts here
    return None


def plain_header(names: Sequence[str]) -> bool:
    """Whether a file's first row is a header by itself: two or more names, none blank,
    nearly all distinct and not numbers or dates (the common case, decided at once)."""
    if len(names) < 2 or not all(names):
        return False
    if len({" ".join(n.casefold().split()) for n in names}) < 0.8 * len(names):
        return False
    return sum(1 for n in names if _DIGIT.search(n) and looks_typed(n)) <= 0.2 * len(names)


def looks_like_header(row: SampleRow, width: int) -> bool:
    """At least two filled cells over half the table's width, nearly all distinct text."""
    texts = [c for c, typed in zip(row.cells, row.typed, strict=True) if c and not typed]
    filled = row.filled
    if filled < 2 or 2 * filled < width or len(texts) < 0.8 * filled:
        return False
    return len({" ".join(c.casefold().split()) for c in row.cells if c}) >= 0.8 * filled


def _header_extent(
    rows: Sequence[SampleRow], at: int, merged: Sequence[tuple[int, int, int, int]]
) -> int:
    """How many rows the header starting at ``at`` spans."""
    header = rows[at]
    last = at
    for top, _left, bottom, _right in merged:  # cells merged down from the header row
        if top == at and bottom > last:
            last = min(bottom, at + HEADER_ROWS - 1)
    if any(rows[i].has_typed for i in range(at + 1, min(last + 1, len(rows)))):
        last = at  # merged over data rows: not a header
    more: list[int] = []
    i = last + 1
    while i < len(rows) and i - at < HEADER_ROWS:
        row = rows[i]
        if row.blank or row.has_typed:
            break
        under_blank = any(
            cell and (j >= len(header.cells) or not header.cells[j])
            for j, cell in enumerate(row.cells)
        )
        if not more and not under_blank:
            break  # the header's first row must leave a blank over the next one
        more.append(i)
        i += 1
    if more:
        following = next((r for r in rows[more[-1] + 1 :] if not r.blank), None)
        if following is not None and following.has_typed:
            last = more[-1]
    return last - at + 1


def _names(
    rows: Sequence[SampleRow], at: int, count: int, merged: Sequence[tuple[int, int, int, int]]
) -> list[str]:
    block = [list(rows[i].cells) for i in range(at, min(at + count, len(rows)))]
    if count == 1:
        return block[0]
    width = max(len(cells) for cells in block)
    for cells in block:
        cells.extend([""] * (width - len(cells)))
    for top, left, bottom, right in merged:  # a cell merged across names every column
        for i in range(max(top, at), min(bottom, at + count - 1) + 1):
            text = block[i - at][left] if left < width else ""
            for j in range(left + 1, min(right, width - 1) + 1):
                if not block[i - at][j] and i == top:
                    block[i - at][j] = text
    joined = []
    for j in range(width):
        parts = [_SPACES.sub(" ", cells[j]).strip() for cells in block if cells[j]]
        joined.append(" ".join(dict.fromkeys(parts)))
    return joined


def header_note(
    source: str,
    unit: str,
    first: int,
    choice: HeaderChoice,
    numbers: Sequence[int],
    skipped: Sequence[tuple[int, str]],
) -> str | None:
    """The note that says which row is the header (None for a plain one-row header
    on the first filled row).

    ``unit`` is ``line`` or ``row``; ``first`` the number of the first filled row,
    ``numbers`` the header rows' numbers, ``skipped`` the (number, first text) of
    the filled rows above it.
    """
    if numbers[0] == first and len(numbers) == 1:
        return None
    line = unit == "line"
    if len(numbers) == 1:
        where = (_("header on line {number}") if line else _("header on row {number}")).format(
            number=numbers[0]
        )
    else:
        joined = ", ".join(repr(n) for n in choice.names[:4] if n) + (
            ", ..." if len(choice.names) > 4 else ""
        )
        where = (
            _("header on lines {first}-{last} (joined: {names})")
            if line
            else _("header on rows {first}-{last} (joined: {names})")
        ).format(first=numbers[0], last=numbers[-1], names=joined)
    text = f"{source}: {where}"
    if skipped:
        shown = ", ".join(repr(_short(t)) for _, t in skipped[:3])
        if len(skipped) > 3:
            shown = _("{shown} and {more} more").format(shown=shown, more=len(skipped) - 3)
        if len(skipped) == 1:
            above = (
                _("line {number} above it skipped ({shown})")
                if line
                else _("row {number} above it skipped ({shown})")
            ).format(number=skipped[0][0], shown=shown)
        else:
            above = (
                ngettext(
                    "{count} line above it skipped ({shown})",
                    "{count} lines above it skipped ({shown})",
                    len(skipped),
                )
                if line
                else ngettext(
                    "{count} row above it skipped ({shown})",
                    "{count} rows above it skipped ({shown})",
                    len(skipped),
                )
            ).format(count=len(skipped), shown=shown)
        text += _("; {above}").format(above=above)
    return text + _(" (choose with --header-row)")


def _short(text: str, size: int = 50) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= size else text[: size - 3] + "..."


# -- the rows after the table -------------------------------------------------


def id_like(values: pa.Array) -> np.ndarray:
    """Per value: it looks like an id (one word of at most 40 characters with a digit:
    ``0276``, ``C24-001``, ``BLD2013-01234``), not words (``NOTES:``, ``Total``)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    text = values.cast(pa.string())
    word = pc.match_substring_regex(text, r"^\S{1,40}$")
    digit = pc.match_substring_regex(text, r"\d")
    both = pc.fill_null(pc.and_(word, digit), False)
    return np.asarray(both.to_numpy(zero_copy_only=False), dtype=bool)


def reads_as_date(values: pa.Array) -> np.ndarray:
    """Per value: it reads as a date in some way (either day/month order, or a
    two-digit year), as the date reader would take it."""
    from . import dates

    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    scan = dates.scan_dates(values)
    either = scan.numeric & (scan.valid_dayfirst | scan.valid_monthfirst)
    return (scan.status == dates.OK) | (scan.status == dates.TWO_DIGIT_YEAR) | either


#: Says, per distinct value of a column, whether the value shows a row is data.
Evidence = tuple["TextColumn", Callable[[pa.Array], np.ndarray]]


def trailing_notes(
    project: TextColumn,
    evidence: Sequence[Evidence],
    blank: np.ndarray,
    filled_cells: Callable[[np.ndarray], np.ndarray],
    gap_before: np.ndarray | None = None,
) -> np.ndarray | None:
    """The rows at the end of the table that are notes (see the module's rules), or None.

    ``evidence``: columns whose values show that a row is data (a date in a date
    column, a stage's name in an event column), each with its test of distinct
    values. ``blank``: per row, empty. ``filled_cells(rows)`` gives the number of
    filled cells of each of those rows; it is asked only about rows at the end
    that have neither an id nor any evidence, after a blank row. ``gap_before``: per
    row, an empty line right above it (which the parse skips, so it is no blank row).
    """
    n = blank.size
    if n < 2 or bool(blank.all()):
        return None
    # Only the last rows are looked at first: most tables end with a row of data.
    tail = np.arange(max(n - NOTE_ROWS, 0), n)
    tail_is_id = _rows_id_like(project, tail)
    last = int(tail[~blank[tail]][-1]) if (~blank[tail]).any() else -1
    if last < 0 or tail_is_id[last - tail[0]]:
        return None  # the common case: the table ends with a row that has an id
    if tail_is_id.any():
        tail = tail[tail > tail[tail_is_id].max()]
    for column, shows_data in evidence:  # rows with evidence are data: notes come after
        tail = _after_last(tail, column, shows_data)
    while tail.size:  # a project named above is data too
        codes = project.indices[tail]
        named = np.isin(codes, project.indices[: tail[0]]) & (codes >= 0)
        if not named.any():
            break
        tail = tail[tail > tail[named].max()]
    candidates = tail[~blank[tail]]
    if candidates.size == 0:
        return None
    begin = int(candidates[0])
    if bool(blank[:begin].all()):
        return None  # nothing above: these rows are the table
    above = np.flatnonzero(~blank[:begin])
    if bool(_rows_id_like(project, above).all()):
        return candidates  # every row above has an id, these have none
    # Else they must come after a blank row, each with at most two filled cells: the
    # earliest such start, looking back from the end (a row of more cells stops it).
    gap = np.zeros(n, dtype=bool) if gap_before is None else gap_before
    after_blank = (blank[np.maximum(candidates - 1, 0)] & (candidates > 0)) | gap[candidates]
    if not after_blank.any():
        return None
    candidates = candidates[int(np.argmax(after_blank)) :]
    counts = np.asarray(filled_cells(candidates))
    chosen = None
    for k in range(candidates.size - 1, -1, -1):
        if counts[k] > 2:
            break
        row = int(candidates[k])
        if (row > 0 and blank[row - 1]) or gap[row]:
            chosen = row
    return None if chosen is None else candidates[candidates >= chosen]


def _rows_id_like(project: TextColumn, rows: np.ndarray) -> np.ndarray:
    """Per row of ``rows``: its project cell looks like an id (each distinct value once)."""
    codes = project.indices[rows]
    known = codes >= 0
    found = np.zeros(rows.size, dtype=bool)
    if known.any():
        distinct, where = np.unique(codes[known], return_inverse=True)
        found[known] = id_like(project.values.take(pa.array(distinct)))[where]
    return found


def _after_last(
    tail: np.ndarray, column: TextColumn, shows_data: Callable[[pa.Array], np.ndarray]
) -> np.ndarray:
    """The rows of ``tail`` after the last one whose cell in ``column`` shows data."""
    picked = column.indices[tail]
    known = picked >= 0
    if not known.any():
        return tail
    distinct, where = np.unique(picked[known], return_inverse=True)
    has = np.zeros(tail.size, dtype=bool)
    has[known] = shows_data(column.values.take(pa.array(distinct)))[where]
    return tail[tail > tail[has].max()] if has.any() else tail
