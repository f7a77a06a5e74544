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
from .stages import ETOWN, StageSet, normalize_name

if TYPE_CHECKING:
    from sqlglot import exp

Dialect = Literal["duckdb", "spark", "bigquery", "trino", "postgres"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "spark", "bigquery", "trino", "postgres")

#: Column names the query reads when neither the configuration nor an option names one.
DEFAULT_PROJECT, DEFAULT_EVENT, DEFAULT_DATE = "project", "event", "date"
#: The per-project table's outcome column (true: a row matched ``--withdrawn``).
WITHDRAWN_COLUMN = "withdrawn"

# White space trimmed off cells: the regular expression engines' \s (ASCII) and the
# Unicode spaces pyarrow's trim also removes, written as themselves (every engine's
# string literals and character classes take them as they are).
_UNICODE_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_SPACE = rf"[\s{_UNICODE_SPACES}]"
_TRIM = rf"^{_SPACE}+|{_SPACE}+$"
#: normalize_name's separators: runs of white space, ``_`` and ``-`` become one space.
_SEPARATORS = rf"[\s{_UNICODE_SPACES}_-]+"


def _plain_groups(pattern: str) -> str:
    """``dates``' patterns without group names (Java and PostgreSQL spell them otherwise)."""
    return re.sub(r"\(\?P<\w+>", "(", pattern)


# After a time of day, a zone name too (``2023-09-15 08:30:00.000 Asia/Shanghai``):
# engines write zoned timestamps so when cast to text.
_ZONES = "(?:Z|UTC|GMT|"
assert _ZONES in dates._TIME
_TIME = dates._TIME.replace(_ZONES, _ZONES + r"[A-Za-z]+(?:/[A-Za-z0-9_+-]+)+|", 1)


def _with_time(pattern: str) -> str:
    """One of ``dates``' patterns with the zone names above (and no group names)."""
    assert dates._TIME in pattern
    return _plain_groups(pattern.replace(dates._TIME, _TIME))


_YMD = _with_time(dates._YMD)
_CJK = _with_time(dates._CJK)
_COMPACT = _plain_groups(dates._COMPACT)
_NUMERIC = _with_time(dates._NUMERIC)


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
    columns = PerProjectColumns(
        project=project,
        stages=stages,
        attributes=tuple(attributes),
        outcomes=tuple(outcomes),
        withdrawn=WITHDRAWN_COLUMN if table.withdrawn else None,
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
    """The query as a sqlglot syntax tree (``dialect`` only reads the table's name).

    Three nested steps, each expression written once: the cells of each row
    (trimmed; rows failing ``where`` or without a project left out), then the
    row's stage and date, then one row per project.
    """
    _require_sqlglot()
    from sqlglot import exp

    columns = per_project_columns(table)
    build = _Builder()
    carried = [*columns.attributes, *columns.outcomes]

    def ref(name: str, step: str) -> exp.Column:
        return exp.column(name, table=step, quoted=True)

    def named(expression: exp.Expression, name: str) -> exp.Expression:
        return cast("exp.Expression", exp.alias_(expression, name, quoted=True))

    # 1. cells: the rows that are not filtered, with a project name.
    project = build.cell(table.project_column)
    cells: list[exp.Expression] = [
        named(project, "etown_project"),
        named(build.folded(table.event_column), "etown_event"),
        named(build.text(table.date_column), "etown_date"),
    ]
    cells += [named(build.cell(name), f"etown_column_{i}") for i, name in enumerate(carried)]
    cells += [
        named(build.rule(rule), f"etown_outcome_{i}") for i, rule in enumerate(table.withdrawn)
    ]
    kept = [exp.NEQ(this=project.copy(), expression=_text("")), *map(build.rule, table.where)]
    step1 = exp.select(*cells).from_(_table(table.table, dialect)).where(exp.and_(*kept))

    # 2. rows: the stage the event names and the date as YYYY-MM-DD text.
    passed = [f"etown_column_{i}" for i in range(len(carried))]
    passed += [f"etown_outcome_{i}" for i in range(len(table.withdrawn))]
    step2 = exp.select(
        ref("etown_project", "etown_cells"),
        named(build.stage(ref("etown_event", "etown_cells"), table.stages), "etown_stage"),
        named(build.day_text(ref("etown_date", "etown_cells"), table.dayfirst), "etown_day_text"),
        *(ref(name, "etown_cells") for name in passed),
    ).from_(step1.subquery("etown_cells", copy=False))

    # 3. events: the date (a text that does not cast, 30 February, is no date); used rows.
    day_text = ref("etown_day_text", "etown_rows")
    year_zero = exp.EQ(
        this=exp.Substring(
            this=day_text, start=exp.Literal.number(1), length=exp.Literal.number(4)
        ),
        expression=_text("0000"),
    )
    day = exp.Case(
        ifs=[exp.If(this=year_zero, true=exp.null())],
        default=exp.TryCast(this=day_text.copy(), to=exp.DataType.build("date"), safe=True),
    )
    step3 = exp.select(
        ref("etown_project", "etown_rows"),
        ref("etown_stage", "etown_rows"),
        day_text.copy(),
        named(day, "etown_day"),
        *(ref(name, "etown_rows") for name in passed),
    ).from_(step2.subquery("etown_rows", copy=False))

    # 4. one row per project.
    def event(name: str) -> exp.Column:
        return ref(name, "etown_events")

    used = exp.and_(
        event("etown_stage").is_(exp.null()).not_(), event("etown_day").is_(exp.null()).not_()
    )
    combine = exp.Max if table.stage_date == "latest" else exp.Min
    outer: list[exp.Expression] = [named(event("etown_project"), columns.project)]
    for stage, column in columns.stages.items():
        this_stage = exp.EQ(this=event("etown_stage"), expression=_text(stage))
        outer.append(named(combine(this=_when(this_stage, event("etown_day"))), column))
    for name in columns.attributes:
        cell = event(f"etown_column_{carried.index(name)}")
        # The earliest used event's value: its date (ten characters), then the value.
        key = exp.DPipe(this=event("etown_day_text"), expression=cell, safe=True)
        filled = exp.and_(used.copy(), exp.NEQ(this=cell.copy(), expression=_text("")))
        first = exp.Min(this=_when(filled, key))
        outer.append(named(exp.Substring(this=first, start=exp.Literal.number(11)), name))
    for name in columns.outcomes:
        cell = event(f"etown_column_{carried.index(name)}")
        marks = [
            event(f"etown_outcome_{i}")
            for i, rule in enumerate(table.withdrawn)
            if rule.column == name
        ]
        # A value that marked the project if one did, else any of its values: the same
        # expressions on this one value then mark the project as its rows did.
        marked = exp.Min(this=_when(exp.or_(*marks), cell))
        outer.append(
            named(exp.Coalesce(this=marked, expressions=[exp.Min(this=cell.copy())]), name)
        )
    if columns.withdrawn:
        marks = [event(f"etown_outcome_{i}") for i in range(len(table.withdrawn))]
        outer.append(named(exp.LogicalOr(this=exp.or_(*marks)), columns.withdrawn))
    used_rows = exp.Count(
        this=_when(event("etown_stage").is_(exp.null()).not_(), event("etown_day"))
    )
    return (
        exp.select(*outer)
        .from_(step3.subquery("etown_events", copy=False))
        .group_by(event("etown_project"))
        .having(exp.GT(this=used_rows, expression=exp.Literal.number(0)))
        .order_by(event("etown_project"))
    )


def _text(value: str) -> exp.Literal:
    from sqlglot import exp

    return exp.Literal.string(value)


def _when(condition: exp.Expression | exp.Condition, value: exp.Expression) -> exp.Case:
    from sqlglot import exp

    return exp.Case(ifs=[exp.If(this=condition, true=value)])


def _table(name: str, dialect: str) -> exp.Table:
    """``name`` read as a (possibly qualified) table name of ``dialect``, every part quoted."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        table = sqlglot.parse_one(name, read=dialect, into=exp.Table)
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


class _Builder:
    """Expressions on one row of the events table."""

    def trimmed(self, value: exp.Expression) -> exp.Expression:
        from sqlglot import exp

        return exp.RegexpReplace(this=value, expression=_text(_TRIM), replacement=_text(""))

    def text(self, column: str) -> exp.Expression:
        """The column's cell as text, trimmed (NULL stays NULL)."""
        from sqlglot import exp

        return self.trimmed(
            exp.cast(exp.column(column, quoted=True), exp.DataType.build("varchar"))
        )

    def cell(self, column: str) -> exp.Expression:
        """The cell as etown's filters see it: trimmed text, ``''`` when empty."""
        from sqlglot import exp

        return exp.Coalesce(this=self.text(column), expressions=[_text("")])

    def folded(self, column: str) -> exp.Expression:
        """The cell as :func:`~etown_approvals.stages.normalize_name` compares it: lower
        case, runs of white space, ``_`` and ``-`` one space."""
        from sqlglot import exp

        return exp.RegexpReplace(
            this=exp.Lower(this=self.text(column)),
            expression=_text(_SEPARATORS),
            replacement=_text(" "),
        )

    def rule(self, rule: RowFilter) -> exp.Expression:
        """A ``--where``/``--withdrawn`` expression on one row (see :mod:`filters`)."""
        from sqlglot import exp

        cell = self.cell(rule.column)
        held: exp.Expression
        if rule.is_regex:
            held = exp.RegexpILike(this=cell, expression=_text(rule.value))
        else:
            held = exp.EQ(this=exp.Lower(this=cell), expression=exp.Lower(this=_text(rule.value)))
        return exp.Not(this=exp.Paren(this=held)) if rule.negated else held

    def stage(self, folded: exp.Expression, stages: StageSet) -> exp.Expression:
        """The stage a folded event name means (NULL: none), by the stage set's names."""
        from sqlglot import exp

        names: dict[str, list[str]] = {}
        for name, stage in stages.lookup.items():
            names.setdefault(stage, []).append(name)
        ifs = [
            exp.If(
                this=exp.In(this=folded.copy(), expressions=[_text(n) for n in names[stage]]),
                true=_text(stage),
            )
            for stage in stages.stages
            if names.get(stage)
        ]
        return exp.Case(ifs=ifs)

    def day_text(self, text: exp.Expression, dayfirst: bool | None) -> exp.Expression:
        """A date as ``YYYY-MM-DD`` text (NULL when not read). DATE and TIMESTAMP
        columns are read through their text, which every engine writes year first."""
        from sqlglot import exp

        def like(pattern: str) -> exp.Expression:
            return exp.RegexpLike(this=text.copy(), expression=_text(pattern))

        def part(pattern: str) -> exp.Expression:
            # Group 1 said explicitly: DuckDB's default is the whole match.
            return exp.RegexpExtract(
                this=text.copy(), expression=_text(pattern), group=exp.Literal.number(1)
            )

        def two(value: exp.Expression) -> exp.Expression:
            return exp.Pad(
                this=value, expression=exp.Literal.number(2), fill_pattern=_text("0"), is_left=True
            )

        def substring(start: int, length: int) -> exp.Expression:
            return exp.Substring(
                this=text.copy(),
                start=exp.Literal.number(start),
                length=exp.Literal.number(length),
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
    later) guards the cast, and ``substring(text, pattern)`` gives the first group."""
    from sqlglot import exp

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
