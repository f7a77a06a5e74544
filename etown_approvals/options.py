"""The typed options every step takes: how to read, which projects, how to write.

Each is a small frozen dataclass built in one place (the CLI builds them from
its shared option decorators; notebooks build them directly), so nothing
downstream reads a loose dict. How durations are measured is
:class:`etown_approvals.metrics.MetricOptions`. Importing this module is cheap
(no pandas), so the CLI can use it before any data is read.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .i18n import gettext as _
from .stages import ETOWN, StageSet

if TYPE_CHECKING:
    from .filters import RowFilter


#: Names a delimiter may be given by, on the command line and in a configuration file
#: (characters a shell makes awkward to type).
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

#: The most bytes an input brings through a stream (decompressed data, the file in a
#: zip archive, standard input, a download), unless told otherwise: 4 GiB.
DEFAULT_MAX_INPUT_SIZE = 4 * 1024**3
#: The most seconds a download takes in all, unless told otherwise.
DEFAULT_URL_TIMEOUT = 600.0
#: The environment variables that change those limits (the options win over them).
MAX_INPUT_SIZE_VARIABLE = "ETOWN_MAX_INPUT_SIZE"
URL_TIMEOUT_VARIABLE = "ETOWN_URL_TIMEOUT"
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str, *, name: str = "--max-input-size") -> int:
    """A size such as ``4G``, ``500M``, ``1.5GiB`` or ``1000000`` (bytes) in bytes;
    the units are binary (``K`` is 1,024 bytes). ``name`` says in errors what was given."""
    spelled = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = spelled[-1:] if spelled[-1:] in _UNITS else ""
    try:
        number = float(spelled[: len(spelled) - len(unit)])
    except ValueError:
        number = float("nan")
    if not number * _UNITS[unit] >= 1 or number == float("inf"):
        raise UsageError(
            _("{name} {text}: give a size such as 500M, 4G or 8GiB (bytes without a unit)").format(
                name=name, text=repr(text)
            )
        )
    return int(number * _UNITS[unit])


def parse_seconds(text: str, *, name: str = "--url-timeout") -> float:
    """A positive, finite number of seconds; ``name`` says in errors what was given."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise UsageError(
            _("{name} {text}: give a number of seconds, such as 600").format(
                name=name, text=repr(text)
            )
        )
    return seconds


@dataclass(frozen=True)
class InputLimits:
    """How much reading one input may cost, so that a small file cannot take
    gigabytes or never finish (see the README's "Hostile input")."""

    #: Bytes taken in through a stream at most: decompressed data, the file in a zip
    #: archive, standard input, a download. A file on disk is read as it is.
    max_input_size: int = DEFAULT_MAX_INPUT_SIZE
    #: Seconds a download may take in all (each read also times out after a minute).
    url_timeout: float = DEFAULT_URL_TIMEOUT

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> InputLimits:
        """The limits ``ETOWN_MAX_INPUT_SIZE`` and ``ETOWN_URL_TIMEOUT`` set, else the
        defaults; a malformed value is a :class:`UsageError` naming the variable."""
        env = os.environ if environ is None else environ
        size, seconds = env.get(MAX_INPUT_SIZE_VARIABLE, ""), env.get(URL_TIMEOUT_VARIABLE, "")
        return cls(
            max_input_size=(
                parse_size(size, name=MAX_INPUT_SIZE_VARIABLE) if size else DEFAULT_MAX_INPUT_SIZE
            ),
            url_timeout=(
                parse_seconds(seconds, name=URL_TIMEOUT_VARIABLE)
                if seconds
                else DEFAULT_URL_TIMEOUT
            ),
        )


def describe_size(size: int) -> str:
    """``size`` bytes as people read it: ``4 GiB``, ``512 MiB``, ``1,000 bytes``."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:,.4g} {unit}"
    return f"{size:,} bytes"


def reading_words(
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    date_formats: Sequence[str] = (),
    missing_values: Sequence[str] | None = None,
    dayfirst: bool | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    limits: InputLimits | None = None,
) -> list[str]:
    """The command-line options that say how a file is read, as typed (only those given,
    and the input limits that are not the defaults)."""
    words: list[str] = []
    if encoding:
        words += ["--encoding", encoding]
    if delimiter:
        named = {char: name for name, char in DELIMITER_NAMES.items() if name.isalpha()}
        words += ["--delimiter", named.get(delimiter, delimiter)]
    for date_format in date_formats:
        words += ["--date-format", date_format]
    for placeholder in missing_values or ():
        words += ["--missing-value", placeholder]
    if dayfirst is not None:
        words.append("--dayfirst" if dayfirst else "--monthfirst")
    if sheet is not None:
        words += ["--sheet", str(sheet)]
    if header_row is not None:
        words += ["--header-row", str(header_row)]
    return words + limit_words(limits)


def limit_words(limits: InputLimits | None) -> list[str]:
    """``--max-input-size`` and ``--url-timeout`` for the limits that are not the
    defaults, so that a hint followed reads the input under the same limits."""
    if limits is None:
        return []
    words: list[str] = []
    if limits.max_input_size != DEFAULT_MAX_INPUT_SIZE:
        words += ["--max-input-size", size_word(limits.max_input_size)]
    if limits.url_timeout != DEFAULT_URL_TIMEOUT:
        seconds = limits.url_timeout
        words += ["--url-timeout", str(int(seconds)) if seconds.is_integer() else repr(seconds)]
    return words


def size_word(size: int) -> str:
    """``size`` bytes as ``--max-input-size`` reads it back exactly: ``16M``, ``4G``,
    else the bytes."""
    for unit, factor in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def command_line(command: str, path: str, words: Sequence[str] = ()) -> str:
    """A runnable ``etown COMMAND FILE WORDS...`` quoted for a shell: the one form every
    hint prints (:func:`etown_approvals.results.command_line` gives it the options of
    an analysis; :meth:`InputOptions.command_words` those of how a file was read)."""
    return shlex.join(["etown", command, str(path), *words])


@dataclass(frozen=True)
class InputOptions:
    """How to read an input file."""

    stages: StageSet = ETOWN
    encoding: str | None = None
    delimiter: str | None = None
    #: Day/month order of ``01/02/2023``-style dates; None decides from the data.
    dayfirst: bool | None = None
    #: Excel sheet, by name or position from 0.
    sheet: str | int | None = None
    #: The configuration file ``stages`` came from, if any (named in suggested commands).
    config: str | None = None
    #: Row filters (``COLUMN=VALUE``, ``!=``, ``~REGEX``, ``!~``): all must hold, or the
    #: row is *filtered* (neither used nor rejected).
    where: Sequence[str | RowFilter] = ()
    #: Expressions marking rows whose project is withdrawn (any may match).
    withdrawn: Sequence[str | RowFilter] = ()
    #: Event names that are neither stages nor errors (counted as ignored rows).
    ignore_events: Sequence[str] = ()
    #: Date formats tried before the built-in forms (strptime directives, ``epoch_s``,
    #: ``epoch_ms``), in order.
    date_formats: Sequence[str] = ()
    #: Which of the file's other columns to read as attributes: all (True), none
    #: (False) or the named ones. Commands ask only for what they show or group by.
    attributes: bool | tuple[str, ...] = True
    #: Serve the parsed table from the cache of an earlier run on the unchanged file
    #: (see :mod:`etown_approvals.cache`); the command line turns it on.
    cache: bool = False
    #: The line (text) or sheet row (workbook) of the header; None: found.
    header_row: int | None = None
    #: The command-line words that named columns (``--project``, ``--stage``,
    #: ``--event-column``, ``--date-column``; already in ``stages``), which commands
    #: suggested in hints repeat.
    column_words: tuple[str, ...] = ()
    #: Placeholders that mean "no date" in a date cell (None: ``dates.DEFAULT_MISSING``).
    missing_values: tuple[str, ...] | None = None
    #: Dates before this are implausible (read as no date, with a warning).
    earliest: date = date(1900, 1, 1)
    #: The date the data is read as of (None: today): dates more than a year after it
    #: (or after today, if later) are implausible.
    #: :func:`~etown_approvals.analysis.analyze` sets it to the measure's ``as_of``.
    as_of: date | None = None
    #: How much reading may cost; None: the environment's limits, else the defaults.
    limits: InputLimits | None = None

    def command_words(self) -> list[str]:
        """The command-line options that read the input again as these options do:
        the configuration file, every reading option given (encoding, delimiter, date
        formats, day order, sheet, header row), the columns named and the row rules
        typed (a configuration's own rules come with ``--config``)."""
        words = ["--config", self.config] if self.config else []
        words += reading_words(
            encoding=self.encoding,
            delimiter=self.delimiter,
            date_formats=self.date_formats,
            missing_values=self.missing_values,
            dayfirst=self.dayfirst,
            sheet=self.sheet,
            header_row=self.header_row,
            limits=self.limits,
        )
        words += self.column_words
        for option, values in (
            ("--where", self.where),
            ("--withdrawn", self.withdrawn),
            ("--ignore-event", self.ignore_events),
        ):
            for value in values:
                if isinstance(value, str):
                    words += [option, value]
        stages = self.stages
        if (stages.start, stages.end) != (stages.stages[0], stages.stages[-1]):
            words += ["--from-stage", stages.start, "--to-stage", stages.end]
        return words

    def load_arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`etown_approvals.loader.load` these options
        give (all but ``config``, ``cache`` and ``column_words``), so callers never
        list them again."""
        return {
            "stages": self.stages,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "dayfirst": self.dayfirst,
            "sheet": self.sheet,
            "where": self.where,
            "withdrawn": self.withdrawn,
            "ignore_events": self.ignore_events,
            "date_formats": self.date_formats,
            "attributes": self.attributes,
            "header_row": self.header_row,
            "missing_values": self.missing_values,
            "earliest": self.earliest,
            "as_of": self.as_of,
            "limits": self.limits,
        }


@dataclass(frozen=True)
class Selection:
    """Which projects a command looks at: those whose start-stage date is in
    ``since..until`` (inclusive; either may be open)."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise UsageError(
                f"the date window ends ({self.until.isoformat()}) before it starts "
                f"({self.since.isoformat()}): --since must not be after --until"
            )

    @property
    def is_everything(self) -> bool:
        """Whether no date window is set."""
        return self.since is None and self.until is None


@dataclass(frozen=True)
class OutputOptions:
    """Where and how a result is written; decided once, before rendering."""

    #: A format name from :data:`etown_approvals.formats.FORMATS`.
    format: str = "table"
    #: A file to write (atomically); None writes to standard output.
    path: str | None = None
    #: Colour in tables.
    color: bool = False
    #: Terminal width for tables; None: 80.
    width: int | None = None
    #: Unicode box drawing and bar characters (False: plain ASCII).
    unicode: bool = True
    #: Language of labels in tables and reports (``en``, ``zh-CN``); JSON keys stay English.
    lang: str = "en"
    #: CSV starts with a UTF-8 byte-order mark, so that Excel reads it as UTF-8.
    bom: bool = False


#: The defaults, as shared instances (the classes are frozen, so sharing is safe).
DEFAULT_INPUT = InputOptions()
EVERYTHING = Selection()
DEFAULT_OUTPUT = OutputOptions()
