"""The ``etown`` group: library errors become one line on stderr and an exit code."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .. import __version__
from ..errors import EtownError, ExitCode
from ..i18n import counted, ngettext
from ..i18n import gettext as _

if TYPE_CHECKING:
    from datetime import date

    from ..analysis import Analysis
    from ..metrics import Snapshot
    from ..options import OutputOptions
    from ..results import Result

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta["etown.debug"] = True
    return value


def debug_enabled(ctx: click.Context | None) -> bool:
    """``--debug`` given (to the command being run, if any) or ``ETOWN_DEBUG`` set."""
    given = ctx is not None and bool(ctx.meta.get("etown.debug"))
    return given or os.environ.get("ETOWN_DEBUG", "") not in ("", "0")


debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="Show a traceback when something goes wrong.",
)


def say(text: str, *, level: str | None = None, source: str | None = None) -> None:
    """One line on stderr in etown's one style: ``etown: [LEVEL: ][SOURCE: ]TEXT``,
    with control characters from the data made visible."""
    from ..terminal import message

    click.echo(message(text, level=level, source=source), err=True)  # type: ignore[arg-type]


#: Option names in a configuration's defaults -> the parameter names of the commands.
_PARAMETER_OF = {
    "format": "output_format",
    "days": "unit",
    "date_format": "date_formats",
    "ignore_event": "ignore_events",
    "flag": "flags",
    "show": "names",
}
#: Row rules come from the configuration itself, added to the command line's (not replaced).
_RULES = {"where", "withdrawn", "ignore_event"}


def _peek(args: list[str], name: str) -> str | None:
    """The value of option ``name`` in raw ``args`` (before click parses them)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


class EtownCommand(click.Command):
    """A command that reads the project configuration before its options: ``--config
    FILE``, else ``etown.toml`` or ``[tool.etown]`` in ``pyproject.toml`` in the working
    directory (not with ``--no-config``). Its values become the options' defaults, so
    the command line wins."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The context, with the configuration's values as the options' defaults."""
        names = {p.name for p in self.params if p.name}
        _use_language(_peek(args, "--lang"))
        project = None
        discovered = False
        if "config" in names and "--no-config" not in args and not _wants_help(args):
            from ..config import discover, load_project_config

            explicit = _peek(args, "--config")
            if explicit is not None:
                if os.path.isfile(explicit):
                    project = load_project_config(explicit)
            else:
                found = discover(os.getcwd())
                project = found[1] if found else None
                discovered = project is not None
        if project is not None:
            defaults = project.defaults_for(self.name or "", {_option_name(n) for n in names})
            for rule in _RULES:  # added to the configuration's own rules, not options
                defaults.pop(rule, None)
            project = project.rules_for(self.name or "")
            repeatable = {p.name for p in self.params if getattr(p, "multiple", False)}
            default_map = {_PARAMETER_OF.get(k, k): v for k, v in defaults.items()}
            extra["default_map"] = {
                # One value of a repeatable option (group_by = "zone") is a list of one.
                name: (value,) if name in repeatable and isinstance(value, str) else value
                for name, value in default_map.items()
            }
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta["etown.project"] = project
        ctx.meta["etown.discovered"] = discovered
        return ctx

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Options in sections: the command's own (named after it), then input, metric,
        selection and output; every default written one way, ``(default: X)``."""
        records: dict[str, list[tuple[str, str]]] = {}
        sectioned = {name: title for title, names in HELP_SECTIONS.items() for name in names}
        own = f"{OWN_TITLES.get(self.name or '', (self.name or '').capitalize())} options"
        reads_file = any(
            isinstance(p, click.Argument) and p.name == "file" for p in self.get_params(ctx)
        )
        for param in self.get_params(ctx):
            record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
            if record is None:
                continue
            title = sectioned.get(param.name or "", own)
            if isinstance(param, click.Option) and "--help" in param.opts:
                title = OUTPUT
            if title == INPUT and not reads_file:
                title = INPUT_EVENTS
            records.setdefault(title, []).append((record[0], _one_default_style(record[1])))
        for title in (own, INPUT, INPUT_EVENTS, *list(HELP_SECTIONS)[1:]):
            if records.get(title):
                with formatter.section(title):
                    formatter.write_dl(records[title])


def _one_default_style(text: str) -> str:
    """click's ``[default: X]`` written as the help texts write theirs: ``(default: X)``."""
    return re.sub(r"\s*\[default: ([^\]]*)\]", r" (default: \1)", text)


#: How a command's own section is titled where its name capitalized would not do.
OWN_TITLES = {"sql": "SQL"}
INPUT = "Input (how to read FILE)"
#: The input section of a command without FILE (``etown sql`` reads a database table).
INPUT_EVENTS = "Input (how to read the events)"
OUTPUT = "Output"

#: Option sections of ``--help``, by parameter name; the rest are the command's own.
HELP_SECTIONS: dict[str, tuple[str, ...]] = {
    INPUT: (
        "encoding",
        "delimiter",
        "date_formats",
        "missing_values",
        "dayfirst",
        "sheet",
        "header_row",
        "project_column",
        "stage_columns",
        "event_column",
        "date_column",
        "config",
        "no_config",
        "no_cache",
        "max_input_size",
        "url_timeout",
    ),
    "Metric (what is measured)": (
        "from_stage",
        "to_stage",
        "fast_track_days",
        "unit",
        "calendar",
        "as_of",
        "stage_date",
        "target_workdays",
        "survival",
        "percentiles",
    ),
    "Selection (which rows and projects, how grouped)": (
        "where",
        "withdrawn",
        "ignore_events",
        "since",
        "until",
        "group_by",
        "max_rejected",
    ),
    OUTPUT: (
        "output_format",
        "as_json",
        "output",
        "lang",
        "bom",
        "quiet",
        "verbose",
        "debug",
    ),
}


def _option_name(parameter: str) -> str:
    reverse = {v: k for k, v in _PARAMETER_OF.items()}
    return reverse.get(parameter, parameter)


def _use_language(lang: str | None) -> None:
    """Write messages in ``--lang`` (else ``ETOWN_LANG``) from the start of the command;
    an unknown tag leaves English, and the option says why."""
    from ..errors import UnknownLanguageError
    from ..i18n import use

    try:
        use(lang)
    except UnknownLanguageError:
        use("en")


def _wants_help(args: list[str]) -> bool:
    return any(a in ("-h", "--help") for a in args)


#: ``etown --help`` lists the commands in the order of a user's work.
WORKFLOW = (
    "summary",
    "projects",
    "stages",
    "trend",
    "compare",
    "timeline",
    "report",
    "validate",
    "check",
    "init",
    "sql",
    "schema",
    "cache",
)


class EtownGroup(click.Group):
    """Maps library errors to one line on stderr and a documented exit code; lists
    its commands in workflow order, each with its whole first line."""

    command_class = EtownCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands in :data:`WORKFLOW` order (any other after them)."""
        names = super().list_commands(ctx)
        last = len(WORKFLOW)
        return sorted(names, key=lambda n: (WORKFLOW.index(n) if n in WORKFLOW else last, n))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its whole first line (click would cut it at "...")."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an etown error becomes one line on stderr and its exit code."""
        try:
            return super().invoke(ctx)
        except EtownError as error:
            if debug_enabled(ctx):
                raise
            say(str(error), level="error")
            ctx.exit(int(error.exit_code))
        except BrokenPipeError:
            silence_stdout()
            ctx.exit(int(ctx.meta.get("etown.exit_status", ExitCode.OK)))
        except KeyboardInterrupt:
            say(_("interrupted"))
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug: say so in one line unless debugging
            if debug_enabled(ctx):
                raise
            say(
                _(
                    "internal error: {kind}: {error} "
                    "(run with --debug for a traceback, and please report it)"
                ).format(kind=type(error).__name__, error=error)
            )
            ctx.exit(int(ExitCode.INTERNAL))


def silence_stdout() -> None:
    """After the reader of our output went away, make the interpreter's final flush quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def one_line_warnings() -> None:
    """Show a library's warning (pandas, pyarrow, dateutil, openpyxl ...) as one line
    of etown's kind on stderr, instead of Python's two lines naming a source file;
    under ``--debug`` (or ``ETOWN_DEBUG``) as Python shows it."""
    import warnings

    python_show = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if debug_enabled(click.get_current_context(silent=True)):
            python_show(message, category, filename, lineno, file, line)
            return
        say(" ".join(f"{category.__name__}: {message}".split()), level="warning")

    warnings.showwarning = show


class ClosedStream(io.TextIOBase):
    """Standard output or error when its file descriptor was closed (Python leaves
    ``None`` there): writing to it is an error etown reports, not a crash."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    @property
    def buffer(self) -> ClosedStream:  # binary formats write here
        """The stream itself: binary formats write here too."""
        return self

    def write(self, _text: Any) -> int:
        """Fail: the stream is closed."""
        raise OSError(errno.EBADF, f"{self._name} is closed")

    def isatty(self) -> bool:
        """Never a terminal."""
        return False


def mend_closed_streams() -> None:
    """Stand-ins for standard streams whose descriptors are closed: results written to
    a closed stdout fail with exit 6 (``--output`` still works); messages to a closed
    stderr go nowhere, and the exit status stays the command's."""
    if sys.stdout is None:
        sys.stdout = ClosedStream("standard output")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process


def remove_partial_output_on_signals() -> None:
    """SIGTERM and SIGHUP (a cancelled CI job, a closed terminal) end etown as they
    would, once the temporary file of an output being written is removed; Ctrl-C
    (SIGINT) does the same through KeyboardInterrupt. A signal the process was started
    ignoring stays ignored."""
    import signal

    def end(number: int, _frame: Any) -> None:
        from ..output import remove_partial

        remove_partial()
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, end)


def leave(code: int | str | None) -> NoReturn:
    """End the process with ``code`` (as ``sys.exit`` reads it) without tearing down
    the interpreter: stdout and stderr are flushed first; a reader gone away is quiet."""
    if isinstance(code, str):  # sys.exit("message"): the message on stderr, status 1
        sys.stderr.write(code + "\n")
        code = 1
    status = 0 if code is None else int(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader left, or the stream is closed
            if stream is sys.stdout:
                silence_stdout()
        except OSError as error:  # the output cannot be written (a full disk)
            if stream is sys.stdout:
                say(f"cannot write the output: {error.strerror or error}", level="error")
                status = status or int(ExitCode.CANNOT_WRITE)
    os._exit(status)


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
    4 unusable data, 5 bad config, 6 cannot write the output, 70 internal error.
    """


def emit(result: Result, output: OutputOptions, *, inputs: tuple[str, ...] = ()) -> None:
    """Write ``result`` where ``output`` says; a closed pipe ends quietly."""
    from ..formats import render
    from ..output import open_output

    try:
        with open_output(output.path, inputs=inputs) as stream:
            render(result, output.format, stream, output)
    except BrokenPipeError:
        silence_stdout()


def terminal_settings(output_format: str, path: str | None) -> dict[str, Any]:
    """Colour, width and box characters for tables, decided once from the environment."""
    is_terminal = path is None and sys.stdout.isatty()
    width = shutil.get_terminal_size((80, 24)).columns if is_terminal else None
    from ..terminal import color_enabled

    color = path is None and output_format == "table" and color_enabled(os.environ, is_terminal)
    return {"color": color, "width": width, "unicode": is_terminal}


def report_input(analysis: Analysis, *, strict: bool, quiet: bool) -> None:
    """Tell stderr what was not used, and fail under --strict."""
    from ..errors import CheckFailedError
    from ..results import command_line

    loaded = analysis.loaded
    rejected = _("{rejected} ({reasons})").format(
        rejected=ngettext(
            "{rejected} of {read} row rejected",
            "{rejected} of {read} rows rejected",
            loaded.rows_read,
        ).format(rejected=f"{loaded.rows_rejected:,}", read=f"{loaded.rows_read:,}"),
        reasons=loaded.rejection_reasons(),
    )
    if loaded.rows_rejected and strict:
        raise CheckFailedError(f"{rejected} (--strict)", source=loaded.source)
    if quiet:
        return
    for note in loaded.notes:
        say(note)
    repeated = int((loaded.findings["type"] == "duplicate-project").sum())
    if repeated:
        say(
            counted(
                repeated,
                "{count} row repeats a project of an earlier row; merged",
                "{count} rows repeat a project of an earlier row; merged",
            ),
            level="note",
        )
    note_snapshot(analysis.snapshot, analysis.options.as_of)
    _note_open_after_as_of(analysis)
    if loaded.rows_rejected:
        say(
            _("{rejected}; see them with: {command}").format(
                rejected=rejected, command=command_line(analysis, "validate")
            ),
            level="warning",
            source=loaded.source,
        )


def note_snapshot(snapshot: Snapshot | None, as_of: date | None) -> None:
    """What ``--as-of`` left out as not known yet: events, whole rows, projects."""
    if snapshot is None or as_of is None or not snapshot.events_after:
        return
    text = ngettext(
        "{count} event dated after --as-of {date} left out as not known yet "
        "({rows} rows wholly: rows.after_as_of)",
        "{count} events dated after --as-of {date} left out as not known yet "
        "({rows} rows wholly: rows.after_as_of)",
        snapshot.events_after,
    ).format(
        count=f"{snapshot.events_after:,}", date=as_of.isoformat(), rows=f"{snapshot.rows_after:,}"
    )
    if snapshot.projects_after:
        text += counted(
            snapshot.projects_after,
            "; {count} project not started by then (not counted)",
            "; {count} projects not started by then (not counted)",
        )
    say(text, level="note")


def _note_open_after_as_of(analysis: Analysis) -> None:
    """Open projects that start after the as-of date have no waiting time: say how many,
    so an empty ``waiting_days`` is not mistaken for missing data."""
    from datetime import date

    from ..metrics import open_after_as_of

    as_of = analysis.options.as_of
    when = (
        f"--as-of {as_of.isoformat()}"
        if as_of
        else _("today ({date})").format(date=date.today().isoformat())
    )
    late = open_after_as_of(analysis.projects, analysis.stages, as_of or date.today())
    if len(late):
        say(
            ngettext(
                "{count} open project starts after {when}: no waiting time for it",
                "{count} open projects start after {when}: no waiting time for them",
                len(late),
            ).format(count=f"{len(late):,}", when=when),
            level="note",
        )


#: Files at least this large get a progress line on a terminal.
PROGRESS_BYTES = 20_000_000


def progress_for(
    path: str, quiet: bool
) -> contextlib.AbstractContextManager[Callable[[str], None]]:
    """rich's status line on stderr for large inputs (or standard input, or a URL), only
    on a terminal; it erases itself when the work ends, also on an error."""
    from ..progress import status

    small = path != "-" and os.path.isfile(path) and os.path.getsize(path) < PROGRESS_BYTES
    return status(path, quiet=quiet or small)
