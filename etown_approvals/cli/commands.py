"""The commands: each parses its options into typed objects, calls the library, and
hands the result to :func:`~etown_approvals.cli.app.emit`."""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING, Any

import click

from ..errors import CheckFailedError
from ..i18n import counted, ngettext
from ..i18n import gettext as _
from ..kinds import Kind
from ..schemas import NAMES as SCHEMA_NAMES
from .app import (
    CONTEXT_SETTINGS,
    cli,
    emit,
    leave,
    mend_closed_streams,
    note_snapshot,
    one_line_warnings,
    progress_for,
    remove_partial_output_on_signals,
    report_input,
    say,
)
from .options import (
    DATE,
    DELIMITER_OPTION,
    ENCODING_OPTION,
    HEADER_ROW_OPTION,
    PROJECT_OPTION,
    SHEET_OPTION,
    Source,
    group_option,
    input_options,
    lang_option,
    metric_options,
    output_options,
    percentiles_option,
    period_option,
    selection_options,
    snapshot_options,
    survival_option,
    warehouse_options,
)

if TYPE_CHECKING:
    from datetime import date

    from ..analysis import Analysis
    from ..drafting import Draft
    from ..metrics import MetricOptions
    from ..options import OutputOptions, Selection
    from .options import WarehouseQuery

__all__ = ["cli", "main"]

#: Projects the table format of ``etown projects`` shows without --limit: a few
#: screens. Laying out a million rows for a terminal takes minutes and helps nobody,
#: and even a thousand take rich about a second; the table says how many more there
#: are and how to list them (``--limit``, ``--format csv``).
TABLE_PROJECTS = 200


def _analyze(
    source: Source,
    metric: MetricOptions,
    selection: Selection,
    *,
    strict: bool = False,
    attributes: bool | tuple[str, ...] = (),
) -> Analysis:
    """``attributes``: the file's own columns the command shows or groups by (True: all);
    the others are not even parsed."""
    from .. import reader  # noqa: F401 - numpy and pyarrow imported here, before the thread
    from .._lazy import warm_after_parse

    warm_after_parse("pandas")  # imported on a thread once pyarrow has parsed the file
    from ..analysis import analyze

    workdays = metric.unit == "workdays" or metric.target_workdays is not None
    ctx = click.get_current_context()
    if (
        workdays
        and source.inputs.stages.configured
        and ctx.get_parameter_source("calendar") is click.core.ParameterSource.DEFAULT
        and not source.quiet
    ):
        # A configured source is often not Chinese: never count on CN's calendar silently.
        say(
            f"working days on the {metric.calendar} calendar, the default; give --calendar "
            "(or [metric] calendar) for your data's country, e.g. US-CA, CA-AB, AU-NSW",
            level="note",
        )
    with progress_for(source.file, source.quiet) as step:
        inputs = dataclasses.replace(source.inputs, attributes=attributes)
        analysis = analyze(
            source.file, inputs, metric, selection=selection, progress=step, keep_raw=False
        )
    report_input(analysis, strict=strict, quiet=source.quiet)
    return analysis


def _emit(result, output: OutputOptions, source: Source) -> None:  # type: ignore[no-untyped-def]
    emit(result, output, inputs=(source.file,))


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@group_option
@selection_options
@output_options(Kind.SUMMARY)
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any row is rejected.")
@click.option(
    "--target-workdays",
    type=click.IntRange(min=0),
    metavar="N",
    help="Count the complete projects within N working days (120: the national reference).",
)
@survival_option
@percentiles_option
def summary(
    source: Source,
    metric: MetricOptions,
    group_by: tuple[str, ...],
    selection: Selection,
    output: OutputOptions,
    strict: bool,
    target_workdays: int | None,
    survival: bool,
    percentiles: tuple[float, ...],
) -> None:
    """Headline numbers: days from the start stage to the end stage (land
    acquisition to construction permit by default), same-day and fast-track projects.

    \b
    Example:
      etown summary data/projects.csv
      etown summary data/projects.csv --format json --fast-track-days 5
      etown summary data/projects.csv --group-by zone --since 2022-01-01
    """
    from .. import results

    metric = dataclasses.replace(metric, target_workdays=target_workdays)
    analysis = _analyze(source, metric, selection, strict=strict, attributes=group_by)
    result = results.summary(
        analysis, group_by=group_by, survival=survival, percentiles=percentiles
    )
    _emit(result, output, source)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@click.option(
    "--status",
    type=click.Choice(["complete", "open", "invalid", "withdrawn"]),
    help="Only projects with this status.",
)
@click.option(
    "--flag",
    "flags",
    multiple=True,
    type=click.Choice(["same_day", "fast_track", "out_of_order", "duplicate_stage"]),
    help="Only projects with this flag (repeat for all of several).",
)
@click.option(
    "--sort",
    type=click.Choice(["days", "start", "end", "waiting", "project"]),
    help="Sort by days, the start or end stage's date, waiting days (open projects), or name.",
)
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    metavar="N",
    help=f"At most N projects (the table format shows {TABLE_PROJECTS:,} unless given; "
    "csv, json and ndjson list every project).",
)
@selection_options
@output_options(Kind.PROJECTS)
def projects(
    source: Source,
    metric: MetricOptions,
    status: str | None,
    flags: tuple[str, ...],
    sort: str | None,
    desc: bool,
    limit: int | None,
    selection: Selection,
    output: OutputOptions,
) -> None:
    """One row per project: stage dates, days, status, flags, gaps and the file's
    own columns.

    Open projects show how long they have waited so far (as of --as-of).

    \b
    Example:
      etown projects data/projects.csv --flag same_day
      etown projects data/projects.csv --status open --sort start --format csv
    """
    from .. import results

    if limit is None and output.format == "table":
        limit = TABLE_PROJECTS  # a table is for people; files take every project
    analysis = _analyze(source, metric, selection, attributes=True)
    result = results.projects(
        analysis, status=status, flags=flags, sort=sort, descending=desc, limit=limit
    )
    _emit(result, output, source)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@group_option
@selection_options
@click.option(
    "--pairs",
    type=click.Choice(["consecutive", "all"]),
    default="consecutive",
    show_default=True,
    help="Consecutive stages only, or every ordered pair of stages (e.g. permit to "
    "completion when construction start is rarely recorded).",
)
@percentiles_option
@output_options(Kind.STAGES)
def stages(
    source: Source,
    metric: MetricOptions,
    group_by: tuple[str, ...],
    selection: Selection,
    pairs: str,
    percentiles: tuple[float, ...],
    output: OutputOptions,
) -> None:
    """Where the time goes: days between consecutive stages.

    Each transition is measured over the projects that have both dates; share
    is its mean over the mean days of complete projects.

    \b
    Example:
      etown stages data/projects.csv
      etown stages data/projects.csv --group-by sector --format csv
    """
    from .. import results

    analysis = _analyze(source, metric, selection, attributes=group_by)
    result = results.stages(analysis, group_by=group_by, pairs=pairs, percentiles=percentiles)
    _emit(result, output, source)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@group_option
@selection_options
@period_option
@click.option(
    "--period-of",
    metavar="STAGE",
    help="Periods of this stage's date (default: the metric's start stage).",
)
@click.option(
    "--fiscal-year-start",
    type=click.IntRange(1, 12),
    default=1,
    show_default=True,
    metavar="MONTH",
    help="First month of the year for --by year|quarter (4: April, as in the UK; 10: "
    "US federal). Fiscal years are named by the year they end in (FY2024).",
)
@survival_option
@percentiles_option
@output_options(Kind.TREND)
def trend(
    source: Source,
    metric: MetricOptions,
    group_by: tuple[str, ...],
    selection: Selection,
    by: str,
    period_of: str | None,
    fiscal_year_start: int,
    survival: bool,
    percentiles: tuple[float, ...],
    output: OutputOptions,
) -> None:
    """Is approval getting faster? One row per period of the start stage's date.

    Periods inside the range with no projects appear with zero counts.

    \b
    Example:
      etown trend data/projects.csv --by quarter
      etown trend data/projects.csv --group-by zone --format json
    """
    from .. import results

    analysis = _analyze(source, metric, selection, attributes=group_by)
    result = results.trend(
        analysis,
        by=by,
        group_by=group_by,
        period_of=period_of,
        fiscal_year_start=fiscal_year_start,
        survival=survival,
        percentiles=percentiles,
    )
    _emit(result, output, source)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@click.option(
    "--show", "names", multiple=True, metavar="NAME", help="Draw this project (repeatable)."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    metavar="N",
    help="Draw at most N projects.",
)
@selection_options
@output_options(Kind.TIMELINE)
def timeline(
    source: Source,
    metric: MetricOptions,
    names: tuple[str, ...],
    limit: int,
    selection: Selection,
    output: OutputOptions,
) -> None:
    """A terminal timeline: one bar per project from the start stage to the end
    stage (dotted to --as-of while open), stages marked.

    \b
    Example:
      etown timeline data/projects.csv --limit 20
      etown timeline data/projects.csv --show "Beijing Yesemi" --show "Fortune Precision"
    """
    from .. import results

    analysis = _analyze(source, metric, selection)
    _emit(results.timeline(analysis, names=names, limit=limit), output, source)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@group_option
@selection_options
@click.option("--by", "by_columns", multiple=True, metavar="COLUMN", hidden=True)
@click.option(
    "--split-date",
    type=DATE,
    metavar="DATE",
    help="Compare projects starting before DATE with those on or after it (a reform).",
)
@click.option(
    "--split-stage",
    metavar="STAGE",
    help="The stage whose date --split-date splits on (default: the metric's start).",
)
@click.option(
    "--reference",
    multiple=True,
    metavar="GROUP",
    help="The group the others are compared with (default: the largest; for --split-date, "
    "the projects before it). With several --group-by columns, give its value of each, "
    "in order.",
)
@click.option(
    "--horizon",
    # at most the days between the first and the last date there can be
    type=click.IntRange(min=1, max=(datetime.date.max - datetime.date.min).days),
    metavar="DAYS",
    help="Horizon of the restricted mean time (default: per pair, the shorter of the two "
    "groups' longest follow-ups).",
)
@survival_option
@output_options(Kind.COMPARE)
def compare(
    source: Source,
    metric: MetricOptions,
    group_by: tuple[str, ...],
    selection: Selection,
    by_columns: tuple[str, ...],
    split_date: Any,
    split_stage: str | None,
    reference: tuple[str, ...],
    horizon: int | None,
    survival: bool,
    output: OutputOptions,
) -> None:
    """Are some projects really faster? Groups side by side, each against a reference:
    medians, Kaplan-Meier medians, restricted means, shifts with intervals, and tests.

    Exit 0 whatever the result (use `check` to gate on numbers).

    \b
    Example:
      etown compare data/projects.csv --split-date 2022-01-01
      etown compare data/projects.csv --group-by zone --reference "Core Area" --format json
    """
    from .. import results
    from ..errors import UsageError

    if by_columns:
        say(
            _("--by is deprecated in compare: use --group-by, as in every command"),
            level="warning",
        )
        group_by = (*group_by, *by_columns)
    if bool(group_by) == (split_date is not None):
        raise UsageError(_("give either --group-by COLUMN or --split-date DATE"))
    if reference and len(reference) != max(len(group_by), 1):
        raise UsageError(
            f"give --reference once per --group-by column: {max(len(group_by), 1)} values, "
            f"got {len(reference)}"
        )
    analysis = _analyze(source, metric, selection, attributes=group_by)
    result = results.compare(
        analysis,
        by=group_by,
        split_date=split_date.date() if split_date is not None else None,
        split_stage=split_stage,
        reference=reference or None,
        horizon=horizon,
        survival=survival,
    )
    _emit(result, output, source)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@group_option
@selection_options
@period_option
@survival_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="report.html",
    show_default=True,
    metavar="FILE",
    help="Where to write the page (- for standard output); written atomically.",
)
@lang_option
@click.option(
    "--title",
    metavar="TEXT",
    help="The page's title (default: 'Approval time: ' and the file's name, without its folders).",
)
@click.option(
    "--assets",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Also write each chart as SVG and PNG into DIR (made if missing), drawn "
    "offline, for articles and slides.",
)
def report(
    source: Source,
    metric: MetricOptions,
    group_by: tuple[str, ...],
    selection: Selection,
    by: str,
    survival: bool,
    output: str,
    lang: str | None,
    title: str | None,
    assets: str | None,
) -> None:
    """One self-contained HTML page to share: headline numbers, charts, data quality,
    method notes; opens offline (nothing is loaded from the network).

    \b
    Example:
      etown report data/projects.csv -o report.html
      etown report data/projects.csv --lang zh-CN --group-by zone --survival
      etown report data/projects.csv --title "E-Town approvals 2024" --assets charts/
    """
    from .._lazy import warm_after_parse
    from ..output import check_folder, open_output
    from ..report import Report, bundle, require_extra

    require_extra()  # before reading: a missing extra is said at once
    if len(group_by) > 1:
        from ..errors import UsageError

        raise UsageError(_("the report groups by one column; give --group-by once"))
    if output != "-":
        from ..output import check_target

        check_target(output, (source.file,))
    if assets:
        check_folder(assets, option="--assets")
    bundle.prepare()  # the page's scripts, read or built while the input is read
    for module in ("altair", "jinja2", *(("scipy.stats",) if survival else ())):
        warm_after_parse(module)
    analysis = _analyze(source, metric, selection, attributes=group_by)
    built = Report(
        analysis,
        group_by=group_by[0] if group_by else None,
        by=by,
        lang=lang,
        survival=survival,
        title=title,
    )
    page = built.to_html()
    with open_output(output, inputs=(source.file,)) as stream:
        stream.write(page)
    if assets:
        written = built.assets(assets)
        if not source.quiet:
            say(
                ngettext(
                    "wrote {count} chart file into {folder}",
                    "wrote {count} chart files into {folder}",
                    len(written),
                ).format(count=len(written), folder=assets)
            )
    if output != "-" and not source.quiet:
        size = len(page.encode("utf-8")) / 1e6
        say(_("wrote {file} ({size} MB)").format(file=output, size=f"{size:.1f}"))


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@snapshot_options
@output_options(Kind.VALIDATE)
@click.option(
    "--limit-errors",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    metavar="N",
    help="List at most N errors and N warnings (the counts stay whole).",
)
@click.option(
    "--invalid-rows",
    type=click.Path(dir_okay=False, allow_dash=False),
    metavar="FILE",
    help="Write the rejected rows, with line numbers and reasons, to FILE as CSV.",
)
@click.option("--warnings-as-errors", is_flag=True, help="Fail on warnings too.")
def validate(
    source: Source,
    metric: MetricOptions,
    output: OutputOptions,
    limit_errors: int,
    invalid_rows: str | None,
    warnings_as_errors: bool,
) -> None:
    """Report every problem in FILE, with row, field, value and reason.

    Exit 0 when there are no errors, 1 when there are, 3 when FILE cannot be
    read at all. Warnings (duplicate or out-of-order stages, blank rows) do
    not fail unless --warnings-as-errors.

    \b
    Example:
      etown validate data/projects.csv
      etown validate data/projects.csv --format json --invalid-rows rejected.csv
    """
    from .. import results
    from ..analysis import load_arguments
    from ..errors import UnreadableInputError
    from ..output import check_target, open_output
    from ..validation import validate as run_validation

    if invalid_rows:  # before any work: a wrong target is a usage error, not a late surprise
        check_target(invalid_rows, (source.file,), option="--invalid-rows")
    # Every column: the rejected rows written by --invalid-rows show every cell.
    inputs = dataclasses.replace(source.inputs, attributes=True)
    checked = run_validation(source.file, metric, **load_arguments(inputs, metric))
    result = results.validation(checked, limit=limit_errors, warnings_as_errors=warnings_as_errors)
    if invalid_rows and checked.loaded is not None:
        from ..formats.csv_format import write_rows

        rejected = checked.loaded.rejected_rows()
        with open_output(invalid_rows, inputs=(source.file,), option="--invalid-rows") as out:
            write_rows(rejected.to_dict("records"), out, list(rejected.columns))
    failed = checked.unreadable or not result.document["valid"]
    click.get_current_context().meta["etown.exit_status"] = 1 if failed else 0
    _emit(result, output, source)
    for note in checked.loaded.notes if checked.loaded and not source.quiet else []:
        say(note)
    if not source.quiet:
        note_snapshot(checked.snapshot, metric.as_of)
    if checked.unreadable:
        message = checked.errors["message"].iloc[0]
        raise UnreadableInputError(message, source=checked.source)
    if not result.document["valid"]:
        stats = result.document["stats"]
        raise CheckFailedError(
            _("not valid ({errors}, {warnings})").format(
                errors=counted(stats["errors"], "{count} error", "{count} errors"),
                warnings=counted(stats["warnings"], "{count} warning", "{count} warnings"),
            ),
            source=checked.source,
        )


def threshold_options(function):  # type: ignore[no-untyped-def]
    from ..checks import THRESHOLDS

    for threshold in reversed(THRESHOLDS):
        is_share = threshold.name.endswith("_share")
        function = click.option(
            threshold.option,
            threshold.name,
            type=float,  # ranges and finiteness: checks.validate_limits, one rule for all
            metavar="X" if is_share else "N",
            help=threshold.help,
        )(function)
    return function


@cli.command(context_settings=CONTEXT_SETTINGS, no_args_is_help=False)
@input_options
@metric_options
@threshold_options
@output_options(Kind.CHECK)
def check(
    source: Source,
    metric: MetricOptions,
    output: OutputOptions,
    **limits: float | None,
) -> None:
    """Check FILE against thresholds, for CI: exit 1 if any fails.

    A threshold on a number that cannot be measured (a median with no
    complete project) fails.

    \b
    Example:
      etown check data/projects.csv --max-median-days 120 --min-same-day-share 0.05
    """
    from .. import results
    from ..checks import THRESHOLDS, evaluate, validate_limits
    from ..options import EVERYTHING

    if all(v is None for v in limits.values()):
        raise click.UsageError(
            "give at least one threshold (or a [check] table in etown.toml): "
            + ", ".join(t.option for t in THRESHOLDS)
        )
    given = validate_limits(limits)  # before reading: nan, inf and 1e400 are usage errors
    target = given.get("max_workdays")
    metric = dataclasses.replace(metric, target_workdays=None if target is None else int(target))
    analysis = _analyze(source, metric, EVERYTHING)
    summary_document = results.summary(analysis).document
    outcomes = evaluate(summary_document, dict(given))
    failed = [r for r in outcomes if not r.passed]
    click.get_current_context().meta["etown.exit_status"] = 1 if failed else 0
    _emit(results.check(analysis, outcomes, summary_document), output, source)
    for outcome in failed:
        say(f"{outcome.threshold.name}: {outcome.describe()}", level="check failed")
    if failed:
        raise CheckFailedError(
            ngettext(
                "{failed} of {count} check failed",
                "{failed} of {count} checks failed",
                len(outcomes),
            ).format(failed=len(failed), count=len(outcomes)),
            source=analysis.source,
        )


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="etown.toml",
    show_default=True,
    metavar="FILE.toml",
    help="Where to write the configuration (- for standard output); written atomically.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE.toml if it exists.")
@ENCODING_OPTION
@DELIMITER_OPTION
@SHEET_OPTION
@HEADER_ROW_OPTION
@PROJECT_OPTION
@click.option(
    "--as-of",
    type=DATE,
    metavar="DATE",
    help="Date that open projects have waited until, in the headline; dates after it "
    "are plans, not stages (default: today).",
)
@click.option("--quiet", "-q", is_flag=True, help="Say nothing on stderr (errors are still shown).")
def init(
    file: str,
    output: str,
    force: bool,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | int | None,
    header_row: int | None,
    project_column: str | None,
    as_of: Any,
    quiet: bool,
) -> None:
    """Draft a configuration from a raw export: the project id column, the stages
    in process order (by median date), the metric, withdrawn outcomes and how to
    read the file; prints what it decided and the headline it would give.

    Never overwrites FILE.toml without --force. Then `etown summary FILE` reads it
    from the working directory (or give --config FILE.toml).

    \b
    Example:
      etown init queue-report.xlsx
      etown init permits.csv -o permits.toml --project 'Permit Number'
    """
    import os
    import shlex

    from ..drafting import draft
    from ..errors import UsageError
    from ..output import check_target, open_output

    if file != "-" and not file.startswith(("http://", "https://")) and not os.path.lexists(file):
        raise UsageError(_("{file}: no such file").format(file=file))
    if output != "-":
        if os.path.lexists(output) and not force:
            raise UsageError(
                _("{file} exists: give --force to overwrite it, or -o another file").format(
                    file=output
                )
            )
        check_target(output, (file,))
    # etown.toml in the working directory is read without --config.
    found_here = output == "-" or os.path.abspath(output) == os.path.abspath("etown.toml")
    config_words = [] if found_here else ["--config", output]
    today = as_of.date() if as_of is not None else None
    drafted = draft(
        file,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        header_row=header_row,
        project=project_column,
        today=today,
        next_command=shlex.join([file, *config_words]),
    )
    with open_output(output, inputs=(file,)) as stream:
        stream.write(drafted.text)
    if quiet:
        return
    for decision in drafted.decisions:
        say(decision)
    if output != "-":
        say(_("wrote {file}").format(file=output))
    headline, notes = _headline(file, drafted, today)
    for note in notes:
        say(note)
    say(headline, level="headline")
    saved = " (with the configuration saved as etown.toml here)" if output == "-" else ""
    say("next: " + shlex.join(["etown", "summary", file, *config_words]) + saved)


def _headline(file: str, drafted: Draft, today: date | None) -> tuple[str, list[str]]:
    """What ``etown summary`` gives with the draft, in one line (or why it cannot), and
    the loader's notes on rows it left out."""
    from .. import results
    from ..analysis import analyze
    from ..errors import EtownError
    from ..metrics import MetricOptions
    from ..options import InputOptions

    config = drafted.config
    inputs = InputOptions(
        stages=config.stages,
        encoding=config.source.encoding,
        delimiter=config.source.delimiter,
        sheet=config.source.sheet,
        header_row=config.source.header_row,
        dayfirst=config.dates.dayfirst,
        date_formats=config.dates.formats,
        where=config.where,
        withdrawn=config.withdrawn,
        ignore_events=config.ignore_events,
    )
    try:
        analysis = analyze(file, inputs, MetricOptions(as_of=today), keep_raw=False)
    except EtownError as error:
        return f"none yet: {error.message}", []
    document = results.summary(analysis).document
    projects, days = document["projects"], document["days"]
    metric = document["metric"]
    median = "no complete project" if days["median"] is None else f"median {days['median']:g} days"
    notes = [note for note in analysis.loaded.notes if "after the table" in note]
    return (
        f"{metric['from']} -> {metric['to']}: {median} over {projects['complete']:,} complete "
        f"projects (same day: {document['same_day']['count']:,}); {projects['open']:,} open, "
        f"{projects['invalid']:,} invalid, {projects.get('withdrawn', 0):,} withdrawn; "
        f"rows: {document['rows']['used']:,} used, {document['rows']['rejected']:,} rejected"
    ), notes


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("command", type=click.Choice(SCHEMA_NAMES))
def schema(command: str) -> None:
    """Print the JSON Schema of COMMAND's JSON output (draft 2020-12): every command
    with one (cache: `etown cache info --json`).

    \b
    Example:
      etown schema summary > summary.schema.json
    """
    from ..schemas import schema_text

    click.echo(schema_text(command), nl=not schema_text(command).endswith("\n"))


@cli.command(context_settings=CONTEXT_SETTINGS)
@warehouse_options
def sql(query: WarehouseQuery) -> None:
    """Print the SQL that turns a database table of events into etown's per-project table.

    The query runs where the events are (DuckDB, Spark, BigQuery, Trino, PostgreSQL);
    its result, one row per project, is read by etown with the same configuration.

    \b
    Example:
      etown sql --dialect bigquery --table permits.events --group-by zone > per_project.sql
    """
    from ..warehouse import per_project_sql

    click.echo(per_project_sql(query.table, query.dialect))


@cli.group(context_settings=CONTEXT_SETTINGS)
def cache() -> None:
    """The parsed copies of files kept between runs (see --no-cache).

    \b
    Example:
      etown cache info
      etown cache clear
    """


@cache.command("info", context_settings=CONTEXT_SETTINGS)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def cache_info(as_json: bool) -> None:
    """Where the cache is, how many entries it holds and how big it is."""
    import json

    from .. import cache as caching
    from ..results import SCHEMA_VERSION, source_text

    found = caching.info()
    if as_json:
        document = {
            "schema_version": SCHEMA_VERSION,
            "source": source_text(str(found.directory)),
            "directory": source_text(str(found.directory)),
            "entries": found.entries,
            "bytes": found.bytes,
            "max_bytes": found.max_bytes,
        }
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    described = {
        "directory": str(found.directory),
        "entries": found.entries,
        "bytes": found.bytes,
        "max_bytes": found.max_bytes,
    }
    for key, value in described.items():
        click.echo(f"{key}: {value}")


@cache.command("clear", context_settings=CONTEXT_SETTINGS)
def cache_clear() -> None:
    """Remove every entry."""
    from .. import cache as caching

    removed = caching.clear()
    say(counted(removed, "removed {count} entry", "removed {count} entries"))


def main() -> None:  # pragma: no cover - console script entry point
    """The ``etown`` command: runs the command line, then leaves at once.

    Once the output is flushed nothing is left to do, yet a normal interpreter
    exit would tear down every pandas and pyarrow object and module first
    (about 0.1 s on every run). So, as mypy does, the process ends with
    ``os._exit`` after flushing: output files are closed and cache entries
    renamed into place before the command returns. Under a profiler or a
    coverage tracer the interpreter exits as usual, so that they can report.
    """
    import sys

    mend_closed_streams()
    one_line_warnings()
    remove_partial_output_on_signals()
    if sys.gettrace() is not None or sys.getprofile() is not None:
        cli(prog_name="etown")
        return
    try:
        cli(prog_name="etown")
    except SystemExit as stop:
        leave(stop.code)
    leave(0)


if __name__ == "__main__":  # pragma: no cover
    main()
