"""Project configuration: ``etown.toml``, ``[tool.etown]`` in ``pyproject.toml``, or
``--config FILE.toml``.

::

    [columns]            # optional: the project key (and, for long files, event and date)
    project = "Permit Number"

    [stages]             # in process order: the event names or column headers meaning each
    application = ["Filed Date"]
    construction_permit = ["Issued Date"]

    [metric]             # the headline duration and how it is counted
    start = "application"
    end = "construction_permit"
    days = "workdays"    # or "calendar"
    calendar = "US-CA"
    fast_track_days = 3
    as_of = 2024-06-30
    max_rejected = 0.5   # no result when more of the rows are rejected

    [source]             # how to read the file
    delimiter = ";"
    encoding = "gb18030"
    sheet = "data"
    header_row = 4       # the line (or sheet row) of the header

    [dates]
    formats = ["%d.%m.%Y"]
    dayfirst = true
    missing = ["NA", "TBD"]   # placeholders that mean no date (default: a common set)
    earliest = 1900-01-01     # dates before it are implausible

    [filter]
    where = ["Permit Type=AL"]

    [outcomes]
    withdrawn = ["Status~(?i)withdrawn|cancelled"]

    [ignore]
    events = ["Fee paid"]

    [check]              # thresholds of ``etown check``, named like its options
    max_median_days = 60
    min_same_day_share = 0.05

    [defaults]           # defaults of other options, for every command that has them
    strict = true
    [defaults.trend]     # ... or for one command
    by = "quarter"

Every section is optional; without ``[stages]`` the built-in E-Town stages apply.
Errors name the key at fault and raise :class:`~etown_approvals.errors.ConfigError`
(exit code 5). The command line wins over the configuration.
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .checks import THRESHOLDS, ThresholdError
from .errors import ConfigError, UsageError
from .filters import rules_from_dict
from .options import DELIMITER_NAMES
from .stages import ETOWN, StageSet, normalize_name

#: The file looked for in the working directory.
CONFIG_NAME = "etown.toml"
#: Or this file, with a ``[tool.etown]`` table.
PYPROJECT_NAME = "pyproject.toml"

SECTIONS = (
    "columns",
    "stages",
    "metric",
    "source",
    "dates",
    "filter",
    "outcomes",
    "ignore",
    "check",
    "defaults",
)
_COLUMN_KEYS = ("project", "event", "date")
_METRIC_KEYS = (
    "start",
    "end",
    "days",
    "calendar",
    "fast_track_days",
    "as_of",
    "stage_date",
    "max_rejected",
)
_SOURCE_KEYS = ("delimiter", "encoding", "sheet", "header_row")
_DATE_KEYS = ("formats", "dayfirst", "missing", "earliest")
UNITS = ("calendar", "workdays")
#: Date format names that are not strptime patterns: Unix timestamps.
EPOCH_FORMATS = ("epoch_s", "epoch_ms")
#: Names a delimiter may be given by (as on the command line).

#: Names the per-project table and its outputs use for computed fields. A stage of
#: the same name would overwrite one of them (or be overwritten), so it is refused;
#: the comparison is case-, space- and underscore-insensitive, like stage matching.
RESERVED_STAGE_NAMES = (
    "project",
    "days",
    "status",
    "flags",
    "waiting_days",
    "same_day",
    "fast_track",
    "out_of_order",
    "duplicate_stage",
    "group",
    "attributes",
)
#: Computed per-transition columns are named ``gap_<stage>``.
RESERVED_STAGE_PREFIX = "gap_"

#: Options of ``[defaults]`` that add row rules rather than set a value.
RULE_OPTIONS = ("where", "withdrawn", "ignore_event")

#: Commands whose options ``[defaults.COMMAND]`` may set.
COMMANDS = ("summary", "projects", "stages", "trend", "timeline", "validate", "check", "compare")


@dataclass(frozen=True)
class _Spec:
    """The type of an option value in ``[defaults]``: its check and its description."""

    kind: str
    choices: tuple[str, ...] = ()


#: Options ``[defaults]`` may give a value, by the option's long name with ``_``.
#: (Options with their own section, such as ``days`` in ``[metric]``, are set there.)
DEFAULT_OPTIONS: dict[str, _Spec] = {
    "format": _Spec("name"),
    "strict": _Spec("bool"),
    "quiet": _Spec("bool"),
    # Repeatable options: one string is a list of one.
    "group_by": _Spec("names"),
    "reference": _Spec("names"),
    "flag": _Spec("names"),
    "show": _Spec("names"),
    # Row rules: added to [filter] where, [outcomes] withdrawn and [ignore] events.
    "where": _Spec("names"),
    "withdrawn": _Spec("names"),
    "ignore_event": _Spec("names"),
    "by": _Spec("choice", ("year", "quarter", "month")),
    "since": _Spec("date"),
    "until": _Spec("date"),
    "target_workdays": _Spec("count"),
    "status": _Spec("name"),
    "sort": _Spec("name"),
    "desc": _Spec("bool"),
    "limit": _Spec("count"),
    "limit_errors": _Spec("count"),
    "warnings_as_errors": _Spec("bool"),
}


@dataclass(frozen=True)
class SourceSettings:
    """``[source]``: how to read the input file (``None``: decided as without a config)."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    #: The line (text) or sheet row (workbook) of the header, from 1.
    header_row: int | None = None


@dataclass(frozen=True)
class DateSettings:
    """``[dates]``: explicit date formats, tried in order before the built-in forms; the
    placeholders that mean no date; the earliest plausible date."""

    formats: tuple[str, ...] = ()
    dayfirst: bool | None = None
    #: None: the default set (``dates.DEFAULT_MISSING``); ``[]``: none.
    missing: tuple[str, ...] | None = None
    earliest: date | None = None


@dataclass(frozen=True)
class MetricSettings:
    """``[metric]`` beyond start and end (which live in the stage set)."""

    #: ``calendar`` or ``workdays``.
    days: str | None = None
    calendar: str | None = None
    fast_track_days: int | None = None
    as_of: date | None = None
    #: ``earliest`` or ``latest``: how several dates of one stage combine.
    stage_date: str | None = None
    #: The largest share of rejected rows a result may rest on.
    max_rejected: float | None = None


@dataclass(frozen=True)
class ProjectConfig:
    """Everything a configuration file says, checked and typed."""

    stages: StageSet = ETOWN
    source: SourceSettings = SourceSettings()
    dates: DateSettings = DateSettings()
    metric: MetricSettings = MetricSettings()
    #: ``[filter] where``: row filter expressions, all must hold.
    where: tuple[str, ...] = ()
    #: ``[outcomes] withdrawn``: expressions marking withdrawn projects, any may match.
    withdrawn: tuple[str, ...] = ()
    #: ``[ignore] events``: event names counted as ignored rather than rejected.
    ignore_events: tuple[str, ...] = ()
    #: ``[check]``: threshold name -> limit, each checked like its option.
    check: Mapping[str, float] = field(default_factory=dict)
    #: ``[defaults]``: option name -> value, for every command that has the option.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: ``[defaults.COMMAND]``: command -> option name -> value.
    command_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The file it came from (None: made in code).
    path: str | None = None

    def option_defaults(self, command: str) -> dict[str, Any]:
        """Option name (long name with ``_``) -> value for ``command``, from every section.

        Sections that stand for options are translated to those options
        (``[metric] days`` is ``days``, ``[dates] formats`` is ``date_format``, ``[check]``
        applies to ``check`` only); ``[defaults.COMMAND]`` wins over ``[defaults]``.
        Keys without a value are left out, so the command's own defaults apply.
        """
        values: dict[str, Any] = {
            "encoding": self.source.encoding,
            "delimiter": self.source.delimiter,
            "sheet": self.source.sheet,
            "header_row": self.source.header_row,
            "dayfirst": self.dates.dayfirst,
            "date_format": self.dates.formats or None,
            "days": self.metric.days,
            "calendar": self.metric.calendar,
            "fast_track_days": self.metric.fast_track_days,
            "as_of": self.metric.as_of,
            "stage_date": self.metric.stage_date,
            "max_rejected": self.metric.max_rejected,
            "where": self.where or None,
            "withdrawn": self.withdrawn or None,
            "ignore_event": self.ignore_events or None,
        }
        if command == "check":
            values |= dict(self.check)
        values |= {k: v for k, v in self.defaults.items() if k not in RULE_OPTIONS}
        own = self.command_defaults.get(command, {})
        values |= {k: v for k, v in own.items() if k not in RULE_OPTIONS}
        for key in RULE_OPTIONS:  # the configuration's, then [defaults]', then the command's
            added = (*self.defaults.get(key, ()), *own.get(key, ()))
            if added:
                values[key] = (*(values[key] or ()), *added)
        return {key: value for key, value in values.items() if value is not None}

    def rules_for(self, command: str) -> ProjectConfig:
        """The configuration with the row rules of ``[defaults]`` and
        ``[defaults.COMMAND]`` added to ``[filter] where``, ``[outcomes] withdrawn``
        and ``[ignore] events`` (they add to the configuration's rules, as the
        command line's do)."""
        values = self.option_defaults(command)
        return dataclasses.replace(
            self,
            where=tuple(values.get("where", ())),
            withdrawn=tuple(values.get("withdrawn", ())),
            ignore_events=tuple(values.get("ignore_event", ())),
        )

    def defaults_for(self, command: str, accepted: Collection[str]) -> dict[str, Any]:
        """:meth:`option_defaults` restricted to the options ``command`` has.

        A key of ``[defaults]`` applies to each command that has that option and is
        skipped by the others; a key of ``[defaults.COMMAND]`` that the command does
        not have is a :class:`ConfigError`, since it could only be a mistake.
        """
        own = self.command_defaults.get(command, {})
        for key in own:
            if key not in accepted:
                raise ConfigError(
                    f"defaults.{command}.{key}: etown {command} has no option --"
                    + key.replace("_", "-"),
                    source=self.path,
                )
        return {k: v for k, v in self.option_defaults(command).items() if k in accepted}


def with_columns(
    config: ProjectConfig | None,
    *,
    project: str | None = None,
    stages: Sequence[tuple[str, str]] = (),
    event_column: str | None = None,
    date_column: str | None = None,
) -> ProjectConfig:
    """``config`` (None: no configuration) with the columns named on the command line:
    ``--project``, ``--stage NAME=COLUMN`` (in process order; a name given twice
    takes either column), ``--event-column`` and ``--date-column``.

    They make the same typed configuration ``[columns]`` and ``[stages]`` would,
    through the same checks, and win over the file's: ``stages`` replace its stage
    set (measured from the first to the last unless ``--from-stage``/``--to-stage``
    say otherwise), the columns replace its columns one by one. A mistake is a
    :class:`~etown_approvals.errors.UsageError` naming the option.
    """
    base = config or ProjectConfig()
    given = {
        key
        for key, value in (
            ("project", project),
            ("event", event_column),
            ("date", date_column),
            ("stages", stages),
        )
        if value
    }
    if not given:
        return base
    old = base.stages
    columns = {
        key: value
        for key, value in (
            ("project", project or old.project_column),
            ("event", event_column or old.event_column),
            ("date", date_column or old.date_column),
        )
        if value
    }
    data: dict[str, Any] = {"columns": columns}
    if stages:
        table: dict[str, list[str]] = {}
        for name, column in stages:
            table.setdefault(name, []).append(column)
        data["stages"] = table
    elif old.configured:
        data["stages"] = {stage: list(old.aliases.get(stage, ())) for stage in old.stages}
        data["metric"] = {"start": old.start, "end": old.end}
    try:
        built = config_from_dict(data, source="the command line").stages
    except ConfigError as error:
        option = "--stage" if stages else "--project/--event-column/--date-column"
        raise UsageError(f"{option}: {error.message}") from None
    if not stages and not old.configured:  # the built-in stages, with the columns given
        built = dataclasses.replace(
            old,
            project_column=built.project_column,
            event_column=built.event_column,
            date_column=built.date_column,
        )
    return dataclasses.replace(
        base, stages=dataclasses.replace(built, from_options=old.from_options | given)
    )


# -- reading ----------------------------------------------------------------


def load_project_config(path: str | Path) -> ProjectConfig:
    """Read a configuration file: ``[tool.etown]`` of a ``pyproject.toml``, else the
    whole file."""
    name = str(path)
    data = _read_toml(Path(path))
    if Path(path).name == PYPROJECT_NAME:
        tool = data.get("tool", {})
        section = tool.get("etown") if isinstance(tool, dict) else None
        if section is None:
            raise ConfigError("no [tool.etown] table", source=name)
        if not isinstance(section, dict):
            raise ConfigError("tool.etown must be a table ([tool.etown])", source=name)
        return config_from_dict(section, source=name, prefix="tool.etown.")
    return config_from_dict(data, source=name)


def load_config(path: str | Path) -> StageSet:
    """The stage set of a configuration file (see :func:`load_project_config` for the rest)."""
    return load_project_config(path).stages


def discover(cwd: str | Path) -> tuple[Path, ProjectConfig] | None:
    """The configuration of the working directory ``cwd``: ``etown.toml``, else a
    ``pyproject.toml`` with a ``[tool.etown]`` table; None when there is neither.

    Only ``cwd`` itself is looked at (not its parents), so a configuration never
    applies to data outside the project it was written for. A ``pyproject.toml``
    that never mentions etown is not parsed, so a broken one of another tool is not
    etown's business; one that does is read, and its errors are reported.
    """
    folder = Path(cwd)
    candidate = folder / CONFIG_NAME
    if candidate.is_file():
        return candidate, load_project_config(candidate)
    pyproject = folder / PYPROJECT_NAME
    if not pyproject.is_file():
        return None
    try:
        raw = pyproject.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", source=str(pyproject)) from None
    if b"etown" not in raw:
        return None
    tool = _parse_toml(raw, str(pyproject)).get("tool", {})
    if not isinstance(tool, dict) or "etown" not in tool:
        return None
    return pyproject, load_project_config(pyproject)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", source=str(path)) from None
    return _parse_toml(raw, str(path))


_UTF8_BOM = codecs.BOM_UTF8
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _parse_toml(raw: bytes, source: str) -> dict[str, Any]:
    """TOML text is UTF-8; a UTF-8 byte order mark (Windows editors add one) is dropped."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    else:
        for bom, name in _OTHER_BOMS:
            if raw.startswith(bom):
                raise ConfigError(
                    f"the file is {name} text; TOML must be UTF-8 (save it as UTF-8)",
                    source=source,
                )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"line {line}: byte 0x{raw[error.start]:02x} is not UTF-8; "
            "TOML must be UTF-8 (save it as UTF-8)",
            source=source,
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"malformed TOML: {error}", source=source) from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise ConfigError(_TOO_DEEP, source=source) from None


#: tomllib parses nested values by recursion: a few kilobytes of brackets exhaust it.
_TOO_DEEP = "malformed TOML: values nested too deeply (arrays or tables inside one another)"


# -- checking ---------------------------------------------------------------


def stage_set_from_dict(data: dict[str, Any], *, source: str = "config") -> StageSet:
    """The stage set of a configuration's tables (``[columns]``, ``[stages]``, ``[metric]``)."""
    return config_from_dict(data, source=source).stages


def config_from_dict(
    data: Mapping[str, Any], *, source: str = "config", prefix: str = ""
) -> ProjectConfig:
    """Check a parsed configuration and make it a :class:`ProjectConfig`.

    ``prefix`` is put before key names in messages (``tool.etown.`` for a
    ``pyproject.toml``).
    """
    reader = _Reader(source, prefix)
    reader.known(data, SECTIONS, "section", "")
    columns = reader.table(data, "columns")
    reader.known(columns, _COLUMN_KEYS, "key", "columns.")
    for key, value in columns.items():
        if not isinstance(value, str) or not value.strip():
            raise reader.error(f"columns.{key} must be a column name (a string)")

    metric = reader.table(data, "metric")
    reader.known(metric, _METRIC_KEYS, "key", "metric.")
    stages = _stage_set(reader, data, columns, metric)

    source_table = reader.table(data, "source")
    reader.known(source_table, _SOURCE_KEYS, "key", "source.")
    dates = reader.table(data, "dates")
    reader.known(dates, _DATE_KEYS, "key", "dates.")

    config = ProjectConfig(
        stages=stages,
        source=SourceSettings(
            delimiter=_delimiter(reader, source_table.get("delimiter")),
            encoding=_encoding(reader, source_table.get("encoding")),
            sheet=_sheet(reader, source_table.get("sheet")),
            header_row=_header_row(reader, source_table.get("header_row")),
        ),
        dates=DateSettings(
            formats=tuple(
                _date_format(reader, f"dates.formats[{i}]", fmt)
                for i, fmt in enumerate(reader.strings(dates, "formats", "dates.formats"))
            ),
            dayfirst=reader.boolean(dates.get("dayfirst"), "dates.dayfirst"),
            missing=(
                reader.strings(dates, "missing", "dates.missing") if "missing" in dates else None
            ),
            earliest=reader.date(dates.get("earliest"), "dates.earliest"),
        ),
        metric=MetricSettings(
            days=reader.choice(metric.get("days"), "metric.days", UNITS),
            calendar=_calendar(reader, metric.get("calendar")),
            fast_track_days=reader.count(metric.get("fast_track_days"), "metric.fast_track_days"),
            as_of=reader.date(metric.get("as_of"), "metric.as_of"),
            stage_date=reader.choice(
                metric.get("stage_date"), "metric.stage_date", ("earliest", "latest")
            ),
            max_rejected=reader.share(metric.get("max_rejected"), "metric.max_rejected"),
        ),
        where=_list_section(reader, data, "filter", "where"),
        withdrawn=_list_section(reader, data, "outcomes", "withdrawn"),
        ignore_events=_list_section(reader, data, "ignore", "events"),
        check=_check(reader, data),
        defaults=_defaults(reader, reader.table(data, "defaults"), "defaults", allow_commands=True),
        command_defaults={
            command: _defaults(reader, table, f"defaults.{command}", allow_commands=False)
            for command, table in reader.table(data, "defaults").items()
            if isinstance(table, dict)
        },
        path=source,
    )
    # Malformed [filter]/[outcomes]/[ignore] expressions fail here, naming the key.
    rules_from_dict(data, source=source)
    return config


class _Reader:
    """Type checks that raise a :class:`ConfigError` naming the key."""

    def __init__(self, source: str, prefix: str) -> None:
        self.source = source
        self.prefix = prefix

    def error(self, message: str) -> ConfigError:
        # Messages start with the key they are about; a pyproject.toml's keys are nested.
        return ConfigError(self.prefix + message, source=self.source)

    def known(self, table: Mapping[str, Any], allowed: Collection[str], what: str, at: str) -> None:
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key.replace("-", "_"), list(allowed), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            listing = ", ".join(allowed)
            shown = f"[{self.prefix}{at}{key}]" if what == "section" else f"{self.prefix}{at}{key}"
            # Not through self.error: the name is already prefixed.
            raise ConfigError(
                f"unknown {what} {shown} ({hint}{what}s: {listing})", source=self.source
            )

    def table(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(f"{key} must be a table ([{self.prefix}{key}])")
        return value

    def strings(self, table: Mapping[str, Any], key: str, name: str) -> tuple[str, ...]:
        """A list of non-empty strings (one string is a list of one)."""
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            raise self.error(f"{name} must be a list of non-empty strings, not {value!r}")
        return tuple(value)

    def string(self, value: object, name: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{name} must be a non-empty string, not {value!r}")
        return value

    def boolean(self, value: object, name: str) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise self.error(f"{name} must be true or false, not {value!r}")

    def count(self, value: object, name: str) -> int | None:
        if value is None:
            return None
        # TOML's true is Python's True, which is also an int.
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(f"{name} must be a whole number, 0 or more, not {value!r}")
        return value

    def share(self, value: object, name: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.error(f"{name} must be a share from 0 to 1, not {value!r}")
        return float(value)

    def choice(self, value: object, name: str, choices: tuple[str, ...]) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in choices:
            raise self.error(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return str(value)

    def date(self, value: object, name: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(f"{name} must be a date such as 2024-06-30, not {value!r}")


def _stage_set(
    reader: _Reader, data: Mapping[str, Any], columns: dict[str, Any], metric: dict[str, Any]
) -> StageSet:
    for key in ("start", "end"):
        value = metric.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise reader.error(f"metric.{key} must be a stage name (a string), not {value!r}")
    if "stages" in data:
        stages = reader.table(data, "stages")
        if len(stages) < 2:
            raise reader.error("[stages] must list at least two stages, in process order")
        aliases = {stage: _aliases(reader, stage, names) for stage, names in stages.items()}
        _check_stage_names(reader, aliases)
        base_stages, configured = tuple(stages), True
    else:  # a config for the built-in stages: its columns and metric still apply
        aliases, base_stages, configured = dict(ETOWN.aliases), ETOWN.stages, False
    for key in ("start", "end"):
        value = metric.get(key)
        if value is not None and value not in base_stages:
            raise reader.error(
                f"metric.{key} = {value!r} is not a stage (stages: {', '.join(base_stages)})"
            )
    _distinct_columns(reader, columns)
    try:
        return StageSet(
            stages=base_stages,
            aliases=aliases,
            start=metric.get("start", ""),
            end=metric.get("end", ""),
            project_column=columns.get("project"),
            event_column=columns.get("event"),
            date_column=columns.get("date"),
            configured=configured,
        )
    except ConfigError as error:
        raise reader.error(error.message) from None


def _distinct_columns(reader: _Reader, columns: Mapping[str, Any]) -> None:
    """The project, event and date columns are three columns: one named twice (as
    written, or ignoring case and spaces, as columns are matched) could only be a
    mistake, and would reject every row."""
    seen: dict[str, str] = {}
    for key in _COLUMN_KEYS:
        name = columns.get(key)
        if name is None:
            continue
        first = seen.setdefault(normalize_name(name), key)
        if first != key:
            raise reader.error(
                f"columns.{key} = {name!r} names the {first} column too "
                f"(columns.{first} = {columns[first]!r}); give each role its own column"
            )


def _aliases(reader: _Reader, stage: str, names: object) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise reader.error(f"stages.{stage} must be a list of names (strings)")
    return tuple(names)


def _check_stage_names(reader: _Reader, aliases: Mapping[str, tuple[str, ...]]) -> None:
    reserved = {normalize_name(name): name for name in RESERVED_STAGE_NAMES}
    for stage in aliases:
        folded = normalize_name(stage)
        if not folded:
            raise reader.error("stages: a stage name is empty")
        if folded in reserved or folded.startswith(normalize_name(RESERVED_STAGE_PREFIX)):
            raise reader.error(
                f"stages.{stage}: {stage!r} is the name of a computed field; call the stage "
                f"something else (reserved: {', '.join(RESERVED_STAGE_NAMES)}, gap_*)"
            )
    # Each name must mean one stage: a name listed under two would silently go to the first.
    owner: dict[str, tuple[str, str]] = {}
    for stage, names in aliases.items():
        for name in (stage, *names):
            folded = normalize_name(name)
            first = owner.setdefault(folded, (stage, name))
            if first[0] != stage:
                raise reader.error(
                    f"stages.{stage}: {name!r} already means stage {first[0]!r}"
                    f" (as {first[1]!r}); a name can mean only one stage"
                )


def _delimiter(reader: _Reader, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise reader.error(f"source.delimiter must be a string, not {value!r}")
    text = value
    text = DELIMITER_NAMES.get(text.lower(), text)
    # One ASCII character that cannot be part of a quoted field or a line ending.
    if len(text) != 1 or not text.isascii() or text in '"\r\n' or text.isalnum():
        raise reader.error(
            f"source.delimiter must be one ASCII punctuation character or one of "
            f"{', '.join(DELIMITER_NAMES)}, not {value!r}"
        )
    return text


def _encoding(reader: _Reader, value: object) -> str | None:
    name = reader.string(value, "source.encoding")
    if name is None:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    # Codecs that are not text encodings (rot13, hex, zlib) are refused by bytes.decode
    # itself through this same flag, but only once there is data to decode.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise reader.error(
            f"source.encoding: {name!r} is not a text encoding (e.g. utf-8, gb18030, cp1252)"
        )
    return name


def _sheet(reader: _Reader, value: object) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise reader.error(f"source.sheet must be a sheet name or index, not {value!r}")
    if isinstance(value, int) and value < 0:
        raise reader.error(f"source.sheet index must be 0 or more, not {value}")
    if isinstance(value, str) and not value.strip():
        raise reader.error("source.sheet must not be empty")
    return value


def _header_row(reader: _Reader, value: object) -> int | None:
    count = reader.count(value, "source.header_row")
    if count == 0:
        raise reader.error("source.header_row counts lines from 1, not 0")
    return count


def _date_format(reader: _Reader, name: str, fmt: str) -> str:
    if fmt in EPOCH_FORMATS:
        return fmt
    if "%" not in fmt:
        raise reader.error(
            f"{name} = {fmt!r} has no strptime directive such as %d, %m, %Y "
            f"(or use {' or '.join(EPOCH_FORMATS)})"
        )
    try:
        datetime.strptime("", fmt)
    except ValueError as error:
        # strptime reports a bad pattern before it compares any text.
        if "directive" in str(error) or "stray %" in str(error):
            raise reader.error(f"{name} = {fmt!r}: {error}") from None
    return fmt


def _calendar(reader: _Reader, value: object) -> str | None:
    name = reader.string(value, "metric.calendar")
    # Whether the holidays package knows it is checked when working days are counted
    # (loading it takes time, and most commands never need it).
    return None if name is None else name.strip().upper()


def _list_section(
    reader: _Reader, data: Mapping[str, Any], section: str, key: str
) -> tuple[str, ...]:
    table = reader.table(data, section)
    reader.known(table, (key,), "key", f"{section}.")
    return reader.strings(table, key, f"{section}.{key}")


def _check(reader: _Reader, data: Mapping[str, Any]) -> dict[str, float]:
    table = reader.table(data, "check")
    reader.known(table, [t.name for t in THRESHOLDS], "key", "check.")
    limits: dict[str, float] = {}
    for threshold in THRESHOLDS:
        if threshold.name not in table:
            continue
        value = table[threshold.name]
        try:
            limits[threshold.name] = threshold.validate(
                value, label=f"{reader.prefix}check.{threshold.name}"
            )
        except ThresholdError as error:
            raise ConfigError(error.message, source=reader.source) from None
        if threshold.kind == "count":
            limits[threshold.name] = int(limits[threshold.name])
    return limits


def _defaults(
    reader: _Reader, table: Mapping[str, Any], at: str, *, allow_commands: bool
) -> dict[str, Any]:
    allowed = [*DEFAULT_OPTIONS, *(COMMANDS if allow_commands else ())]
    reader.known(table, allowed, "key", f"{at}.")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in COMMANDS and allow_commands:
            if not isinstance(value, dict):
                raise reader.error(f"{at}.{key} must be a table ([{reader.prefix}{at}.{key}])")
            continue
        values[key] = _default_value(reader, f"{at}.{key}", DEFAULT_OPTIONS[key], value)
    return values


def _default_value(reader: _Reader, name: str, spec: _Spec, value: object) -> Any:
    if spec.kind == "bool":
        return reader.boolean(value, name)
    if spec.kind == "count":
        return reader.count(value, name)
    if spec.kind == "date":
        return reader.date(value, name)
    if spec.kind == "choice":
        return reader.choice(value, name, spec.choices)
    if spec.kind == "names":
        key = name.rsplit(".", 1)[-1]
        return reader.strings({key: value}, key, name)
    return reader.string(value, name)
