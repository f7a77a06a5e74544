"""Step 3 and 4: events -> per-project table -> summary numbers.

Pure functions: DataFrames in, DataFrames and dicts out. Nothing here prints or
opens a file. Dates are handled as integer day numbers; a project's stages are
a (projects x stages) matrix filled with ``numpy.minimum.at``, so the cost is a
few vector operations whatever the number of projects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from .stages import StageSet

COMPLETE, OPEN, INVALID, WITHDRAWN = "complete", "open", "invalid", "withdrawn"
STATUSES = (COMPLETE, OPEN, INVALID, WITHDRAWN)
FLAGS = ("same_day", "fast_track", "out_of_order", "duplicate_stage")
DEFAULT_FAST_TRACK_DAYS = 3
_NONE = np.iinfo(np.int64).min
_EPOCH = date(1970, 1, 1)


UNITS = {"calendar": "calendar_days", "workdays": "workdays"}


@dataclass(frozen=True)
class MetricOptions:
    """How durations are measured and flagged."""

    fast_track_days: int = DEFAULT_FAST_TRACK_DAYS
    #: Reference date for how long open projects have waited (default: today).
    as_of: date | None = None
    #: ``calendar`` days or ``workdays`` on the working calendar of ``calendar``.
    unit: str = "calendar"
    #: Country code of the working calendar (``holidays`` package), for ``workdays``.
    calendar: str = "CN"
    #: A reform target in working days: the summary counts projects that met it.
    target_workdays: int | None = None
    #: Which date counts when a project records a stage more than once.
    stage_date: Literal["earliest", "latest"] = "earliest"

    @property
    def unit_name(self) -> str:
        return UNITS[self.unit]


Clock = Callable[[np.ndarray, np.ndarray], np.ndarray]


def clock_for(options: MetricOptions, day_values: np.ndarray) -> Clock:
    """A function (start, end) -> elapsed days in the options' unit, for these day numbers."""
    if options.unit == "calendar":
        return lambda start, end: end - start
    from .calendars import counter_for

    return counter_for(options.calendar, day_values).between


def elapsed(clock: Clock, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Elapsed days where both day numbers are present, ``_NONE`` elsewhere."""
    both = (start != _NONE) & (end != _NONE)
    out = np.full(start.shape, _NONE, dtype=np.int64)
    out[both] = clock(start[both], end[both])
    return out


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of datetime values."""
    seconds = np.asarray(values, dtype="datetime64[s]").view(np.int64)
    return seconds // 86_400  # floor division: days before 1970 stay whole days


def stage_matrix(
    events: pd.DataFrame, n_stages: int, *, latest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Earliest (``latest``: last) day number per (project, stage), and whether the stage
    has conflicting dates.

    Missing stages hold ``_NONE``. Projects are the categories of ``events.project``.
    """
    n_projects = len(events["project"].cat.categories)
    size = n_projects * n_stages
    key = events["project"].cat.codes.to_numpy(np.int64) * n_stages + events[
        "stage"
    ].cat.codes.to_numpy(np.int64)
    days = day_numbers(events["date"])
    first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(size, _NONE, dtype=np.int64)
    np.minimum.at(first, key, days)
    np.maximum.at(last, key, days)
    present = last != _NONE
    first = np.where(present, first, _NONE)
    conflicting = present & (last != first)
    chosen = last if latest else first
    return chosen.reshape(n_projects, n_stages), conflicting.reshape(n_projects, n_stages)


def project_table(
    events: pd.DataFrame,
    stages: StageSet,
    *,
    attributes: pd.DataFrame | None = None,
    options: MetricOptions = MetricOptions(),
    withdrawn: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per project: stage dates, ``days``, ``status``, flags, gaps and attributes.

    ``withdrawn`` (a boolean per project, in ``events.project`` category order,
    as :attr:`LoadResult.withdrawn`) makes a project without the metric's end
    ``withdrawn`` instead of ``open``/``invalid``, without waiting days.

    Columns, in order: one datetime column per stage; ``days`` (metric end
    minus start, complete projects only); ``status``; the boolean flags
    ``same_day``, ``fast_track``, ``out_of_order``, ``duplicate_stage``;
    ``waiting_days`` (open projects: days from start to ``as_of``);
    ``gap_<stage>`` (days since the previous recorded stage); then the
    attribute columns.
    """
    names = events["project"].cat.categories
    matrix, conflicting = stage_matrix(
        events, len(stages.stages), latest=options.stage_date == "latest"
    )
    start = matrix[:, stages.stages.index(stages.start)]
    end = matrix[:, stages.stages.index(stages.end)]
    has_start, has_end = start != _NONE, end != _NONE
    complete = has_start & has_end & (end >= start)
    open_ = has_start & ~has_end
    withdrawn_ = np.zeros(len(names), dtype=bool) if withdrawn is None else withdrawn & ~has_end
    open_ &= ~withdrawn_
    as_of = ((options.as_of or date.today()) - _EPOCH).days
    clock = clock_for(options, np.append(matrix[matrix != _NONE], as_of))
    days = np.where(complete, elapsed(clock, start, end), _NONE)

    out_of_order = np.zeros(len(names), dtype=bool)
    for stage in stages.intermediate:
        at = matrix[:, stages.stages.index(stage)]
        has = at != _NONE
        out_of_order |= has & ((has_start & (at < start)) | (has_end & (at > end)))

    columns: dict[str, Any] = {stage: _dates(matrix[:, i]) for i, stage in enumerate(stages.stages)}
    columns["days"] = _ints(days)
    status_codes = np.where(complete, 0, np.where(open_, 1, np.where(withdrawn_, 3, 2)))
    status_codes = status_codes.astype(np.int8)
    columns["status"] = pd.Categorical.from_codes(status_codes, categories=list(STATUSES))
    columns["same_day"] = complete & (end == start)  # the same date, whatever the unit
    columns["fast_track"] = complete & (days <= options.fast_track_days)
    columns["out_of_order"] = out_of_order
    columns["duplicate_stage"] = conflicting.any(axis=1)
    columns["waiting_days"] = _ints(
        np.where(open_, elapsed(clock, start, np.full_like(start, as_of)), _NONE)
    )
    previous = np.full(len(names), _NONE, dtype=np.int64)
    for i, stage in enumerate(stages.stages):
        at = matrix[:, i]
        has = at != _NONE
        if i > 0:
            columns[f"gap_{stage}"] = _ints(
                np.where(has & (previous != _NONE), at - previous, _NONE)
            )
        previous = np.where(has, at, previous)
    table = pd.DataFrame(columns, index=pd.Index(names, name="project"))
    if attributes is not None and len(attributes.columns):
        extra = attributes.reindex(table.index)
        extra = extra[[c for c in extra.columns if c not in table.columns]]
        table = pd.concat([table, extra], axis=1)
    return table


def _dates(day_values: np.ndarray) -> np.ndarray:
    """datetime64[s] of day numbers; ``_NONE`` is already NaT's bit pattern."""
    return np.where(day_values == _NONE, _NONE, day_values * 86_400).view("datetime64[s]")


def _ints(values: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable integer array, missing where ``values`` holds ``_NONE``."""
    missing = values == _NONE
    return pd.arrays.IntegerArray(np.where(missing, 0, values), missing)


def flag_names(projects: pd.DataFrame) -> np.ndarray:
    """Per project, the tuple of flags set on it, in :data:`FLAGS` order (an object array).

    Each project's flags form a bit pattern; the 16 possible tuples are made once
    and picked per project with one vectorized lookup.
    """
    matrix = projects[list(FLAGS)].to_numpy(dtype=bool)
    patterns = matrix.astype(np.int64) @ (1 << np.arange(len(FLAGS)))
    tuples = np.empty(1 << len(FLAGS), dtype=object)
    tuples[:] = [
        tuple(f for j, f in enumerate(FLAGS) if code >> j & 1) for code in range(tuples.size)
    ]
    return tuples[patterns]


def flag_lists(projects: pd.DataFrame) -> list[list[str]]:
    """The names of the flags set on each project, in :data:`FLAGS` order."""
    return [list(names) for names in flag_names(projects)]


def days_statistics(days: pd.Series) -> dict[str, float | int | None]:
    """count, min, p25, median, mean, p75, p90, max of a nullable integer series."""
    values = days.to_numpy(dtype=np.float64, na_value=np.nan)
    values = values[~np.isnan(values)]
    keys = ("min", "p25", "median", "mean", "p75", "p90", "max")
    if values.size == 0:
        return {"count": 0, **dict.fromkeys(keys)}
    p25, median, p75, p90 = np.percentile(values, [25, 50, 75, 90])
    return {
        "count": int(values.size),
        "min": int(values.min()),
        "p25": _number(p25),
        "median": _number(median),
        "mean": _number(values.mean()),
        "p75": _number(p75),
        "p90": _number(p90),
        "max": int(values.max()),
    }


def _number(value: float) -> float | int:
    """Round to 2 decimals; whole numbers as int so JSON shows ``3`` not ``3.0``."""
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _share(count: int, total: int) -> float | None:
    return None if total == 0 else round(count / total, 4)


def summarize(
    projects: pd.DataFrame, *, options: MetricOptions = MetricOptions()
) -> dict[str, Any]:
    """Headline numbers of a project table: counts, days statistics, same-day, fast-track."""
    status = projects["status"]
    complete = int((status == COMPLETE).sum())
    same_day = projects.index[projects["same_day"].to_numpy(dtype=bool)]
    fast_track = projects.index[projects["fast_track"].to_numpy(dtype=bool)]
    return {
        "projects": {
            "total": len(projects),
            "complete": complete,
            "open": int((status == OPEN).sum()),
            "invalid": int((status == INVALID).sum()),
        },
        "days": days_statistics(projects["days"]),
        "same_day": {
            "count": int(same_day.size),
            "share": _share(int(same_day.size), complete),
            "projects": same_day.astype(str).tolist(),
        },
        "fast_track": {
            "max_days": options.fast_track_days,
            "count": int(fast_track.size),
            "share": _share(int(fast_track.size), complete),
            "projects": fast_track.astype(str).tolist(),
        },
    }


def stage_transitions(
    projects: pd.DataFrame, stages: StageSet, options: MetricOptions = MetricOptions()
) -> list[dict[str, Any]]:
    """Days between each consecutive pair of stages, over projects that have both dates.

    ``share`` is the transition's mean days over the mean days of complete
    projects (start to end of the metric): where the time goes. It is null for
    transitions outside the metric's start..end and when no project is complete.
    """
    total = projects["days"].dropna().to_numpy(dtype=np.float64)
    total_mean = float(total.mean()) if total.size else None
    inside = stages.stages[stages.stages.index(stages.start) : stages.stages.index(stages.end) + 1]
    rows = []
    for first, second in zip(stages.stages, stages.stages[1:], strict=False):
        both = projects[first].notna() & projects[second].notna()
        days = (
            day_numbers(projects.loc[both, second]) - day_numbers(projects.loc[both, first])
        ).astype(np.float64)
        stats = days_statistics(pd.Series(days, dtype="Float64"))
        within = first in inside and second in inside
        mean = stats["mean"]
        rows.append(
            {
                "from": first,
                "to": second,
                "count": stats["count"],
                "min": stats["min"],
                "median": stats["median"],
                "mean": mean,
                "p90": stats["p90"],
                "max": stats["max"],
                "share": None
                if not within or mean is None or not total_mean
                else round(float(mean) / total_mean, 4),
            }
        )
    return rows


PERIODS = {"year": "Y", "quarter": "Q", "month": "M"}


def trend(projects: pd.DataFrame, stages: StageSet, *, by: str = "year") -> list[dict[str, Any]]:
    """One row per period of the metric's start date, every period in the range included."""
    start = projects[stages.start]
    dated = projects[start.notna().to_numpy(dtype=bool)]
    if dated.empty:
        return []
    freq = PERIODS[by]
    periods = dated[stages.start].dt.to_period(freq)
    full_range = pd.period_range(periods.min(), periods.max(), freq=freq)
    rows = []
    groups = dict(list(dated.groupby(periods, observed=True)))
    for period in full_range:
        part = groups.get(period, dated.iloc[0:0])
        status = part["status"]
        complete = int((status == COMPLETE).sum())
        median = days_statistics(part["days"])["median"]
        rows.append(
            {
                "period": str(period),
                "projects": len(part),
                "complete": complete,
                "open": int((status == OPEN).sum()),
                "invalid": int((status == INVALID).sum()),
                "median_days": median,
                "same_day_share": _share(int(part["same_day"].sum()), complete),
                "fast_track_share": _share(int(part["fast_track"].sum()), complete),
            }
        )
    return rows


def in_window(
    projects: pd.DataFrame, stages: StageSet, since: date | None, until: date | None
) -> pd.DataFrame:
    """Projects whose start date falls in ``since..until`` (inclusive); no window keeps all."""
    if since is None and until is None:
        return projects
    start = projects[stages.start]
    keep = start.notna()
    if since is not None:
        keep &= start >= pd.Timestamp(since)
    if until is not None:
        keep &= start <= pd.Timestamp(until)
    return projects[keep.to_numpy(dtype=bool)]


def groups(projects: pd.DataFrame, column: str) -> list[tuple[str | None, pd.DataFrame]]:
    """Projects split by an attribute's value, in order of first appearance (no value last)."""
    values = projects[column]
    out: list[tuple[str | None, pd.DataFrame]] = [
        (str(value), part) for value, part in projects.groupby(values, sort=False, observed=True)
    ]
    missing = projects[values.isna().to_numpy(dtype=bool)]
    if len(missing):
        out.append((None, missing))
    return out


def target(
    projects: pd.DataFrame,
    stages: StageSet,
    workdays: int,
    options: MetricOptions = MetricOptions(),
) -> dict[str, Any]:
    """How many complete projects met a target of ``workdays`` working days (always workdays)."""
    complete = projects[(projects["status"] == COMPLETE).to_numpy(dtype=bool)]
    start, end = day_numbers(complete[stages.start]), day_numbers(complete[stages.end])
    if options.unit == "workdays":
        taken = complete["days"].to_numpy(dtype=np.int64)
    else:
        workday_options = MetricOptions(unit="workdays", calendar=options.calendar)
        taken = clock_for(workday_options, np.concatenate([start, end]))(start, end)
    over = taken > workdays
    return {
        "workdays": workdays,
        "calendar": options.calendar,
        "met": int((~over).sum()),
        "over": int(over.sum()),
        "share_met": _share(int((~over).sum()), len(complete)),
        "projects_over": [str(name) for name in complete.index[over]],
    }
