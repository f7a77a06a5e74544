"""Where the data lives: etown's per-project step as one SQL query, for the engine that
holds the events.

A warehouse table of events (one row per event: project, event name, date, other
columns) becomes etown's per-project table (one row per project, a date column per
stage) inside the engine; etown then reads that table as a wide file and gives the
numbers it gives on the events. The query is one sqlglot syntax tree, written in
each engine's dialect; identifiers and literals are quoted by sqlglot, never pasted
into text.

What the query reproduces, and how (the rules of :mod:`loader`, :mod:`filters`
and :mod:`dates`):

* a row is *used* when its project cell is not empty, its event names a stage (the
  stage set's names, compared ignoring case, spaces, ``_`` and ``-``), its date is
  read and every ``where`` expression holds; other rows give no date (etown rejects,
  filters or ignores them);
* each stage's date is the earliest (``latest``: last) date of the project's used
  rows for it;
* ``withdrawn`` is true when any row of the project that is not filtered matches
  an outcome expression (rejected and ignored rows included, as in etown);
* a project appears when at least one of its rows is used;
* an attribute is the value of the project's earliest used event with a non-empty
  value (a table has no order; etown takes the first in file order), ties broken
  by the smallest value.

Dates are read from ``DATE`` and ``TIMESTAMP`` columns (their date part) and from
text written year first (``2023-09-15``, ``2023/9/15``, ``2023.09.15``, ``20230915``,
``2023年9月15日``, with or without a time of day); ``15/09/2023``-style text only with
an explicit day/month order. See ``docs/warehouse.md`` for the differences that
remain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from . import dates
from .errors import MissingExtraError, UsageError
from .filters import FilterError, RowFilter, StageDate
from .rawtable import WHITE_SPACE
from .stages import ETOWN, StageSet, normalize_name

if TYPE_CHECKING:
    from sqlglot import exp

Dialect = Literal["duckdb", "spark", "bigquery", "trino", "postgres"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "spark", "bigquery", "trino", "postgres")

#: Column names the query reads when neither the configuration nor an option names one.
DEFAULT_PROJECT, DEFAULT_EVENT, DEFAULT_DATE = "project", "event", "date"
#: The per-project table's outcome column (true: a row matched ``--withdrawn``), unless
#: a column carried has the name.
WITHDRAWN_COLUMN = "withdrawn"

# Patterns in every engine's regular expressions: etown reads dates with RE2 (pyarrow),
# whose \d and \s are ASCII; Java's \s adds the vertical tab, PostgreSQL's classes
# follow the locale. Written as explicit classes, they mean the same everywhere; each
# character in them is written \x{...} (RE2, Java and Joni read it; PostgreSQL gets
# its \u instead).


def _characters(characters: str) -> str:
    """``characters`` inside a class: runs of code points as ranges."""
    points = sorted(map(ord, characters))
    runs: list[list[int]] = []
    for point in points:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])

    def char(point: int) -> str:
        return f"\\x{{{point:x}}}"

    return "".join(
        char(a) if a == b else f"{char(a)}{char(b)}" if b == a + 1 else f"{char(a)}-{char(b)}"
        for a, b in runs
    )


_RE2_SPACE = f"[{_characters(chr(9) + chr(10) + chr(12) + chr(13) + ' ')}]"
#: etown's white space (:data:`rawtable.WHITE_SPACE`) as a character class.
_SPACE = f"[{_characters(WHITE_SPACE)}]"
_TRIM = f"^{_SPACE}+|{_SPACE}+$"
_EDGE = f"^{_SPACE}|{_SPACE}$"
#: normalize_name's separators: runs of white space, ``_`` and ``-`` become one space.
_SEPARATORS = f"[{_SPACE[1:-1]}_-]+"


def _portable(pattern: str) -> str:
    r"""One of ``dates``' patterns without group names (Java and PostgreSQL spell them
    otherwise) and with ``\d``, ``\D`` and ``\s`` as the classes RE2 gives them."""
    plain = re.sub(r"\(\?P<\w+>", "(", pattern)
    assert not re.search(r"\[[^\]]*\\[dDs]", plain), "a class inside a class"
    return plain.replace(r"\d", "[0-9]").replace(r"\D", "[^0-9]").replace(r"\s", _RE2_SPACE)


# A zone abbreviation after a time of day (``2023-09-15 10:30 EST``, ``EST+5``): etown
# reads these year-first dates through python-dateutil, which takes three to five
# capitals as a zone name and an offset after it. Region names (``Asia/Shanghai``) it
# does not read, and neither does the query.
_ZONE = r"\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_ABBREVIATION = r"\s*[A-Z]{3,5}\.?(?:\s*[+-](?:\d{4}|\d{1,2}(?::\d{1,2})?))?"
_HOUR = r"(?:[01]?\d|2[0-3])"
_HOUR_12 = r"(?:0?\d|1[0-2])"
_CLOCK = r"(?:T|\s+)HOUR:[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
_AMPM = r"\s*[AaPp]\.?[Mm]\.?"
assert dates._TIME.startswith("(?:" + _CLOCK.replace("HOUR", _HOUR) + "(?:" + _AMPM + ")?")
assert dates._TIME.endswith("(?:" + _ZONE + ")?)?")
# dateutil refuses an hour over 12 with AM or PM when it reads the abbreviation.
_TIME_ABBREVIATED = (
    "(?:"
    + dates._TIME[3:-2]
    + "|"
    + _CLOCK.replace("HOUR", _HOUR)
    + _ABBREVIATION
    + "|"
    + _CLOCK.replace("HOUR", _HOUR_12)
    + _AMPM
    + _ABBREVIATION
    + ")?"
)
assert dates._TIME in dates._YMD
_YMD = _portable(dates._YMD.replace(dates._TIME, _TIME_ABBREVIATED))
_CJK = _portable(dates._CJK)
_COMPACT = _portable(dates._COMPACT)
_NUMERIC = _portable(dates._NUMERIC)
#: The text engines write after a ``TIMESTAMP WITH TIME ZONE``'s time: its zone, a
#: region name in Trino (``2023-09-15 08:30:00.000 Asia/Shanghai``); dropped before the
#: text is read (the date is the one written, in the value's own zone).
_ZONE_WRITTEN = " [^ ]+$"


@dataclass(frozen=True)
class EventTable:
    """A table of events in a database, and the rules etown reads events by.

    ``table`` is the table's name as written in the target dialect (``events``,
    ``analytics.permit_events``, ``"my project".events``). The project, event and
    date columns are the stage set's (``[columns]``), else ``project``, ``event``
    and ``date``. ``attributes``: other columns to carry per project (what a later
    ``--group-by`` needs, compare's too).
    """

    table: str
    stages: StageSet = ETOWN
    where: tuple[RowFilter, ...] = ()
    withdrawn: tuple[RowFilter, ...] = ()
    ignore_events: tuple[str, ...] = ()
    stage_date: StageDate = "earliest"
    #: Day/month order of ``15/09/2023``-style text (None: such text is not read).
    dayfirst: bool | None = None
    attributes: tuple[str, ...] = ()

    @property
    def project_column(self) -> str:
        """The project column's name in the events table."""
        return self.stages.project_column or DEFAULT_PROJECT

    @property
    def event_column(self) -> str:
        """The event column's name in the events table."""
        return self.stages.event_column or DEFAULT_EVENT

    @property
    def date_column(self) -> str:
        """The date column's name in the events table."""
        return self.stages.date_column or DEFAULT_DATE


@dataclass(frozen=True)
class PerProjectColumns:
    """The per-project table's columns, in order, and what each holds."""

    project: str
    #: Stage -> the column holding its date, named so that the stage set reads it back.
    stages: dict[str, str]
    #: Columns holding the value of a used row (``attributes`` and ``where`` columns).
    attributes: tuple[str, ...]
    #: Columns an outcome expression reads: a value that marked the project if one did.
    outcomes: tuple[str, ...]
    withdrawn: str | None

    @property
    def names(self) -> list[str]:
        """The attribute columns carried per project."""
        return [
            self.project,
            *self.stages.values(),
            *self.attributes,
            *self.outcomes,
            *([self.withdrawn] if self.withdrawn else []),
        ]


def stage_column(stages: StageSet, stage: str) -> str:
    """The header under which ``stages`` reads a wide file's date of ``stage``: the
    stage's own name when it matches, else the first of its names that does."""
    for name in (stage, *stages.aliases.get(stage, ())):
        if stages.stage_of_header(name) == stage:
            return name
    raise UsageError(f"stage {stage!r}: none of its names reads back as the stage")


def per_project_columns(table: EventTable) -> PerProjectColumns:
    """The columns of the per-project table, checked to read back as etown reads a wide
    file: the project column, each stage's column and nothing else as a role."""
    _check_ignored(table)
    project = table.project_column
    stages = {stage: stage_column(table.stages, stage) for stage in table.stages.stages}
    taken = {project}
    attributes: list[str] = []
    for name in (*table.attributes, *(rule.column for rule in table.where)):
        if name not in taken and name not in attributes:
            attributes.append(name)
    outcomes: list[str] = []
    for rule in table.withdrawn:
        if rule.column not in taken and rule.column not in outcomes:
            outcomes.append(rule.column)
    # A column both carried and read by an outcome expression holds the outcome's value.
    attributes = [name for name in attributes if name not in outcomes]
    # The flag is a convenience (``--withdrawn withdrawn=true``): the outcome columns
    # read by the same expressions mark the same projects. A table's own column of
    # that name (``--withdrawn withdrawn=yes``) is carried in its place.
    named = {normalize_name(n) for n in (project, *stages.values(), *attributes, *outcomes)}
    flag = table.withdrawn and normalize_name(WITHDRAWN_COLUMN) not in named
    columns = PerProjectColumns(
        project=project,
        stages=stages,
        attributes=tuple(attributes),
        outcomes=tuple(outcomes),
        withdrawn=WITHDRAWN_COLUMN if flag else None,
    )
    _check_reads_back(columns, table.stages)
    return columns


def _check_ignored(table: EventTable) -> None:
    for name in table.ignore_events:
        stage = table.stages.stage_of_event(name)
        if stage is not None:
            raise FilterError(
                f"ignored event {name!r} is a name of stage {stage!r}; it cannot be ignored",
                field=table.event_column,
            )


def _check_reads_back(columns: PerProjectColumns, stages: StageSet) -> None:
    """The table must be a wide file to etown: its project column found, each stage's
    column taken for that stage, no other column taken for a stage or for a long file's
    event and date."""
    from .loader import find_roles

    names = columns.names
    seen: dict[str, str] = {}
    for name in names:
        folded = normalize_name(name)
        if folded in seen:
            raise UsageError(
                f"the per-project table would have two columns named {seen[folded]!r} and "
                f"{name!r} (names are compared ignoring case and spaces)"
            )
        seen[folded] = name
    roles = find_roles(names, stages)
    if roles.project != 0:
        found = "no column" if roles.project is None else f"column {names[roles.project]!r}"
        raise UsageError(
            f"project column {columns.project!r}: etown would find {found} as the project "
            "in the per-project table; name it with [columns] project"
        )
    expected = {names.index(column): stage for stage, column in columns.stages.items()}
    for position, stage in roles.stage_columns.items():
        if expected.get(position) != stage:
            raise UsageError(
                f"column {names[position]!r} would be read as the date of stage {stage!r} in "
                "the per-project table; leave it out of the columns carried along"
            )
    if roles.long:
        raise UsageError(
            f"columns {names[roles.event]!r} and {names[roles.date]!r} "  # type: ignore[index]
            "would make the per-project table an event log; leave one of them out of the "
            "columns carried along"
        )


# -- the query ----------------------------------------------------------------


def per_project_sql(table: EventTable, dialect: str, *, pretty: bool = True) -> str:
    """The query, in ``dialect``, that turns ``table``'s events into etown's per-project
    table (see :func:`per_project_columns` for its columns), ordered by project."""
    check_dialect(dialect)
    tree = per_project_tree(table, dialect)
    return _for_dialect(tree, dialect).sql(dialect=dialect, pretty=pretty)


def check_dialect(dialect: str) -> Dialect:
    """The dialect called ``dialect`` (a usage error naming the others when unknown)."""
    if dialect not in DIALECTS:
        raise UsageError(f"unknown SQL dialect {dialect!r} (dialects: {', '.join(DIALECTS)})")
    return dialect  # type: ignore[return-value]


def _require_sqlglot() -> None:
    try:
        import sqlglot  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency: only a broken install lacks it
        raise MissingExtraError(
            "etown sql needs sqlglot, one of etown's dependencies: pip install sqlglot"
        ) from None


def per_project_tree(table: EventTable, dialect: str = "duckdb") -> exp.Select:
    """The query as a sqlglot syntax tree. ``dialect`` reads the table's name and says
    what the engine can be asked: DuckDB casts a ``DATE`` or ``TIMESTAMP`` column on
    each row; engines that name a value's type (``TYPEOF``) drop the zone name written
    after a ``TIMESTAMP WITH TIME ZONE``.

    Each expression on a cell's text runs once per distinct value, never per row: the
    distinct values of each column read (event names, dates, carried columns) are a
    lookup joined to the events. The events are then reduced to one row per project
    name as written, whose names are trimmed last (once per project) and merged.
    """
    _require_sqlglot()
    return _Query(table, check_dialect(dialect)).tree()


def _text(value: str) -> exp.Literal:
    from sqlglot import exp

    return exp.Literal.string(value)


def _when(condition: exp.Expression | exp.Condition, value: exp.Expression) -> exp.Case:
    from sqlglot import exp

    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def _named(expression: exp.Expression, name: str) -> exp.Expression:
    from sqlglot import exp

    return cast("exp.Expression", exp.alias_(expression, name, quoted=True))


def _ref(name: str, step: str) -> exp.Column:
    from sqlglot import exp

    return exp.column(name, table=step, quoted=True)


def _table(name: str, dialect: str) -> exp.Table:
    """``name`` read as a (possibly qualified) table name of ``dialect``, every part quoted."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError
    from sqlglot.tokens import TokenType

    try:
        # A comment is no part of a name (``events--old`` would read ``events``), nor
        # is the end of a statement (``events;``).
        tokens = sqlglot.tokenize(name, read=dialect)
        extra = any(t.comments or t.token_type == TokenType.SEMICOLON for t in tokens)
        table = None if extra else sqlglot.parse_one(name, read=dialect, into=exp.Table)
    except (ParseError, TokenError, ValueError):
        table = None
    if (
        not isinstance(table, exp.Table)
        or not isinstance(table.this, exp.Identifier)
        or table.alias
        or not all(isinstance(part, exp.Identifier) and part.name for part in table.parts)
    ):
        raise UsageError(
            f"--table {name!r} is not a table name in {dialect} (such as events or "
            "analytics.events; a name with spaces or other characters in the dialect's "
            "quotes)"
        )
    for part in table.parts:
        part.set("quoted", True)
    return table


#: What a dialect's engine can be asked (see :func:`per_project_tree`).
_CASTS_ANY_TYPE = ("duckdb",)
_NAMES_TYPES = ("duckdb", "spark", "trino", "postgres")


@dataclass
class _Lookup:
    """The distinct values of one column, each with what is read from its text."""

    column: str
    alias: str
    #: Output name -> expression on the value's trimmed text (``etown_text``).
    outputs: dict[str, exp.Expression]
    #: Outputs computed from others, one step later (the date from its text).
    later: dict[str, exp.Expression]
    #: Values left out (a DATE column's values, when cast on each row).
    skip: exp.Expression | None = None


class _Query:
    """The steps of the query, each expression written once."""

    def __init__(self, table: EventTable, dialect: Dialect) -> None:
        self.table = table
        self.dialect = dialect
        self.columns = per_project_columns(table)
        self.source = _table(table.table, dialect)
        self.carried = [*self.columns.attributes, *self.columns.outcomes]
        self.lookups: dict[str, _Lookup] = {}

    # -- lookups: one per column read, over its distinct values ------------------

    def lookup(self, column: str) -> _Lookup:
        if column not in self.lookups:
            self.lookups[column] = _Lookup(column, f"etown_lookup_{len(self.lookups)}", {}, {})
        return self.lookups[column]

    def text(self) -> exp.Expression:
        return _ref("etown_text", "etown_texts")

    def read(self, column: str, output: str, expression: exp.Expression) -> exp.Expression:
        """``expression`` (on the text) for each row's value of ``column``: the
        lookup's ``output`` (NULL for a NULL cell)."""
        lookup = self.lookup(column)
        lookup.outputs.setdefault(output, expression)
        return _ref(output, lookup.alias)

    def cell(self, column: str) -> exp.Expression:
        """The row's cell as etown's filters see it: trimmed text, ``''`` when empty."""
        from sqlglot import exp

        value = self.read(column, "etown_value", self.text())
        return exp.Coalesce(this=value, expressions=[_text("")])

    def rule(self, rule: RowFilter, output: str) -> exp.Expression:
        """A ``--where``/``--withdrawn`` expression on the row (a NULL cell is ``''``)."""
        from sqlglot import exp

        held = self.read(rule.column, output, _rule(rule, self.text()))
        return exp.Coalesce(this=held, expressions=[_rule(rule, _text(""))])

    def stage(self) -> exp.Expression:
        lookup = self.lookup(self.table.event_column)
        lookup.outputs.setdefault("etown_folded", _folded(self.text()))
        folded = _ref("etown_folded", "etown_read")
        lookup.later.setdefault("etown_stage", _stage(folded, self.table.stages))
        return _ref("etown_stage", lookup.alias)

    def day(self) -> tuple[exp.Expression, exp.Expression]:
        """The row's date (a DATE, NULL when not read) and its ``YYYY-MM-DD`` text."""
        from sqlglot import exp

        column = self.table.date_column
        lookup = self.lookup(column)
        text = self.text()
        if self.dialect in _NAMES_TYPES:
            zoned = exp.and_(
                exp.Like(
                    this=exp.Lower(this=exp.Typeof(this=_ref("etown_raw", "etown_texts"))),
                    expression=_text("%with time zone"),
                ),
                exp.Not(this=exp.Like(this=text.copy(), expression=_text("% BC"))),
            )
            text = exp.Case(
                ifs=[
                    exp.If(
                        this=zoned,
                        true=exp.RegexpReplace(
                            this=text.copy(),
                            expression=_text(_ZONE_WRITTEN),
                            replacement=_text(""),
                        ),
                    )
                ],
                default=text,
            )
        lookup.outputs.setdefault("etown_day_text", _day_text(text, self.table.dayfirst))
        written = _ref("etown_day_text", "etown_read")
        year_zero = exp.EQ(
            this=exp.Substring(
                this=written, start=exp.Literal.number(1), length=exp.Literal.number(4)
            ),
            expression=_text("0000"),
        )
        lookup.later.setdefault(
            "etown_day",
            exp.Case(
                ifs=[exp.If(this=year_zero, true=exp.null())],
                default=exp.TryCast(this=written.copy(), to=exp.DataType.build("date"), safe=True),
            ),
        )
        day: exp.Expression = _ref("etown_day", lookup.alias)
        day_text_ref: exp.Expression = _ref("etown_day_text", lookup.alias)
        if self.dialect in _CASTS_ANY_TYPE:
            # A DATE or TIMESTAMP column: its date part, on each row (the type is
            # known when the query is planned, so the other branch costs nothing).
            raw = exp.column(column, table="etown_events", quoted=True)
            typed = self.typed(raw)
            cast_day = exp.TryCast(this=raw.copy(), to=exp.DataType.build("date"), safe=True)
            in_range = exp.Between(
                this=cast_day.copy(),
                low=exp.cast(_text("0001-01-01"), exp.DataType.build("date")),
                high=exp.cast(_text("9999-12-31"), exp.DataType.build("date")),
            )
            direct = _when(exp.and_(typed, in_range), cast_day)
            if column not in self.carried and not self.reads_rules(column):
                lookup.skip = self.typed(exp.column("etown_raw", quoted=True))
            day = exp.Coalesce(this=direct, expressions=[day])
            day_text_ref = exp.Coalesce(
                this=day_text_ref,
                expressions=[exp.cast(direct.copy(), exp.DataType.build("varchar"))],
            )
        return day, day_text_ref

    def typed(self, value: exp.Expression) -> exp.Expression:
        """``value`` is a DATE or a TIMESTAMP (DuckDB's names of its types)."""
        from sqlglot import exp

        kind = exp.Typeof(this=value)
        either = exp.or_(
            exp.EQ(this=kind, expression=_text("DATE")),
            exp.Like(this=kind.copy(), expression=_text("TIMESTAMP%")),
        )
        return cast("exp.Expression", either)

    def reads_rules(self, column: str) -> bool:
        return any(r.column == column for r in (*self.table.where, *self.table.withdrawn))

    def lookup_select(self, lookup: _Lookup) -> exp.Select:
        from sqlglot import exp

        raw = exp.column(lookup.column, quoted=True)
        distinct = exp.select(_named(raw, "etown_raw")).from_(self.source.copy()).distinct()
        if lookup.skip is not None:
            distinct = distinct.where(exp.Not(this=exp.Paren(this=lookup.skip.copy())))
        raw_text = exp.cast(_ref("etown_raw", "etown_distinct"), exp.DataType.build("varchar"))
        texts = exp.select(
            _ref("etown_raw", "etown_distinct"), _named(_trimmed(raw_text), "etown_text")
        ).from_(distinct.subquery("etown_distinct", copy=False))
        read = exp.select(
            _ref("etown_raw", "etown_texts"),
            *(_named(e, name) for name, e in lookup.outputs.items()),
        ).from_(texts.subquery("etown_texts", copy=False))
        if not lookup.later:
            return read
        return exp.select(
            _ref("etown_raw", "etown_read"),
            *(_ref(name, "etown_read") for name in lookup.outputs),
            *(_named(e, name) for name, e in lookup.later.items()),
        ).from_(read.subquery("etown_read", copy=False))

    # -- the steps ------------------------------------------------------------------

    def tree(self) -> exp.Select:
        from sqlglot import exp

        table, columns = self.table, self.columns
        combine = exp.Max if table.stage_date == "latest" else exp.Min

        # 1. events: each row's stage, date and cells (rows failing --where left out).
        stage = self.stage()
        day, day_text = self.day()
        rows: list[exp.Expression] = [
            _named(
                exp.column(table.project_column, table="etown_events", quoted=True), "etown_project"
            ),
            _named(stage, "etown_stage"),
            _named(day, "etown_day"),
        ]
        if columns.attributes:
            rows.append(_named(day_text, "etown_day_text"))
        rows += [
            _named(self.cell(name), f"etown_column_{i}") for i, name in enumerate(self.carried)
        ]
        rows += [
            _named(self.rule(rule, f"etown_withdrawn_{i}"), f"etown_outcome_{i}")
            for i, rule in enumerate(table.withdrawn)
        ]
        kept = [self.rule(rule, f"etown_where_{i}") for i, rule in enumerate(table.where)]
        events = exp.select(*rows).from_(self.source.copy().as_("etown_events", quoted=True))
        for lookup in self.lookups.values():
            on = exp.EQ(
                this=exp.column(lookup.column, table="etown_events", quoted=True),
                expression=_ref("etown_raw", lookup.alias),
            )
            events = events.join(
                self.lookup_select(lookup).subquery(lookup.alias, copy=False),
                on=on,
                join_type="left",
            )
        if kept:
            events = events.where(exp.and_(*kept))

        # 2. one row per project name as written.
        def event(name: str) -> exp.Column:
            return _ref(name, "etown_events")

        used = exp.and_(
            event("etown_stage").is_(exp.null()).not_(), event("etown_day").is_(exp.null()).not_()
        )
        grouped: list[exp.Expression] = [event("etown_project")]
        for index in range(len(table.stages.stages)):
            this_stage = exp.EQ(this=event("etown_stage"), expression=exp.Literal.number(index))
            grouped.append(
                _named(combine(this=_when(this_stage, event("etown_day"))), f"etown_stage_{index}")
            )
        for index, name in enumerate(columns.attributes):
            cell = event(f"etown_column_{self.carried.index(name)}")
            # The earliest used event's value: its date (ten characters), then the value.
            key = exp.DPipe(this=event("etown_day_text"), expression=cell, safe=True)
            filled = exp.and_(used.copy(), exp.NEQ(this=cell.copy(), expression=_text("")))
            grouped.append(_named(exp.Min(this=_when(filled, key)), f"etown_first_{index}"))
        for index, name in enumerate(columns.outcomes):
            cell = event(f"etown_column_{self.carried.index(name)}")
            marks = [
                event(f"etown_outcome_{i}")
                for i, rule in enumerate(table.withdrawn)
                if rule.column == name
            ]
            # A value that marked the project if one did, else any of its values: the
            # same expressions on this one value then mark the project as its rows did.
            grouped.append(
                _named(exp.Min(this=_when(exp.or_(*marks), cell)), f"etown_marked_{index}")
            )
            grouped.append(_named(exp.Min(this=cell.copy()), f"etown_any_{index}"))
        if table.withdrawn:
            marks = [event(f"etown_outcome_{i}") for i in range(len(table.withdrawn))]
            grouped.append(_named(exp.LogicalOr(this=exp.or_(*marks)), "etown_withdrawn"))
        per_name = (
            exp.select(*grouped)
            .from_(events.subquery("etown_events", copy=False))
            .group_by(event("etown_project"))
        )

        # 3. names trimmed (once per project), then merged: one row per project.
        def written(name: str) -> exp.Column:
            return _ref(name, "etown_names")

        written_name = exp.cast(written("etown_project"), exp.DataType.build("varchar"))
        trimmed = exp.Case(
            ifs=[
                exp.If(
                    this=exp.RegexpLike(this=written_name, expression=_text(_EDGE)),
                    true=_trimmed(written_name.copy()),
                )
            ],
            default=written_name.copy(),
        )
        names = exp.select(
            _named(exp.Coalesce(this=trimmed, expressions=[_text("")]), "etown_name"),
            *(written(s.alias) for s in grouped[1:]),
        ).from_(per_name.subquery("etown_names", copy=False))

        def project(name: str) -> exp.Column:
            return _ref(name, "etown_projects")

        outer: list[exp.Expression] = [_named(project("etown_name"), columns.project)]
        dates = [
            combine(this=project(f"etown_stage_{index}"))
            for index in range(len(table.stages.stages))
        ]
        outer += [
            _named(date.copy(), column)
            for date, column in zip(dates, columns.stages.values(), strict=True)
        ]
        for index, name in enumerate(columns.attributes):
            first = exp.Min(this=project(f"etown_first_{index}"))
            outer.append(_named(exp.Substring(this=first, start=exp.Literal.number(11)), name))
        for index, name in enumerate(columns.outcomes):
            outer.append(
                _named(
                    exp.Coalesce(
                        this=exp.Min(this=project(f"etown_marked_{index}")),
                        expressions=[exp.Min(this=project(f"etown_any_{index}"))],
                    ),
                    name,
                )
            )
        if columns.withdrawn:
            outer.append(_named(exp.LogicalOr(this=project("etown_withdrawn")), columns.withdrawn))
        # A project appears when one of its rows is used: it has a stage's date.
        dated = exp.or_(*(date.copy().is_(exp.null()).not_() for date in dates))
        return (
            exp.select(*outer)
            .from_(names.subquery("etown_projects", copy=False))
            .where(exp.NEQ(this=project("etown_name"), expression=_text("")))
            .group_by(project("etown_name"))
            .having(dated)
            .order_by(project("etown_name"))
        )


# -- expressions on one cell's text ------------------------------------------------


def _trimmed(value: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    return exp.RegexpReplace(this=value, expression=_text(_TRIM), replacement=_text(""))


def _folded(text: exp.Expression) -> exp.Expression:
    """The text as :func:`~etown_approvals.stages.normalize_name` compares it: lower
    case, runs of white space, ``_`` and ``-`` one space."""
    from sqlglot import exp

    return exp.RegexpReplace(
        this=exp.Lower(this=text), expression=_text(_SEPARATORS), replacement=_text(" ")
    )


def _rule(rule: RowFilter, cell: exp.Expression) -> exp.Expression:
    """A ``--where``/``--withdrawn`` expression on a trimmed cell (see :mod:`filters`)."""
    from sqlglot import exp

    held: exp.Expression
    if rule.is_regex:
        held = exp.RegexpILike(this=cell.copy(), expression=_text(rule.value))
    else:
        held = exp.EQ(
            this=exp.Lower(this=cell.copy()), expression=exp.Lower(this=_text(rule.value))
        )
    return exp.Not(this=exp.Paren(this=held)) if rule.negated else held


def _stage(folded: exp.Expression, stages: StageSet) -> exp.Expression:
    """The stage a folded event name means, as its position in the stage set (NULL:
    none)."""
    from sqlglot import exp

    names: dict[str, list[str]] = {}
    for name, stage in stages.lookup.items():
        names.setdefault(stage, []).append(name)
    ifs = [
        exp.If(
            this=exp.In(this=folded.copy(), expressions=[_text(n) for n in names[stage]]),
            true=exp.Literal.number(index),
        )
        for index, stage in enumerate(stages.stages)
        if names.get(stage)
    ]
    return exp.Case(ifs=ifs)


def _day_text(text: exp.Expression, dayfirst: bool | None) -> exp.Expression:
    """A date's text as ``YYYY-MM-DD`` (NULL when not read)."""
    from sqlglot import exp

    def like(pattern: str) -> exp.Expression:
        return exp.RegexpLike(this=text.copy(), expression=_text(pattern))

    def part(pattern: str) -> exp.Expression:
        # Group 1 said explicitly: DuckDB's default is the whole match.
        return exp.RegexpExtract(
            this=text.copy(), expression=_text(_portable(pattern)), group=exp.Literal.number(1)
        )

    def two(value: exp.Expression) -> exp.Expression:
        return exp.Pad(
            this=value, expression=exp.Literal.number(2), fill_pattern=_text("0"), is_left=True
        )

    def substring(start: int, length: int) -> exp.Expression:
        return exp.Substring(
            this=text.copy(), start=exp.Literal.number(start), length=exp.Literal.number(length)
        )

    def joined(*parts: exp.Expression) -> exp.Expression:
        result = parts[0]
        for item in parts[1:]:
            result = exp.DPipe(this=result, expression=item, safe=True)
        return result

    dash = _text("-")
    ifs = [
        exp.If(
            this=exp.or_(like(_YMD), like(_CJK)),
            true=joined(
                substring(1, 4),
                dash,
                two(part(r"^\d{4}\D+(\d{1,2})")),
                dash.copy(),
                two(part(r"^\d{4}\D+\d{1,2}\D+(\d{1,2})")),
            ),
        ),
        exp.If(
            this=like(_COMPACT),
            true=joined(
                substring(1, 4), dash.copy(), substring(5, 2), dash.copy(), substring(7, 2)
            ),
        ),
    ]
    if dayfirst is not None:
        first, second = two(part(r"^(\d{1,2})")), two(part(r"^\d{1,2}\D(\d{1,2})"))
        year = part(r"^\d{1,2}\D\d{1,2}\D(\d{4})")
        day, month = (first, second) if dayfirst else (second, first)
        ifs.append(
            exp.If(this=like(_NUMERIC), true=joined(year, dash.copy(), month, dash.copy(), day))
        )
    return exp.Case(ifs=ifs)


# -- per dialect ----------------------------------------------------------------


def _for_dialect(tree: exp.Select, dialect: str) -> exp.Expression:
    """The tree with the few nodes whose sqlglot translation is not equivalent in
    ``dialect`` rewritten to ones that are (each checked by the tests in that engine
    where one runs here, and parsed back otherwise)."""
    rewrite = _REWRITES.get(dialect)
    return tree.copy().transform(rewrite) if rewrite else tree


def _case_insensitive_inline(node: exp.Expression) -> exp.Expression:
    """Spark, BigQuery and Trino have no case-insensitive regular expression function:
    the pattern starts with the ``(?i)`` flag instead (Java, RE2 and Joni all read it)."""
    from sqlglot import exp

    if isinstance(node, exp.RegexpILike):
        pattern = node.expression
        return exp.RegexpLike(this=node.this, expression=_text("(?i)" + pattern.name))
    return node


def _postgres(node: exp.Expression) -> exp.Expression:
    """PostgreSQL has no TRY_CAST and no REGEXP_EXTRACT: ``pg_input_is_valid`` (16 and
    later) guards the cast, and ``substring(text, pattern)`` gives the first group. A
    value's type is ``pg_typeof``; a character in a pattern is ``\\uXXXX``."""
    from sqlglot import exp

    if isinstance(node, exp.Typeof):
        return exp.cast(
            exp.Anonymous(this="PG_TYPEOF", expressions=[node.this.copy()]),
            exp.DataType.build("text"),
        )
    if isinstance(node, exp.Literal) and node.is_string and "\\x{" in node.name:
        return _text(re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: f"\\u{int(m[1], 16):04x}", node.name))
    if isinstance(node, exp.TryCast):
        to = node.to
        check = exp.Anonymous(
            this="PG_INPUT_IS_VALID", expressions=[node.this.copy(), _text(to.sql("postgres"))]
        )
        return exp.Case(
            ifs=[exp.If(this=check, true=exp.Cast(this=node.this.copy(), to=to.copy()))]
        )
    if isinstance(node, exp.RegexpExtract):
        return exp.Anonymous(this="SUBSTRING", expressions=[node.this, node.expression])
    return node


_REWRITES: dict[str, Callable[[exp.Expression], exp.Expression]] = {
    "spark": _case_insensitive_inline,
    "bigquery": _case_insensitive_inline,
    "trino": _case_insensitive_inline,
    "postgres": _postgres,
}
