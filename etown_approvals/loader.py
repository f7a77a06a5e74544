"""Step 2: raw table -> approval events.

Finds the project, event and date columns (long files, one row per event) or
the stage date columns (wide files, one row per project), maps event names to
stages, reads dates, and sorts every data row into *used* or *rejected* (with
its line number and reason). Blank rows are skipped and reported.

All work is done on the distinct values of each column (pyarrow dictionary
encoding), then spread back to rows with integer indexing: no Python loop runs
per row.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dates as dates_mod
from . import filters as filters_mod
from ._compat import categorical_from_codes
from ._parallel import two_at_a_time
from .errors import (
    AmbiguousDateError,
    ConfigError,
    EtownError,
    MissingColumnError,
    MostRowsRejectedError,
    NoUsableRowsError,
    UsageError,
)
from .findings import ERROR, WARNING, FindingsBuilder
from .i18n import LEVEL_WORDS, ngettext
from .i18n import gettext as _
from .options import InputLimits
from .rawtable import MalformedRecord, RawTable, TextColumn, apart, is_empty
from .reader import ColumnChoice, read_table
from .shape import Evidence, HeaderHint, id_like, reads_as_date, trailing_notes
from .stages import (
    DATE_COLUMN_ALIASES,
    ETOWN,
    EVENT_COLUMN_ALIASES,
    PROJECT_COLUMN_ALIASES,
    StageSet,
    find_column,
    normalize_name,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd

Layout = Literal["long", "wide"]


@dataclass
class LoadResult:
    """Approval events read from one file, and what happened to every row."""

    source: str
    stages: StageSet
    layout: Layout
    #: One row per used event: ``project`` (category), ``stage`` (ordered
    #: category in process order), ``date`` (datetime64), ``row`` (line number;
    #: int32, or int64 in a file of more than two billion lines).
    events: pd.DataFrame
    #: One row per project seen in a used row, indexed by project name, with
    #: the attribute columns (first non-empty value per project).
    attributes: pd.DataFrame
    #: Row-level findings: see :mod:`etown_approvals.findings` for the columns.
    findings: pd.DataFrame
    rows_read: int
    rows_rejected: int
    rows_blank: int
    #: Rows left out by ``where`` filters and rows of ignored events: read, neither
    #: used nor rejected (read = used + rejected + filtered + ignored).
    rows_filtered: int = 0
    rows_ignored: int = 0
    #: Rows after the table that are notes (counts, legends, disclaimers): neither
    #: read nor projects (see :func:`etown_approvals.shape.trailing_notes`).
    rows_notes: int = 0
    #: Per project (in ``events.project`` category order): a row matched a
    #: ``withdrawn`` expression. None when no expression was given.
    withdrawn: np.ndarray | None = field(default=None, repr=False)
    #: Day/month order used for ``01/02/2023``-style dates (None: none seen).
    dayfirst: bool | None = None
    notes: list[str] = field(default_factory=list)
    #: Every attribute column of the file, in file order, whether read or not
    #: (``attributes`` holds those the load was asked for).
    attribute_columns: list[str] = field(default_factory=list)
    raw: RawTable | None = field(default=None, repr=False)
    #: The latest date any date cell held, plausible or not (None: no date read):
    #: whether a later end of the plausible range would read the file differently.
    latest_read: date | None = None

    def __repr__(self) -> str:
        """A line with the row counts (never the events themselves)."""
        return (
            f"LoadResult(source={self.source!r}, layout={self.layout!r}, "
            f"rows_read={self.rows_read:,}, rows_used={self.rows_used:,}, "
            f"rows_rejected={self.rows_rejected:,}, events={len(self.events):,}, "
            f"findings={len(self.findings):,})"
        )

    @property
    def rows_used(self) -> int:
        """Rows read less those rejected, filtered or ignored."""
        return self.rows_read - self.rows_rejected - self.rows_filtered - self.rows_ignored

    @property
    def rejected(self) -> pd.DataFrame:
        """Rejected rows' findings (errors with a line number)."""
        f = self.findings
        return f[(f["severity"] == ERROR) & f["row"].notna()]

    def rejection_reasons(self) -> str:
        """``"2 invalid-date, 1 unknown-event"``: rejected rows by reason (a row with
        two bad dates counts once)."""
        counts = self.rejected.drop_duplicates(["row", "type"])["type"].value_counts()
        return ", ".join(f"{n} {kind}" for kind, n in counts.items())

    def require_rows(self, hint: str = "see them with: etown validate FILE") -> None:
        """Raise :class:`NoUsableRowsError` when no data row could be used; ``hint``
        says how to see the rejected rows."""
        if self.rows_used > 0:
            return
        if self.rows_read == 0:
            raise NoUsableRowsError(_("the file has a header but no data rows"), source=self.source)
        if self.rows_filtered or self.rows_ignored:
            raise NoUsableRowsError(
                ngettext(
                    "no usable rows: of {read} row, {filtered} filtered out, {ignored} ignored "
                    "events, {rejected} rejected",
                    "no usable rows: of {read} rows, {filtered} filtered out, {ignored} ignored "
                    "events, {rejected} rejected",
                    self.rows_read,
                ).format(
                    read=self.rows_read,
                    filtered=self.rows_filtered,
                    ignored=self.rows_ignored,
                    rejected=self.rows_rejected,
                ),
                source=self.source,
            )
        raise NoUsableRowsError(
            ngettext(
                "no usable rows: the {count} row rejected ({reasons}); most: {main}; {hint}",
                "no usable rows: all {count} rows rejected ({reasons}); most: {main}; {hint}",
                self.rows_read,
            ).format(
                count=self.rows_read,
                reasons=self.rejection_reasons(),
                main=self.main_reason(),
                hint=hint,
            ),
            source=self.source,
        )

    @property
    def rows_checked(self) -> int:
        """Rows that count: read, and neither filtered nor ignored (used or rejected)."""
        return self.rows_read - self.rows_filtered - self.rows_ignored

    @property
    def rejected_share(self) -> float:
        """The share of the rows that count that were rejected (0 when none count)."""
        return self.rows_rejected / self.rows_checked if self.rows_checked else 0.0

    def main_reason(self) -> str:
        """The reason that rejected the most rows, with their count: ``"870 rows
        invalid-date: the year has two digits: read these dates with ..."``."""
        rejected = self.rejected.drop_duplicates(["row", "type", "message"])
        if rejected.empty:
            return "none"
        counts = rejected.groupby(["type", "message"], sort=False).size()
        (kind, message), count = max(counts.items(), key=lambda item: item[1])
        return ngettext(
            "{count} row {kind}: {message}", "{count} rows {kind}: {message}", count
        ).format(count=f"{count:,}", kind=kind, message=message)

    def require_share(self, limit: float, hint: str = "see them with: etown validate FILE") -> None:
        """Raise :class:`MostRowsRejectedError` when more than ``limit`` (a share) of
        the rows that count were rejected: a result from the rest would speak for
        rows the file does not describe. The message names the share, the main
        reason (with the date format that reads the dates, if one does) and ``hint``."""
        share = self.rejected_share
        if share <= limit:
            return
        raise MostRowsRejectedError(
            _(
                "no result: {share} of the rows rejected ({rejected} of {checked}; {reasons}), "
                "more than --max-rejected {limit} allows; most: {main}; {hint}"
            ).format(
                share=f"{share:.1%}",
                rejected=f"{self.rows_rejected:,}",
                checked=f"{self.rows_checked:,}",
                reasons=self.rejection_reasons(),
                limit=f"{limit:g}",
                main=self.main_reason(),
                hint=hint,
            ),
            source=self.source,
        )

    def rejected_rows(self) -> pd.DataFrame:
        """Rejected rows as in the file: ``line``, ``type``, ``message``, then the cells."""
        return _rejected_rows(self)


def load(
    path: str | Path,
    *,
    stages: StageSet = ETOWN,
    encoding: str | None = None,
    delimiter: str | None = None,
    dayfirst: bool | None = None,
    sheet: str | int | None = None,
    stdin: BinaryIO | None = None,
    where: Sequence[str | filters_mod.RowFilter] = (),
    ignore_events: Sequence[str] = (),
    withdrawn: Sequence[str | filters_mod.RowFilter] = (),
    date_formats: Sequence[str] = (),
    attributes: bool | Sequence[str] = True,
    header_row: int | None = None,
    missing_values: Sequence[str] | None = None,
    earliest: date = dates_mod.EARLIEST,
    as_of: date | None = None,
    limits: InputLimits | None = None,
) -> LoadResult:
    """Read approval events from a CSV/TSV/Excel file (``-`` for standard input).

    ``attributes``: which of the file's other columns (neither project, event,
    date nor a stage) become :attr:`LoadResult.attributes`: all (True), none
    (False) or the named ones. Columns that are not needed are not parsed at
    all in a plain text file, which is most of the work on a wide export.

    ``dayfirst`` None decides day/month order from the data (the rows that
    are used) and raises :class:`~etown_approvals.errors.AmbiguousDateError`
    when it cannot. ``date_formats`` (strptime directives such as
    ``"%d/%m/%y"``, or ``"epoch_s"``/``"epoch_ms"``) are tried in order before
    the built-in date forms; a bad format raises
    :class:`~etown_approvals.errors.UsageError`. ``where``, ``ignore_events``
    and ``withdrawn``: see :class:`RowSelection`. ``header_row``: the line (or
    sheet row) of the header; without it the header is the first row holding the
    columns ``stages`` names, else the first that looks like one
    (:mod:`etown_approvals.shape`).

    ``missing_values``: placeholders that mean "no date" in a date cell (None:
    :data:`~etown_approvals.dates.DEFAULT_MISSING`). A date before ``earliest``
    or more than a year after today (or after a later ``as_of``) is implausible: an
    ``implausible-date`` warning, and no date for every measure. ``limits``: how much
    reading may cost (None: the environment's limits, else the defaults).
    """
    formats = dates_mod.check_formats(date_formats)
    rules = RowSelection.of(where, ignore_events, withdrawn)  # bad expressions fail before reading
    wanted = _attribute_names(attributes)

    def select(headers: list[str]) -> ColumnChoice | None:
        return needed_columns(headers, stages, rules, wanted)

    raw = read_table(
        path,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        stdin=stdin,
        select=select,
        header=HeaderHint.of(stages, header_row),
        limits=limits,
    )
    return load_raw(
        raw,
        stages=stages,
        dayfirst=dayfirst,
        rules=rules,
        date_formats=formats,
        attributes=attributes,
        missing_values=missing_values,
        earliest=earliest,
        as_of=as_of,
    )


def load_raw(
    raw: RawTable,
    *,
    stages: StageSet = ETOWN,
    dayfirst: bool | None = None,
    rules: RowSelection | None = None,
    date_formats: Sequence[str] = (),
    attributes: bool | Sequence[str] = True,
    missing_values: Sequence[str] | None = None,
    earliest: date = dates_mod.EARLIEST,
    as_of: date | None = None,
) -> LoadResult:
    """Read ``path`` into a raw table as :func:`load` does, without making events."""
    formats = dates_mod.check_formats(date_formats)
    return _Loader(
        raw,
        stages,
        dayfirst,
        rules or RowSelection(),
        formats,
        _attribute_names(attributes),
        DateRules.of(missing_values, earliest, as_of),
    ).run()


@dataclass(frozen=True)
class DateRules:
    """What a date cell must be to count: not a placeholder, and in the plausible range."""

    #: Values that mean "no date" (compared as written, after trimming).
    missing: tuple[str, ...] = dates_mod.DEFAULT_MISSING
    #: The plausible range, inclusive.
    earliest: date = dates_mod.EARLIEST
    latest: date = date.max

    @classmethod
    def of(cls, missing: Sequence[str] | None, earliest: date, as_of: date | None) -> DateRules:
        """The rules of the options given (placeholders, earliest date, as-of date)."""
        if isinstance(missing, str):
            missing = (missing,)
        return cls(
            dates_mod.DEFAULT_MISSING if missing is None else tuple(missing),
            earliest,
            dates_mod.latest_plausible(as_of),
        )


def _day(days: int) -> date:
    """The date ``days`` after 1970-01-01, kept within the dates Python has."""
    ordinal = date(1970, 1, 1).toordinal() + days
    return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))


def _attribute_names(attributes: bool | Sequence[str]) -> tuple[str, ...] | None:
    """None: every attribute column; else the names asked for (matched exactly, as
    ``--group-by`` matches them)."""
    if attributes is True:
        return None
    if attributes is False:
        return ()
    if isinstance(attributes, str):
        attributes = (attributes,)
    return tuple(attributes)


@dataclass(frozen=True)
class Roles:
    """Where the columns a layout needs are, found from the header alone."""

    project: int | None
    event: int | None
    date: int | None
    #: Wide files: stage per column position.
    stage_columns: dict[int, str]

    @property
    def long(self) -> bool:
        """Whether the file is an event log (one row per event), not one row per project."""
        return self.event is not None and self.date is not None and self.event != self.date

    def positions(self) -> set[int]:
        """The positions of the columns the loader reads."""
        found = {self.project} if self.project is not None else set()
        if self.long:
            return found | {self.event, self.date}  # type: ignore[arg-type]
        return found | set(self.stage_columns)


def find_roles(headers: Sequence[str], stages: StageSet) -> Roles:
    """The project, event and date columns (long files) or stage columns (wide files)."""
    folded = [normalize_name(h) for h in headers]
    project_at = find_column(headers, stages.project_column, PROJECT_COLUMN_ALIASES, folded=folded)
    event_at = find_column(headers, stages.event_column, EVENT_COLUMN_ALIASES, folded=folded)
    date_at = find_column(headers, stages.date_column, DATE_COLUMN_ALIASES, folded=folded)
    stage_columns = {
        i: stage
        for i, name in enumerate(folded)
        if i != project_at and (stage := stages.stage_of_folded(name)) is not None
    }
    return Roles(project_at, event_at, date_at, stage_columns)


def _encode_after(roles: Roles) -> set[int]:
    """A long file's project column: many names, each on a few rows, spread over
    every block of the file (measured: a dictionary per block and their
    unification cost more than one encoding at the end)."""
    return {roles.project} if roles.long and roles.project is not None else set()


def needed_columns(
    headers: Sequence[str],
    stages: StageSet,
    rules: RowSelection,
    attributes: Sequence[str] | None,
) -> ColumnChoice | None:
    """The columns a load needs: roles, filtered columns and the ``attributes``
    asked for (None: every column). Also None when a role is missing: the
    loader then explains it with every column at hand.

    A wide file's stage columns are read as plain text: an export's timestamps
    are nearly all distinct, so a dictionary of them is only extra work. A long
    file's project column is encoded once, after parsing.
    """
    roles = find_roles(headers, stages)
    plain = set(roles.stage_columns) if not roles.long else set()
    if attributes is None:
        if roles.project is None:
            return None
        return ColumnChoice(range(len(headers)), plain, encode_after=_encode_after(roles))
    if roles.project is None or not (roles.long or roles.stage_columns):
        return None
    wanted = roles.positions()
    try:
        for rule in (*rules.where, *rules.withdrawn):
            wanted.add(rule.column_index(headers))
    except EtownError:
        return None  # the loader reports the unknown column
    asked = set(attributes)
    wanted.update(i for i, header in enumerate(headers) if header in asked)
    return ColumnChoice(sorted(wanted), plain, encode_after=_encode_after(roles))


@dataclass(frozen=True)
class RowSelection:
    """Which rows the loader uses, beyond the stages.

    ``where``: expressions (:mod:`~etown_approvals.filters`) that must all hold;
    other rows are *filtered*. ``ignore_events`` (long files): event names
    counted as *ignored* instead of rejected as unknown. ``withdrawn``:
    expressions of which any marks the row's project (``LoadResult.withdrawn``).
    Filtered and ignored rows are read but neither used nor rejected.
    """

    where: tuple[filters_mod.RowFilter, ...] = ()
    ignore_events: tuple[str, ...] = ()
    withdrawn: tuple[filters_mod.RowFilter, ...] = ()

    @classmethod
    def of(
        cls,
        where: Sequence[str | filters_mod.RowFilter] = (),
        ignore_events: Sequence[str] = (),
        withdrawn: Sequence[str | filters_mod.RowFilter] = (),
    ) -> RowSelection:
        """The row rules made from the options given."""
        return cls(
            filters_mod.parse_all(where), tuple(ignore_events), filters_mod.parse_all(withdrawn)
        )


def _seconds(days: np.ndarray) -> np.ndarray:
    """Day numbers as int64 seconds, made in one new array."""
    seconds = days.astype(np.int64)
    seconds *= 86_400
    return seconds


def _rows_with_missing(row: np.ndarray, offset: int, missing_row: int) -> np.ndarray:
    """``row + offset``, then ``missing_row`` (what the index -1 of a null cell picks)."""
    out = np.empty(row.size + 1, dtype=np.int32 if missing_row < 2**31 else np.int64)
    np.add(row, offset, out=out[:-1], casting="unsafe")
    out[-1] = missing_row
    return out


class _Loader:
    def __init__(
        self,
        raw: RawTable,
        stages: StageSet,
        dayfirst: bool | None,
        rules: RowSelection,
        date_formats: Sequence[str] = (),
        attributes: tuple[str, ...] | None = None,
        date_rules: DateRules | None = None,
    ) -> None:
        self.raw = raw
        self.stages = stages
        self.dayfirst = dayfirst
        #: The user's day/month order (``dayfirst`` becomes the order the data proved).
        self.given_dayfirst = dayfirst
        self.date_formats = tuple(date_formats)
        self.date_rules = date_rules or DateRules()
        #: Notes on what the dates held (placeholders, implausible dates).
        self.date_notes: list[str] = []
        #: The latest reading of any date value, in days since 1970 (None: none).
        self.latest_read: int | None = None
        #: The date formats that read the dates that failed, if any do.
        self.format_hint: dates_mod.FormatHint | None = None
        #: Every reading status some date value has (checks for the others are skipped).
        self.statuses: frozenset[int] = frozenset()
        self.n = raw.num_records
        self.findings = FindingsBuilder(raw)
        self.rejected = np.zeros(self.n, dtype=bool)
        self.rules = rules
        # Rows that are read but neither used nor checked: filtered, or ignored events.
        self.skipped = np.zeros(self.n, dtype=bool)
        self.filtered = np.zeros(self.n, dtype=bool)
        self.ignored = np.zeros(self.n, dtype=bool)
        self.withdrawn_rows: np.ndarray | None = None
        #: Attribute columns to keep (None: all).
        self.attributes = attributes
        self._columns_read: dict[int, TextColumn] = {}
        self.attribute_names: list[str] = []
        #: Rows after the table that are notes, and malformed records that are.
        self.notes = np.zeros(self.n, dtype=bool)
        self.malformed_notes = 0

    def _column(self, position: int) -> TextColumn:
        """The text column at ``position`` (parsed now if the reader left it out)."""
        if position not in self._columns_read:
            self._columns_read[position] = TextColumn.of(self.raw, position)
        return self._columns_read[position]

    def _attribute_columns(self, taken: set[int]) -> list[TextColumn]:
        """The attribute columns asked for, in file order (``taken``: role columns)."""
        headers = self.raw.headers
        every = [i for i in range(len(headers)) if i not in taken]
        self.attribute_names = [headers[i] for i in every]
        if self.attributes is not None:
            asked = set(self.attributes)
            every = [i for i in every if headers[i] in asked]
        self.raw.load_columns(every)  # those not parsed yet in one pass, not one each
        return [self._column(i) for i in every]

    # -- row rules (where / ignored events / withdrawn) ---------------------
    def _apply_row_filters(self) -> None:
        """Evaluate ``where`` and ``withdrawn`` on the raw cells, before any other check."""
        headers = self.raw.headers

        def column_at(i: int) -> TextColumn:
            return self._column(i)

        kept = filters_mod.matching_rows(self.rules.where, headers, column_at)
        if kept is not None:
            self.filtered = ~kept
            self.skipped |= self.filtered
        self.withdrawn_rows = filters_mod.any_matching_rows(
            self.rules.withdrawn, headers, column_at
        )

    def _ignore_events(self, event: TextColumn, stage_codes: np.ndarray, blank: np.ndarray) -> None:
        """Rows whose event is not a stage but a name to ignore: counted, not rejected."""
        if not self.rules.ignore_events:
            return
        names = set()
        for name in self.rules.ignore_events:
            stage = self.stages.stage_of_event(name)
            if stage is not None:
                raise filters_mod.FilterError(
                    f"ignored event {name!r} is a name of stage {stage!r}; it cannot be ignored",
                    field=event.header,
                )
            names.add(normalize_name(name))
        per_value = np.array(
            [normalize_name(v) in names for v in event.values.to_pylist()] + [False], dtype=bool
        )
        # A row without a project name is rejected already, whatever its event.
        self.ignored = (
            per_value[event.indices] & (stage_codes == -1) & ~blank & ~self.skipped & ~self.rejected
        )
        self.skipped |= self.ignored

    # -- column roles -----------------------------------------------------
    def run(self) -> LoadResult:
        self._apply_row_filters()
        headers = self.raw.headers
        stages = self.stages
        roles = find_roles(headers, stages)
        project_at, event_at, date_at = roles.project, roles.event, roles.date
        # The per-project table etown sql makes from an event log has the log's project
        # column and a column per stage, not its event and date columns.
        per_project = (
            bool(stages.event_column or stages.date_column)
            and event_at is None
            and date_at is None
            and project_at is not None
            and bool(roles.stage_columns)
        )
        if per_project:
            self.raw.notes.append(
                _level("note")
                + _(
                    "columns.event and columns.date name an event log's columns; this "
                    "file has a date column per stage and is read as one row per project"
                )
            )
        for key, wanted, found in (
            ("project", stages.project_column, project_at),
            ("event", stages.event_column, event_at),
            ("date", stages.date_column, date_at),
        ):
            if wanted and found is None and not (per_project and key != "project"):
                if key in stages.from_options:
                    option = "--project" if key == "project" else f"--{key}-column"
                    raise UsageError(
                        f"{option} {wanted!r} is not a column; columns are: {self._columns()}",
                        source=self.raw.source,
                        field=wanted,
                    )
                raise ConfigError(
                    f"columns.{key} = {wanted!r} is not a column of {self.raw.source}; "
                    f"columns are: {self._columns()}"
                )
        for key, found in (("event", event_at), ("date", date_at)):
            if found is not None and found == project_at and getattr(stages, f"{key}_column"):
                # (configured: the built-in names of the three roles differ)
                raise ConfigError(
                    f"columns.{key} = {getattr(stages, f'{key}_column')!r} is the project "
                    f"column of {self.raw.source} too; give each role its own column"
                )
        if project_at is None:
            looked = stages.project_column or ", ".join(PROJECT_COLUMN_ALIASES)
            raise MissingColumnError(
                _(
                    "no project column (looked for: {looked}); {hint}; columns are: {columns}"
                ).format(looked=looked, hint=self._project_hint(), columns=self._columns()),
                source=self.raw.source,
                field=stages.project_column or "project",
            )
        if event_at is not None and date_at is not None and event_at != date_at:
            return self._long(project_at, event_at, date_at)
        stage_columns = roles.stage_columns
        if not stage_columns:
            raise MissingColumnError(
                _(
                    "no event and date columns (long format) and no stage date columns "
                    "(wide format, e.g. {example}): name them with --stage NAME=COLUMN "
                    "(in process order) or --event-column and --date-column, or draft a "
                    "configuration with: etown init {arguments}; columns are: {columns}"
                ).format(
                    example=f"{stages.start}_date",
                    arguments=self.raw.command_arguments(),
                    columns=self._columns(),
                ),
                source=self.raw.source,
                field="event" if event_at is None else "date",
            )
        stages_found = set(stage_columns.values())
        for needed in (stages.start, stages.end):
            if needed not in stages_found and "stages" in stages.from_options:
                names = ", ".join(repr(n) for n in stages.aliases.get(needed, ()))
                raise UsageError(
                    f"--stage {needed}={names}: no such column; columns are: {self._columns()}",
                    source=self.raw.source,
                    field=needed,
                )
            if needed not in stages_found and stages.configured:
                names = ", ".join(repr(n) for n in stages.aliases.get(needed, ()))
                raise ConfigError(
                    f"stages.{needed} = [{names}]: no such column in {self.raw.source}; "
                    f"columns are: {self._columns()}"
                )
            if needed not in stages_found:
                raise MissingColumnError(
                    f"wide file has no column for stage {needed!r} "
                    f"(stage columns found: {', '.join(headers[i] for i in stage_columns)})",
                    source=self.raw.source,
                    field=needed,
                )
        if self.rules.ignore_events:
            self.raw.notes.append(
                _level("note")
                + _(
                    "ignored events apply to long files (one row per event); "
                    "this file has a date column per stage, so none are ignored"
                )
            )
        return self._wide(project_at, stage_columns)

    def _columns(self) -> str:
        return _listing(self.raw.headers, self.raw.sheet)

    def _project_hint(self) -> str:
        """How to name the project column: the columns that look like ids, the option
        and the command that drafts a configuration."""
        from .drafting import id_columns  # only on this error: it looks at every column

        ids = id_columns(self.raw)
        which = (
            _("columns that look like ids: {names}; ").format(
                names=", ".join(repr(name) for name in ids)
            )
            if ids
            else ""
        )
        return which + _(
            "name the project column with --project COLUMN, or draft a configuration "
            "with: {command}"
        ).format(command=f"etown init {self.raw.command_arguments()}")

    # -- shared row checks ------------------------------------------------
    def _row_basics(
        self, project_at: int, date_positions: Sequence[int] = (), event_at: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, pa.Array]:
        """Blank rows, notes after the table, malformed records and missing project
        names; project codes per row. The blank mask returned also covers the notes
        (rows outside the table); ``self.notes`` holds them apart."""
        project = self._column(project_at)
        self.findings.project_column = project
        # A blank row has a blank project cell: check the other cells of those rows
        # only, those parsed first (columns not parsed yet are parsed only if needed).
        blank = project.blank()
        candidates = np.flatnonzero(blank)
        parsed = {int(name[1:]) for name in self.raw.table.column_names}
        order = sorted(parsed) + [i for i in range(len(self.raw.headers)) if i not in parsed]
        for position in order:
            if candidates.size == 0:
                break
            if position not in parsed:
                self.raw.load_columns()  # all at once: one more pass over the file
                parsed = set(range(len(self.raw.headers)))
            if position != project_at:
                still = self._column(position).blank(candidates)
                blank[candidates[~still]] = False
                candidates = candidates[still]
        lines = self.raw.line_numbers()  # also locates the malformed records
        self._blank_runs(lines[blank])
        blank = self._find_notes(project, blank, date_positions, event_at)
        for record in self.raw.malformed:
            hint = _(" (an unclosed quote?)") if "\n" in record.text else ""
            self.findings.add_line(
                record.line,
                "malformed-row",
                ERROR,
                value=record.text[:200],
                message=_("expected {expected} fields, found {found}").format(
                    expected=record.expected, found=record.actual
                )
                + hint,
            )
        if project.trimmed:
            # Trimming made " A" and "A" one name: encode the trimmed values again.
            encoded = pc.dictionary_encode(project.values)
            names = encoded.dictionary
            codes_of_values = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        else:  # dictionary values are distinct already
            names = project.values
            codes_of_values = np.arange(len(names), dtype=np.int64)
        empty_name = is_empty(names)
        codes_of_values = np.where(empty_name[codes_of_values], -1, codes_of_values)
        # int32: a file has fewer than 2**31 distinct names, and at ten million
        # projects every byte per row counts.
        lookup = np.append(codes_of_values, -1).astype(np.int32)
        project_codes = lookup[project.indices]
        missing = ~blank & (project_codes < 0)
        self._reject(
            missing,
            "missing-value",
            project,
            _("no project name in column {column}").format(column=repr(project.header)),
        )
        return blank, project_codes, names

    def _find_notes(
        self,
        project: TextColumn,
        blank: np.ndarray,
        date_positions: Sequence[int],
        event_at: int | None = None,
    ) -> np.ndarray:
        """Mark the rows after the table that are notes (``self.notes``), say which in a
        note, and return ``blank`` with them (rows outside the table from here on).

        Records the CSV parser could not split (too few fields) after the last row of
        data count too, when each fills at most two fields and holds no date.
        """
        evidence: list[Evidence] = [(self._column(i), reads_as_date) for i in date_positions]
        if event_at is not None:
            evidence.append((self._column(event_at), self._names_events))
        # An empty line above a row is no row (the parse skips it), but it is a gap.
        gap = self.raw.empty_lines.hold(self.raw.line_numbers() - 1)
        found = trailing_notes(project, evidence, blank, self._filled_cells, gap)
        if found is not None:
            self.notes[found] = True
        lines = self.raw.line_numbers()
        data = np.flatnonzero(~blank & ~self.notes)
        last_data = int(lines[data[-1]]) if data.size else 0
        note_records = [m for m in self.raw.malformed if m.line is not None and m.line > last_data]
        if note_records and self._malformed_are_notes(note_records, found, blank, last_data):
            self.raw.malformed = [m for m in self.raw.malformed if m not in note_records]
            self.malformed_notes = len(note_records)
        else:
            note_records = []
        if found is None and not note_records:
            return blank
        rows = found if found is not None else np.zeros(0, dtype=np.int64)
        texts = self._first_texts(rows)
        texts += [_first_field(m, self.raw.delimiter) for m in note_records]
        note_lines = [int(lines[row]) for row in rows] + [m.line or 0 for m in note_records]
        for line, text in zip(note_lines, texts, strict=True):
            self.findings.add_line(
                line,
                "notes-row",
                WARNING,
                value=text[:200],
                message=_("a note after the table, not data: left out"),
            )
        count = len(note_lines)
        shown = ", ".join(repr(_short(text)) for text in texts[:3] if text)
        self.raw.notes.append(
            f"{self.raw.source}: "
            + ngettext(
                "{count} row after the table ({lines}) is a note, not data: left out ({shown})",
                "{count} rows after the table ({lines}) are notes, not data: left out ({shown})",
                count,
            ).format(
                count=f"{count:,}",
                lines=_line_ranges(sorted(note_lines)),
                shown=shown + (", ..." if count > 3 else ""),
            )
        )
        return blank | self.notes

    def _malformed_are_notes(
        self,
        records: list[MalformedRecord],
        table_notes: np.ndarray | None,
        blank: np.ndarray,
        last_data: int,
    ) -> bool:
        """Whether records past the last row of data are notes: each fills at most two
        fields and holds no date, and they follow notes, a blank line, or a table
        whose every row has an id-like project."""
        fields = [_fields(m, self.raw.delimiter) for m in records]
        if any(sum(1 for f in row if f.strip()) > 2 for row in fields):
            return False
        project = self.findings.project_column
        at = self.raw.headers.index(project.header) if project is not None else 0
        named = {str(v).strip() for v in project.values.to_pylist()} if project else set()
        if any(at < len(row) and row[at].strip() in named - {""} for row in fields):
            return False  # a project of the table: a row of data with too few fields
        texts = [f.strip() for row in fields for f in row if f.strip()]
        if texts and reads_as_date(pa.array(texts)).any():
            return False
        if table_notes is not None:
            return True
        first = records[0].line or 0
        lines = self.raw.line_numbers()
        blank_lines = {int(line) for line in lines[blank]} | {
            m.line for m in self.raw.blank_records if m.line
        }
        before = first - 1
        gap = bool(self.raw.empty_lines.hold(np.array([before]))[0])
        if (before in blank_lines or gap) and before > last_data:
            return True
        project = self.findings.project_column
        if project is None:
            return False
        used = ~blank
        is_id = np.append(id_like(project.values), False)[project.indices]
        return bool(used.any()) and bool(is_id[used].all())

    def _names_events(self, values: pa.Array) -> np.ndarray:
        """Per value: a stage's name, or an event to ignore (an event log's data)."""
        ignored = {normalize_name(name) for name in self.rules.ignore_events}
        return np.array(
            [
                self.stages.stage_of_event(v) is not None or normalize_name(v) in ignored
                for v in values.to_pylist()
            ],
            dtype=bool,
        )

    def _filled_cells(self, rows: np.ndarray) -> np.ndarray:
        """Per row of ``rows``: how many of its cells are filled (every column parsed)."""
        self.raw.load_columns()
        counts = np.zeros(rows.size, dtype=np.int64)
        for position in range(len(self.raw.headers)):
            counts += ~self._column(position).blank(rows)
        return counts

    def _first_texts(self, rows: np.ndarray) -> list[str]:
        """The first filled cell of each of ``rows``, for messages."""
        found = [""] * rows.size
        if rows.size == 0:
            return found
        self.raw.load_columns()
        for position in range(len(self.raw.headers)):
            for k, text in enumerate(self._column(position).text(rows)):
                if text and not found[k]:
                    found[k] = text
            if all(found):
                break
        return found

    def _blank_runs(self, blank_lines: np.ndarray) -> None:
        """One ``blank-row`` finding per run of consecutive blank lines (records of
        empty cells, and lines of only spaces, tabs or delimiters): a file of
        millions of blank lines is reported in a few findings, not millions.

        A lone blank line keeps its own message (and its text, if it has any).
        """
        records = {r.line: r.text for r in self.raw.blank_records if r.line is not None}
        empty = self.raw.empty_lines
        singles = np.concatenate([blank_lines, np.fromiter(records, np.int64)])
        firsts = np.concatenate([empty.firsts, singles])
        if firsts.size == 0:
            return
        lasts = np.concatenate([empty.firsts + empty.counts - 1, singles])
        order = np.argsort(firsts, kind="stable")
        firsts, lasts = firsts[order], lasts[order]
        # Runs that touch are one run (they never overlap, so the last ends it).
        starts = np.flatnonzero(np.append(True, firsts[1:] != lasts[:-1] + 1))
        firsts = firsts[starts]
        lasts = lasts[np.append(starts[1:], lasts.size) - 1]
        values: list[str | None] = []
        messages: list[str] = []
        for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
            text = records.get(first) if first == last else None
            values.append(None if text is None else text[:200])
            if first != last:
                messages.append(
                    ngettext(
                        "{count} blank row skipped (lines {first}-{last})",
                        "{count} blank rows skipped (lines {first}-{last})",
                        last - first + 1,
                    ).format(count=f"{last - first + 1:,}", first=first, last=last)
                )
            elif text is None:
                messages.append(_("blank row skipped"))
            elif text.strip(" \t\r\n"):
                messages.append(_("blank row skipped (only delimiters and spaces)"))
            else:
                messages.append(_("blank row skipped (only spaces or tabs)"))
        self.findings.add_lines(firsts, "blank-row", WARNING, values=values, messages=messages)

    def _reject(self, mask: np.ndarray, kind: str, column: TextColumn, message: str) -> None:
        mask = mask & ~self.skipped  # filtered rows and ignored events are not checked
        if mask.any():  # a row may fail several checks; each is reported
            self.rejected |= mask
            self.findings.add(
                mask, kind, ERROR, field=column.header, column=column, message=message
            )

    def _parse_dates(
        self, columns: Sequence[TextColumn], candidates: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(days, status) per row for each date column; one parse of all distinct strings.

        Only the ``candidates`` rows (those neither filtered, ignored nor rejected
        for other reasons) are evidence for day/month order: a row that does not
        count never decides how the used rows are read. In a wide file, a row
        with a date that is invalid in either order is rejected whatever the
        order, so it is no evidence.
        """
        bounds = np.cumsum([0, *(len(c.values) for c in columns)])
        # Where each column's values are in what is scanned: a slice, or indices.
        positions: list[slice | np.ndarray]
        # Every value points at a row of a small table of readings (TextColumn's
        # values are trimmed already); ``offsets``: where each column's rows start.
        if bounds[-1] >= dates_mod.SPLIT_THRESHOLD and not self.date_formats:
            # Millions of timestamps: read each distinct date part and time of day once
            # (scan_rows does), without hashing every whole timestamp first, nor
            # copying the columns into one; a column at a time, so that the scan's
            # temporaries stay a column's size.
            union: pa.Array | pa.ChunkedArray = pa.chunked_array(
                [c.values for c in columns], type=pa.string()
            )
            positions = [slice(bounds[i], bounds[i + 1]) for i in range(len(columns))]
            placeholders = self.date_rules.missing
            scans = list(
                two_at_a_time(
                    lambda column: dates_mod.scan_rows(
                        column.values, trimmed=True, missing=placeholders
                    ),
                    columns,
                )
            )
            value_rows = [m.row for m in scans]
            offsets = np.cumsum([0, *(len(m.scan.days) for m in scans)])[:-1]
            tables = [m.scan for m in scans]
        else:  # one hash pass: the distinct strings, and where each column's values are
            # (values read as plain text may be null: null is then one more value, missing)
            every = pa.concat_arrays([c.values for c in columns])
            encoded = pc.dictionary_encode(every, null_encoding="encode")
            union = encoded.dictionary
            where = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            positions = [where[bounds[i] : bounds[i + 1]] for i in range(len(columns))]
            mapped = dates_mod.scan_rows(
                union, self.date_formats, trimmed=True, missing=self.date_rules.missing
            )
            value_rows = [mapped.row[position] for position in positions]
            offsets = np.zeros(len(columns), dtype=np.int64)
            tables = [mapped.scan]
        # The readings, and one more row (a missing value) for the index -1 of a null cell.
        missing = dates_mod.constant_rows(1, dates_mod.NO_DATE, dates_mod.MISSING)
        scan = dates_mod.DateScan.joined([*tables, missing])
        missing_row = len(scan.days) - 1
        rows = [
            _rows_with_missing(row, int(offset), missing_row)
            for row, offset in zip(value_rows, offsets, strict=True)
        ]
        if len(columns) > 1:
            invalid = scan.invalid_either_way
            for column, row in zip(columns, rows, strict=True):
                candidates = candidates & ~invalid[row[column.indices]]
        decides = np.zeros(len(scan.days), dtype=bool)
        for column, row in zip(columns, rows, strict=True):
            decides[row[column.indices[candidates]]] = True
        parsed = scan.resolve(self.dayfirst, decides)
        if parsed.ambiguous is not None:
            # Which values to show: those the per-value reading names (its first
            # evidence in file order), as when every value had its own readings.
            decided = np.zeros(len(union), dtype=bool)
            for column, position in zip(columns, positions, strict=True):
                seen = column.indices[candidates]
                decided[np.arange(len(union))[position][seen[seen >= 0]]] = True
            if isinstance(positions[0], slice):  # the union is the columns one after another
                union_rows = np.concatenate([row[:-1] for row in rows])
            else:  # the union is the distinct values
                union_rows = mapped.row
            per_value = dates_mod.MappedScan(scan, union_rows).expand()
            found = per_value.resolve(self.dayfirst, decided).ambiguous
            assert found is not None  # the same readings, the same evidence
            raise self._ambiguity(columns, union, found, candidates)
        self.dayfirst = parsed.dayfirst
        self._mark_implausible(parsed)
        # A few thousand readings at most: clean files skip the row checks they need not.
        self.statuses = frozenset(int(code) for code in np.unique(parsed.status))
        days = parsed.days.astype(np.int32)
        results = []
        for column, row in zip(columns, rows, strict=True):
            at = row[column.indices]  # one gather per row, through the values' rows
            results.append((days[at], parsed.status[at]))
        return results

    def _mark_implausible(self, parsed: dates_mod.ParsedDates) -> None:
        """Readings outside the plausible range become ``IMPLAUSIBLE`` (no date)."""
        epoch = date(1970, 1, 1)
        first = (self.date_rules.earliest - epoch).days
        last = (self.date_rules.latest - epoch).days
        read = parsed.status == dates_mod.OK
        if read.any():
            latest = int(parsed.days[read].max())
            self.latest_read = latest if self.latest_read is None else max(self.latest_read, latest)
        parsed.status[read & ((parsed.days < first) | (parsed.days > last))] = dates_mod.IMPLAUSIBLE

    def _ambiguity(
        self,
        columns: Sequence[TextColumn],
        union: pa.Array | pa.ChunkedArray,
        found: dates_mod.AmbiguousDates,
        candidates: np.ndarray,
    ) -> AmbiguousDateError:
        def where(index: int) -> tuple[str, int | None, str]:
            value = union[index].as_py()
            for column in columns:
                matches = np.flatnonzero(column.values.to_numpy(zero_copy_only=False) == value)
                if matches.size:
                    rows = np.flatnonzero((column.indices == matches[0]) & candidates)
                    if rows.size:
                        return value, int(self.raw.line_numbers()[rows[0]]), column.header
            return value, None, ""

        if found.conflict:
            (day_value, day_row, _header), (month_value, month_row, header) = map(
                where, found.conflict
            )
            return AmbiguousDateError(
                _(
                    "dates mix day-first ({day_value}, row {day_row}) and month-first "
                    "({month_value}, row {month_row}) order; choose with --dayfirst or "
                    "--monthfirst"
                ).format(
                    day_value=repr(day_value),
                    day_row=day_row,
                    month_value=repr(month_value),
                    month_row=month_row,
                ),
                source=self.raw.source,
                row=month_row,
                field=header,
                value=month_value,
            )
        value, row, header = where(found.example)
        return AmbiguousDateError(
            _(
                "ambiguous date {value}: day/month order cannot be told from the data; "
                "choose with --dayfirst or --monthfirst"
            ).format(value=repr(value)),
            source=self.raw.source,
            row=row,
            field=header,
            value=value,
        )

    def _format_hint(
        self,
        columns: Sequence[TextColumn],
        statuses: Sequence[np.ndarray],
        rows: np.ndarray,
    ) -> list[np.ndarray]:
        """Per column, the ``rows`` whose date failed but the hint reads: the formats
        (``--date-format``) that read the distinct failing values of all columns, if
        any read enough of them (see :func:`~etown_approvals.dates.suggest_formats`)."""
        nothing = [np.zeros(self.n, dtype=bool) for _ in columns]
        if not self.statuses & {dates_mod.INVALID, dates_mod.TWO_DIGIT_YEAR}:
            return nothing
        failing_values, failing_rows = [], []
        for column, status in zip(columns, statuses, strict=True):
            failing = rows & np.isin(status, (dates_mod.INVALID, dates_mod.TWO_DIGIT_YEAR))
            positions = np.unique(column.indices[failing])
            failing_rows.append((failing, positions))
            failing_values.append(column.values.take(pa.array(positions, type=pa.int64())))
        if not any(positions.size for _, positions in failing_rows):
            return nothing
        distinct = pc.unique(pa.concat_arrays(failing_values).cast(pa.string()))
        hint = dates_mod.suggest_formats(distinct, self.given_dayfirst)
        if hint is None:
            return nothing
        self.format_hint = hint
        reads = hint.reads(distinct)
        read = distinct.filter(pa.array(reads))
        example = read[0].as_py()
        self.date_notes.append(
            _level("note")
            + ngettext(
                "{count} distinct date in no spelling etown reads by itself (e.g. {example}) "
                "is read with {hint}",
                "{count} distinct dates in no spelling etown reads by itself (e.g. {example}) "
                "are read with {hint}",
                int(reads.sum()),
            ).format(count=f"{int(reads.sum()):,}", example=repr(example), hint=hint.text)
        )
        found = []
        for column, (failing, positions) in zip(columns, failing_rows, strict=True):
            value_read = np.zeros(len(column.values) + 1, dtype=bool)  # index -1: a null cell
            taken = column.values.take(pa.array(positions, type=pa.int64())).cast(pa.string())
            value_read[positions] = pc.fill_null(pc.is_in(taken, read), False).to_numpy(
                zero_copy_only=False
            )
            found.append(failing & value_read[column.indices])
        return found

    def _date_problems(
        self,
        column: TextColumn,
        status: np.ndarray,
        skip: np.ndarray,
        missing_is_error: bool,
        hinted: np.ndarray,
    ) -> None:
        """Reject the rows whose date is invalid (``hinted``: the rows whose value the
        format hint reads), or missing where a date is needed."""
        hint = self.format_hint.text if self.format_hint else ""
        seen = self.statuses
        if dates_mod.INVALID in seen:
            invalid = ~skip & (status == dates_mod.INVALID)
            self._reject(invalid & ~hinted, "invalid-date", column, _("not a valid date"))
            self._reject(
                invalid & hinted,
                "invalid-date",
                column,
                _(
                    "not a valid date in the spellings etown knows: read these dates with {hint}"
                ).format(hint=hint),
            )
        if dates_mod.TWO_DIGIT_YEAR in seen:
            two_digits = ~skip & (status == dates_mod.TWO_DIGIT_YEAR)
            self._reject(
                two_digits & ~hinted,
                "invalid-date",
                column,
                _(
                    "the year has two digits: two-digit years are read only through a date "
                    "format with {code} that matches them (--date-format)"
                ).format(code="%y"),
            )
            self._reject(
                two_digits & hinted,
                "invalid-date",
                column,
                _("the year has two digits: read these dates with {hint}").format(hint=hint),
            )
        if missing_is_error and dates_mod.MISSING in seen:
            self._reject(
                ~skip & (status == dates_mod.MISSING),
                "missing-value",
                column,
                _("no date in column {column}").format(column=repr(column.header)),
            )
        if missing_is_error and dates_mod.PLACEHOLDER in seen:
            self._reject(
                ~skip & (status == dates_mod.PLACEHOLDER),
                "missing-value",
                column,
                f"no date in column {column.header!r} (a placeholder for no date)",
            )

    def _note_dates(
        self,
        columns: Sequence[TextColumn],
        parsed: Sequence[tuple[np.ndarray, np.ndarray]],
        skip: np.ndarray,
    ) -> None:
        """After every row check: an ``implausible-date`` warning for each implausible
        date of a used row (rejected rows count for nothing), and one note on them and
        one on placeholders read as no date, with how many in each column."""
        if dates_mod.IMPLAUSIBLE in self.statuses:
            for column, (days, status) in zip(columns, parsed, strict=True):
                self._warn_implausible(column, days, status, skip)
        for code, describe in (
            (dates_mod.PLACEHOLDER, self._placeholder_note),
            (dates_mod.IMPLAUSIBLE, self._implausible_note),
        ):
            if code not in self.statuses:
                continue
            counts = []
            for column, (_days, status) in zip(columns, parsed, strict=True):
                counted = ~skip & ~self.skipped & (status == code)
                if code == dates_mod.IMPLAUSIBLE:
                    counted &= ~self.rejected  # as warned
                rows = np.flatnonzero(counted)
                if rows.size:
                    counts.append((column, rows))
            if counts:
                self.date_notes.append(describe(counts))

    def _warn_implausible(
        self, column: TextColumn, days: np.ndarray, status: np.ndarray, skip: np.ndarray
    ) -> None:
        implausible = ~skip & ~self.skipped & ~self.rejected & (status == dates_mod.IMPLAUSIBLE)
        rules = self.date_rules
        early = implausible & (days < (rules.earliest - date(1970, 1, 1)).days)
        after = _(
            "implausible date, after {date}, a year from now or from --as-of: read as no date"
        ).format(date=rules.latest.isoformat())
        before = _("implausible date, before {date} ([dates] earliest): read as no date")
        for mask, message in (
            (early, before.format(date=rules.earliest.isoformat())),
            (implausible & ~early, after),
        ):
            self.findings.add(
                mask,
                "implausible-date",
                WARNING,
                field=column.header,
                column=column,
                message=message,
            )

    def _placeholder_note(self, counts: list[tuple[TextColumn, np.ndarray]]) -> str:
        total = sum(rows.size for _, rows in counts)
        found: dict[str, None] = {}
        for column, rows in counts:
            for i in np.unique(column.indices[rows]):
                found[column.values[int(i)].as_py()] = None
        listed = _in_columns(counts)
        values = ", ".join(repr(v) for v in list(found)[:8]) + (", ..." if len(found) > 8 else "")
        return _level("note") + ngettext(
            "{count} placeholder read as no date: {listed} ({values}; the set: [dates] "
            "missing, --missing-value)",
            "{count} placeholders read as no date: {listed} ({values}; the set: [dates] "
            "missing, --missing-value)",
            total,
        ).format(count=f"{total:,}", listed=listed, values=values)

    def _implausible_note(self, counts: list[tuple[TextColumn, np.ndarray]]) -> str:
        total = sum(rows.size for _, rows in counts)
        rules = self.date_rules
        return _level("warning") + ngettext(
            "{count} implausible date read as no date (before {earliest} or after "
            "{latest}): {listed}; etown validate lists it",
            "{count} implausible dates read as no date (before {earliest} or after "
            "{latest}): {listed}; etown validate lists them",
            total,
        ).format(
            count=f"{total:,}",
            earliest=rules.earliest.isoformat(),
            latest=rules.latest.isoformat(),
            listed=_in_columns(counts),
        )

    # -- layouts ----------------------------------------------------------
    def _long(self, project_at: int, event_at: int, date_at: int) -> LoadResult:
        blank, project_codes, names = self._row_basics(project_at, [date_at], event_at)
        event, date = self._column(event_at), self._column(date_at)

        stage_of_value = np.array(
            [self._stage_code(v) for v in event.values.to_pylist()] + [-2], dtype=np.int16
        )
        stage_codes = stage_of_value[event.indices]
        self._ignore_events(event, stage_codes, blank)
        self._reject(
            ~blank & (stage_codes == -2),
            "missing-value",
            event,
            _("no event in column {column}").format(column=repr(event.header)),
        )
        known = ", ".join(self.stages.stages)
        self._reject(
            ~blank & (stage_codes == -1),
            "unknown-event",
            event,
            _("unknown event (known stages: {known})").format(known=known),
        )

        ((days, status),) = self._parse_dates([date], ~blank & ~self.rejected & ~self.skipped)
        (hinted,) = self._format_hint([date], [status], ~blank & ~self.rejected & ~self.skipped)
        self._date_problems(date, status, blank, missing_is_error=True, hinted=hinted)
        self._note_dates([date], [(days, status)], blank)

        used = ~blank & ~self.rejected & ~self.skipped
        attribute_columns = self._attribute_columns({project_at, event_at, date_at})
        # A used row has a date, unless it is implausible (a warning: no event).
        dated = used & (status == dates_mod.OK)
        every_row = bool(dated.all())  # clean files: no gathers
        return self._result(
            "long",
            blank,
            project_codes,
            names,
            used,
            event_rows=None if every_row else np.flatnonzero(dated),
            event_stages=stage_codes if every_row else stage_codes[dated],
            event_days=days if every_row else days[dated],
            attribute_columns=attribute_columns,
        )

    def _wide(self, project_at: int, stage_columns: dict[int, str]) -> LoadResult:
        blank, project_codes, names = self._row_basics(project_at, list(stage_columns))
        project = self._column(project_at)
        date_columns = [self._column(i) for i in stage_columns]
        parsed = self._parse_dates(date_columns, ~blank & ~self.rejected & ~self.skipped)
        hinted = self._format_hint(
            date_columns, [status for _, status in parsed], ~blank & ~self.rejected & ~self.skipped
        )
        for column, (_days, status), hinted_rows in zip(date_columns, parsed, hinted, strict=True):
            self._date_problems(column, status, blank, missing_is_error=False, hinted=hinted_rows)
        self._note_dates(date_columns, parsed, blank)
        used = ~blank & ~self.rejected & ~self.skipped
        self._note_repeated_projects(project, project_codes, used)
        # One event per dated cell, by row and then column: the cells as a (rows x
        # date columns) matrix, whose nonzero entries come in just that order.
        width = len(parsed)
        has = np.empty((self.n, width), dtype=bool)
        days = np.empty((self.n, width), dtype=np.int32)  # as _parse_dates gives them
        for j, (column_days, status) in enumerate(parsed):
            np.logical_and(used, status == dates_mod.OK, out=has[:, j])
            days[:, j] = column_days
        event_rows, at = np.nonzero(has)
        stage_of_column = np.array(
            [self.stages.stages.index(stage) for stage in stage_columns.values()], dtype=np.int64
        )
        attribute_columns = self._attribute_columns({project_at, *stage_columns})
        return self._result(
            "wide",
            blank,
            project_codes,
            names,
            used,
            event_rows=event_rows,
            event_stages=stage_of_column[at],
            event_days=days[has],  # the same cells, in the same order
            attribute_columns=attribute_columns,
        )

    def _note_repeated_projects(
        self, project: TextColumn, codes: np.ndarray, used: np.ndarray
    ) -> None:
        """Wide files: a project on several rows is merged; say so for each later row."""
        used_rows = np.flatnonzero(used)
        repeated = pd.Series(codes[used_rows]).duplicated().to_numpy()
        mask = np.zeros(self.n, dtype=bool)
        mask[used_rows[repeated]] = True
        self.findings.add(
            mask,
            "duplicate-project",
            WARNING,
            field=project.header,
            column=project,
            message=_("project already on an earlier row; rows merged, earliest date per stage"),
        )

    def _stage_code(self, value: str) -> int:
        if value == "":
            return -2
        stage = self.stages.stage_of_event(value)
        return -1 if stage is None else self.stages.stages.index(stage)

    def _result(
        self,
        layout: Layout,
        blank: np.ndarray,
        project_codes: np.ndarray,
        names: pd.Index,
        used: np.ndarray,
        *,
        event_rows: np.ndarray | None,
        event_stages: np.ndarray,
        event_days: np.ndarray,
        attribute_columns: Sequence[TextColumn],
    ) -> LoadResult:
        # Clean long files have one event per row, in order (``event_rows`` None):
        # skip the gathers.
        every_row = event_rows is None
        rows_blank = (
            int((blank & ~self.notes).sum())
            + len(self.raw.blank_records)
            + self.raw.empty_lines.total
        )
        rows_read = self.n - int(blank.sum()) + len(self.raw.malformed)
        rows_rejected = int(self.rejected.sum()) + len(self.raw.malformed)
        # Projects are numbered in order of first use, so names not seen in a
        # used row (only in rejected rows) are left out.
        used_codes = project_codes if every_row else project_codes[used]
        first = _first_occurrences(used_codes)
        ordered = used_codes[first]
        if ordered.size == len(names) and np.array_equal(ordered, np.arange(ordered.size)):
            # The dictionary is in order of first appearance already (the common case).
            project_names = pd.Index(names.to_pandas(), name="project")
            new_code: np.ndarray | None = None
        else:
            new_code = np.full(len(names) + 1, -1, dtype=np.int64)
            new_code[ordered] = np.arange(ordered.size)
            project_names = pd.Index(names.take(pa.array(ordered)).to_pandas(), name="project")

        def renumber(codes: np.ndarray) -> np.ndarray:
            return codes if new_code is None else new_code[codes]

        withdrawn = None
        if self.withdrawn_rows is not None:  # projects with a row (read, not filtered) that matched
            marked = self.withdrawn_rows & ~blank & ~self.filtered & (project_codes >= 0)
            codes = renumber(project_codes[marked])
            withdrawn = np.zeros(len(project_names), dtype=bool)
            withdrawn[codes[codes >= 0]] = True
        lines = self.raw.line_numbers()
        stage_dtype = pd.CategoricalDtype(list(self.stages.stages), ordered=True)
        events = pd.DataFrame(
            {
                "project": categorical_from_codes(
                    renumber(project_codes if every_row else project_codes[event_rows]),
                    project_names,
                ),
                "stage": pd.Categorical.from_codes(event_stages, dtype=stage_dtype),
                "date": _seconds(event_days).view("datetime64[s]"),
                "row": _narrow(lines if every_row else lines[event_rows]),
            },
            copy=False,
        )
        attributes = (
            self._attributes(
                attribute_columns, renumber(used_codes), np.flatnonzero(used), first, project_names
            )
            if attribute_columns
            else pd.DataFrame(index=project_names)
        )
        return LoadResult(
            source=self.raw.source,
            stages=self.stages,
            layout=layout,
            events=events,
            attributes=attributes,
            findings=self.findings.build(),
            rows_read=rows_read,
            rows_rejected=rows_rejected,
            rows_blank=rows_blank,
            rows_filtered=int((self.filtered & ~blank).sum()),
            rows_ignored=int(self.ignored.sum()),
            rows_notes=int(self.notes.sum()) + self.malformed_notes,
            withdrawn=withdrawn,
            dayfirst=self.dayfirst,
            notes=[*self.raw.notes, *self.date_notes],
            attribute_columns=self.attribute_names,
            raw=self.raw,
            latest_read=None if self.latest_read is None else _day(self.latest_read),
        )

    @staticmethod
    def _attributes(
        columns: Sequence[TextColumn],
        codes: np.ndarray,
        rows: np.ndarray,
        first: np.ndarray,
        names: pd.Index,
    ) -> pd.DataFrame:
        """Per project, each attribute's first non-empty value in file order.

        ``codes`` are the projects of the used ``rows``; ``first`` marks each
        project's first row among them.
        """
        data = []
        for column in columns:
            if len(column.values) == 0:  # no value at all (a file of many columns has many)
                data.append(pa.nulls(len(names), pa.string()))
                continue
            empty = column.empty_values()
            # Most projects have the attribute on their first row; look further only if not.
            value_index = np.full(len(names), -1, dtype=np.int64)
            value_index[codes[first]] = column.indices[rows[first]]
            if empty[value_index].any():
                cells = column.indices[rows]
                filled = ~empty[cells]
                project_of, value_of = codes[filled], cells[filled]
                found = _first_occurrences(project_of)
                value_index[:] = -1
                value_index[project_of[found]] = value_of[found]
            data.append(column.values.take(pa.array(value_index, mask=value_index < 0)))
        # One conversion of all columns: a Series each costs more than the column's work
        # itself, which a file of many columns cannot afford.
        table = pa.Table.from_arrays(
            [array.cast(pa.string()) for array in data], names=[c.header for c in columns]
        )
        # pandas' text type for every column (a Table converts text that way only when
        # pandas' text inference is on), made once.
        as_str = {pa.string(): pd.api.types.pandas_dtype("str")}
        frame = table.to_pandas(types_mapper=as_str.get)
        frame.index = names
        return frame


def _narrow(lines: np.ndarray) -> np.ndarray:
    """Line numbers as int32 when they fit (every file under two billion lines)."""
    if lines.dtype == np.int32 or (lines.size and lines.max() >= np.iinfo(np.int32).max):
        return lines
    return lines.astype(np.int32)


def _first_occurrences(codes: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each (non-negative) code."""
    n = codes.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    # Codes usually appear in order (0, then 1, ...): a code above all before it is
    # then a first occurrence, and if the codes so found are 0..max, every first
    # occurrence was found (one missed would be absent from that rising run).
    rising = np.empty(n, dtype=bool)
    rising[0] = True
    np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=rising[1:])
    found = codes[rising]
    if found[0] == 0 and found.size == int(found[-1]) + 1 and bool((np.diff(found) == 1).all()):
        return rising
    kind = np.int32 if n < np.iinfo(np.int32).max else np.int64
    first: np.ndarray = np.full(int(codes.max()) + 1, n, dtype=kind)
    np.minimum.at(first, codes, np.arange(n, dtype=kind))
    mask = np.zeros(n, dtype=bool)
    mask[first[first < n]] = True
    return mask


def _rejected_rows(loaded: LoadResult) -> pd.DataFrame:
    raw = loaded.raw
    rejected = loaded.rejected
    headers = raw.headers if raw is not None else []
    grouped = rejected.groupby("row", sort=True).agg(
        type=("type", lambda t: ";".join(dict.fromkeys(t))),
        message=("message", lambda m: "; ".join(dict.fromkeys(m))),
    )
    lines = grouped.index.to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "line": lines,
            "type": grouped["type"].to_numpy(),
            "message": grouped["message"].to_numpy(),
        }
    )
    if raw is None or not headers:
        return frame
    if raw.parse_more is not None:
        raw.load_columns()  # rejected rows are shown with every cell
    record_of_line = pd.Series(np.arange(raw.num_records), index=raw.line_numbers())
    positions = record_of_line.reindex(lines).to_numpy()
    found = ~pd.isna(positions)
    take = pa.array(np.where(found, positions, 0).astype(np.int64))
    malformed = {m.line: _fields(m, raw.delimiter) for m in raw.malformed}
    parsed = set(raw.table.column_names)
    columns: dict[str, pd.Series] = {}  # joined once: a frame grown column by column fragments
    for i, header in enumerate(headers):
        if f"c{i}" not in parsed:  # a table from the cache of a load that left it out
            columns[header] = pd.Series([None] * len(lines), dtype=object)
            continue
        if raw.num_records:
            cells = raw.column(i).take(take).cast(pa.string()).to_pylist()
        else:  # every record is malformed: no cell to take from the table
            cells = [None] * len(lines)
        for j, line in enumerate(lines):
            if not found[j]:
                fields = malformed.get(int(line), [])
                cells[j] = fields[i] if i < len(fields) else None
        columns[header] = pd.Series(cells, dtype=object)
    # A malformed row keeps the cells beyond the header too (those that made it
    # malformed), in columns named by position, never replacing a column of the file.
    fields_of = [
        [] if at else malformed.get(int(line), []) for line, at in zip(lines, found, strict=True)
    ]
    taken = set(headers)
    for i in range(len(headers), max(map(len, fields_of), default=0)):
        name, suffix = f"column {i + 1}", 2
        while name in taken:
            name, suffix = f"column {i + 1}_{suffix}", suffix + 1
        taken.add(name)
        extra = [fields[i] if i < len(fields) else None for fields in fields_of]
        columns[name] = pd.Series(extra, dtype=object)
    # A file column named line, type or message is written apart (attribute:NAME):
    # it never takes the place of the row's line number or reason.
    joined = {name: frame[name] for name in frame.columns}
    joined.update(zip(apart(list(columns), set(frame.columns)), columns.values(), strict=True))
    return pd.DataFrame(joined, index=frame.index)


def _listing(headers: Sequence[str], sheet: str | None = None) -> str:
    shown = ", ".join(repr(h) for h in headers[:12])
    if len(headers) == 1 and sheet is not None:  # a workbook has no delimiter to get wrong
        return shown + _(
            " (one column only in sheet {sheet}: is it the right sheet? see --sheet)"
        ).format(sheet=repr(sheet))
    if sheet is not None:
        more = ", ..." if len(headers) > 12 else ""
        return (
            shown
            + more
            + _(" (in sheet {sheet}: is it the right sheet? see --sheet)").format(sheet=repr(sheet))
        )
    if len(headers) == 1:
        return shown + " (one column only: is the delimiter , ; tab or |? see --delimiter)"
    return shown + (", ..." if len(headers) > 12 else "")


def _fields(record: MalformedRecord, delimiter: str) -> list[str]:
    # A record may be longer than the csv module's default limit (128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), len(record.text) + 1))
    return next(csv.reader([record.text], delimiter=delimiter), [])


def _first_field(record: MalformedRecord, delimiter: str) -> str:
    return next((f.strip() for f in _fields(record, delimiter) if f.strip()), "")


def _level(level: str) -> str:
    """The level word that starts a note of the loader (``warning: ``), translated."""
    return _(LEVEL_WORDS[level]) + ": "


def _in_columns(counts: Sequence[tuple[TextColumn, np.ndarray]]) -> str:
    """``2 in 'date', 1 in 'permit'``: how many of something each column holds."""
    return ", ".join(
        _("{count} in {column}").format(count=f"{rows.size:,}", column=repr(column.header))
        for column, rows in counts
    )


def _short(text: str, size: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 3] + "..."


def _line_ranges(lines: Sequence[int]) -> str:
    """``line 4`` or ``lines 4-7, 9``: consecutive numbers as ranges."""
    ranges: list[list[int]] = []
    for line in lines:
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges)
    return ngettext("line {lines}", "lines {lines}", len(lines)).format(lines=text)
