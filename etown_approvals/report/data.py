"""What the report's charts draw, computed from an :class:`~etown_approvals.Analysis`.

Pure functions: arrays and DataFrames in, small JSON-ready lists out. Every chart
draws aggregated data (bins, quantiles, periods, transitions) whose size does not
grow with the number of projects, except the timeline, which draws one line per
project and so shows a seeded random sample above :data:`TIMELINE_LIMIT` projects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import COMPLETE, OPEN, day_numbers
from ..stages import StageSet

#: Most projects the timeline draws; above it a random sample of this many is drawn.
TIMELINE_LIMIT = 1_000
#: Seed of the timeline's sample, so the same file gives the same report.
SAMPLE_SEED = 0
#: Most points of the cumulative-share curve (quantiles of days beyond this).
ECDF_POINTS = 400
#: About this many histogram bins.
HISTOGRAM_BINS = 30


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


def ecdf(days: np.ndarray, points: int = ECDF_POINTS) -> list[dict[str, float]]:
    """Share of complete projects done within each number of days (a step curve).

    At most ``points`` steps: with more distinct values, the curve is taken at
    evenly spaced quantiles (the drawn curve then is a close approximation).
    """
    if days.size == 0:
        return []
    values, counts = np.unique(days, return_counts=True)
    shares = np.cumsum(counts) / days.size
    if values.size > points:
        keep = np.unique(np.linspace(0, values.size - 1, points).round().astype(np.int64))
        values, shares = values[keep], shares[keep]
    return [
        {"days": int(v), "share": round(float(s), 4)}
        for v, s in zip(values.tolist(), shares.tolist(), strict=True)
    ]


SURVIVAL_KEYS = ("days", "survival", "ci_low", "ci_high")


def survival_curve(curve: Mapping[str, Sequence[float | None]]) -> list[dict[str, Any]]:
    """A Kaplan-Meier curve (``days``, ``survival``, ``ci_low``, ``ci_high`` arrays of one
    length) as the share done within each number of days: ``1 - survival``, with the
    confidence band flipped the same way."""
    missing = [k for k in SURVIVAL_KEYS if k not in curve]
    if missing:
        raise ValueError(f"survival curve lacks {', '.join(missing)}")
    lengths = {len(curve[k]) for k in SURVIVAL_KEYS}
    if len(lengths) != 1:
        raise ValueError("survival curve arrays differ in length")

    def done(value: float | None) -> float | None:
        return None if value is None or math.isnan(value) else round(1 - float(value), 4)

    return [
        {"days": float(d), "done": done(s), "done_low": done(high), "done_high": done(low)}
        for d, s, low, high in zip(*(curve[k] for k in SURVIVAL_KEYS), strict=True)
    ]


def incidence_curve(curve: Mapping[str, Sequence[float]]) -> list[dict[str, Any]] | None:
    """An Aalen-Johansen curve (``times``, ``completed``, ``withdrawn`` arrays of one
    length) as the share with the permit by each number of days; None when nothing was
    withdrawn (the curve is then the Kaplan-Meier one)."""
    lengths = {len(curve[k]) for k in ("times", "completed", "withdrawn")}
    if len(lengths) != 1:
        raise ValueError("cumulative incidence arrays differ in length")
    if not any(curve["withdrawn"]):
        return None
    return [
        {"days": float(d), "done": round(float(c), 4)}
        for d, c in zip(curve["times"], curve["completed"], strict=True)
    ]


@dataclass
class Timeline:
    """Projects to draw: one bar each and a point per recorded stage."""

    bars: list[dict[str, Any]]
    points: list[dict[str, Any]]
    #: Projects with a start date (those a timeline can draw).
    total: int
    sampled: bool


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
    for stage in stages.stages:
        dates = _iso(dated[stage])
        for rank, (name, when) in enumerate(zip(names, dates, strict=True)):
            if when is not None:
                points.append({"rank": rank, "project": name, "stage": labels[stage], "date": when})
    return Timeline(bars=bars, points=points, total=total, sampled=sampled)


def _iso(dates: pd.Series) -> list[str | None]:
    days = day_numbers(dates)
    missing = dates.isna().to_numpy(dtype=bool)
    text = days.astype("datetime64[D]").astype(str).astype(object)
    text[missing] = None
    return list(text.tolist())


#: How many rejected rows and warnings the data-quality section lists (all are counted).
FINDINGS_SHOWN = 200


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
            {"type": str(kind), "count": count(part), "rows": rows[:20], "more": len(rows) > 20}
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
