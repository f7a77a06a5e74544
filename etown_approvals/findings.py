"""Findings: every problem etown notices in the input, as one table.

A finding has a fixed ``type`` code, a ``severity`` (``error`` makes the row
unusable; ``warning`` keeps it), the ``row`` (line in the file, header = 1; empty
for findings about a whole project), the ``field`` (column), the cell ``value``,
the ``project`` and a human ``message``.

Every type is declared once in :data:`REGISTRY` (code, severity, title,
description), as frictionless-py declares its error classes: the loader, the
validator, the README test and the JSON Schema all read it from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .i18n import N_

if TYPE_CHECKING:
    import pandas as pd

    from .rawtable import RawTable, TextColumn
else:
    from ._lazy import pandas as pd

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"

COLUMNS = ("type", "severity", "row", "field", "value", "project", "message")


@dataclass(frozen=True)
class FindingType:
    """One kind of problem: its stable code, severity and what it means."""

    code: str
    severity: Severity
    #: A few words, e.g. for the title of a CI annotation.
    title: str
    #: What the finding means, as the README's table says it.
    description: str


_TYPES = (
    FindingType(
        "unreadable",
        ERROR,
        N_("Unreadable file"),
        N_("the file is not a text table (empty, binary, JSON, malformed CSV) — exit 3"),
    ),
    FindingType("encoding", ERROR, N_("Encoding"), N_("the bytes do not decode — exit 3")),
    FindingType(
        "missing-column",
        ERROR,
        N_("Missing column"),
        N_("no project column, or neither event/date nor stage date columns"),
    ),
    FindingType(
        "ambiguous-date",
        ERROR,
        N_("Ambiguous dates"),
        N_("day/month order cannot be decided (use `--dayfirst`/`--monthfirst`)"),
    ),
    FindingType(
        "invalid-table",
        ERROR,
        N_("Unusable table"),
        N_("the file is a table that cannot be used as a whole"),
    ),
    FindingType("no-data", ERROR, N_("No data"), N_("a header but no data rows")),
    FindingType(
        "malformed-row",
        ERROR,
        N_("Malformed row"),
        N_("a row with the wrong number of fields (an unclosed quote, a stray delimiter)"),
    ),
    FindingType(
        "missing-value",
        ERROR,
        N_("Missing value"),
        N_("no project, event or (long format) date in the row"),
    ),
    FindingType(
        "invalid-date",
        ERROR,
        N_("Invalid date"),
        N_("a date that cannot be read or does not exist"),
    ),
    FindingType("unknown-event", ERROR, N_("Unknown event"), N_("an event name that is no stage")),
    FindingType(
        "implausible-date",
        WARNING,
        "Implausible date",
        "a date before `[dates] earliest` (default 1900-01-01) or more than a year after "
        "today (or after a later `--as-of`): read as no date by every command",
    ),
    FindingType(
        "missing-land-acquisition",
        ERROR,
        N_("No start date"),
        N_("a project without the metric's start date (project `invalid`)"),
    ),
    FindingType(
        "construction-before-land",
        ERROR,
        N_("End before start"),
        N_("the metric's end before its start (project `invalid`)"),
    ),
    FindingType(
        "duplicate-stage",
        WARNING,
        N_("Stage recorded again"),
        N_(
            "a stage recorded again with another date; the earliest counts "
            "(with `--stage-date latest`, the latest)"
        ),
    ),
    FindingType(
        "duplicate-project",
        WARNING,
        N_("Project repeated"),
        N_("(wide files) a project already on an earlier row; the rows are merged"),
    ),
    FindingType(
        "out-of-order",
        WARNING,
        N_("Stages out of order"),
        N_(
            "a stage dated before an earlier stage of the process (every pair but the "
            "metric's start and end, which is `construction-before-land`)"
        ),
    ),
    FindingType("blank-row", WARNING, N_("Blank row"), N_("an empty row, skipped")),
    FindingType(
        "notes-row",
        WARNING,
        N_("Notes after the table"),
        N_(
            "a row after the table that is a note (a count, a legend, a disclaimer), not data: "
            "left out, counted as `rows.notes`"
        ),
    ),
)

#: Every finding type etown reports, by code.
REGISTRY: dict[str, FindingType] = {t.code: t for t in _TYPES}


def severity_of(code: str) -> Severity:
    """The severity of finding type ``code`` (a KeyError names an undeclared type)."""
    return REGISTRY[code].severity


def empty() -> pd.DataFrame:
    """An empty findings table with every column."""
    return pd.DataFrame(
        {name: pd.Series(dtype="Int64" if name == "row" else object) for name in COLUMNS}
    )


def frame(
    code: str,
    *,
    rows: Sequence[Any] | np.ndarray | None = None,
    field: str | Sequence[str | None] | np.ndarray | None = None,
    value: Sequence[Any] | np.ndarray | None = None,
    project: Sequence[Any] | np.ndarray | None = None,
    message: str | Sequence[str] | np.ndarray,
    count: int | None = None,
) -> pd.DataFrame:
    """Findings of one type as columns: the one way a findings table is made.

    Scalars are repeated; ``count`` gives the length when every argument is a scalar.
    """
    sizes = [
        len(v)
        for v in (rows, field, value, project, message)
        if v is not None and not isinstance(v, str)
    ]
    n = sizes[0] if sizes else (1 if count is None else count)
    if n == 0:
        return empty()
    out = pd.DataFrame(
        {
            "type": code,
            "severity": severity_of(code),
            "row": _rows(rows, n),
            "field": _column(field, n),
            "value": _column(value, n),
            "project": _column(project, n),
            "message": _column(message, n),
        },
        columns=list(COLUMNS),
    )
    return out


def _rows(rows: Sequence[Any] | np.ndarray | None, n: int) -> Any:
    """Line numbers as pandas' nullable integers; an integer array without a copy per value."""
    if isinstance(rows, np.ndarray) and rows.dtype.kind in "iu":
        return pd.arrays.IntegerArray(rows.astype(np.int64), np.zeros(n, dtype=bool))
    return pd.array([pd.NA] * n if rows is None else list(rows), dtype="Int64")


def _column(values: Any, n: int) -> Any:
    if values is None or isinstance(values, str):
        return np.full(n, values, dtype=object)
    return np.asarray(values, dtype=object)


def concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Findings tables as one, ordered by row (whole-project findings last)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty()
    found = pd.concat(parts, ignore_index=True)
    found["row"] = found["row"].astype("Int64")
    return found.sort_values(["row"], kind="stable", na_position="last").reset_index(drop=True)


class FindingsBuilder:
    """Collects row-level findings as vectors, one chunk per check."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.project_column: TextColumn | None = None
        self._chunks: list[pd.DataFrame] = []

    def add(
        self,
        mask: np.ndarray,
        kind: str,
        severity: Severity | None = None,
        *,
        field: str | None,
        column: TextColumn | None,
        message: str,
    ) -> None:
        """Findings of type ``kind`` for the rows under ``mask``.

        ``severity``, if given, must be the registered one (a check that a caller
        did not mean another type).
        """
        if severity is not None and severity != severity_of(kind):
            raise ValueError(f"finding type {kind!r} is an {severity_of(kind)}, not {severity}")
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        self._chunks.append(
            frame(
                kind,
                rows=self.raw.line_numbers()[rows],
                field=field,
                value=column.text(rows) if column is not None else None,
                project=self.project_column.text(rows) if self.project_column else None,
                message=message,
            )
        )

    def add_line(
        self,
        line: int | None,
        kind: str,
        severity: Severity | None = None,
        *,
        value: str,
        message: str,
    ) -> None:
        """One finding about a line that is not a record (a malformed row)."""
        if severity is not None and severity != severity_of(kind):
            raise ValueError(f"finding type {kind!r} is an {severity_of(kind)}, not {severity}")
        self._chunks.append(frame(kind, rows=[line], value=[value], message=message))

    def add_lines(
        self,
        lines: np.ndarray,
        kind: str,
        severity: Severity | None = None,
        *,
        values: Sequence[str | None],
        messages: Sequence[str],
    ) -> None:
        """Findings about lines that are not records, one per line of ``lines``."""
        if severity is not None and severity != severity_of(kind):
            raise ValueError(f"finding type {kind!r} is an {severity_of(kind)}, not {severity}")
        if len(lines):
            self._chunks.append(frame(kind, rows=lines, value=values, message=messages))

    def build(self) -> pd.DataFrame:
        """The findings added so far, as one table."""
        return concat(self._chunks)
