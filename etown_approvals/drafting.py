"""Drafting a configuration from a raw export (``etown init``).

Reads a file as etown reads any file (its header found, the rows after the table
left out), looks at every column and proposes what a person would write in
``etown.toml``: the project id column, whether the file has one row per project
(a date column per stage) or one row per event, the stages in process order
(ordered by their median date), the metric (first to last stage), the values of
a status column that mean a project was withdrawn, and how to read the file
(encoding, delimiter, sheet, header row, a date format for two-digit years).

Every choice is a proposal: the drafted text says what was decided and why, and
lists the choices it did not make as comments. :func:`draft` never measures
anything; the command line loads the file with the draft to show its headline.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import dates as dates_mod
from .config import RESERVED_STAGE_NAMES, ProjectConfig, config_from_dict
from .errors import EncodingError, UsageError
from .i18n import ngettext
from .options import DELIMITER_NAMES
from .rawtable import RawTable, TextColumn
from .reader import read_table, suggested_encodings
from .shape import HeaderHint, id_like
from .stages import ETOWN, PROJECT_COLUMN_ALIASES, find_column, normalize_name

#: Words of values (and date columns) that say a project ended without its permit.
WITHDRAWAL = re.compile(
    r"(?i)\b(?:withdr\w*|w/\s?d\b|cancel\w*|refus\w*|denied|denial|deny|expir\w*"
    r"|abandon\w*|revok\w*|revoc\w*|reject\w*|void\w*|terminat\w*|laps\w*)"
)
#: A stage column needs dates in this share of the rows (and in two rows at least).
STAGE_SHARE = 0.05
#: Date columns that keep records, not steps of the process.
_RECORD_KEEPING = re.compile(
    r"(?i)\b(?:last|updated?|modified|changed|edited|refresh\w*|extract\w*|loaded"
    r"|as\s+of|report(?:ed)?\s+(?:run|date)|run\s+date|snapshot|status\s+date)\b"
)
#: Date columns that hold plans rather than what happened.
_PLANNED = re.compile(
    r"(?i)\b(?:proposed|projected|planned|expected|estimated|anticipated|target(?:ed)?"
    r"|scheduled|forecast\w*|requested\s+in.service)\b"
)
#: Column names that say a column holds the ids of permits or cases (``Permit Number``,
#: ``FILENO``, ``Queue Pos.``), and names of row ids (``Record ID``), a weaker sign.
_ID_NAME = re.compile(
    r"(?i)(?:number|num\b|num$|no\.?$|\bno\b|#|\bpos\.?\b|position|permit|applic"
    r"|file|folder|case|reference|\bref\b|\binr\b|queue|project|项目)"
)
_ROW_ID_NAME = re.compile(r"(?i)(?:\bid\b|id$|record)")
#: Database row numbers and coordinates: id-like values that are not project ids.
_NOT_IDS = {"objectid", "objectid 1", "fid", "oid", "rowid", "row", "index", "x", "y"}
_STATUS_NAME = re.compile(r"(?i)status|state|outcome|decision|result|disposition|stage")
_EVENT_NAME = re.compile(r"(?i)event|stage|milestone|step|activity|action|task|type|status")
#: Single-byte code pages of Western exports: cp1252 is the usual one of them.
_WESTERN = {"cp1252", "iso8859_15", "iso8859_1", "latin_1", "cp1250", "iso8859_2", "mac_roman"}


@dataclass
class ColumnProfile:
    """What one column holds."""

    position: int
    header: str
    #: Rows with a value.
    filled: int
    distinct: int
    #: Rows whose value looks like an id, or reads as a date.
    ids: int
    dated: int
    #: Rows whose date has a two-digit year (readable only through a format).
    two_digit_years: int
    #: The median of its dates (a day number), None without dates.
    median_day: int | None
    #: Its distinct values when there are few (at most 100), else empty, and the
    #: code (index into the column's values) of each.
    values: list[str] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    #: Per row, the value's index (-1 empty): kept for events' dates.
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    #: Per distinct value, the day number (``dates.NO_DATE`` if not a date).
    days: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    #: Distinct values whose dates have two-digit years, for a format's guess.
    short_years: list[str] = field(default_factory=list)
    #: Its ``01/02/2023``-style dates read either way and nothing tells the order.
    ambiguous: bool = False
    #: Some of its distinct values (at most 200), to tell what kind they are.
    sample: list[str] = field(default_factory=list)

    @property
    def is_date(self) -> bool:
        """Whether the column holds dates."""
        return self.filled > 0 and self.dated >= 0.9 * self.filled


@dataclass
class Draft:
    """A drafted configuration: its text, what it says, and why."""

    #: The commented TOML text.
    text: str
    #: The configuration the text makes (read back from it).
    config: ProjectConfig
    #: One line per decision, for the person who asked.
    decisions: list[str]
    layout: str
    #: Whether the headline can be given (False: a choice is left to the user).
    measurable: bool = True


def draft(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    project: str | None = None,
    today: date | None = None,
    next_command: str = "FILE",
) -> Draft:
    """Draft a configuration for the export at ``path``.

    The reading options are those of every command; ``project`` names the id
    column instead of choosing it. ``today`` is the date after which dates are
    plans (default: today). ``next_command``: the arguments of ``etown summary``
    that use the draft, for its first comment.
    """
    today = today or date.today()
    hint = HeaderHint(row=header_row, columns=(project,) if project else ())
    decisions: list[str] = []
    raw, encoding = _read(path, encoding, delimiter, sheet, hint, decisions)
    raw.load_columns()
    if raw.num_records == 0:
        raise UsageError(
            "the file has a header but no data rows: nothing to draft from", source=raw.source
        )
    profiles = [_profile(raw, i) for i in range(len(raw.headers))]
    today_day = (today - date(1970, 1, 1)).days
    chosen = _project(profiles, project, raw)
    table = _table_rows(raw, profiles, chosen)
    # Two-digit years: their format decided from the values, then every column read so.
    formats = _date_formats([p for p in profiles if p.is_date])
    read_with = formats[0] if formats else []
    if table is not None or read_with:  # the columns without the notes, in that format
        profiles = [_profile(raw, i, table, read_with) for i in range(len(raw.headers))]
        chosen = profiles[chosen.position]
    writer = _Writer()
    writer.line(f"# Drafted by `etown init` from {raw.source}.")
    writer.line("# Every choice below is a proposal, with the others as comments. Check it,")
    writer.line("# then run:")
    writer.line(f"#   etown summary {next_command}")
    _source_section(writer, raw, encoding, delimiter, decisions)
    n = max(p.filled for p in profiles)  # rows of the table with a value
    others = [p for p in _id_candidates(profiles) if p is not chosen][:3]
    writer.section("columns")
    writer.comment(
        f"the project id: {chosen.filled:,} of {n:,} rows filled, {chosen.distinct:,} distinct"
        + (f" (other id-like columns: {_names(others)})" if others else "")
    )
    writer.pair("project", _one_line(chosen.header))
    decisions.append(
        f"project: {_one_line(chosen.header)!r} ({chosen.distinct:,} distinct ids in "
        f"{chosen.filled:,} rows)"
    )
    event, date_column = _event_log(profiles, chosen)
    if event is not None and date_column is not None:
        layout = "long"
        stages, left_out = _event_stages(event, date_column, chosen)
        writer.pair("event", _one_line(event.header))
        writer.pair("date", _one_line(date_column.header))
        decisions.append(
            f"layout: one row per event (events in {event.header!r}, dates in "
            f"{date_column.header!r})"
        )
        stage_columns = [date_column]
    else:
        layout = "wide"
        stages, left_out, stage_columns = _wide_stages(profiles, chosen, today_day, n)
        decisions.append(f"layout: one row per project, {len(stages)} date columns as stages")
    if len(stages) < 2 and not _builtin_stages(layout, event, profiles, stage_columns):
        raise UsageError(
            ngettext(
                "found {count} stage ({names}): a duration needs two; name them with "
                "--stage NAME=COLUMN on any command",
                "found {count} stages ({names}): a duration needs two; name them with "
                "--stage NAME=COLUMN on any command",
                len(stages),
            ).format(
                count=len(stages),
                names=", ".join(repr(s.label) for s in stages) or "no date column",
            ),
            source=raw.source,
        )
    builtin = _builtin_stages(layout, event, profiles, stage_columns)
    if builtin:
        writer.comment(
            "[stages] and [metric]: the built-in stages ("
            + ", ".join(ETOWN.stages)
            + ") name this file's "
            + ("events" if layout == "long" else "columns")
            + f", measured from {ETOWN.start} to {ETOWN.end}"
        )
        decisions.append("stages: the built-in ones (" + ", ".join(ETOWN.stages) + ")")
        known = {s for s in builtin}
    else:
        _write_stages(writer, stages, left_out, layout, decisions)
        known = {s.label for s in stages}
    if layout == "long" and event is not None:
        ignored = [value for value in event.values if value.strip() and value not in known]
        if ignored:
            writer.section("ignore")
            writer.comment("events that are not stages: counted as ignored, not rejected")
            writer.pair("events", ignored)
    withdrawn = _outcomes(profiles, chosen, stage_columns, layout)
    if withdrawn:
        writer.section("outcomes")
        writer.comment("rows that mark a project withdrawn (ended without reaching the end stage)")
        writer.pair("withdrawn", [expression for expression, _ in withdrawn])
        decisions.append("withdrawn: " + "; ".join(why for _, why in withdrawn))
    undecided = [p for p in stage_columns if p.ambiguous]
    if formats or undecided:
        writer.section("dates")
    if formats:
        found, notes = formats
        if found:
            writer.comment("two-digit years, read through this format (decided from the values)")
            writer.pair("formats", found)
            decisions.append(f"date format: {', '.join(found)} (two-digit years)")
        for note in notes:
            writer.comment(note)
            decisions.append(note)
    if undecided:
        note = (
            f"dates such as those of {_names(undecided)} read either day first or month "
            "first, and no date tells which: choose dayfirst = true or false"
        )
        writer.comment(note)
        writer.line("# dayfirst = true")
        decisions.append(note)
    text = writer.text()
    config = config_from_dict(tomllib.loads(text), source="the drafted configuration")
    measurable = not undecided and not (formats and formats[1])
    return Draft(
        text=text, config=config, decisions=decisions, layout=layout, measurable=measurable
    )


# -- reading ----------------------------------------------------------------


def _read(
    path: str | Path,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | int | None,
    hint: HeaderHint,
    decisions: list[str],
) -> tuple[RawTable, str | None]:
    def read(chosen: str | None) -> RawTable:
        return read_table(path, encoding=chosen, delimiter=delimiter, sheet=sheet, header=hint)

    try:
        raw = read(encoding)
    except EncodingError:
        if encoding is not None:
            raise
        raw, encoding = _read_in_some_encoding(path, read)
        decisions.append(
            f"encoding: {encoding} (not UTF-8; told from the bytes, so check that names "
            "and text read right, or give --encoding)"
        )
    for note in raw.notes:
        decisions.append(f"read: {note}")
    return raw, encoding


def _read_in_some_encoding(
    path: str | Path, read: Callable[[str | None], RawTable]
) -> tuple[RawTable, str]:
    """The file read in the first likely encoding that decodes it to text (no C1
    control characters, which a wrong single-byte code page makes of 0x80-0x9F)."""
    guesses = suggested_encodings(path)
    if not guesses or set(guesses) & _WESTERN:  # Western exports: Windows' code page first
        guesses = ["cp1252", *[g for g in guesses if g != "cp1252"]]
    for guess in guesses:
        try:
            raw = read(guess)
        except EncodingError:
            continue
        raw.load_columns()
        if not any(_has_c1(raw, i) for i in range(len(raw.headers))):
            return raw, guess
    raise EncodingError(
        "is not UTF-8 and no likely encoding reads it: give one with --encoding", source=str(path)
    )


def _has_c1(raw: RawTable, position: int) -> bool:
    values = raw.column(position).combine_chunks()
    strings = values.dictionary if pa.types.is_dictionary(values.type) else values
    return any(
        value is not None and re.search("[\x80-\x9f]", value) for value in strings.to_pylist()
    )


def _source_section(
    writer: _Writer,
    raw: RawTable,
    encoding: str | None,
    delimiter: str | None,
    decisions: list[str],
) -> None:
    keys: list[tuple[str, object, str]] = []
    if encoding:
        keys.append(("encoding", encoding, "the file is not UTF-8"))
    if raw.delimiter != "," and "--sheet" not in raw.arguments:
        named = {char: name for name, char in DELIMITER_NAMES.items() if name.isalpha()}
        keys.append(("delimiter", named.get(raw.delimiter, raw.delimiter), ""))
        decisions.append(f"delimiter: {named.get(raw.delimiter, raw.delimiter)}")
    elif delimiter:
        keys.append(("delimiter", delimiter, ""))
    if "--sheet" in raw.arguments:
        chosen = raw.arguments[raw.arguments.index("--sheet") + 1]
        keys.append(("sheet", chosen, "the workbook sheet read"))
        decisions.append(f"sheet: {chosen!r}")
    if raw.header_row is not None:
        unit = "row" if "--sheet" in raw.arguments else "line"
        keys.append(("header_row", raw.header_row, f"the header's {unit}; rows above it skipped"))
    if keys:
        writer.section("source")
        for key, value, note in keys:
            writer.pair(key, value, note=note)


# -- columns ----------------------------------------------------------------


def _profile(
    raw: RawTable, position: int, rows: np.ndarray | None = None, formats: Sequence[str] = ()
) -> ColumnProfile:
    """The profile of column ``position`` over ``rows`` (a mask; None: every row), its
    dates read with ``formats`` first."""
    column = TextColumn.of(raw, position)
    picked = column.indices if rows is None else column.indices[rows]
    counts = np.bincount(picked[picked >= 0], minlength=len(column.values))
    empty = column.empty_values()[:-1]
    counts = np.where(empty, 0, counts)
    filled = int(counts.sum())
    is_id = id_like(column.values)
    scan = dates_mod.scan_dates(column.values, formats, trimmed=True)
    either = scan.numeric & (scan.valid_dayfirst | scan.valid_monthfirst)
    dated = (scan.status == dates_mod.OK) | either
    short = scan.status == dates_mod.TWO_DIGIT_YEAR
    parsed = scan.resolve(None, counts > 0)
    ambiguous = parsed.ambiguous is not None and parsed.ambiguous.conflict is None
    if parsed.ambiguous is not None:
        parsed = scan.resolve(True)  # for ordering only: a median either way is close
    days = np.where(parsed.status == dates_mod.OK, parsed.days, dates_mod.NO_DATE).astype(np.int64)
    with_day = (days != dates_mod.NO_DATE) & (counts > 0)
    median = _weighted_median(days[with_day], counts[with_day])
    distinct = int((counts > 0).sum())
    strings = column.values.to_pylist()
    codes = [int(i) for i in np.flatnonzero(counts > 0)] if distinct <= 100 else []
    return ColumnProfile(
        position=position,
        header=raw.headers[position],
        filled=filled,
        distinct=distinct,
        ids=int(counts[is_id].sum()),
        dated=int(counts[dated | short].sum()),
        two_digit_years=int(counts[short].sum()),
        median_day=median,
        values=[strings[i] for i in codes],
        codes=codes,
        indices=column.indices,
        days=days,
        short_years=[strings[i] for i in np.flatnonzero(short & (counts > 0))[:200]],
        sample=[strings[i] for i in np.flatnonzero(counts > 0)[:200]],
        ambiguous=ambiguous,
    )


def _weighted_median(days: np.ndarray, weights: np.ndarray) -> int | None:
    if days.size == 0:
        return None
    order = np.argsort(days, kind="stable")
    cumulative = np.cumsum(weights[order])
    return int(days[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _id_candidates(profiles: Sequence[ColumnProfile]) -> list[ColumnProfile]:
    """Columns of ids, the likeliest first: named like ids, not row numbers, most distinct."""
    n = max((p.filled for p in profiles), default=0)
    found = []
    for p in profiles:
        folded = normalize_name(p.header)
        if (
            p.filled == 0
            or p.filled < 0.9 * n
            or p.ids < 0.9 * p.filled
            or p.distinct < 0.5 * p.filled
            or p.is_date
            or folded in _NOT_IDS
            or folded.startswith("objectid")
            or _decimals(p)
        ):
            continue
        found.append(p)
    return sorted(found, key=lambda p: (_id_rank(p), -round(p.distinct / p.filled, 2), p.position))


def _id_rank(profile: ColumnProfile) -> int:
    """0: named for ids of permits or cases; 1: for row ids; 2: not named for ids."""
    if _ID_NAME.search(profile.header):
        return 0
    return 1 if _ROW_ID_NAME.search(profile.header) else 2


def id_columns(raw: RawTable, limit: int = 5) -> list[str]:
    """The columns of ``raw`` that look like project ids, the likeliest first (as
    ``etown init`` ranks them): nearly every cell filled and id-like, mostly distinct,
    not measures or row numbers."""
    raw.load_columns()
    profiles = [_profile(raw, i) for i in range(len(raw.headers))]
    return [_one_line(p.header) for p in _id_candidates(profiles)[:limit]]


def _decimals(profile: ColumnProfile) -> bool:
    """Measures, not ids: numbers with a fraction (coordinates, megawatts) among its
    values, or whole numbers that repeat in a column not named for ids."""
    numbers = [v.strip() for v in profile.sample if re.fullmatch(r"-?\d+(?:\.\d+)?", v.strip())]
    if not numbers or len(numbers) < len(profile.sample):
        return False
    if any("." in v or v.startswith("-") for v in numbers):
        return True
    return profile.distinct < profile.filled and not _ID_NAME.search(profile.header)


def _project(profiles: Sequence[ColumnProfile], wanted: str | None, raw: RawTable) -> ColumnProfile:
    if wanted:
        for p in profiles:
            if p.header == wanted or normalize_name(p.header) == normalize_name(wanted):
                return p
        raise UsageError(
            f"--project {wanted!r} is not a column; columns are: {_names(profiles[:30])}",
            source=raw.source,
        )
    ids = _id_candidates(profiles)
    if ids and _id_rank(ids[0]) == 0:  # ids of permits or cases, named so
        return ids[0]
    named = find_column([p.header for p in profiles], None, PROJECT_COLUMN_ALIASES)
    if named is not None:  # else the column etown takes as the project column by itself
        return profiles[named]
    if ids:
        return ids[0]
    # No ids: a column of names, each on a few rows (an event log has several per project).
    n = max((p.filled for p in profiles), default=0)
    texts = [
        p
        for p in profiles
        if p.filled >= 0.9 * n and not p.is_date and p.distinct >= max(2, 0.05 * p.filled)
    ]
    if not texts:
        raise UsageError(
            "no column looks like a project id (filled and mostly distinct): name it with "
            "--project COLUMN",
            source=raw.source,
        )
    return sorted(texts, key=lambda p: (_id_rank(p), -p.distinct, p.position))[0]


# -- stages -----------------------------------------------------------------


@dataclass
class _Stage:
    name: str
    #: The column (wide) or event name (long) meaning it.
    label: str
    median_day: int
    rows: int

    @property
    def median(self) -> str:
        return (date(1970, 1, 1) + timedelta(days=self.median_day)).isoformat()

    @property
    def note(self) -> str:
        return f"median {self.median}, {self.rows:,} rows"


def _write_stages(
    writer: _Writer,
    stages: Sequence[_Stage],
    left_out: Sequence[tuple[str, str]],
    layout: str,
    decisions: list[str],
) -> None:
    writer.section("stages")
    writer.comment(
        "in process order (each before the stages it precedes on most projects); each lists "
        + ("the event name" if layout == "long" else "the column")
        + " meaning it"
    )
    for stage in stages:
        writer.pair(stage.name, [_one_line(stage.label)], note=stage.note)
    for label, why in left_out:
        writer.comment(f"not a stage: {_one_line(label)!r} ({why})")
    decisions.append(
        "stages, in process order: "
        + ", ".join(f"{s.name} ({_one_line(s.label)!r}, median {s.median})" for s in stages)
    )
    if left_out:
        decisions.append(
            "not stages: " + "; ".join(f"{_one_line(label)!r} ({why})" for label, why in left_out)
        )
    writer.section("metric")
    writer.comment("the headline: days from the first stage to the last")
    writer.pair("start", stages[0].name)
    writer.pair("end", stages[-1].name)
    writer.comment(
        "other choices: start and end can be any two stages in this order: "
        + ", ".join(s.name for s in stages)
    )
    decisions.append(f"metric: {stages[0].name} -> {stages[-1].name}")


def _builtin_stages(
    layout: str,
    event: ColumnProfile | None,
    profiles: Sequence[ColumnProfile],
    stage_columns: Sequence[ColumnProfile],
) -> set[str]:
    """The labels (event names, or column names) the built-in stages take, when they
    include the metric's start and end; else empty (the file has its own stages)."""
    if layout == "long" and event is not None:
        mapped = {v: ETOWN.stage_of_event(v) for v in event.values}
    else:
        dated = [p.header for p in profiles if p.is_date] or [p.header for p in stage_columns]
        mapped = {h: ETOWN.stage_of_header(h) for h in dated}
    found = {label for label, stage in mapped.items() if stage is not None}
    stages = {mapped[label] for label in found}
    return found if {ETOWN.start, ETOWN.end} <= stages else set()


def _table_rows(
    raw: RawTable, profiles: Sequence[ColumnProfile], project: ColumnProfile
) -> np.ndarray | None:
    """The rows of the table without the notes after it (None: no notes), told as
    the loader tells them, with the date columns found so far."""
    from .shape import reads_as_date, trailing_notes

    columns = {i: TextColumn.of(raw, i) for i in range(len(raw.headers))}
    blank = np.ones(raw.num_records, dtype=bool)
    for column in columns.values():
        blank &= column.blank()

    def filled_cells(rows: np.ndarray) -> np.ndarray:
        return np.sum([~column.blank(rows) for column in columns.values()], axis=0)

    dated = [
        (columns[p.position], reads_as_date) for p in profiles if p.is_date and p is not project
    ]
    gap = raw.empty_lines.hold(raw.line_numbers() - 1)  # (empty lines are no rows)
    notes = trailing_notes(columns[project.position], dated, blank, filled_cells, gap)
    if notes is None:
        return None
    rows = np.ones(raw.num_records, dtype=bool)
    rows[notes] = False
    return rows


def _wide_stages(
    profiles: Sequence[ColumnProfile], project: ColumnProfile, today: int, rows: int
) -> tuple[list[_Stage], list[tuple[str, str]], list[ColumnProfile]]:
    stages: list[tuple[int, int, ColumnProfile]] = []
    left_out: list[tuple[str, str]] = []
    for p in profiles:
        if p is project or not p.is_date:
            continue
        if _RECORD_KEEPING.search(p.header):
            left_out.append((p.header, "keeps records: when the row was updated or reported"))
        elif _PLANNED.search(p.header):
            left_out.append((p.header, "a planned date, not one that happened"))
        elif WITHDRAWAL.search(p.header):
            left_out.append((p.header, "an outcome: proposed under [outcomes]"))
        elif p.distinct == 1 and p.filled > 1:
            left_out.append((p.header, "one date for every row: the report's, not a stage"))
        elif p.median_day is None:
            left_out.append((p.header, "its dates have two-digit years only"))
        elif p.median_day > today:
            left_out.append((p.header, "most of its dates are still to come: plans"))
        elif p.dated < max(2, STAGE_SHARE * rows):
            left_out.append((p.header, f"too few dates: {p.dated:,} of {rows:,} rows"))
        else:
            stages.append((p.median_day, p.position, p))
    ordered = _process_order([p for _, _, p in stages])
    names = _stage_names([p.header for p in ordered])
    return (
        [
            _Stage(name, p.header, p.median_day or 0, p.dated)
            for name, p in zip(names, ordered, strict=True)
        ],
        left_out,
        ordered,
    )


def _process_order(columns: Sequence[ColumnProfile]) -> list[ColumnProfile]:
    """Date columns in process order (see :func:`_tournament`)."""
    per_row = [
        np.where(p.indices >= 0, p.days[np.maximum(p.indices, 0)], dates_mod.NO_DATE)
        for p in columns
    ]
    order = _tournament(per_row, [(p.median_day or 0, p.position) for p in columns])
    return [columns[i] for i in order]


def _tournament(dates: Sequence[np.ndarray], ties: Sequence[tuple[int, int]]) -> list[int]:
    """An order of stages, each given as a date per row (or per project): a stage comes
    before another when, of the rows that have both, more have its date earlier than
    later; stages are ranked by how many others they come before, then by ``ties``
    (median date, position)."""
    wins = [0] * len(dates)
    for i in range(len(dates)):
        for j in range(i + 1, len(dates)):
            both = (dates[i] != dates_mod.NO_DATE) & (dates[j] != dates_mod.NO_DATE)
            gap = dates[j][both] - dates[i][both]
            after, before = int((gap > 0).sum()), int((gap < 0).sum())
            if after > before:
                wins[i] += 1
            elif before > after:
                wins[j] += 1
    return sorted(range(len(dates)), key=lambda i: (-wins[i], *ties[i]))


def _event_log(
    profiles: Sequence[ColumnProfile], project: ColumnProfile
) -> tuple[ColumnProfile | None, ColumnProfile | None]:
    """The event and date columns of a file with one row per event, or (None, None)."""
    dated = [p for p in profiles if p is not project and p.is_date]
    if not dated or len(dated) > 2 or project.distinct > 0.8 * project.filled:
        return None, None
    n = max(p.filled for p in profiles)
    events = [
        p
        for p in profiles
        if p is not project
        and not p.is_date
        and 2 <= p.distinct <= 100
        and p.filled >= 0.9 * n
        and p.ids < 0.5 * p.filled
    ]
    if not events:
        return None, None
    event = sorted(events, key=lambda p: (not _EVENT_NAME.search(p.header), p.position))[0]
    date_column = sorted(dated, key=lambda p: (-p.filled, p.position))[0]
    return event, date_column


def _event_stages(
    event: ColumnProfile, date_column: ColumnProfile, project: ColumnProfile
) -> tuple[list[_Stage], list[tuple[str, str]]]:
    """Stages of an event log: events that at least a tenth of the projects have, in
    process order (see :func:`_tournament`, over each project's earliest date)."""
    rows = np.flatnonzero((event.indices >= 0) & (project.indices >= 0))
    at = date_column.indices[rows]
    days = np.where(at >= 0, date_column.days[np.maximum(at, 0)], dates_mod.NO_DATE)
    projects = max(project.distinct, 1)
    size = int(project.indices.max()) + 1 if project.indices.size else 0
    found: list[tuple[str, int, int, np.ndarray]] = []
    left_out: list[tuple[str, str]] = []
    for code, value in zip(event.codes, event.values, strict=True):
        mine = event.indices[rows] == code
        if not value.strip() or not mine.any():
            continue
        dated = mine & (days != dates_mod.NO_DATE)
        with_event = np.unique(project.indices[rows[mine]]).size
        if with_event < 0.1 * projects or not dated.any():
            left_out.append((value, f"{with_event:,} of {projects:,} projects"))
            continue
        earliest = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(earliest, project.indices[rows[dated]], days[dated])
        earliest[earliest == np.iinfo(np.int64).max] = dates_mod.NO_DATE
        found.append((value, int(np.median(days[dated])), int(mine.sum()), earliest))
    order = _tournament(
        [f[3] for f in found], [(median, k) for k, (_, median, _, _) in enumerate(found)]
    )
    ordered = [found[i] for i in order]
    names = _stage_names([value for value, _, _, _ in ordered])
    return [
        _Stage(name, value, median, count)
        for name, (value, median, count, _) in zip(names, ordered, strict=True)
    ], left_out


def _without_date(word: str) -> str:
    """``applieddate`` -> ``applied``, ``datereceived`` -> ``received``."""
    if len(word) > 6 and word.endswith("date"):
        return word[:-4]
    if len(word) > 6 and word.startswith("date"):
        return word[4:]
    return word


def _stage_names(labels: Sequence[str]) -> list[str]:
    """A short stage name for each column or event (``Queue Date`` -> ``queue``)."""
    reserved = {normalize_name(name) for name in RESERVED_STAGE_NAMES}
    names: list[str] = []
    for label in labels:
        ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
        words = [
            _without_date(w)
            for w in re.findall(r"[a-z0-9]+", ascii_text.lower())
            if w not in ("date", "dt")
        ]
        if words and words[0] == "of":
            words = words[1:]
        name = "_".join(words[:5])
        if not name:
            name = re.sub(r"\s+", "_", normalize_name(label)).strip("_") or "stage"
        if name[0].isdigit():
            name = "stage_" + name
        if normalize_name(name) in reserved or name.startswith("gap_"):
            name = "stage_" + name
        base, suffix = name, 2
        while name in names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names.append(name)
    return names


# -- outcomes and dates -----------------------------------------------------


def _outcomes(
    profiles: Sequence[ColumnProfile],
    project: ColumnProfile,
    stage_columns: Sequence[ColumnProfile],
    layout: str,
) -> list[tuple[str, str]]:
    """``[outcomes] withdrawn`` expressions: a status column's withdrawal values, and a
    date column named for a withdrawal (any date in it)."""
    found: list[tuple[str, str]] = []
    taken = {p.position for p in stage_columns} | {project.position}
    statuses: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for p in profiles:
        header = _one_line(p.header)
        if p.position in taken or "=" in header or "~" in header:
            continue
        if p.is_date:
            if WITHDRAWAL.search(header) and layout == "wide":
                found.append((f"{header}~\\S", f"a date in {header!r}"))
            continue
        ended = [v.strip() for v in p.values if v.strip() and WITHDRAWAL.search(v)]
        if ended and p.distinct <= 60:
            pattern = "|".join(_re2_escape(v) for v in ended)
            proposal = (f"{header}~^({pattern})$", f"{header!r} is {' or '.join(map(repr, ended))}")
            (statuses if _STATUS_NAME.search(header) else others).append(proposal)
    # A status column says it best; another column's words only when no status does.
    return (statuses or others)[:1] + found


def _re2_escape(text: str) -> str:
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _date_formats(columns: Sequence[ColumnProfile]) -> tuple[list[str], list[str]] | None:
    """Formats for two-digit years (``12/6/10``), decided from the values as the
    loader's hints are (:func:`~etown_approvals.dates.suggest_formats`): day/month
    order proved by them, month names as spelled, a time of day included."""
    values = [v for p in columns for v in p.short_years]
    if not values:
        return None
    hint = dates_mod.suggest_formats(pa.array(sorted(set(values)), pa.string()))
    if hint is None:
        return [], [f"two-digit years such as {values[0]!r}: give their format under formats"]
    if hint.month_first is not None:
        return [], [
            f"two-digit years such as {values[0]!r} read either "
            f"{dates_mod.order_word(hint.formats[0])} or "
            f"{dates_mod.order_word(hint.month_first[0])}: "
            f"choose formats = {_toml_list(hint.formats)} or {_toml_list(hint.month_first)}"
        ]
    return list(hint.formats), []


def _toml_list(formats: Sequence[str]) -> str:
    return json.dumps(list(formats), ensure_ascii=False)


def _names(profiles: Sequence[ColumnProfile]) -> str:
    return ", ".join(repr(_one_line(p.header)) for p in profiles)


def _one_line(name: str) -> str:
    """A column name with its line breaks and runs of spaces as one space: etown matches
    names ignoring case and spaces, and a configuration reads better so."""
    return " ".join(name.split())


# -- writing ----------------------------------------------------------------


class _Writer:
    """TOML text with comments, each value written as TOML reads it back."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def section(self, name: str) -> None:
        self.lines += ["", f"[{name}]"]

    def comment(self, text: str) -> None:
        import textwrap

        self.lines += textwrap.wrap(
            " ".join(text.split()), width=88, initial_indent="# ", subsequent_indent="#   "
        )

    def pair(self, key: str, value: object, *, note: str = "") -> None:
        shown = (
            f"{_toml(key) if not re.fullmatch(r'[A-Za-z0-9_-]+', key) else key} = {_toml(value)}"
        )
        self.lines.append(shown + (f"  # {' '.join(note.split())}" if note else ""))

    def text(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def _toml(value: object) -> str:
    """A TOML value: strings as basic strings (JSON's escapes are TOML's), lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
