"""What the report's charts draw, computed from an :class:`~etown_approvals.Analysis`.

Pure functions: arrays and DataFrames in, small JSON-ready lists out. Every chart
draws aggregated data whose size does not grow with the number of projects: bins,
quantiles, periods, transitions, the largest groups (:data:`GROUPS_SHOWN`) and a
curve of at most :data:`CURVE_POINTS` steps. The timeline, which draws one named
line per project, shows a seeded random sample of at most :data:`TIMELINE_LIMIT`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import COMPLETE, OPEN, day_numbers, period_frequency
from ..stages import StageSet

#: Most projects the timeline draws, one named row each; above it a random sample.
TIMELINE_LIMIT = 60
#: Seed of the timeline's sample, so the same file gives the same report.
SAMPLE_SEED = 0
#: Most points of a cumulative curve (evenly spaced steps beyond this, the last kept).
CURVE_POINTS = 400
#: About this many histogram bins.
HISTOGRAM_BINS = 30
#: Most groups the charts and tables show (the most projects first); the rest are
#: counted, and ``etown summary --group-by`` lists them all.
GROUPS_SHOWN = 10
#: Characters of a name or cell shown in tables and lists; the whole text is in the
#: element's tooltip.
NAME_CHARS = 60
VALUE_CHARS = 40


def complete_days(projects: pd.DataFrame) -> np.ndarray:
    """The days of the complete projects, as int64."""
    mask = (projects["status"] == COMPLETE).to_numpy(dtype=bool)
    return projects.loc[mask, "days"].to_numpy(dtype=np.int64)


def nice_width(span: float, bins: int = HISTOGRAM_BINS) -> int:
    """A bin width of 1, 2 or 5 times a power of ten giving at most about ``bins`` bins."""
    raw = max(span / bins, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * power >= raw:
            return int(step * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Bin:
    """Days ``low..high`` inclusive (``high`` None: ``low`` or more, the overflow bin)."""

    low: int
    high: int | None
    count: int


@dataclass(frozen=True)
class Bins:
    """Bin edges: 0 (same day) alone, then ``1..width``, ``width+1..2*width``, ... up to
    ``upper``, and one overflow bin above it."""

    width: int
    upper: int


def bins_for(days: np.ndarray) -> Bins:
    """Bins for these days. Durations have long tails: bins run to the 99th
    percentile when the maximum is far beyond it, and the overflow bin holds the rest."""
    if days.size == 0:
        return Bins(1, 0)
    top = int(days.max())
    p95, p99 = np.percentile(days, [95, 99])
    upper = top if top <= 3 * max(p95, 1) else math.ceil(p99)
    return Bins(nice_width(upper), upper)


def histogram(days: np.ndarray, bins: Bins) -> list[Bin]:
    """How many of ``days`` fall in each of ``bins`` (empty bins included)."""
    width, upper = bins.width, bins.upper
    out = [Bin(0, 0, int((days == 0).sum()))]
    if upper >= 1:
        # bin k holds (k*w, (k+1)*w]: 1..w, w+1..2w, ...
        index = (days[(days >= 1) & (days <= upper)] - 1) // width
        counts = np.bincount(index, minlength=int((upper - 1) // width) + 1)
        out += [Bin(k * width + 1, (k + 1) * width, int(n)) for k, n in enumerate(counts.tolist())]
    over = int((days > upper).sum())
    if over:
        out.append(Bin(upper + 1, None, over))
    return out


def thinned(size: int, points: int = CURVE_POINTS) -> np.ndarray:
    """Positions of at most ``points`` evenly spaced steps of a curve of ``size``
    steps, the first and the last always among them."""
    if size <= points:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, points).round().astype(np.int64))


def ecdf(days: np.ndarray, points: int = CURVE_POINTS) -> list[dict[str, float]]:
    """Share of complete projects done within each number of days (a step curve).

    At most ``points`` steps: with more distinct values, the curve is taken at
    evenly spaced quantiles (the drawn curve then is a close approximation).
    """
    if days.size == 0:
        return []
    values, counts = np.unique(days, return_counts=True)
    shares = np.cumsum(counts) / days.size
    keep = thinned(values.size, points)
    return [
        {"days": int(v), "share": round(float(s), 4)}
        for v, s in zip(values[keep].tolist(), shares[keep].tolist(), strict=True)
    ]


SURVIVAL_KEYS = ("days", "survival", "ci_low", "ci_high")


def survival_curve(
    curve: Mapping[str, Sequence[float | None]], points: int = CURVE_POINTS
) -> list[dict[str, Any]]:
    """A Kaplan-Meier curve (``days``, ``survival``, ``ci_low``, ``ci_high`` arrays of one
    length) as the share done within each number of days: ``1 - survival``, with the
    confidence band flipped the same way; at most ``points`` steps, the last (the
    longest time observed) always kept."""
    missing = [k for k in SURVIVAL_KEYS if k not in curve]
    if missing:
        raise ValueError(f"survival curve lacks {', '.join(missing)}")
    lengths = {len(curve[k]) for k in SURVIVAL_KEYS}
    if len(lengths) != 1:
        raise ValueError("survival curve arrays differ in length")

    def done(value: float | None) -> float | None:
        return None if value is None or math.isnan(value) else round(1 - float(value), 4)

    columns = [list(curve[k]) for k in SURVIVAL_KEYS]
    keep = thinned(len(columns[0]), points).tolist()
    return [
        {
            "days": float(columns[0][i]),
            "done": done(columns[1][i]),
            "done_low": done(columns[3][i]),
            "done_high": done(columns[2][i]),
        }
        for i in keep
    ]


INCIDENCE_KEYS = ("times", "completed", "withdrawn")


def incidence_curve(
    curve: Mapping[str, Sequence[float]], last: float | None = None, points: int = CURVE_POINTS
) -> dict[str, list[float]] | None:
    """The Aalen-Johansen curves (``times``, ``completed``, ``withdrawn`` arrays of one
    length, as :func:`etown_approvals.survival.incidence_curve` gives them: the share
    completed and the share withdrawn by each time a project completed or was
    withdrawn) as the chart draws them: at most ``points`` steps, run on to ``last``
    (the longest time observed, after which they stay as they are). None when nothing
    was withdrawn: the completion curve is then the Kaplan-Meier one."""
    lengths = {len(curve[k]) for k in INCIDENCE_KEYS}
    if len(lengths) != 1:
        raise ValueError("cumulative incidence arrays differ in length")
    if not any(curve["withdrawn"]):
        return None
    days = [float(d) for d in curve["times"]]
    completed = [round(float(v), 4) for v in curve["completed"]]
    withdrawn = [round(float(v), 4) for v in curve["withdrawn"]]
    if last is not None and days and last > days[-1]:
        days.append(float(last))
        completed.append(completed[-1])
        withdrawn.append(withdrawn[-1])
    keep = thinned(len(days), points).tolist()
    return {
        "days": [days[i] for i in keep],
        "completed": [completed[i] for i in keep],
        "withdrawn": [withdrawn[i] for i in keep],
    }


def top_groups(
    groups: Sequence[Mapping[str, Any]], shown: int = GROUPS_SHOWN
) -> tuple[list[Mapping[str, Any]], int, int]:
    """The ``shown`` groups with the most projects (ties in the given order), then how
    many groups and projects are left out."""
    order = sorted(range(len(groups)), key=lambda i: -groups[i]["projects"]["total"])
    kept = [groups[i] for i in order[:shown]]
    rest = [groups[i] for i in order[shown:]]
    return kept, len(rest), sum(g["projects"]["total"] for g in rest)


def cut(text: str, limit: int = NAME_CHARS) -> str:
    """``text`` in at most ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def period_span(label: str, by: str, fiscal_year_start: int = 1) -> tuple[str, str]:
    """The first day of period ``label`` (``2023``, ``2023Q2``, ``2023-04``, ``FY2024``)
    and the first day of the next, as ISO dates."""
    period = pd.Period(label.removeprefix("FY"), freq=period_frequency(by, fiscal_year_start))
    return period.start_time.date().isoformat(), (period + 1).start_time.date().isoformat()


@dataclass
class Timeline:
    """Projects to draw: one bar each and a point per recorded stage."""

    bars: list[dict[str, Any]]
    points: list[dict[str, Any]]
    #: Projects with a start date (those a timeline can draw).
    total: int
    sampled: bool
    #: First and last date drawn (ISO), None when nothing is drawn.
    first: str | None = None
    last: str | None = None


def timeline(
    projects: pd.DataFrame,
    stages: StageSet,
    as_of: date,
    *,
    labels: Mapping[str, str],
    groups: pd.Series | None = None,
    limit: int = TIMELINE_LIMIT,
) -> Timeline:
    """Projects with a start date, ordered by it (``rank`` 0 first); a random sample of
    ``limit`` when there are more. A bar runs from the start to the end stage (to
    ``as_of``, dotted, for an open project); ``labels`` names each stage as shown.

    ``groups``: each project's group (the file's column, one value per row of
    ``projects``), given apart from the computed columns so that a file column named
    ``status``, ``days`` or like a stage can never stand in for them.
    """
    keep = projects[stages.start].notna().to_numpy(dtype=bool)
    dated = projects[keep]
    group_values = None if groups is None else groups[keep]
    total = len(dated)
    sampled = total > limit
    if sampled:
        rng = np.random.default_rng(SAMPLE_SEED)
        picked = np.sort(rng.choice(total, size=limit, replace=False))
        dated = dated.iloc[picked]
        group_values = None if group_values is None else group_values.iloc[picked]
    order = np.argsort(dated[stages.start].to_numpy(dtype="datetime64[s]"), kind="stable")
    dated = dated.iloc[order]
    group_values = None if group_values is None else group_values.iloc[order]
    names = dated.index.astype(str).tolist()
    start = _iso(dated[stages.start])
    end = _iso(dated[stages.end])
    status = dated["status"].astype(str).tolist()
    open_end = as_of.isoformat()
    days = dated["days"].to_numpy(dtype=object, na_value=None).tolist()
    waiting = dated["waiting_days"].to_numpy(dtype=object, na_value=None).tolist()
    same_day = dated["same_day"].to_numpy(dtype=bool).tolist()
    group = (
        group_values.to_numpy(dtype=object, na_value=None).tolist()
        if group_values is not None
        else [None] * len(dated)
    )
    bars = []
    for rank, name in enumerate(names):
        finish = (
            end[rank] if status[rank] == COMPLETE else open_end if status[rank] == OPEN else None
        )
        bar: dict[str, Any] = {
            "rank": rank,
            "project": name,
            "start": start[rank],
            "end": finish,
            "status": status[rank],
            "days": days[rank],
            "waiting_days": waiting[rank],
            "same_day": same_day[rank],
        }
        if groups is not None:
            bar["group"] = group[rank]
        bars.append(bar)
    points = []
    dates_by_stage = {stage: _iso(dated[stage]) for stage in stages.stages}
    for rank, name in enumerate(names):  # project by project, as the rows are drawn
        for stage in stages.stages:
            when = dates_by_stage[stage][rank]
            if when is not None:
                points.append({"rank": rank, "project": name, "stage": labels[stage], "date": when})
    drawn = [p["date"] for p in points] + [b["end"] for b in bars if b["end"] is not None]
    return Timeline(
        bars=bars,
        points=points,
        total=total,
        sampled=sampled,
        first=min(drawn, default=None),
        last=max(drawn, default=None),
    )


def _iso(dates: pd.Series) -> list[str | None]:
    days = day_numbers(dates)
    missing = dates.isna().to_numpy(dtype=bool)
    text = days.astype("datetime64[D]").astype(str).astype(object)
    text[missing] = None
    return list(text.tolist())


#: How many rejected rows and warnings the data-quality section lists (all are counted).
FINDINGS_SHOWN = 200
#: Line numbers listed per finding type.
LINES_SHOWN = 20


@dataclass
class FindingList:
    """Findings of one kind, counted by type and listed up to :data:`FINDINGS_SHOWN`.

    ``total`` and each type's ``count`` count what the list is about (rows for
    rejected rows, projects for invalid projects), not findings: a row rejected for
    two bad dates is one rejected row with two findings listed.
    """

    by_type: list[dict[str, Any]]
    shown: list[dict[str, Any]]
    total: int


@dataclass
class Quality:
    """Rejected rows, projects left out as invalid, and warnings."""

    rejected: FindingList
    invalid: FindingList
    warnings: FindingList
    notes: list[str]


def quality(findings: pd.DataFrame, notes: Sequence[str]) -> Quality:
    """``findings`` (the loader's and the project-level ones) split into rejected rows
    (errors with a line number, counted by row), invalid projects (errors about a whole
    project, counted by project) and warnings (counted one by one)."""
    error = (findings["severity"] == "error").to_numpy(dtype=bool)
    has_row = findings["row"].notna().to_numpy(dtype=bool)
    return Quality(
        rejected=_listing(findings[error & has_row], "row"),
        invalid=_listing(findings[error & ~has_row], "project"),
        warnings=_listing(findings[~error], None),
        notes=list(notes),
    )


def _listing(found: pd.DataFrame, unit: str | None) -> FindingList:
    """``unit``: the column whose distinct values are counted (None: every finding)."""

    def count(part: pd.DataFrame) -> int:
        return len(part) if unit is None else int(part[unit].nunique(dropna=True))

    return FindingList(_by_type(found, count), _records(found.head(FINDINGS_SHOWN)), count(found))


def _by_type(found: pd.DataFrame, count: Callable[[pd.DataFrame], int]) -> list[dict[str, Any]]:
    """Per finding type: how many, and the first line numbers."""
    out = []
    for kind, part in found.groupby("type", sort=True, observed=True):
        rows = list(dict.fromkeys(part["row"].dropna().astype(int).tolist()))
        out.append(
            {
                "type": str(kind),
                "count": count(part),
                "rows": rows[:LINES_SHOWN],
                "more": len(rows) > LINES_SHOWN,
            }
        )
    return out


def _records(found: pd.DataFrame) -> list[dict[str, Any]]:
    columns = ["type", "row", "field", "value", "project", "message"]
    frame = found[columns].astype(object).where(found[columns].notna(), None)
    records: list[dict[str, Any]] = frame.to_dict("records")
    for record in records:
        if record["row"] is not None:
            record["row"] = int(record["row"])
    return records
