"""The ``etown`` command: thin click glue over the library.

Commands parse options, call :mod:`etown_approvals.reports`, and hand the
result to a renderer. pandas, pyarrow and rich are imported inside commands,
so ``etown --help`` and ``etown --version`` start fast.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .errors import CheckFailedError, EtownError, ExitCode

if TYPE_CHECKING:
    from .formats import OutputOptions
    from .reports import Analysis, InputOptions, Result

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


DATE = click.DateTime(formats=["%Y-%m-%d"])


def stacked(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator made of several, applied in the order written."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta["etown.debug"] = True
    return value


def _debug_enabled(ctx: click.Context) -> bool:
    return bool(ctx.meta.get("etown.debug")) or os.environ.get("ETOWN_DEBUG", "") not in ("", "0")


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show a traceback when something goes wrong.",
)


class EtownGroup(click.Group):
    """Maps library errors to one line on stderr and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EtownError as error:
            if _debug_enabled(ctx):
                raise
            click.echo(f"etown: error: {error}", err=True)
            ctx.exit(int(error.exit_code))
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("etown: interrupted", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug: say so in one line unless debugging
            if _debug_enabled(ctx):
                raise
            click.echo(
                f"etown: internal error: {type(error).__name__}: {error} "
                "(run with --debug for a traceback, and please report it)",
                err=True,
            )
            ctx.exit(int(ExitCode.INTERNAL))


def _silence_stdout() -> None:
    """After the reader of our output went away, make the interpreter's final flush quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@click.group(cls=EtownGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="etown")
@debug_option
def cli() -> None:
    """Measure how fast projects move through approval: days from land
    acquisition to construction permit, same-day and fast-track cases.

    \b
    Example:
      etown summary data/projects.csv
      etown summary data/projects.csv --format json

    Exit codes: 0 ok, 1 a check failed, 2 usage error, 3 unreadable input,
    4 unusable data, 5 bad config, 70 internal error.
    """


# -- shared options -------------------------------------------------------


def _delimiter(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise click.BadParameter("give one character, or tab/comma/semicolon/pipe")
    return value


def _sheet(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


input_options = stacked(
    click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True)),
    click.option(
        "--encoding",
        metavar="NAME",
        help="Text encoding of FILE, e.g. gb18030 (default: UTF-8, GB18030 recognised).",
    ),
    click.option(
        "--delimiter",
        metavar="CHAR",
        callback=_delimiter,
        help="Field delimiter (default: sniffed from , ; tab |).",
    ),
    click.option(
        "--dayfirst/--monthfirst",
        "dayfirst",
        default=None,
        help="Read 01/02/2023 as day first or month first (default: decided from the data).",
    ),
    click.option(
        "--sheet",
        metavar="NAME|INDEX",
        callback=_sheet,
        help="Excel sheet to read (default: the first).",
    ),
    click.option(
        "--config",
        type=click.Path(exists=True, dir_okay=False),
        metavar="FILE.toml",
        help="Stages, columns and metric for other permit systems (see README).",
    ),
    click.option(
        "--from-stage",
        metavar="STAGE",
        help="Measure from this stage (default: land_acquisition, or the config's).",
    ),
    click.option(
        "--to-stage",
        metavar="STAGE",
        help="Measure to this stage (default: construction_permit, or the config's).",
    ),
    click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress or warnings on stderr (errors are still shown).",
    ),
    debug_option,
)
"""FILE plus the options that say how to read it."""


#: Files at least this large get a progress line on a terminal.
PROGRESS_BYTES = 20_000_000


class Progress:
    """One self-erasing status line on stderr, for large inputs on a terminal."""

    def __init__(self, source: str, enabled: bool) -> None:
        self.source = source
        self.enabled = enabled
        self.shown = False

    @classmethod
    def for_options(cls, options: dict[str, Any]) -> Progress:
        path = options["file"]
        large = path == "-" or (os.path.exists(path) and os.path.getsize(path) >= PROGRESS_BYTES)
        return cls(path, large and not options.get("quiet") and sys.stderr.isatty())

    def __call__(self, step: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[Ketown: {self.source}: {step}...")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


metric_options = stacked(
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
        help="Working calendar for --days workdays and targets, e.g. CN, US.",
    ),
    click.option(
        "--as-of",
        type=DATE,
        metavar="DATE",
        help="Date that open projects have waited until (default: today).",
    ),
)
"""Options that change how durations are measured and flagged."""


def _date_value(value: Any) -> Any:
    return value.date() if value is not None else None


window_options = stacked(
    click.option(
        "--since",
        type=DATE,
        metavar="DATE",
        help="Only projects whose land acquisition is on or after DATE.",
    ),
    click.option(
        "--until",
        type=DATE,
        metavar="DATE",
        help="Only projects whose land acquisition is on or before DATE.",
    ),
)
"""The date window on land acquisition, for every command that lists or measures projects."""

analysis_options = stacked(
    click.option(
        "--group-by",
        metavar="COLUMN",
        help="Split the results by an attribute column (zone, sector, company, ...).",
    ),
    window_options,
)
"""Group-by and date window, for the commands that aggregate."""


def output_options(*formats: str) -> Callable[[F], F]:
    """``--format`` with the formats a command offers, and ``--json`` as its shortcut."""

    def decorate(function: F) -> F:
        function = click.option(
            "--json",
            "as_json",
            is_flag=True,
            help="Same as --format json.",
        )(function)
        function = click.option(
            "--format",
            "-f",
            "output_format",
            type=click.Choice(formats),
            default=formats[0],
            show_default=True,
            help="Output format.",
        )(function)
        return function

    return decorate


def _inputs(options: dict[str, Any]) -> InputOptions:
    from .config import load_config
    from .errors import ConfigError
    from .reports import InputOptions
    from .stages import ETOWN

    stages = load_config(options["config"]) if options.get("config") else ETOWN
    if options.get("from_stage") or options.get("to_stage"):
        try:
            stages = stages.with_metric(options.get("from_stage"), options.get("to_stage"))
        except ConfigError as error:
            raise click.UsageError(f"--from-stage/--to-stage: {error.message}") from None
    return InputOptions(
        stages=stages,
        encoding=options.get("encoding"),
        delimiter=options.get("delimiter"),
        dayfirst=options.get("dayfirst"),
        sheet=options.get("sheet"),
    )


def _metric(options: dict[str, Any]):  # type: ignore[no-untyped-def]
    from .metrics import MetricOptions

    as_of = options.get("as_of")
    calendar = options.get("calendar", "CN").upper()
    if options.get("unit") == "workdays" or _target(options) is not None:
        from .calendars import supported

        if not supported(calendar):  # checked only when used: loading holidays takes time
            raise click.BadParameter(
                f"{calendar!r} is not a country code the holidays package knows (e.g. CN, US)",
                param_hint="'--calendar'",
            )
    return MetricOptions(
        fast_track_days=options.get("fast_track_days", 3),
        as_of=as_of.date() if as_of else None,
        unit=options.get("unit", "calendar"),
        calendar=calendar,
        target_workdays=_target(options),
    )


def _target(options: dict[str, Any]) -> int | None:
    """``summary --target-workdays N``, or the target of ``check --max-workdays N``."""
    value = options.get("target_workdays", options.get("max_workdays"))
    return None if value is None else int(value)


def _analyze(options: dict[str, Any]) -> Analysis:
    from .reports import Window, analyze

    window = Window(_date_value(options.get("since")), _date_value(options.get("until")))
    progress = Progress.for_options(options)
    try:
        analysis = analyze(
            options["file"], _inputs(options), _metric(options), window=window, progress=progress
        )
    finally:
        progress.done()
    _report_input(analysis, strict=options.get("strict", False), quiet=options.get("quiet", False))
    return analysis


def _report_input(analysis: Analysis, *, strict: bool, quiet: bool = False) -> None:
    """Tell stderr what was not used, and fail under --strict."""
    loaded = analysis.loaded
    summary = (
        f"{loaded.source}: {loaded.rows_rejected} of {loaded.rows_read} rows rejected"
        f" ({loaded.rejection_reasons()})"
    )
    if loaded.rows_rejected and strict:
        raise CheckFailedError(summary + " (--strict)")
    if quiet:
        return
    for note in loaded.notes:
        click.echo(f"etown: {note}", err=True)
    repeated = int((loaded.findings["type"] == "duplicate-project").sum())
    if repeated:
        click.echo(
            f"etown: note: {repeated} rows repeat a project of an earlier row; merged, "
            "earliest date per stage",
            err=True,
        )
    if loaded.rows_rejected:
        click.echo(
            f"etown: warning: {summary}; see them with: etown validate {loaded.source}", err=True
        )


def output_settings() -> OutputOptions:
    """Colour and width, decided once from the environment."""
    from .formats import OutputOptions

    is_terminal = sys.stdout.isatty()
    color = is_terminal and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    width = shutil.get_terminal_size((80, 24)).columns if is_terminal else None
    return OutputOptions(color=color, width=width, unicode=is_terminal)


def _emit(result: Result, options: dict[str, Any]) -> None:
    from .formats import render

    name = "json" if options.get("as_json") else options["output_format"]
    render(result, name, sys.stdout, output_settings())
    sys.stdout.flush()


def command_options(function: F) -> F:
    """Pass all options as one dict, so shared decorators need no signature changes."""

    @functools.wraps(function)
    def wrapper(**options: Any) -> Any:
        return function(options)

    return wrapper  # type: ignore[return-value]


# -- commands -------------------------------------------------------------


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@analysis_options
@output_options("table", "json")
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any row is rejected.")
@click.option(
    "--target-workdays",
    type=click.IntRange(min=0),
    metavar="N",
    help="Count the complete projects within N working days (120: the national reference).",
)
@command_options
def summary(options: dict[str, Any]) -> None:
    """Headline numbers: days from land acquisition to construction permit,
    same-day and fast-track projects.

    \b
    Example:
      etown summary data/projects.csv
      etown summary data/projects.csv --format json --fast-track-days 5
      etown summary data/projects.csv --group-by zone --since 2022-01-01
    """
    from . import reports

    _emit(reports.summary(_analyze(options), group_by=options["group_by"]), options)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@click.option(
    "--status",
    type=click.Choice(["complete", "open", "invalid"]),
    help="Only projects with this status.",
)
@click.option(
    "--flag",
    "flags",
    multiple=True,
    type=click.Choice(["same_day", "fast_track", "out_of_order", "duplicate_stage"]),
    help="Only projects with this flag (repeat for all of several).",
)
@click.option("--sort", type=click.Choice(["days", "land", "project"]), help="Sort by this key.")
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option("--limit", type=click.IntRange(min=0), metavar="N", help="At most N projects.")
@window_options
@output_options("table", "json", "ndjson", "csv")
@command_options
def projects(options: dict[str, Any]) -> None:
    """One row per project: stage dates, days, status, flags and attributes.

    Open projects show how long they have waited so far (as of --as-of).

    \b
    Example:
      etown projects data/projects.csv --flag same_day
      etown projects data/projects.csv --status open --sort land --format csv
    """
    from . import reports

    result = reports.projects(
        _analyze(options),
        status=options["status"],
        flags=options["flags"],
        sort=options["sort"],
        descending=options["desc"],
        limit=options["limit"],
    )
    _emit(result, options)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@analysis_options
@output_options("table", "json", "ndjson", "csv")
@command_options
def stages(options: dict[str, Any]) -> None:
    """Where the time goes: days between consecutive stages.

    Each transition is measured over the projects that have both dates; share
    is its mean over the mean days of complete projects.

    \b
    Example:
      etown stages data/projects.csv
      etown stages data/projects.csv --group-by sector --format csv
    """
    from . import reports

    _emit(reports.stages(_analyze(options), group_by=options["group_by"]), options)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@analysis_options
@click.option(
    "--by",
    type=click.Choice(["year", "quarter", "month"]),
    default="year",
    show_default=True,
    help="Period of the land-acquisition date.",
)
@output_options("table", "json", "ndjson", "csv")
@command_options
def trend(options: dict[str, Any]) -> None:
    """Is approval getting faster? One row per period of land acquisition.

    Periods inside the range with no projects appear with zero counts.

    \b
    Example:
      etown trend data/projects.csv --by quarter
      etown trend data/projects.csv --group-by zone --format json
    """
    from . import reports

    result = reports.trend(_analyze(options), by=options["by"], group_by=options["group_by"])
    _emit(result, options)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@click.option(
    "--project", "names", multiple=True, metavar="NAME", help="Draw this project (repeatable)."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    metavar="N",
    help="Draw at most N projects.",
)
@window_options
@command_options
def timeline(options: dict[str, Any]) -> None:
    """A terminal timeline: one bar per project from land acquisition to
    construction permit (dotted to --as-of while open), stages marked.

    \b
    Example:
      etown timeline data/projects.csv --limit 20
      etown timeline data/projects.csv --project "Beijing Yesemi" --project "Fortune Precision"
    """
    from . import reports

    result = reports.timeline(_analyze(options), names=options["names"], limit=options["limit"])
    options["output_format"] = "table"
    _emit(result, options)


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@output_options("table", "json", "csv", "ndjson")
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
    type=click.Path(dir_okay=False, writable=True, allow_dash=False),
    metavar="FILE",
    help="Write the rejected rows, with line numbers and reasons, to FILE as CSV.",
)
@click.option("--warnings-as-errors", is_flag=True, help="Fail on warnings too.")
@command_options
def validate(options: dict[str, Any]) -> None:
    """Report every problem in FILE, with row, field, value and reason.

    Exit 0 when there are no errors, 1 when there are, 3 when FILE cannot be
    read at all. Warnings (duplicate or out-of-order stages, blank rows) do
    not fail unless --warnings-as-errors.

    \b
    Example:
      etown validate data/projects.csv
      etown validate data/projects.csv --format json --invalid-rows rejected.csv
    """
    from . import reports
    from .validation import validate as run_validation

    inputs = _inputs(options)
    checked = run_validation(
        options["file"],
        stages=inputs.stages,
        encoding=inputs.encoding,
        delimiter=inputs.delimiter,
        dayfirst=inputs.dayfirst,
        sheet=inputs.sheet,
    )
    result = reports.validation(
        checked, limit=options["limit_errors"], warnings_as_errors=options["warnings_as_errors"]
    )
    if options["invalid_rows"] and checked.loaded is not None:
        from .formats.csv_format import write_rows

        rejected = checked.loaded.rejected_rows()
        with open(options["invalid_rows"], "w", encoding="utf-8", newline="") as out:
            write_rows(rejected.to_dict("records"), out, list(rejected.columns))
    _emit(result, options)
    for note in checked.loaded.notes if checked.loaded and not options["quiet"] else []:
        click.echo(f"etown: {note}", err=True)
    stats = result.document["stats"]
    if checked.unreadable:
        message = checked.errors["message"].iloc[0]
        click.echo(f"etown: error: {checked.source}: {message}", err=True)
        sys.exit(int(ExitCode.UNREADABLE))
    if not result.document["valid"]:
        click.echo(
            f"etown: {checked.source}: not valid ({stats['errors']} errors, "
            f"{stats['warnings']} warnings)",
            err=True,
        )
        sys.exit(int(ExitCode.CHECK_FAILED))


def threshold_options(function: F) -> F:
    from .checks import THRESHOLDS

    for threshold in reversed(THRESHOLDS):
        is_share = threshold.name.endswith("_share")
        function = click.option(
            threshold.option,
            threshold.name,
            type=click.FloatRange(0, 1) if is_share else click.FloatRange(min=0),
            metavar="X" if is_share else "N",
            help=threshold.help,
        )(function)
    return function


@cli.command(context_settings=CONTEXT_SETTINGS)
@input_options
@metric_options
@threshold_options
@output_options("table", "json")
@command_options
def check(options: dict[str, Any]) -> None:
    """Check FILE against thresholds, for CI: exit 1 if any fails.

    A threshold on a number that cannot be measured (a median with no
    complete project) fails.

    \b
    Example:
      etown check data/projects.csv --max-median-days 120 --min-same-day-share 0.05
    """
    from . import reports
    from .checks import THRESHOLDS, evaluate

    limits = {t.name: options.get(t.name) for t in THRESHOLDS}
    if all(v is None for v in limits.values()):
        raise click.UsageError(
            "give at least one threshold: " + ", ".join(t.option for t in THRESHOLDS)
        )
    analysis = _analyze(options)
    summary_document = reports.summary(analysis).document
    results = evaluate(summary_document, limits)
    _emit(reports.check(analysis, results, summary_document), options)
    failed = [r for r in results if not r.passed]
    if failed:
        for r in failed:
            click.echo(f"etown: check failed: {r.threshold.name}: {r.describe()}", err=True)
        sys.exit(int(ExitCode.CHECK_FAILED))


def main() -> None:  # pragma: no cover - console script entry point
    cli(prog_name="etown")


if __name__ == "__main__":  # pragma: no cover
    main()
