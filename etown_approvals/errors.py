"""One error hierarchy for the library, and the exit codes the CLI maps it to.

Every error the library raises on purpose derives from :class:`EtownError` and
also from the builtin it resembles, so callers can catch either. The CLI turns
an ``EtownError`` into a one-line message on stderr and ``error.exit_code``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``etown`` command (documented in the README)."""

    OK = 0
    #: The data was read, but failed a check: ``--strict`` with rejected rows,
    #: ``validate`` found errors, or a ``check`` threshold was missed.
    CHECK_FAILED = 1
    #: Wrong command-line usage, as click reports it (also a path that does not exist).
    USAGE = 2
    #: The input exists but cannot be read as a table: undecodable bytes,
    #: binary or JSON content, malformed CSV, an I/O error.
    UNREADABLE = 3
    #: The input is a table but not one etown can use: required columns
    #: missing, ambiguous day/month order, no usable rows.
    BAD_DATA = 4
    #: A ``--config`` file is malformed or names something that does not exist.
    BAD_CONFIG = 5
    #: The result could not be written: a full disk, a folder that does not exist,
    #: no permission to write ``--output``.
    CANNOT_WRITE = 6
    #: A bug in etown (please report it); details with ``--debug``.
    INTERNAL = 70


class EtownError(Exception):
    """Base class of every error etown raises on purpose."""

    exit_code: ExitCode = ExitCode.BAD_DATA
    #: The finding type (see ``etown validate``) this error corresponds to, if any.
    finding_type: str | None = None

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.row = row
        self.field = field
        self.value = value

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"column {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class UnreadableInputError(EtownError, OSError):
    """The input exists but is not a readable text table."""

    exit_code = ExitCode.UNREADABLE


class EncodingError(UnreadableInputError, UnicodeError):
    """The input's bytes do not decode in the expected encoding."""

    finding_type = "encoding"


class UsageError(EtownError, ValueError):
    """An option or argument the library cannot act on (an unknown encoding, a sheet
    that does not exist, a date window that ends before it starts)."""

    exit_code = ExitCode.USAGE


class UnsupportedFormatError(UsageError):
    """An output format that cannot show this kind of result (CSV of a summary)."""


class CalendarError(UsageError):
    """No working calendar is known for the country or region asked for."""


class OutputError(EtownError, OSError):
    """The result could not be written where it was asked to go."""

    exit_code = ExitCode.CANNOT_WRITE


class InputNotFoundError(EtownError, FileNotFoundError):
    """The named input file does not exist (a usage error, as for a mistyped path)."""

    exit_code = ExitCode.USAGE


class DataError(EtownError, ValueError):
    """The input is a table, but one that cannot be used as it is."""

    exit_code = ExitCode.BAD_DATA


class MissingColumnError(DataError, KeyError):
    """A column etown needs (project, event, date or a stage) is not in the file."""

    finding_type = "missing-column"

    def __str__(self) -> str:  # KeyError would quote the message
        return DataError.__str__(self)


class AmbiguousDateError(DataError):
    """Day/month order of dates like 01/02/2023 cannot be decided from the data."""

    finding_type = "ambiguous-date"


class NoUsableRowsError(DataError):
    """Every data row was rejected, so there is nothing to measure."""


class MostRowsRejectedError(NoUsableRowsError):
    """More of the rows were rejected than a result may rest on (``--max-rejected``)."""


class ConfigError(EtownError, ValueError):
    """A stage configuration is malformed or inconsistent."""

    exit_code = ExitCode.BAD_CONFIG


class CheckFailedError(EtownError):
    """Data was read but failed a requested check (``--strict``, validation, thresholds)."""

    exit_code = ExitCode.CHECK_FAILED


class UnknownLanguageError(UsageError):
    """``--lang`` or ``ETOWN_LANG`` names a language etown has no labels for."""


class MissingExtraError(UsageError, ImportError):
    """A feature needs an optional extra that is not installed.

    The message names the command that installs it: ``pip install 'etown-approvals[X]'``.
    """
