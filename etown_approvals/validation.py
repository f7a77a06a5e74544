"""Every problem in an input file, for ``etown validate``.

The validator runs the loader (the same row checks that decide which rows
``summary`` rejects) and adds what only shows per project: missing start
dates, construction before land, stages out of order (every pair of recorded
stages whose later stage is dated before the earlier one) and conflicting
duplicate stages, on the projects every command measures (the same as-of
snapshot, the same date of a stage recorded more than once, the same status
rule). File-level problems that stop the loader (missing columns, ambiguous
dates, undecodable bytes) become findings too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import findings as findings_mod
from . import metrics
from .errors import DataError, UnreadableInputError
from .findings import ERROR, WARNING
from .i18n import gettext as _
from .loader import LoadResult, load
from .measuring import measure
from .rawtable import source_name
from .stages import StageSet

if TYPE_CHECKING:
    import pandas as pd
else:
    from ._lazy import pandas as pd


@dataclass
class Validation:
    """Every finding of a file: errors, warnings and the counts."""

    source: str
    findings: pd.DataFrame
    rows: int
    projects: int
    #: The file itself could not be read (a different exit code from data errors).
    unreadable: bool = False
    loaded: LoadResult | None = None
    #: With an as-of date: the events known then, which the projects were measured from.
    snapshot: metrics.Snapshot | None = None

    @property
    def errors(self) -> pd.DataFrame:
        """The error findings."""
        return self.findings[self.findings["severity"] == ERROR]

    @property
    def warnings(self) -> pd.DataFrame:
        """The warning findings."""
        return self.findings[self.findings["severity"] == WARNING]

    @property
    def valid(self) -> bool:
        """Whether the file has no errors."""
        return len(self.errors) == 0

    def __repr__(self) -> str:
        """A line with the verdict and the counts (never the data itself)."""
        return (
            f"Validation(source={self.source!r}, valid={self.valid}, rows={self.rows:,}, "
            f"projects={self.projects:,}, errors={len(self.errors):,}, "
            f"warnings={len(self.warnings):,})"
        )


def validate(
    path: str | Path, metric: metrics.MetricOptions = metrics.MetricOptions(), **options: Any
) -> Validation:
    """Check ``path`` and return all findings (never raises for bad data).

    ``options`` are those of :func:`etown_approvals.loader.load` (stages,
    encoding, delimiter, dayfirst, sheet, stdin; see
    :func:`etown_approvals.analysis.load_arguments`). The projects are measured as
    every command measures them (:func:`etown_approvals.measuring.measure`): with
    ``metric.as_of``, the events known then; each stage's date as
    ``metric.stage_date`` says. An as-of date before every event is a
    :class:`~etown_approvals.errors.NoUsableRowsError`, as in every command.
    """
    source = source_name(path)
    try:
        loaded = load(path, **options)
    except UnreadableInputError as error:
        return Validation(source, _file_finding(error, "unreadable"), 0, 0, unreadable=True)
    except DataError as error:
        return Validation(source, _file_finding(error, "invalid-table"), 0, 0)

    projects, snapshot = measure(loaded, metric)
    events = loaded.events if snapshot is None else snapshot.events
    parts = [
        loaded.findings,
        project_findings(projects, loaded.stages),
        duplicate_findings(events, latest=metric.stage_date == "latest"),
    ]
    if loaded.rows_read == 0:
        parts.append(findings_mod.frame("no-data", message=_("the file has no data rows"), count=1))
    found = findings_mod.concat(parts)
    found = found.sort_values(["row", "type"], kind="stable", na_position="last").reset_index(
        drop=True
    )
    return Validation(
        loaded.source, found, loaded.rows_read, len(projects), loaded=loaded, snapshot=snapshot
    )


def _file_finding(error: UnreadableInputError | DataError, fallback: str) -> pd.DataFrame:
    return findings_mod.frame(
        error.finding_type or fallback,
        rows=[error.row],
        field=[error.field],
        value=[error.value],
        message=[error.message],
    )


def project_findings(projects: pd.DataFrame, stages: StageSet) -> pd.DataFrame:
    """Findings about whole projects (``row`` is empty).

    The invalid projects are those of the status rule (``status`` is
    ``invalid``: see :func:`etown_approvals.metrics.status_codes`), each with its
    reason: no start date, or an end before the start. Each check selects its
    projects first; text is made for those only.
    """
    start, end = stages.start, stages.end
    invalid = (projects["status"] == metrics.INVALID).to_numpy(dtype=bool)
    no_start = projects[start].isna().to_numpy(dtype=bool)
    checks: list[tuple[str, np.ndarray, str, str | None, str]] = [
        # (type, which projects, field, stage whose date is the value, message)
        ("missing-land-acquisition", invalid & no_start, start, None, _("no {start} date")),
        (
            "construction-before-land",
            invalid & ~no_start,
            end,
            end,
            _("{end} {end_date} is before {start} {start_date}"),
        ),
    ]
    parts = []
    for kind, mask, field, value_stage, template in checks:
        selected = projects[mask]
        if selected.empty:
            continue
        start_date, end_date = _iso(selected[start]), _iso(selected[end])
        value = _iso(selected[value_stage]) if value_stage else [None] * len(selected)
        messages = [
            template.format(start=start, end=end, value=v, start_date=a, end_date=b)
            for v, a, b in zip(value, start_date, end_date, strict=True)
        ]
        parts.append(
            findings_mod.frame(
                kind,
                field=field,
                value=value,
                project=selected.index.astype(str).to_numpy(dtype=object),
                message=messages,
            )
        )
    parts.append(out_of_order_findings(projects, stages))
    return findings_mod.concat(parts)


def out_of_order_findings(projects: pd.DataFrame, stages: StageSet) -> pd.DataFrame:
    """One ``out-of-order`` finding per pair of recorded stages whose later stage (in
    process order) is dated before the earlier one, for every pair but the metric's
    start and end (an end before the start is ``construction-before-land``)."""
    pairs = metrics.out_of_order_pairs(projects, stages)
    pairs = pairs[~((pairs["earlier"] == stages.start) & (pairs["later"] == stages.end))]
    if pairs.empty:
        return findings_mod.empty()
    later_date = pairs["later_date"].dt.strftime("%Y-%m-%d")
    # One message per pair: the pairs are few (each a project's two stages).
    template = _("{later} {later_date} is before {earlier} {earlier_date}")
    message = pd.Series(
        [
            template.format(later=later, later_date=day, earlier=earlier, earlier_date=before)
            for later, day, earlier, before in zip(
                pairs["later"],
                later_date,
                pairs["earlier"],
                pairs["earlier_date"].dt.strftime("%Y-%m-%d"),
                strict=True,
            )
        ],
        index=pairs.index,
        dtype=object,
    )
    return findings_mod.frame(
        "out-of-order",
        field=pairs["later"].to_numpy(dtype=object),
        value=later_date.to_numpy(dtype=object),
        project=pairs["project"].astype(str).to_numpy(dtype=object),
        message=message.to_numpy(dtype=object),
    )


def duplicate_findings(events: pd.DataFrame, *, latest: bool = False) -> pd.DataFrame:
    """Rows that record a stage again with another date than the one that counts: the
    earliest (``latest``: the last, as ``--stage-date latest`` measures)."""
    n_stages = len(events["stage"].cat.categories)
    chosen, _last = metrics.stage_matrix(events, n_stages, latest=latest)
    counted_days = chosen[
        events["project"].cat.codes.to_numpy(), events["stage"].cat.codes.to_numpy()
    ]
    is_other = metrics.day_numbers(events["date"]) != counted_days
    other = events[is_other]
    if other.empty:
        return findings_mod.empty()
    kept = pd.Series((counted_days[is_other] * 86_400).view("datetime64[s]"), index=other.index)
    return findings_mod.frame(
        "duplicate-stage",
        rows=other["row"].to_numpy(),
        field=other["stage"].astype(str).to_numpy(),
        value=other["date"].dt.strftime("%Y-%m-%d").to_numpy(),
        project=other["project"].astype(str).to_numpy(),
        message=[
            (
                _("{stage} recorded again; the latest date, {date}, is used")
                if latest
                else _("{stage} recorded again; the earliest date, {date}, is used")
            ).format(stage=stage, date=day)
            for stage, day in zip(
                other["stage"].astype(str), kept.dt.strftime("%Y-%m-%d"), strict=True
            )
        ],
    )


def _iso(dates: pd.Series) -> list[str | None]:
    return dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, na_value=None).tolist()
