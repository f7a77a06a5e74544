"""Shared option decorators: each adds its options and hands the command one typed
object, built in one place (as httpie's ``ProcessingOptions.from_raw_args`` does).

- :func:`input_options` -> ``source: Source`` (FILE, how to read it, ``--quiet``)
- :func:`metric_options` -> ``metric: MetricOptions`` (what to measure, in which unit)
- :func:`selection_options` -> ``selection: Selection`` (which projects)
- :func:`output_options` -> ``output: OutputOptions`` (format, ``--output``, terminal)

Nothing here imports pandas: the objects are built when a command runs, after
``--help`` has been handled.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..i18n import gettext
from ..options import (
    DEFAULT_MAX_INPUT_SIZE,
    DEFAULT_URL_TIMEOUT,
    DELIMITER_NAMES,
    InputLimits,
    InputOptions,
    OutputOptions,
    Selection,
)
from .app import debug_option

if TYPE_CHECKING:
    from ..config import ProjectConfig
    from ..filters import RowFilter
    from ..metrics import MetricOptions
    from ..warehouse import EventTable

F = TypeVar("F", bound=Callable[..., Any])


class IsoDate(click.DateTime):
    """A calendar date written YYYY-MM-DD; a wrong one is named plainly (click's own
    message shows the strptime pattern)."""

    name = "date"

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:  # noqa: ARG002
        """``DATE`` in usage lines."""
        return "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The date typed, or a usage error naming the form wanted."""
        if isinstance(value, date) and not isinstance(value, datetime):
            # A configuration's TOML date (``as_of = 2024-06-30``) arrives as a date.
            return datetime.combine(value, time())
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"{value!r} is not a date such as 2024-06-30 (YYYY-MM-DD)", param, ctx)


DATE = IsoDate()


def option_group(
    target: str, build: Callable[..., Any], *decorators: Callable[[Any], Any]
) -> Callable[[F], F]:
    """One decorator made of click ``decorators`` whose values reach the command as
    one keyword argument ``target``, built by ``build(**values)``."""
    names = _parameter_names(decorators)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names}
            kwargs[target] = build(**values)
            return function(*args, **kwargs)

        for decorator in reversed(decorators):
            wrapper = decorator(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate


def _parameter_names(decorators: tuple[Callable[[Any], Any], ...]) -> list[str]:
    def probe() -> None:  # pragma: no cover - never called
        pass

    for decorator in decorators:
        decorator(probe)
    params: list[click.Parameter] = getattr(probe, "__click_params__", [])
    return [p.name for p in params if p.expose_value and p.name]


# -- options shared by several groups ----------------------------------------

dayfirst_option = click.option(
    "--dayfirst/--monthfirst",
    "dayfirst",
    default=None,
    help="Read 01/02/2023 as day first or month first (default: decided from the data).",
)
config_options = (
    click.option(
        "--config",
        type=click.Path(exists=True, dir_okay=False),
        metavar="FILE.toml",
        help="Stages, columns, metric and option defaults (see README). Default: "
        "etown.toml, or [tool.etown] in pyproject.toml, in the working directory.",
    ),
    click.option(
        "--no-config",
        is_flag=True,
        help="Ignore etown.toml and pyproject.toml in the working directory.",
    ),
)
row_rule_options = (
    click.option(
        "--where",
        multiple=True,
        metavar="EXPR",
        help="Use only rows where EXPR holds: COLUMN=VALUE, COLUMN!=VALUE (exact, any case), "
        "COLUMN~REGEX, COLUMN!~REGEX. Repeat: all must hold. Other rows are counted as "
        "filtered.",
    ),
    click.option(
        "--withdrawn",
        multiple=True,
        metavar="EXPR",
        help="Rows matching EXPR (same syntax; repeat: any) mark their project withdrawn "
        "(cancelled, refused, expired) unless it reached the end stage.",
    ),
    click.option(
        "--ignore-event",
        "ignore_events",
        multiple=True,
        metavar="NAME",
        help="An event name that is not a stage: its rows are counted as ignored, "
        "not rejected (repeatable).",
    ),
)
"""``--where``, ``--withdrawn`` and ``--ignore-event``: which rows count, and what they mean."""
verbose_option = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Say on stderr which configuration file is used.",
)
stage_date_option = click.option(
    "--stage-date",
    type=click.Choice(["earliest", "latest"]),
    help="When a project has a stage several times (several permits): its earliest "
    "date, or its latest (default: earliest, or the config's metric.stage_date).",
)
as_of_option = click.option(
    "--as-of",
    type=DATE,
    metavar="DATE",
    help="Measure what was known on DATE: events dated after it are left out, "
    "projects that start after it are not counted, open ones wait until it "
    "(default: today, nothing left out).",
)


# -- input ----------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """FILE and how to read it."""

    file: str
    inputs: InputOptions
    #: No progress or warnings on stderr.
    quiet: bool = False


def _delimiter(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    # Names for characters a shell makes awkward; the reader checks what is left.
    return None if value is None else DELIMITER_NAMES.get(value.lower(), value)


def _sheet(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def _stage_pairs(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        name, _, column = value.partition("=")
        if not name.strip() or not column.strip():
            raise click.BadParameter(
                f"{value!r}: give NAME=COLUMN, e.g. --stage filed='Filed Date' "
                "(in process order; the first and the last are measured)"
            )
        pairs.append((name.strip(), column.strip()))
    return tuple(pairs)


def _column_words(
    project: str | None,
    stages: tuple[tuple[str, str], ...],
    event_column: str | None,
    date_column: str | None,
) -> tuple[str, ...]:
    """The options as typed, for commands suggested in hints."""
    words: list[str] = []
    if project:
        words += ["--project", project]
    for name, column in stages:
        words += ["--stage", f"{name}={column}"]
    if event_column:
        words += ["--event-column", event_column]
    if date_column:
        words += ["--date-column", date_column]
    return tuple(words)


def _size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    from ..errors import UsageError
    from ..options import parse_size

    try:
        return None if value is None else parse_size(value, name="")
    except UsageError as error:
        raise click.BadParameter(error.message.strip()) from None


def _seconds(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    from ..errors import UsageError
    from ..options import parse_seconds

    try:
        return None if value is None else parse_seconds(value, name="")
    except UsageError as error:
        raise click.BadParameter(error.message.strip()) from None


def _build_source(
    file: str,
    encoding: str | None,
    delimiter: str | None,
    dayfirst: bool | None,
    sheet: str | int | None,
    config: str | None,
    from_stage: str | None,
    to_stage: str | None,
    where: tuple[str, ...],
    withdrawn: tuple[str, ...],
    ignore_events: tuple[str, ...],
    date_formats: tuple[str, ...],
    missing_values: tuple[str, ...],
    quiet: bool,
    no_config: bool,
    verbose: bool,
    no_cache: bool,
    header_row: int | None,
    project_column: str | None,
    stage_columns: tuple[tuple[str, str], ...],
    event_column: str | None,
    date_column: str | None,
    max_input_size: int | None,
    url_timeout: float | None,
) -> Source:
    from ..config import with_columns
    from ..errors import ConfigError, UsageError

    if file != "-" and not _is_url(file) and not os.path.lexists(file):
        raise UsageError(gettext("{file}: no such file").format(file=file))
    if config and no_config:
        raise UsageError(gettext("--config and --no-config contradict each other"))
    project = click.get_current_context().meta.get("etown.project")
    if verbose:
        from .app import say

        say(f"config: {project.path}" if project else "config: none")
    # The columns named on the command line make the configuration TOML would, and win.
    stages = with_columns(
        project,
        project=project_column,
        stages=stage_columns,
        event_column=event_column,
        date_column=date_column,
    ).stages
    if from_stage or to_stage:
        try:
            stages = stages.with_metric(from_stage, to_stage)
        except ConfigError as error:
            raise UsageError(f"--from-stage/--to-stage: {error.message}") from None
    from ..filters import FilterError, parse, parse_all

    for option, texts in (("--where", where), ("--withdrawn", withdrawn)):
        for text in texts:  # a malformed expression: a usage error (exit 2) at once
            try:
                parse(text)
            except FilterError as error:
                raise UsageError(f"{option} {error.message}") from None
    # The configuration's rules keep where they came from: their errors (a column the
    # file lacks) are configuration errors naming the key, and hints leave them out.
    configured_where = (
        parse_all(project.where, origin=f"{project.path}: filter.where") if project else ()
    )
    configured_withdrawn = (
        parse_all(project.withdrawn, origin=f"{project.path}: outcomes.withdrawn")
        if project
        else ()
    )
    if project is not None and click.get_current_context().meta.get("etown.discovered"):
        _name_discovered(project)
    inputs = InputOptions(
        stages=stages,
        encoding=encoding,
        delimiter=delimiter,
        dayfirst=dayfirst,
        sheet=sheet,
        config=config,
        # Options as typed (hints repeat them); the config's rules, parsed, first.
        where=(*configured_where, *where),
        withdrawn=(*configured_withdrawn, *withdrawn),
        ignore_events=(*(project.ignore_events if project else ()), *ignore_events),
        date_formats=date_formats,
        cache=not no_cache,
        header_row=header_row,
        column_words=_column_words(project_column, stage_columns, event_column, date_column),
        # Given on the command line, the placeholders replace the config's (or the default) set.
        missing_values=missing_values or (project.dates.missing if project else None),
        **_plausible_range(project),
        limits=InputLimits(
            max_input_size=max_input_size or DEFAULT_MAX_INPUT_SIZE,
            url_timeout=url_timeout or DEFAULT_URL_TIMEOUT,
        ),
    )
    return Source(file=file, inputs=inputs, quiet=quiet)


def _plausible_range(project: ProjectConfig | None) -> dict[str, Any]:
    """The configuration's earliest plausible date and as-of date, if it gives them
    (for commands without --as-of; a command's --as-of wins)."""
    if project is None:
        return {}
    found = {"earliest": project.dates.earliest, "as_of": project.metric.as_of}
    return {key: value for key, value in found.items() if value is not None}


def _name_discovered(project: ProjectConfig) -> None:
    """A configuration found in the working directory that changes which rows count is
    named on stderr, even with --quiet: its rules should never apply unseen."""
    rules = [
        (key, values)
        for key, values in (
            ("filter.where", project.where),
            ("outcomes.withdrawn", project.withdrawn),
            ("ignore.events", project.ignore_events),
        )
        if values
    ]
    if rules:
        from .app import say

        shown = "; ".join(f"{key} = {list(values)!r}" for key, values in rules)
        path = os.path.relpath(project.path or "")
        say(
            gettext(
                "{path}, found in the working directory, decides which rows count: "
                "{rules} (--no-config reads without it)"
            ).format(path=path, rules=shown),
            level="note",
        )


def _is_url(file: str) -> bool:
    return file.startswith(("http://", "https://"))


# Options that say how to read FILE, shared by every command that reads one.
ENCODING_OPTION = click.option(
    "--encoding",
    metavar="NAME",
    help="Text encoding of FILE, e.g. gb18030 (default: UTF-8, GB18030 recognised).",
)

DELIMITER_OPTION = click.option(
    "--delimiter",
    metavar="CHAR",
    callback=_delimiter,
    help="Field delimiter (default: sniffed from , ; tab |).",
)

SHEET_OPTION = click.option(
    "--sheet",
    metavar="NAME|INDEX",
    callback=_sheet,
    help="Excel sheet to read: a sheet of that name, else the position from 0 "
    "(default: the first).",
)

HEADER_ROW_OPTION = click.option(
    "--header-row",
    type=click.IntRange(min=1),
    metavar="N",
    help="The line (or sheet row) of the header (default: the first row holding the "
    "columns named, else the first that looks like a header; rows above it skipped).",
)

PROJECT_OPTION = click.option(
    "--project",
    "project_column",
    metavar="COLUMN",
    help="The column holding each project's id (instead of [columns] project).",
)

column_options = (
    PROJECT_OPTION,
    click.option(
        "--stage",
        "stage_columns",
        multiple=True,
        metavar="NAME=COLUMN",
        callback=_stage_pairs,
        help="A stage and the date column meaning it (one row per project), or the event "
        "name meaning it (event logs). Repeat in process order: the first and the last "
        "are measured. Replaces the config's [stages].",
    ),
    click.option(
        "--event-column",
        metavar="COLUMN",
        help="An event log's column of event names (instead of [columns] event).",
    ),
    click.option(
        "--date-column",
        metavar="COLUMN",
        help="An event log's column of event dates (instead of [columns] date).",
    ),
)
"""``--project``, ``--stage``, ``--event-column``, ``--date-column``: the columns a
configuration's ``[columns]`` and ``[stages]`` name, named on the command line; a
command that takes them builds its stage set with :func:`etown_approvals.config.with_columns`
(the configuration, if any, and these), as ``input_options`` does."""


input_options = option_group(
    "source",
    _build_source,
    click.argument("file", type=click.Path(dir_okay=False, allow_dash=True)),
    ENCODING_OPTION,
    DELIMITER_OPTION,
    click.option(
        "--date-format",
        "date_formats",
        multiple=True,
        metavar="FMT",
        help="A date format to try before the built-in forms: strptime directives such as "
        "'%d/%m/%y' (two-digit years only this way), or epoch_s / epoch_ms. Repeatable, "
        "tried in order.",
    ),
    click.option(
        "--missing-value",
        "missing_values",
        multiple=True,
        metavar="TEXT",
        help="A date cell that means no date (repeatable; replaces the default set: NA, "
        "N/A, n/a, #N/A, NULL, null, None, -, --, TBD, 0000-00-00 ...; '' for none).",
    ),
    dayfirst_option,
    SHEET_OPTION,
    HEADER_ROW_OPTION,
    *column_options,
    *config_options,
    click.option(
        "--from-stage",
        metavar="STAGE",
        help="Measure from this stage (default: the first stage, or the config's metric).",
    ),
    click.option(
        "--to-stage",
        metavar="STAGE",
        help="Measure to this stage (default: the last stage, or the config's metric).",
    ),
    *row_rule_options,
    click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress or warnings on stderr (errors are still shown).",
    ),
    click.option(
        "--no-cache",
        is_flag=True,
        help="Read FILE again instead of using the parsed copy kept from an earlier run "
        "(kept in ETOWN_CACHE_DIR or the user cache folder; a changed file is always read).",
    ),
    verbose_option,
    click.option(
        "--max-input-size",
        metavar="SIZE",
        envvar="ETOWN_MAX_INPUT_SIZE",
        show_envvar=True,
        callback=_size,
        help="The most data a compressed or zipped FILE, standard input or a download may "
        "bring, e.g. 500M or 16G (default: 4G); more is refused (exit 3).",
    ),
    click.option(
        "--url-timeout",
        metavar="SECONDS",
        envvar="ETOWN_URL_TIMEOUT",
        show_envvar=True,
        callback=_seconds,
        help="The most time a download of FILE may take in all (default: 600).",
    ),
    debug_option,
)
"""FILE plus the options that say how to read it and which rows count."""


# -- metric ---------------------------------------------------------------


def _build_metric(
    fast_track_days: int,
    unit: str,
    calendar: str,
    as_of: Any,
    stage_date: str | None,
    max_rejected: float,
) -> MetricOptions:
    from dataclasses import replace

    return replace(
        _build_snapshot(as_of, stage_date),
        fast_track_days=fast_track_days,
        unit=unit,
        calendar=calendar.upper(),
        max_rejected=max_rejected,
    )


def _build_snapshot(as_of: Any, stage_date: str | None) -> MetricOptions:
    # A configuration's metric.as_of and metric.stage_date come as these options'
    # defaults, so that an option given on the command line wins.
    from ..metrics import MetricOptions

    return MetricOptions(
        as_of=as_of.date() if as_of is not None else None,
        stage_date="latest" if stage_date == "latest" else "earliest",
    )


def _share(_ctx: click.Context, _param: click.Parameter, value: Any) -> float:
    # click's FloatRange lets nan through (no comparison with nan holds).
    if not (isinstance(value, float) and 0 <= value <= 1):
        raise click.BadParameter(f"{value!r} is not a share from 0 to 1, e.g. 0.8")
    return value


metric_options = option_group(
    "metric",
    _build_metric,
    click.option(
        "--fast-track-days",
        type=click.IntRange(min=0),
        default=3,
        show_default=True,
        metavar="N",
        help="A complete project within N days is fast-track (same-day included).",
    ),
    click.option(
        "--days",
        "unit",
        type=click.Choice(["calendar", "workdays"]),
        default="calendar",
        show_default=True,
        help="Count calendar days, or working days on the --calendar.",
    ),
    click.option(
        "--calendar",
        default="CN",
        show_default=True,
        metavar="COUNTRY",
        help="Working calendar for --days workdays and targets: a country code, with a "
        "subdivision if its holidays differ (CN, US, US-CA, CA-AB, AU-NSW).",
    ),
    as_of_option,
    stage_date_option,
    click.option(
        "--max-rejected",
        type=float,
        default=0.5,
        show_default=True,
        callback=_share,
        metavar="SHARE",
        help="No result (exit 4) when more than this share of the rows that count is "
        "rejected (0-1; 1: measure whatever is left).",
    ),
)
"""Options that change how durations are measured and flagged."""

snapshot_options = option_group("metric", _build_snapshot, as_of_option, stage_date_option)
"""``--as-of`` and ``--stage-date`` alone, as :data:`metric_options` has them: which
events are known and which date of a stage counts, for a command that decides each
project's status without measuring durations (``etown validate``)."""


# -- selection ------------------------------------------------------------


def _build_selection(since: Any, until: Any) -> Selection:
    return Selection(
        since=since.date() if since is not None else None,
        until=until.date() if until is not None else None,
    )


selection_options = option_group(
    "selection",
    _build_selection,
    click.option(
        "--since",
        type=DATE,
        metavar="DATE",
        help="Only projects whose start-stage date is on or after DATE.",
    ),
    click.option(
        "--until",
        type=DATE,
        metavar="DATE",
        help="Only projects whose start-stage date is on or before DATE.",
    ),
)
"""Which projects: a date window on the metric's start stage."""


group_option = click.option(
    "--group-by",
    metavar="COLUMN",
    multiple=True,
    help="Split the results by a column of the file (zone, sector, company, ...). "
    "Repeat for every combination of several columns.",
)


def _percentiles(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[float, ...]:
    if value is None:  # not given; an empty list is an empty item, a usage error
        return ()
    from ..metrics import MetricOptionError, parse_percentiles

    try:
        return parse_percentiles(value)
    except MetricOptionError as error:
        # A usage error of one line naming the option (exit 2), not click's usage text.
        raise MetricOptionError(f"--percentiles: {error}") from None


percentiles_option = click.option(
    "--percentiles",
    metavar="LIST",
    callback=_percentiles,
    help="More percentiles of days, e.g. 50,90,95 (keys p95 ...; the defaults stay): "
    "decimals in (0, 100], at most 10 decimal places.",
)
period_option = click.option(
    "--by",
    type=click.Choice(["year", "quarter", "month"]),
    default="year",
    show_default=True,
    help="Length of a period (trend, and the report's trend chart).",
)
survival_option = click.option(
    "--survival",
    is_flag=True,
    help="Also estimate time to the end stage counting open projects (Kaplan-Meier; "
    "compare and report: also the share completed with withdrawals as a competing event, "
    "Aalen-Johansen; see the README's Method section).",
)


# -- output ---------------------------------------------------------------


def output_options(kind: str) -> Callable[[F], F]:
    """``--format`` with the formats that render ``kind`` (from the format registry),
    ``--json`` as its shortcut, ``--output FILE``, ``--lang`` and ``--bom``."""
    from ..formats import formats_for

    choices = formats_for(kind)

    def build(
        output_format: str,
        as_json: bool,
        output: str | None,
        lang: str | None,
        bom: bool | None,
    ) -> OutputOptions:
        from ..errors import UsageError
        from ..i18n import resolve
        from .app import terminal_settings

        ctx = click.get_current_context()
        typed = ctx.get_parameter_source("output_format") in (
            click.core.ParameterSource.COMMANDLINE,
            click.core.ParameterSource.ENVIRONMENT,
        )
        if as_json and typed and output_format != "json":
            raise UsageError(
                gettext("--json and --format {format} contradict each other").format(
                    format=output_format
                )
            )
        name = "json" if as_json else output_format
        language = resolve(lang)
        return OutputOptions(
            format=name,
            path=output,
            lang=language,
            # Excel reads a CSV file as UTF-8 only after a byte-order mark: Chinese
            # names would be garbled without it.
            bom=(language == "zh-CN") if bom is None else bom,
            **terminal_settings(name, output),
        )

    return option_group(
        "output",
        build,
        click.option(
            "--format",
            "-f",
            "output_format",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="Output format.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Same as --format json."),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, allow_dash=True),
            metavar="FILE",
            help="Write the result to FILE (atomically) instead of standard output.",
        ),
        lang_option,
        click.option(
            "--bom/--no-bom",
            default=None,
            help="Start CSV with a UTF-8 byte-order mark, so that Excel reads names in any "
            "script (default: on with --lang zh-CN, else off).",
        ),
    )


lang_option = click.option(
    "--lang",
    metavar="TAG",
    help="Language of labels in tables: en or zh-CN (default: ETOWN_LANG, else en). "
    "JSON keys stay English.",
)


# -- warehouse --------------------------------------------------------------


@dataclass(frozen=True)
class WarehouseQuery:
    """``etown sql``: the events table, how etown reads its events, and the dialect."""

    table: EventTable
    dialect: str


def _build_warehouse_query(
    dialect: str,
    table: str,
    group_by: tuple[str, ...],
    dayfirst: bool | None,
    config: str | None,
    no_config: bool,
    where: tuple[str, ...],
    withdrawn: tuple[str, ...],
    ignore_events: tuple[str, ...],
    stage_date: str | None,
    verbose: bool,
    project_column: str | None,
    stage_columns: tuple[tuple[str, str], ...],
    event_column: str | None,
    date_column: str | None,
) -> WarehouseQuery:
    from ..config import with_columns
    from ..errors import UsageError
    from ..filters import parse
    from ..warehouse import EventTable

    if config and no_config:
        raise UsageError(gettext("--config and --no-config contradict each other"))
    project = click.get_current_context().meta.get("etown.project")
    if verbose:
        from .app import say

        say(f"config: {project.path}" if project else "config: none")
    if project and project.dates.formats:
        from .app import say

        say(
            "dates.formats are not used in SQL: the query reads DATE and TIMESTAMP columns "
            "and year-first text (see docs/warehouse.md)",
            level="note",
        )

    if project is not None and click.get_current_context().meta.get("etown.discovered"):
        _name_discovered(project)

    def parsed(texts: tuple[str, ...], origin: str) -> tuple[RowFilter, ...]:
        return tuple(parse(text, origin=origin) for text in texts)

    path = project.path if project else None
    chosen = stage_date or (project.metric.stage_date if project else None) or "earliest"
    # The columns named on the command line make the configuration TOML would, and win.
    stages = with_columns(
        project,
        project=project_column,
        stages=stage_columns,
        event_column=event_column,
        date_column=date_column,
    ).stages
    events = EventTable(
        table=table,
        stages=stages,
        where=(
            *parsed(project.where if project else (), f"{path}: filter.where"),
            *(parse(text) for text in where),
        ),
        withdrawn=(
            *parsed(project.withdrawn if project else (), f"{path}: outcomes.withdrawn"),
            *(parse(text) for text in withdrawn),
        ),
        ignore_events=(*(project.ignore_events if project else ()), *ignore_events),
        stage_date="latest" if chosen == "latest" else "earliest",
        dayfirst=dayfirst,
        attributes=group_by,
    )
    return WarehouseQuery(table=events, dialect=dialect)


warehouse_options = option_group(
    "query",
    _build_warehouse_query,
    click.option(
        "--dialect",
        required=True,
        type=click.Choice(["duckdb", "spark", "bigquery", "trino", "postgres"]),
        help="The SQL dialect of the engine that holds the events.",
    ),
    click.option(
        "--table",
        required=True,
        metavar="NAME",
        help="The table of events, as the dialect names it (analytics.permit_events).",
    ),
    click.option(
        "--group-by",
        metavar="COLUMN",
        multiple=True,
        help="A column to carry per project, for a later --group-by (repeatable).",
    ),
    dayfirst_option,
    *config_options,
    *row_rule_options,
    stage_date_option,
    verbose_option,
    debug_option,
    *column_options,
)
"""The events table, its dialect and how etown reads events (``etown sql``)."""
