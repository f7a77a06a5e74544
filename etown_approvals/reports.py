"""Results of each command as plain data: a JSON-ready document and, where the
result is a list of things, records for CSV/NDJSON.

This is where the per-project table and the summary numbers are put together
with the input's row counts into what a user sees. Rendering lives in
:mod:`etown_approvals.formats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa

from . import calendars, metrics
from .checks import CheckResult
from .errors import DataError, MissingColumnError
from .loader import LoadResult, load
from .stages import ETOWN, StageSet
from .validation import Validation

#: Bumped when a key is removed or changes meaning (adding keys does not bump it).
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Window:
    """Keep projects whose start (land acquisition) date is in since..until, inclusive."""

    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class InputOptions:
    """How to read an input file."""

    stages: StageSet = ETOWN
    encoding: str | None = None
    delimiter: str | None = None
    dayfirst: bool | None = None
    sheet: str | int | None = None


@dataclass
class Analysis:
    """An input file read and measured: the starting point of every command."""

    loaded: LoadResult
    projects: pd.DataFrame
    options: metrics.MetricOptions
    window: Window = Window()
    #: Years with dates but no official working calendar (workdays only).
    unofficial_years: list[int] = field(default_factory=list)

    def check_calendar(self) -> None:
        """Note the years whose working calendar is not official (once)."""
        calendar = self.options.calendar
        years = _years(self.projects, self.stages)
        found = calendars.unofficial_years(calendar, years)
        if found and found != self.unofficial_years:
            listed = ", ".join(str(y) for y in found)
            self.loaded.notes.append(
                f"warning: no official {calendar.upper()} working calendar for {listed}: "
                "adjusted working weekends are unknown there, so workday counts in those "
                "years may be off"
            )
        self.unofficial_years = found

    def grouped(self, column: str | None) -> list[tuple[str | None, pd.DataFrame]]:
        """The projects split by an attribute column (one group of all when None)."""
        if column is None:
            return [(None, self.projects)]
        if column not in self.loaded.attributes.columns:
            attributes = ", ".join(repr(c) for c in self.loaded.attributes.columns) or "none"
            raise MissingColumnError(
                f"no attribute column {column!r} to group by (attributes: {attributes})",
                source=self.loaded.source,
                field=column,
            )
        return metrics.groups(self.projects, column)

    @property
    def stages(self) -> StageSet:
        return self.loaded.stages


@dataclass
class Result:
    """What a command produced, ready for any output format."""

    kind: str
    #: The JSON document (a dict); None when the result is the list of ``frame``'s rows.
    document: Any
    #: One dict per item for CSV/NDJSON output; None when the result is not a list.
    records: list[dict[str, Any]] | None = None
    #: Extra data a table rendering needs (not part of the JSON document).
    extras: dict[str, Any] = field(default_factory=dict)
    #: A long list kept as columns, so that JSON, NDJSON and CSV are written in bulk.
    frame: pd.DataFrame | None = None

    def rows(self) -> list[dict[str, Any]] | None:
        """The records, made from ``frame`` on first use."""
        if self.records is None and self.frame is not None:
            self.records = frame_records(self.frame)
        return self.records


def analyze(
    path: str | Path,
    inputs: InputOptions = InputOptions(),
    options: metrics.MetricOptions = metrics.MetricOptions(),
    *,
    window: Window = Window(),
    stdin: BinaryIO | None = None,
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """Load ``path`` and build its per-project table (projects in ``window`` only).

    ``progress``, if given, is called with a short description of each step.
    """
    if progress:
        progress("reading")
    loaded = load(
        path,
        stages=inputs.stages,
        encoding=inputs.encoding,
        delimiter=inputs.delimiter,
        dayfirst=inputs.dayfirst,
        sheet=inputs.sheet,
        stdin=stdin,
    )
    loaded.require_rows()
    if progress:
        progress(f"measuring {loaded.rows_used:,} events")
    projects = metrics.project_table(
        loaded.events, loaded.stages, attributes=loaded.attributes, options=options
    )
    projects = metrics.in_window(projects, loaded.stages, window.since, window.until)
    analysis = Analysis(loaded=loaded, projects=projects, options=options, window=window)
    if options.unit == "workdays" or options.target_workdays is not None:
        analysis.check_calendar()
    return analysis


def _years(projects: pd.DataFrame, stages: StageSet) -> set[int]:
    years: set[int] = set()
    for stage in stages.stages:
        years.update(int(y) for y in projects[stage].dt.year.dropna().unique())
    return years


def metric_block(analysis: Analysis) -> dict[str, Any]:
    stages, options = analysis.stages, analysis.options
    block: dict[str, Any] = {"from": stages.start, "to": stages.end, "unit": options.unit_name}
    if options.unit == "workdays":
        block["calendar"] = options.calendar.upper()
        block["unofficial_years"] = analysis.unofficial_years
    return block


def rows_block(loaded: LoadResult) -> dict[str, int]:
    return {
        "read": loaded.rows_read,
        "used": loaded.rows_used,
        "rejected": loaded.rows_rejected,
        "blank": loaded.rows_blank,
    }


def header(analysis: Analysis) -> dict[str, Any]:
    """Keys every JSON document of a measuring command starts with."""
    loaded = analysis.loaded
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": loaded.source,
        "metric": metric_block(analysis),
        "rows": rows_block(loaded),
    }
    if analysis.window.since or analysis.window.until:
        document["window"] = {
            "since": _iso(analysis.window.since),
            "until": _iso(analysis.window.until),
        }
    return document


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def summary(analysis: Analysis, *, group_by: str | None = None) -> Result:
    """The ``etown summary`` result; with ``group_by``, a ``groups`` list too; with a
    target in the options, a ``target`` block counting the complete projects that met it."""
    loaded, projects, options = analysis.loaded, analysis.projects, analysis.options
    document = header(analysis) | metrics.summarize(projects, options=options)
    if options.target_workdays is not None:
        document["target"] = metrics.target(
            projects, analysis.stages, options.target_workdays, options
        )
        document["target"]["unofficial_years"] = analysis.unofficial_years
    if group_by is not None:
        document["group_by"] = group_by
        document["groups"] = [
            {"group": value, **metrics.summarize(part, options=analysis.options)}
            for value, part in analysis.grouped(group_by)
        ]
    flagged = projects[projects["fast_track"].to_numpy(dtype=bool)]
    return Result(
        kind="summary",
        document=document,
        extras={
            "flagged": project_records(flagged.head(FLAGGED_SHOWN), loaded.stages),
            "flagged_total": len(flagged),
        },
    )


#: How many same-day and fast-track projects the summary table lists.
FLAGGED_SHOWN = 20


def stages(analysis: Analysis, *, group_by: str | None = None) -> Result:
    """The ``etown stages`` result: days between consecutive stages."""
    rows = []
    for value, part in analysis.grouped(group_by):
        for row in metrics.stage_transitions(part, analysis.stages, analysis.options):
            rows.append(({"group": value} if group_by else {}) | row)
    document = (
        header(analysis) | ({"group_by": group_by} if group_by else {}) | {"transitions": rows}
    )
    return Result(kind="stages", document=document, records=rows)


def trend(analysis: Analysis, *, by: str = "year", group_by: str | None = None) -> Result:
    """The ``etown trend`` result: one row per period of the start date."""
    rows = []
    for value, part in analysis.grouped(group_by):
        for row in metrics.trend(part, analysis.stages, by=by):
            rows.append(({"group": value} if group_by else {}) | row)
    undated = int(analysis.projects[analysis.stages.start].isna().sum())
    document = (
        header(analysis)
        | {"by": by, "undated_projects": undated}
        | ({"group_by": group_by} if group_by else {})
        | {"periods": rows}
    )
    return Result(kind="trend", document=document, records=rows)


SORT_KEYS = ("days", "land", "project")


def projects(
    analysis: Analysis,
    *,
    status: str | None = None,
    flags: tuple[str, ...] = (),
    sort: str | None = None,
    descending: bool = False,
    limit: int | None = None,
) -> Result:
    """The ``etown projects`` result: one record per project, filtered and sorted."""
    table = analysis.projects
    if status:
        table = table[(table["status"] == status).to_numpy(dtype=bool)]
    for flag in flags:
        table = table[table[flag].to_numpy(dtype=bool)]
    if sort:
        key = {"days": "days", "land": analysis.stages.start, "project": None}[sort]
        if key is None:
            order = table.index.astype(str).to_series(index=table.index)
            table = table.loc[order.sort_values(ascending=not descending, kind="stable").index]
        else:
            table = table.sort_values(
                key, ascending=not descending, kind="stable", na_position="last"
            )
    if limit is not None:
        table = table.head(limit)
    return Result(
        kind="projects",
        document=None,
        frame=project_frame(table, analysis.stages),
        extras={"stages": analysis.stages},
    )


def timeline(
    analysis: Analysis, *, names: tuple[str, ...] = (), limit: int | None = None
) -> Result:
    """The ``etown timeline`` result: projects with dates, for drawing."""
    table = analysis.projects
    if names:
        wanted = [n for n in names if n in table.index]
        missing = [n for n in names if n not in table.index]
        if missing:
            raise DataError(f"no project named {missing[0]!r}", source=analysis.loaded.source)
        table = table.loc[wanted]
    table = table[table[analysis.stages.start].notna().to_numpy(dtype=bool)]
    table = table.sort_values(analysis.stages.start, kind="stable")
    if limit is not None:
        table = table.head(limit)
    records = project_records(table, analysis.stages)
    as_of = analysis.options.as_of or date.today()
    return Result(
        kind="timeline",
        document={"as_of": as_of.isoformat(), "projects": records},
        records=records,
        extras={"stages": analysis.stages, "as_of": as_of},
    )


def project_columns(projects: pd.DataFrame, stages: StageSet) -> list[str]:
    """Keys of a project record, in order."""
    attributes = [
        c for c in projects.columns if c not in _NOT_ATTRIBUTES and not c.startswith("gap_")
    ]
    attributes = [c for c in attributes if c not in stages.stages]
    return ["project", *stages.stages, "days", "status", "flags", "waiting_days", *attributes]


def project_frame(projects: pd.DataFrame, stages: StageSet) -> pd.DataFrame:
    """The per-project table as users see it: name, ISO stage dates, days, status,
    flags (tuples), waiting days, attributes. Built from whole columns (pyarrow
    writes the ISO dates), so a million projects take well under a second."""
    columns = project_columns(projects, stages)
    out: dict[str, Any] = {"project": projects.index.astype(str).array}
    for stage in stages.stages:
        out[stage] = _iso_dates(projects[stage])
    out["days"] = projects["days"].array
    out["status"] = projects["status"].astype(str).array
    out["flags"] = metrics.flag_names(projects)
    out["waiting_days"] = projects["waiting_days"].array
    for column in columns[len(stages.stages) + 5 :]:
        out[column] = projects[column].array
    return pd.DataFrame(out, columns=columns)


def _iso_dates(dates: pd.Series) -> Any:
    values = dates.to_numpy(dtype="datetime64[s]")
    text = pa.array(values.astype("datetime64[D]"), mask=np.isnat(values)).cast(pa.string())
    return text.to_pandas().array


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready dicts (None for missing values, lists for tuples) of a frame's rows."""
    columns = list(frame.columns)
    values = [_nullable(frame[c]) for c in columns]
    for position, column in enumerate(columns):
        if column == "flags":
            values[position] = [list(v) for v in values[position]]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def project_records(projects: pd.DataFrame, stages: StageSet) -> list[dict[str, Any]]:
    """One JSON-ready dict per project (see :func:`project_frame`)."""
    return frame_records(project_frame(projects, stages))


def _nullable(values: pd.Series) -> Any:
    """An object array with None where ``values`` are missing."""
    return values.to_numpy(dtype=object, na_value=None)


_NOT_ATTRIBUTES = {"days", "status", "waiting_days", *metrics.FLAGS}


def finding_records(found: pd.DataFrame) -> list[dict[str, Any]]:
    """Findings as JSON-ready dicts (without ``severity``, which the list they are in says)."""
    columns = ["type", "row", "field", "value", "project", "message"]
    frame = found[columns].astype(object).where(found[columns].notna(), None)
    records = frame.to_dict("records")
    for record in records:
        if record["row"] is not None:
            record["row"] = int(record["row"])
    return records


def validation(
    checked: Validation, *, limit: int = 1000, warnings_as_errors: bool = False
) -> Result:
    """The ``etown validate`` result; ``limit`` caps each list, not the counts."""
    errors, warnings = checked.errors, checked.warnings
    valid = checked.valid and not (warnings_as_errors and len(warnings))
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": checked.source,
        "valid": valid,
        "stats": {
            "rows": checked.rows,
            "projects": checked.projects,
            "errors": len(errors),
            "warnings": len(warnings),
        },
        "errors": finding_records(errors.head(limit)),
        "warnings": finding_records(warnings.head(limit)),
    }
    records = [
        {"severity": severity, **record}
        for severity, frame in (("error", errors), ("warning", warnings))
        for record in finding_records(frame.head(limit))
    ]
    return Result(kind="validate", document=document, records=records)


def check(
    analysis: Analysis, results: list[CheckResult], summary_document: dict[str, Any]
) -> Result:
    """The ``etown check`` result: each threshold with its measured value."""
    checks = [r.as_dict() for r in results]
    document = {
        "schema_version": SCHEMA_VERSION,
        "source": analysis.loaded.source,
        "passed": all(r.passed for r in results),
        "checks": checks,
        "summary": summary_document,
    }
    return Result(kind="check", document=document, records=checks)
