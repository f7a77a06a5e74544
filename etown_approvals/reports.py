"""Results of each command as plain data: a JSON-ready document and, where the
result is a list of things, records for CSV/NDJSON.

This is where the per-project table and the summary numbers are put together
with the input's row counts into what a user sees. Rendering lives in
:mod:`etown_approvals.formats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from . import metrics
from .checks import CheckResult
from .loader import LoadResult, load
from .stages import ETOWN, StageSet
from .validation import Validation

#: Bumped when a key is removed or changes meaning (adding keys does not bump it).
SCHEMA_VERSION = 1


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

    @property
    def stages(self) -> StageSet:
        return self.loaded.stages


@dataclass
class Result:
    """What a command produced, ready for any output format."""

    kind: str
    document: dict[str, Any]
    #: One dict per item for CSV/NDJSON output; None when the result is not a list.
    records: list[dict[str, Any]] | None = None
    #: Extra data a table rendering needs (not part of the JSON document).
    extras: dict[str, Any] = field(default_factory=dict)


def analyze(
    path: str | Path,
    inputs: InputOptions = InputOptions(),
    options: metrics.MetricOptions = metrics.MetricOptions(),
    *,
    stdin: BinaryIO | None = None,
) -> Analysis:
    """Load ``path`` and build its per-project table."""
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
    projects = metrics.project_table(
        loaded.events, loaded.stages, attributes=loaded.attributes, options=options
    )
    return Analysis(loaded=loaded, projects=projects, options=options)


def metric_block(stages: StageSet) -> dict[str, str]:
    return {"from": stages.start, "to": stages.end, "unit": "calendar_days"}


def rows_block(loaded: LoadResult) -> dict[str, int]:
    return {
        "read": loaded.rows_read,
        "used": loaded.rows_used,
        "rejected": loaded.rows_rejected,
        "blank": loaded.rows_blank,
    }


def summary(analysis: Analysis) -> Result:
    """The ``etown summary`` result."""
    loaded, projects = analysis.loaded, analysis.projects
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": loaded.source,
        "metric": metric_block(loaded.stages),
        "rows": rows_block(loaded),
        **metrics.summarize(projects, options=analysis.options),
    }
    flagged = projects[projects["fast_track"].to_numpy(dtype=bool)]
    return Result(
        kind="summary",
        document=document,
        extras={"flagged": project_records(flagged, loaded.stages)},
    )


def project_records(projects: pd.DataFrame, stages: StageSet) -> list[dict[str, Any]]:
    """One JSON-ready dict per project: name, ISO stage dates, days, status, flags, attributes."""
    stage_columns = list(stages.stages)
    iso = {
        stage: [None if pd.isna(v) else v.date().isoformat() for v in projects[stage]]
        for stage in stage_columns
    }
    flags = metrics.flag_lists(projects)
    attribute_columns = [
        c
        for c in projects.columns
        if c not in _DERIVED and c not in stage_columns and not c.startswith("gap_")
    ]
    days = projects["days"].astype(object).where(projects["days"].notna(), None)
    waiting = projects["waiting_days"].astype(object).where(projects["waiting_days"].notna(), None)
    records = []
    for i, name in enumerate(projects.index):
        record: dict[str, Any] = {"project": str(name)}
        for stage in stage_columns:
            record[stage] = iso[stage][i]
        record["days"] = _plain(days.iat[i])
        record["status"] = str(projects["status"].iat[i])
        record["flags"] = flags[i]
        record["waiting_days"] = _plain(waiting.iat[i])
        for column in attribute_columns:
            value = projects[column].iat[i]
            record[column] = None if pd.isna(value) else value
        records.append(record)
    return records


_DERIVED = {"days", "status", "waiting_days", *metrics.FLAGS}


def _plain(value: Any) -> Any:
    return None if value is None or pd.isna(value) else int(value)


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


def check(analysis: Analysis, results: list[CheckResult]) -> Result:
    """The ``etown check`` result: each threshold with its measured value."""
    summary_document = summary(analysis).document
    document = {
        "schema_version": SCHEMA_VERSION,
        "source": analysis.loaded.source,
        "passed": all(r.passed for r in results),
        "checks": [r.as_dict() for r in results],
        "summary": summary_document,
    }
    return Result(kind="check", document=document, records=document["checks"])
